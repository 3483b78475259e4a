import { afterEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import { createArgon2idHasher, OWASP_ARGON2ID, type PasswordHasher } from "../passwords/hasher.js";
import { cookieFrom, createTestEngine, strongPassword, uniqueEmail, type TestEngine } from "../test-support/engine.js";

const engines: TestEngine[] = [];
async function engineWith(config: Parameters<typeof createTestEngine>[0] = {}): Promise<TestEngine> {
  const engine = await createTestEngine(config);
  engines.push(engine);
  return engine;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

function signIn(
  engine: TestEngine,
  json: unknown,
  options: { remoteAddress?: string; headers?: Record<string, string>; cookie?: string } = {},
) {
  return engine.request("POST", "/v1/sign-in/password", { json, ...options });
}

/** Wraps the real hasher and counts verifications. */
function countingHasher(): PasswordHasher & { verifications: number } {
  const real = createArgon2idHasher();
  const counting = {
    verifications: 0,
    hash: real.hash,
    needsRehash: real.needsRehash,
    async verify(hash: string, password: string) {
      counting.verifications++;
      return real.verify(hash, password);
    },
  };
  return counting;
}

describe("POST /v1/sign-in/password", () => {
  it("signs in with the right password, case-insensitively on the email", async () => {
    const engine = await engineWith();
    const { email, password } = await engine.signUp();
    const response = await signIn(engine, { email: email.toUpperCase(), password });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(cookieFrom(response, engine.cookieName)).toMatch(/^sess_/);
  });

  it("answers an unknown email exactly like a wrong password, after the same Argon2id work", async () => {
    const hasher = countingHasher();
    const engine = await engineWith({ passwordHasher: hasher });
    const { email } = await engine.signUp();

    hasher.verifications = 0;
    const wrongPassword = await signIn(engine, { email, password: strongPassword() });
    expect(hasher.verifications).toBe(1);
    hasher.verifications = 0;
    const unknownEmail = await signIn(engine, { email: uniqueEmail(), password: strongPassword() });
    expect(hasher.verifications).toBe(1);
    hasher.verifications = 0;
    const malformedEmail = await signIn(engine, { email: "not-an-address", password: strongPassword() });
    expect(hasher.verifications).toBe(1);

    const answers = await Promise.all(
      [wrongPassword, unknownEmail, malformedEmail].map(async (response) => ({
        status: response.status,
        contentType: response.headers.get("content-type"),
        body: await response.text(),
      })),
    );
    expect(answers[0]).toEqual({ status: 401, contentType: "application/problem+json", body: expect.any(String) });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(JSON.parse(answers[0]!.body)).toMatchObject({ code: "invalid_credentials" });
  });

  it("never adopts a session the client presents; it replaces it", async () => {
    const engine = await engineWith();
    const { email, password, token: before } = await engine.signUp();
    const response = await signIn(engine, { email, password }, { cookie: before });
    const after = cookieFrom(response, engine.cookieName)!;
    expect(after).not.toBe(before);
    expect((await engine.request("GET", "/v1/session", { cookie: before })).status).toBe(401);
    expect((await engine.request("GET", "/v1/session", { cookie: after })).status).toBe(200);
  });

  it("throttles per account with 429 and Retry-After, even from many addresses and with the right password", async () => {
    const engine = await engineWith({ throttle: { signInPerAccount: { points: 3, durationSeconds: 900 } } });
    const { email, password } = await engine.signUp();
    for (let i = 0; i < 3; i++) {
      const wrong = await signIn(engine, { email, password: strongPassword() }, { remoteAddress: `192.0.2.${i + 1}` });
      expect(wrong.status).toBe(401);
    }
    const blocked = await signIn(engine, { email, password }, { remoteAddress: "192.0.2.200" });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(blocked.headers.getSetCookie()).toEqual([]);
    expect(await blocked.json()).toMatchObject({ code: "rate_limited" });
    // Another account is not affected.
    const other = await engine.signUp();
    expect((await signIn(engine, { email: other.email, password: other.password })).status).toBe(200);
  });

  it("throttles unknown accounts the same way as known ones", async () => {
    const engine = await engineWith({ throttle: { signInPerAccount: { points: 2, durationSeconds: 900 } } });
    const email = uniqueEmail();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await signIn(engine, { email, password: strongPassword() })).status);
    expect(statuses).toEqual([401, 401, 429]);
  });

  it("resets the account's count after a successful sign-in", async () => {
    const engine = await engineWith({ throttle: { signInPerAccount: { points: 2, durationSeconds: 900 } } });
    const { email, password } = await engine.signUp();
    expect((await signIn(engine, { email, password: "wrong-password-1" })).status).toBe(401);
    expect((await signIn(engine, { email, password })).status).toBe(200);
    expect((await signIn(engine, { email, password: "wrong-password-2" })).status).toBe(401);
    expect((await signIn(engine, { email, password })).status).toBe(200);
  });

  it("throttles per IP, counting IPv6 clients by /64", async () => {
    const engine = await engineWith({ throttle: { signInPerIP: { points: 2, durationSeconds: 900 } } });
    const attempt = (remoteAddress: string) =>
      signIn(engine, { email: uniqueEmail(), password: strongPassword() }, { remoteAddress });
    expect((await attempt("2001:db8:1:2::1")).status).toBe(401);
    expect((await attempt("2001:db8:1:2:ffff::9")).status).toBe(401);
    expect((await attempt("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).status).toBe(429);
    expect((await attempt("2001:db8:1:3::1")).status).toBe(401);
    // IPv4 and its IPv4-mapped IPv6 form are one client.
    expect((await attempt("192.0.2.9")).status).toBe(401);
    expect((await attempt("::ffff:192.0.2.9")).status).toBe(401);
    expect((await attempt("192.0.2.9")).status).toBe(429);
  });

  it("ignores X-Forwarded-For from untrusted peers", async () => {
    const engine = await engineWith({ throttle: { signInPerIP: { points: 1, durationSeconds: 900 } } });
    const attempt = (forwardedFor: string) =>
      signIn(
        engine,
        { email: uniqueEmail(), password: strongPassword() },
        {
          remoteAddress: "198.51.100.7",
          headers: { "x-forwarded-for": forwardedFor },
        },
      );
    expect((await attempt("192.0.2.1")).status).toBe(401);
    // A spoofed header does not buy a fresh bucket.
    expect((await attempt("192.0.2.2")).status).toBe(429);
  });

  it("believes X-Forwarded-For from trusted proxies, hop by hop from the right", async () => {
    const engine = await engineWith({
      trustedProxies: ["10.0.0.0/8"],
      throttle: { signInPerIP: { points: 1, durationSeconds: 900 } },
    });
    const attempt = (forwardedFor: string) =>
      signIn(
        engine,
        { email: uniqueEmail(), password: strongPassword() },
        {
          remoteAddress: "10.1.1.1",
          headers: { "x-forwarded-for": forwardedFor },
        },
      );
    expect((await attempt("192.0.2.1, 10.2.2.2")).status).toBe(401);
    expect((await attempt("192.0.2.2")).status).toBe(401);
    expect((await attempt("192.0.2.1")).status).toBe(429);
    // A client prepending a fake address to its real one is still counted as itself.
    expect((await attempt("203.0.113.99, 192.0.2.2")).status).toBe(429);
  });

  it("upgrades a hash made with weaker parameters (OWASP's 19 MiB, the default before 20 MiB) at the next successful sign-in", async () => {
    const weak = createArgon2idHasher(OWASP_ARGON2ID);
    const strong = createArgon2idHasher();
    const database = createMemoryDatabase({ warn: () => {} });
    const email = uniqueEmail();
    const password = strongPassword();
    const before = await weak.hash(password);
    await database.createUser({
      id: "user_weakhash",
      email,
      emailNormalized: email,
      name: null,
      passwordHash: before,
      emailVerifiedAt: null,
      createdAt: 0,
    });
    const engine = await engineWith({ database, passwordHasher: strong });
    expect(strong.needsRehash(before)).toBe(true);
    expect((await signIn(engine, { email, password })).status).toBe(200);
    const after = (await database.getUserById("user_weakhash"))!.passwordHash!;
    expect(after).toMatch(/^\$argon2id\$v=19\$m=20480,t=2,p=1\$/);
    expect(strong.needsRehash(after)).toBe(false);
    expect((await signIn(engine, { email, password })).status).toBe(200);
  });

  it.each([
    ["an array password", { email: "a@example.com", password: ["x"] }],
    ["an object email", { email: { $ne: null }, password: "whatever1" }],
    ["a missing password", { email: "a@example.com" }],
    ["a JSON array body", [{ email: "a@example.com", password: "whatever1" }]],
  ])("refuses %s with 422", async (_, json) => {
    const engine = await engineWith();
    const response = await signIn(engine, json);
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: "validation_failed" });
  });

  it("answers an over-long password like a wrong one, without hashing it", async () => {
    const hasher = countingHasher();
    const engine = await engineWith({ passwordHasher: hasher });
    const { email } = await engine.signUp();
    hasher.verifications = 0;
    const response = await signIn(engine, { email, password: "x".repeat(10_000) });
    expect(response.status).toBe(401);
    expect(hasher.verifications).toBe(0);
  });
});
