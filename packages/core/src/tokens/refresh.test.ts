import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import type { GatehouseEvent } from "../events/bus.js";
import {
  BASE_URL,
  cookieFrom,
  createTestEngine,
  strongPassword,
  TEST_SECRET_KEY,
  uniqueEmail,
  type TestEngine,
} from "../test-support/engine.js";

const engines: TestEngine[] = [];
async function engineWith(config: Parameters<typeof createTestEngine>[0] = {}): Promise<TestEngine> {
  const engine = await createTestEngine({ strategy: "jwt", ...config });
  engines.push(engine);
  return engine;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

const SECOND = 1000;

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  session_id: string;
}

async function bearerSignUp(engine: TestEngine): Promise<TokenResponse & { email: string; password: string }> {
  const email = uniqueEmail();
  const password = strongPassword();
  const response = await engine.request("POST", "/v1/sign-up", {
    json: { email, password },
    headers: { "auth-transport": "bearer" },
  });
  expect(response.status).toBe(201);
  return { ...((await response.json()) as TokenResponse), email, password };
}

function refresh(engine: TestEngine, refreshToken: string, options: { form?: boolean } = {}): Promise<Response> {
  if (options.form) {
    return engine.request("POST", "/v1/token", {
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  }
  return engine.request("POST", "/v1/token", { json: { grant_type: "refresh_token", refresh_token: refreshToken } });
}

describe("jwt strategy: sign-in and access tokens", () => {
  it("gives bearer clients an RFC 9068 access token and a refresh token", async () => {
    const engine = await engineWith();
    const tokens = await bearerSignUp(engine);
    expect(tokens.token_type).toBe("Bearer");
    expect(tokens.expires_in).toBe(600);
    const header = decodeProtectedHeader(tokens.access_token);
    expect(header).toMatchObject({ alg: "EdDSA", typ: "at+jwt" });
    expect(header.kid).toMatch(/^key_/);
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ iss: BASE_URL, aud: BASE_URL, sid: tokens.session_id });
    expect(claims.sub).toMatch(/^user_/);
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(typeof claims.jti).toBe("string");
    expect(tokens.refresh_token).toMatch(/^sess_[\w-]{22}\.0\.[\w-]{43}\.[\w-]{43}$/);
    const session = await engine.request("GET", "/v1/session", { bearer: tokens.access_token });
    expect(session.status).toBe(200);
    expect((await session.json()).session.id).toBe(tokens.session_id);
  });

  it("gives browsers HttpOnly cookies: the access token on /, the refresh token only on /v1/token", async () => {
    const engine = await engineWith({ strategy: "hybrid" });
    const response = await engine.request("POST", "/v1/sign-up", {
      json: { email: uniqueEmail(), password: strongPassword() },
    });
    expect(response.status).toBe(201);
    const body = await response.json();
    expect(body).not.toHaveProperty("access_token");
    expect(body).not.toHaveProperty("refresh_token");
    expect(body.expires_in).toBe(60);
    const [access, refreshCookie] = response.headers.getSetCookie();
    expect(access).toMatch(/^gatehouse_access=ey[\w-]+\.[\w-]+\.[\w-]+;/);
    expect(access).toContain("Path=/;");
    expect(access).toContain("HttpOnly");
    expect(access).toContain("SameSite=Lax");
    expect(refreshCookie).toMatch(/^gatehouse_refresh=sess_/);
    expect(refreshCookie).toContain("Path=/v1/token");
    expect(refreshCookie).toContain("HttpOnly");
    const token = cookieFrom(response, "gatehouse_access")!;
    expect(decodeJwt(token).exp! - decodeJwt(token).iat!).toBe(60);
    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(200);
  });

  it("GET /v1/session tells a token caller when its access token expires; a session caller gets no expires_in", async () => {
    const engine = await engineWith({ strategy: "hybrid" });
    const response = await engine.request("POST", "/v1/sign-up", {
      json: { email: uniqueEmail(), password: strongPassword() },
    });
    const token = cookieFrom(response, "gatehouse_access")!;
    engine.clock.now += 25 * SECOND;
    const current = await engine.request("GET", "/v1/session", { cookie: token });
    expect(current.status).toBe(200);
    expect((await current.json()).expires_in).toBe(35);

    const sessions = await engineWith({ strategy: "session" });
    const signedUp = await sessions.request("POST", "/v1/sign-up", {
      json: { email: uniqueEmail(), password: strongPassword() },
    });
    const sessionToken = cookieFrom(signedUp, "gatehouse_session")!;
    const body = await (await sessions.request("GET", "/v1/session", { cookie: sessionToken })).json();
    expect(body.session.id).toMatch(/^sess_/);
    expect(body).not.toHaveProperty("expires_in");
  });

  it("uses __Host- and __Secure- cookie names on https", async () => {
    const engine = await engineWith({ baseURL: "https://auth.example.com" });
    const response = await engine.request("POST", "/v1/sign-up", {
      json: { email: uniqueEmail(), password: strongPassword() },
    });
    const [access, refreshCookie] = response.headers.getSetCookie();
    expect(access).toMatch(/^__Host-gatehouse_access=.*Secure/);
    expect(refreshCookie).toMatch(/^__Secure-gatehouse_refresh=.*Path=\/v1\/token.*Secure/);
  });

  it("the server's own endpoints consult the store: a signed-out session's still-unexpired JWT is refused", async () => {
    const engine = await engineWith();
    const tokens = await bearerSignUp(engine);
    expect((await engine.request("POST", "/v1/sign-out", { bearer: tokens.access_token })).status).toBe(204);
    expect((await engine.request("GET", "/v1/session", { bearer: tokens.access_token })).status).toBe(401);
    expect((await refresh(engine, tokens.refresh_token)).status).toBe(400);
  });

  it("signs out with an expired but authentic access token", async () => {
    const engine = await engineWith();
    const tokens = await bearerSignUp(engine);
    engine.clock.now += 601 * SECOND;
    expect((await engine.request("GET", "/v1/session", { bearer: tokens.access_token })).status).toBe(401);
    expect((await engine.request("POST", "/v1/sign-out", { bearer: tokens.access_token })).status).toBe(204);
    expect((await refresh(engine, tokens.refresh_token)).status).toBe(400);
  });

  it("revoking a session from another device kills its refresh token at once", async () => {
    const engine = await engineWith();
    const tokens = await bearerSignUp(engine);
    const other = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: tokens.email, password: tokens.password },
      headers: { "auth-transport": "bearer" },
    });
    const { access_token } = await other.json();
    const revoke = await engine.request("DELETE", `/v1/sessions/${tokens.session_id}`, { bearer: access_token });
    expect(revoke.status).toBe(204);
    expect((await refresh(engine, tokens.refresh_token)).status).toBe(400);
  });
});

