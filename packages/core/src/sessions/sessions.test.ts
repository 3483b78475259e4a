import { afterEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import { createTestEngine, type TestEngine } from "../test-support/engine.js";

const engines: TestEngine[] = [];
async function engineWith(config: Parameters<typeof createTestEngine>[0] = {}): Promise<TestEngine> {
  const engine = await createTestEngine(config);
  engines.push(engine);
  return engine;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

const SECOND = 1000;

describe("GET /v1/session", () => {
  it("returns the user and session for a cookie or a bearer token, and 401 otherwise", async () => {
    const engine = await engineWith();
    const { token, userId, sessionId } = await engine.signUp();
    for (const credential of [{ cookie: token }, { bearer: token }]) {
      const response = await engine.request("GET", "/v1/session", credential);
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const body = await response.json();
      expect(body.user.id).toBe(userId);
      expect(body.session).toMatchObject({ id: sessionId, user_id: userId, current: true });
    }
    const none = await engine.request("GET", "/v1/session");
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: "unauthenticated" });
  });

  it.each([
    ["a forged secret", (token: string) => `${token.split(".")[0]}.${"A".repeat(43)}`],
    ["a truncated token", (token: string) => token.slice(0, -1)],
    ["the session id alone", (token: string) => token.split(".")[0]!],
    ["garbage", () => "not-a-token"],
    ["an unknown session", () => `sess_${"B".repeat(22)}.${"C".repeat(43)}`],
  ])("refuses %s", async (_, forge) => {
    const engine = await engineWith();
    const { token } = await engine.signUp();
    expect((await engine.request("GET", "/v1/session", { cookie: forge(token) })).status).toBe(401);
    expect((await engine.request("GET", "/v1/session", { bearer: forge(token) })).status).toBe(401);
  });

  it("ignores tokens in the query string", async () => {
    const engine = await engineWith();
    const { token } = await engine.signUp();
    for (const name of ["token", "access_token", "session", engine.cookieName]) {
      const response = await engine.request("GET", `/v1/session?${name}=${encodeURIComponent(token)}`);
      expect(response.status).toBe(401);
    }
  });

  it("does not fall back to the cookie when the client asked for bearer transport", async () => {
    const engine = await engineWith();
    const { token } = await engine.signUp();
    const response = await engine.request("GET", "/v1/session", {
      cookie: token,
      headers: { "auth-transport": "bearer" },
    });
    expect(response.status).toBe(401);
  });
});

describe("session lifetimes (frozen clock)", () => {
  it("ends a session left idle longer than the idle timeout", async () => {
    const engine = await engineWith({ session: { idleTimeoutSeconds: 600, maxAgeSeconds: 86_400 } });
    const { token } = await engine.signUp();
    engine.clock.now += 599 * SECOND;
    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(200);
    // That request counted as activity, so the idle window starts again from here.
    engine.clock.now += 599 * SECOND;
    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(200);
    engine.clock.now += 600 * SECOND;
    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(401);
  });

  it("ends a session at its absolute lifetime however active it is", async () => {
    const engine = await engineWith({ session: { idleTimeoutSeconds: 600, maxAgeSeconds: 3600 } });
    const { token } = await engine.signUp();
    for (let elapsed = 0; elapsed < 3600 - 300; elapsed += 300) {
      engine.clock.now += 300 * SECOND;
      expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(200);
    }
    engine.clock.now += 300 * SECOND;
    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(401);
  });

  it("uses the documented defaults: 7 days idle, 30 days absolute", async () => {
    const engine = await engineWith();
    const response = await engine.request("POST", "/v1/sign-up", {
      json: { email: "defaults@example.com", password: "defaults-password-1" },
    });
    const { session } = await response.json();
    expect(Date.parse(session.idle_expires_at) - engine.clock.now).toBe(7 * 24 * 3600 * SECOND);
    expect(Date.parse(session.expires_at) - engine.clock.now).toBe(30 * 24 * 3600 * SECOND);
    const cookie = response.headers.getSetCookie()[0]!;
    expect(cookie).toContain(`Max-Age=${30 * 24 * 3600}`);
  });
});

