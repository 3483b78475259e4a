import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cookieFrom, createTestEngine, strongPassword, uniqueEmail, type TestEngine } from "../test-support/engine.js";

let engine: TestEngine;
beforeEach(async () => {
  engine = await createTestEngine();
});
afterEach(() => engine.close());

const signUp = (json: unknown, headers?: Record<string, string>) =>
  engine.request("POST", "/v1/sign-up", { json, headers, remoteAddress: `192.0.2.${Math.floor(Math.random() * 250)}` });

describe("POST /v1/sign-up", () => {
  it("creates the account and signs in with an HttpOnly session cookie", async () => {
    const email = uniqueEmail();
    const response = await signUp({ email, password: strongPassword(), name: "Ada Lovelace" });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.json();
    expect(body.user).toMatchObject({ email, name: "Ada Lovelace", email_verified: false });
    expect(body.user.id).toMatch(/^user_/);
    expect(body.user).not.toHaveProperty("password_hash");
    expect(body.session.user_id).toBe(body.user.id);
    const token = cookieFrom(response, engine.cookieName);
    expect(token).toMatch(/^sess_[\w-]{22}\.[\w-]{43}$/);
    const session = await engine.request("GET", "/v1/session", { cookie: token! });
    expect(session.status).toBe(200);
  });

  it("answers bearer-transport clients with an OAuth 2 token response and no cookie", async () => {
    const response = await signUp({ email: uniqueEmail(), password: strongPassword() }, { "auth-transport": "bearer" });
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.json();
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 30 * 24 * 3600 });
    expect(body.session_id).toMatch(/^sess_/);
    const session = await engine.request("GET", "/v1/session", { bearer: body.access_token });
    expect(session.status).toBe(200);
  });

  it("treats emails as unique regardless of case", async () => {
    const email = uniqueEmail();
    expect((await signUp({ email, password: strongPassword() })).status).toBe(201);
    const again = await signUp({ email: email.toUpperCase(), password: strongPassword() });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: "email_taken" });
  });

  it.each([
    ["header injection", "victim@example.com\r\nBcc: attacker@example.com"],
    ["a trailing newline", "victim@example.com\n"],
    ["a list", "victim@example.com, attacker@example.com"],
    ["a display name", "Victim <victim@example.com>"],
    ["no domain", "victim@"],
    ["spaces", "vic tim@example.com"],
    ["an over-long address", `${"a".repeat(250)}@example.com`],
    ["an array", ["victim@example.com", "attacker@example.com"]],
    ["an object", { address: "victim@example.com" }],
    ["a number", 42],
    ["null", null],
  ])("refuses an email that is %s, creating nothing", async (_, email) => {
    const response = await signUp({ email, password: strongPassword() });
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await response.json();
    expect(problem.code).toBe("validation_failed");
    expect(problem.errors[0].pointer).toBe("/email");
    if (typeof email === "string" && email.includes("@")) {
      const stored = await engine.gatehouse.handler(
        new Request("http://localhost:4000/v1/sign-in/password", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email, password: "whatever-password" }),
        }),
      );
      expect(stored.status).toBe(401);
    }
  });

  it.each([
    ["too short", "Tr0ub4!", "password_too_short"],
    ["eight code points that NFKC composes into four", "e\u0301".repeat(4), "password_too_short"],
    ["too long", "x".repeat(257), "password_too_long"],
    ["common", "password123", "password_too_common"],
    ["common in another case", "PassWord123", "password_too_common"],
    ["common in full-width characters (NFKC)", "ｐａｓｓｗｏｒｄ１２３", "password_too_common"],
  ])("refuses a password that is %s", async (_, password, code) => {
    const email = uniqueEmail();
    const response = await signUp({ email, password });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code });
    // Nothing was created: the address is still free.
    expect((await signUp({ email, password: strongPassword() })).status).toBe(201);
  });

  it("accepts long passphrases without composition rules, up to the cap, and never truncates them", async () => {
    const email = uniqueEmail();
    const password = "correct horse battery staple ".repeat(8).slice(0, 256);
    expect((await signUp({ email, password })).status).toBe(201);
    const truncated = await engine.request("POST", "/v1/sign-in/password", {
      json: { email, password: password.slice(0, 72) },
    });
    expect(truncated.status).toBe(401);
    const whole = await engine.request("POST", "/v1/sign-in/password", { json: { email, password } });
    expect(whole.status).toBe(200);
  });

  it("normalises passwords with NFKC, so the same passphrase typed differently signs in", async () => {
    const email = uniqueEmail();
    const fullWidth = "ｍｙ ｓｅｃｒｅｔ ｐｈｒａｓｅ ４２";
    expect((await signUp({ email, password: fullWidth })).status).toBe(201);
    const ascii = await engine.request("POST", "/v1/sign-in/password", {
      json: { email, password: "my secret phrase 42" },
    });
    expect(ascii.status).toBe(200);
  });

  it("ignores privileged and unknown fields", async () => {
    const response = await signUp({
      email: uniqueEmail(),
      password: strongPassword(),
      email_verified: true,
      emailVerifiedAt: 1,
      role: "admin",
      id: "user_chosen",
      __proto__: { email_verified: true },
    });
    expect(response.status).toBe(201);
    const { user } = await response.json();
    expect(user.email_verified).toBe(false);
    expect(user.id).not.toBe("user_chosen");
    expect(user).not.toHaveProperty("role");
  });

  it.each([
    ["an array", ["x"]],
    ["an empty string", ""],
    ["an object", { length: 12 }],
  ])("refuses a name that is %s", async (_, name) => {
    const response = await signUp({ email: uniqueEmail(), password: strongPassword(), name });
    expect(response.status).toBe(422);
    expect((await response.json()).errors[0].pointer).toBe("/name");
  });

  it("throttles sign-ups per client network with 429 and Retry-After", async () => {
    const throttled = await createTestEngine({ throttle: { signUpPerIP: { points: 2, durationSeconds: 3600 } } });
    try {
      const attempt = () =>
        throttled.request("POST", "/v1/sign-up", {
          json: { email: uniqueEmail(), password: strongPassword() },
          remoteAddress: "192.0.2.77",
        });
      expect((await attempt()).status).toBe(201);
      expect((await attempt()).status).toBe(201);
      const third = await attempt();
      expect(third.status).toBe(429);
      expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await third.json()).toMatchObject({ code: "rate_limited" });
    } finally {
      await throttled.close();
    }
  });
});