describe("ban and delete under the jwt strategy", () => {
  it.each([
    ["ban", "POST", (id: string) => `/v1/admin/users/${id}/ban`],
    ["delete", "DELETE", (id: string) => `/v1/admin/users/${id}`],
  ])("%s ends access and refresh at once, and is announced on the feed", async (_, method, path) => {
    const engine = await engineWith();
    const tokens = await bearerSignUp(engine);
    const userId = decodeJwt(tokens.access_token).sub!;
    const response = await engine.request(method, path(userId), { bearer: TEST_SECRET_KEY });
    expect(response.status).toBeLessThan(300);
    expect((await engine.request("GET", "/v1/session", { bearer: tokens.access_token })).status).toBe(401);
    expect((await refresh(engine, tokens.refresh_token)).status).toBe(400);
    const logged = await engine.database.revocations.readAfter(null, 10);
    expect(logged.map((entry) => entry.sessionId)).toContain(tokens.session_id);
  });
});

describe("POST /v1/token (refresh)", () => {
  it("rotates: a new access token and a new refresh token, JSON or form", async () => {
    const engine = await engineWith();
    const tokens = await bearerSignUp(engine);
    engine.clock.now += 5 * SECOND;
    const first = await refresh(engine, tokens.refresh_token, { form: true });
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("no-store");
    const next = (await first.json()) as TokenResponse;
    expect(next.refresh_token).toMatch(/^sess_[\w-]{22}\.1\./);
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(next.access_token).not.toBe(tokens.access_token);
    expect(next.session_id).toBe(tokens.session_id);
    const second = await refresh(engine, next.refresh_token);
    expect(second.status).toBe(200);
    expect((await second.json()).refresh_token).toMatch(/\.2\./);
  });

  it("parallel refreshes with one token all succeed with the same successor (no fork, no logout)", async () => {
    const engine = await engineWith();
    const tokens = await bearerSignUp(engine);
    const responses = await Promise.all(Array.from({ length: 6 }, () => refresh(engine, tokens.refresh_token)));
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as TokenResponse[];
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(bodies.map((body) => body.refresh_token)).size).toBe(1);
    // The chain continues from that one successor.
    expect((await refresh(engine, bodies[0]!.refresh_token)).status).toBe(200);
  });

  it("a retry after a lost response inside the grace window gets the same successor", async () => {
    const engine = await engineWith({ tokens: { refreshGraceSeconds: 20 } });
    const tokens = await bearerSignUp(engine);
    const lost = (await (await refresh(engine, tokens.refresh_token)).json()) as TokenResponse;
    engine.clock.now += 19 * SECOND;
    const retry = await refresh(engine, tokens.refresh_token);
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as TokenResponse).refresh_token).toBe(lost.refresh_token);
  });

  it("reuse after the grace window is the theft signal: the whole session ends and an event is recorded", async () => {
    const engine = await engineWith({ tokens: { refreshGraceSeconds: 20 } });
    const events: GatehouseEvent[] = [];
    engine.gatehouse.events.subscribe((event) => void events.push(event));
    const tokens = await bearerSignUp(engine);
    const next = (await (await refresh(engine, tokens.refresh_token)).json()) as TokenResponse;
    engine.clock.now += 21 * SECOND;
    const reuse = await refresh(engine, tokens.refresh_token);
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ code: "invalid_grant", error: "invalid_grant" });
    // The legitimate holder's newer token and access token die with the session.
    expect((await refresh(engine, next.refresh_token)).status).toBe(400);
    expect((await engine.request("GET", "/v1/session", { bearer: next.access_token })).status).toBe(401);
    await engine.gatehouse.events.flush();
    expect(events.find((event) => event.type === "refresh_token.reused")).toMatchObject({
      sessionId: tokens.session_id,
    });
    expect(events.find((event) => event.type === "session.revoked")).toMatchObject({
      data: { reason: "refresh_token_reuse" },
    });
  });

  it("an older generation than the previous one is reuse at any time", async () => {
    const engine = await engineWith();
    const tokens = await bearerSignUp(engine);
    const one = (await (await refresh(engine, tokens.refresh_token)).json()) as TokenResponse;
    const two = (await (await refresh(engine, one.refresh_token)).json()) as TokenResponse;
    expect((await refresh(engine, tokens.refresh_token)).status).toBe(400);
    expect((await refresh(engine, two.refresh_token)).status).toBe(400);
  });

  it("a forged token is refused without ending the victim's session", async () => {
    const engine = await engineWith();
    const tokens = await bearerSignUp(engine);
    const [sessionId, , secret] = tokens.refresh_token.split(".");
    for (const forged of [
      `${sessionId}.0.${"A".repeat(43)}.${"B".repeat(43)}`,
      `${sessionId}.0.${secret}.${"B".repeat(43)}`,
      `${sessionId}.7.${secret}.${tokens.refresh_token.split(".")[3]}`,
      "garbage",
      tokens.access_token,
    ]) {
      const response = await refresh(engine, forged);
      expect(response.status).toBe(400);
      expect((await response.json()).error).toBe("invalid_grant");
    }
    expect((await refresh(engine, tokens.refresh_token)).status).toBe(200);
  });

  it("holds the absolute session lifetime across refreshes and extends the idle one", async () => {
    const engine = await engineWith({ session: { idleTimeoutSeconds: 3600, maxAgeSeconds: 4 * 3600 } });
    let { refresh_token } = await bearerSignUp(engine);
    for (let hour = 1; hour < 4; hour++) {
      engine.clock.now += 3000 * SECOND; // under the idle timeout each time
      const response = await refresh(engine, refresh_token);
      expect(response.status).toBe(200);
      const body = (await response.json()) as TokenResponse;
      refresh_token = body.refresh_token;
      const { exp } = decodeJwt(body.access_token);
      expect(exp! * 1000).toBeLessThanOrEqual(Date.UTC(2026, 0, 1) + 4 * 3600 * SECOND);
    }
    engine.clock.now = Date.UTC(2026, 0, 1) + 4 * 3600 * SECOND;
    expect((await refresh(engine, refresh_token)).status).toBe(400);
  });

  it("ends at the idle timeout when not refreshed", async () => {
    const engine = await engineWith({ session: { idleTimeoutSeconds: 3600, maxAgeSeconds: 86_400 } });
    const tokens = await bearerSignUp(engine);
    engine.clock.now += 3601 * SECOND;
    expect((await refresh(engine, tokens.refresh_token)).status).toBe(400);
  });

  it("refreshes a browser from its refresh cookie, Origin-checked, and clears a dead one", async () => {
    const engine = await engineWith({ strategy: "hybrid" });
    const signUp = await engine.request("POST", "/v1/sign-up", {
      json: { email: uniqueEmail(), password: strongPassword() },
    });
    const refreshCookie = cookieFrom(signUp, "gatehouse_refresh")!;
    const viaCookie = (headers: Record<string, string> = {}) =>
      engine.request("POST", "/v1/token", {
        json: { grant_type: "refresh_token" },
        headers: { cookie: `gatehouse_refresh=${refreshCookie}`, ...headers },
      });
    const foreign = await viaCookie({ origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    const ok = await viaCookie({ origin: BASE_URL });
    expect(ok.status).toBe(200);
    const body = await ok.json();
    expect(body).not.toHaveProperty("access_token");
    expect(body).not.toHaveProperty("refresh_token");
    expect(cookieFrom(ok, "gatehouse_access")).toMatch(/^ey/);
    expect(cookieFrom(ok, "gatehouse_refresh")).toMatch(/\.1\./);
    // After the grace window the old cookie is reuse: refused, and the cookies are cleared.
    engine.clock.now += 21 * SECOND;
    const dead = await viaCookie();
    expect(dead.status).toBe(400);
    expect(dead.headers.getSetCookie().every((cookie) => cookie.includes("Max-Age=0"))).toBe(true);
  });

  it.each([
    ["no grant_type", { refresh_token: "x" }, 400, "invalid_request"],
    ["another grant", { grant_type: "password", username: "a", password: "b" }, 400, "unsupported_grant_type"],
    ["no refresh token", { grant_type: "refresh_token" }, 400, "invalid_request"],
    ["a refresh token of the wrong type", { grant_type: "refresh_token", refresh_token: ["x"] }, 422, undefined],
  ])("refuses %s", async (_, json, status, error) => {
    const engine = await engineWith();
    const response = await engine.request("POST", "/v1/token", { json });
    expect(response.status).toBe(status);
    const body = await response.json();
    if (error) expect(body.error).toBe(error);
  });

  it("refuses a repeated form parameter and unknown media types", async () => {
    const engine = await engineWith();
    const repeated = await engine.request("POST", "/v1/token", {
      body: "grant_type=refresh_token&refresh_token=a&refresh_token=b",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(repeated.status).toBe(400);
    const text = await engine.request("POST", "/v1/token", {
      body: "grant_type=refresh_token",
      headers: { "content-type": "text/plain" },
    });
    expect(text.status).toBe(415);
  });

  it("has no refresh grant under the session strategy", async () => {
    const engine = await engineWith({ strategy: "session" });
    const response = await refresh(engine, "sess_x.0.y.z");
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe("unsupported_grant_type");
  });
});

describe("GET /v1/token/refresh (server-rendered apps)", () => {
  it("refreshes from the cookie and redirects back to an allowed origin only", async () => {
    const engine = await engineWith({ strategy: "hybrid", allowedOrigins: ["http://app.localhost:3000"] });
    const signUp = await engine.request("POST", "/v1/sign-up", {
      json: { email: uniqueEmail(), password: strongPassword() },
    });
    const cookie = `gatehouse_refresh=${cookieFrom(signUp, "gatehouse_refresh")}`;
    engine.clock.now += 61 * SECOND;
    const back = await engine.request(
      "GET",
      `/v1/token/refresh?redirect_url=${encodeURIComponent("http://app.localhost:3000/orders?page=2")}`,
      { headers: { cookie } },
    );
    expect(back.status).toBe(303);
    expect(back.headers.get("location")).toBe("http://app.localhost:3000/orders?page=2");
    const access = cookieFrom(back, "gatehouse_access")!;
    expect((await engine.request("GET", "/v1/session", { cookie: access })).status).toBe(200);

    const evil = await engine.request(
      "GET",
      `/v1/token/refresh?redirect_url=${encodeURIComponent("https://evil.example/")}`,
      {
        headers: { cookie: `gatehouse_refresh=${cookieFrom(back, "gatehouse_refresh")}` },
      },
    );
    expect(evil.headers.get("location")).toBe(`${BASE_URL}/`);
  });

  it("clears the cookies and still redirects when there is nothing to refresh", async () => {
    const engine = await engineWith({ strategy: "hybrid" });
    const response = await engine.request("GET", "/v1/token/refresh?redirect_url=/");
    expect(response.status).toBe(303);
    expect(response.headers.getSetCookie().length).toBe(2);
  });
});