describe("session cookie", () => {
  it("is HttpOnly, SameSite=Lax, Path=/ and not Secure on plain http", async () => {
    const engine = await engineWith();
    const response = await engine.request("POST", "/v1/sign-up", {
      json: { email: "cookie@example.com", password: "cookie-password-1" },
    });
    const [cookie] = response.headers.getSetCookie();
    expect(cookie).toMatch(/^gatehouse_session=sess_/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Path=/");
    expect(cookie).not.toContain("Secure");
    expect(cookie).not.toContain("Domain");
  });

  it("uses the __Host- prefix and Secure when the base URL is https", async () => {
    const engine = await engineWith({ baseURL: "https://auth.example.com" });
    const response = await engine.request("POST", "/v1/sign-up", {
      json: { email: "secure@example.com", password: "secure-password-1" },
      headers: { origin: "https://auth.example.com" },
    });
    const [cookie] = response.headers.getSetCookie();
    expect(cookie).toMatch(/^__Host-gatehouse_session=sess_/);
    expect(cookie).toContain("Secure");
    expect(cookie).toContain("Path=/");
    expect(cookie).not.toContain("Domain");
  });

  it("shares the cookie across subdomains when a cookie domain is set, without the prefix", async () => {
    const engine = await engineWith({ baseURL: "https://auth.example.com", cookie: { domain: "example.com" } });
    const response = await engine.request("POST", "/v1/sign-up", {
      json: { email: "domain@example.com", password: "domain-password-1" },
    });
    const [cookie] = response.headers.getSetCookie();
    expect(cookie).toMatch(/^gatehouse_session=sess_/);
    expect(cookie).toContain("Domain=example.com");
    expect(cookie).toContain("Secure");
  });
});

describe("sign-out and revocation", () => {
  it("sign-out ends the session at once and clears the cookie", async () => {
    const engine = await engineWith();
    const { token } = await engine.signUp();
    const response = await engine.request("POST", "/v1/sign-out", { cookie: token });
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()[0]).toMatch(/^gatehouse_session=;.*Max-Age=0/);
    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(401);
  });

  it("sign-out works for bearer clients and sets no cookie", async () => {
    const engine = await engineWith();
    const { token } = await engine.signUp();
    const response = await engine.request("POST", "/v1/sign-out", { bearer: token });
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await engine.request("GET", "/v1/session", { bearer: token })).status).toBe(401);
  });

  it("lists only the caller's live sessions, marking the current one", async () => {
    const engine = await engineWith();
    const alice = await engine.signUp();
    const second = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: alice.email, password: alice.password },
      headers: { "user-agent": "Second Browser/1.0" },
    });
    const secondId = (await second.json()).session.id;
    await engine.signUp(); // someone else
    const response = await engine.request("GET", "/v1/sessions", { cookie: alice.token });
    expect(response.status).toBe(200);
    const { data } = await response.json();
    expect(data.map((each: { id: string }) => each.id).sort()).toEqual([alice.sessionId, secondId].sort());
    expect(data.find((each: { id: string }) => each.id === alice.sessionId).current).toBe(true);
    expect(data.find((each: { id: string }) => each.id === secondId)).toMatchObject({
      current: false,
      user_agent: "Second Browser/1.0",
    });
    expect(JSON.stringify(data)).not.toContain("secret");
  });

  it("revokes another of the caller's sessions", async () => {
    const engine = await engineWith();
    const alice = await engine.signUp();
    const other = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: alice.email, password: alice.password },
      headers: { "auth-transport": "bearer" },
    });
    const { access_token, session_id } = await other.json();
    const response = await engine.request("DELETE", `/v1/sessions/${session_id}`, { cookie: alice.token });
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await engine.request("GET", "/v1/session", { bearer: access_token })).status).toBe(401);
    expect((await engine.request("GET", "/v1/session", { cookie: alice.token })).status).toBe(200);
  });

  it("revoking the current session clears the cookie", async () => {
    const engine = await engineWith();
    const alice = await engine.signUp();
    const response = await engine.request("DELETE", `/v1/sessions/${alice.sessionId}`, { cookie: alice.token });
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()[0]).toContain("Max-Age=0");
    expect((await engine.request("GET", "/v1/session", { cookie: alice.token })).status).toBe(401);
  });

  it("answers another user's session id with 404 and leaves it alone", async () => {
    const engine = await engineWith();
    const alice = await engine.signUp();
    const mallory = await engine.signUp();
    const response = await engine.request("DELETE", `/v1/sessions/${alice.sessionId}`, { cookie: mallory.token });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "not_found" });
    expect((await engine.request("GET", "/v1/session", { cookie: alice.token })).status).toBe(200);
    const unknown = await engine.request("DELETE", "/v1/sessions/sess_unknown", { cookie: mallory.token });
    expect(unknown.status).toBe(404);
  });
});

describe("the store holds no usable credential", () => {
  it("keeps only a hash of the session secret and of the password", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const engine = await engineWith({ database });
    const { token, sessionId, userId, password } = await engine.signUp();
    const [, secret] = token.split(".");
    const session = await database.sessions.getSession(sessionId);
    const user = await database.getUserById(userId);
    const stored = JSON.stringify({ session, user });
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(password);
    expect(session!.secretHash).toMatch(/^[\w-]{43}$/);
    expect(user!.passwordHash).toMatch(/^\$argon2id\$/);
  });
});

describe("credential sources", () => {
  it("ignores the cookie when any Authorization header is present", async () => {
    const engine = await engineWith();
    const { token } = await engine.signUp();
    const response = await engine.request("GET", "/v1/session", {
      cookie: token,
      headers: { authorization: "Basic dXNlcjpwYXNz" },
    });
    expect(response.status).toBe(401);
  });
});
