// createVerifier with access tokens: where credentials are read from, every signed-out reason
// an access token can earn, the refresh URL for an expired cookie, and misconfiguration.
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/index.js";
import { startFakeIssuer, type FakeIssuer } from "../test-support/fake-issuer.js";
import { bearer, countingKeys, recordingLogger, withCookies } from "../test-support/helpers.js";
import { createVerifier, type VerifierOptions } from "./create-verifier.js";

let issuer: FakeIssuer;

beforeAll(async () => {
  issuer = await startFakeIssuer();
});
afterAll(async () => {
  await issuer.close();
});

function verifier(options: Partial<VerifierOptions> = {}) {
  return createVerifier({
    url: issuer.url,
    keys: countingKeys([issuer.publicJWK]),
    logger: recordingLogger(),
    ...options,
  });
}

describe("where the credential is read from", () => {
  it("signs in with an Authorization: Bearer access token", async () => {
    const token = await issuer.issueAccessToken({ sub: "user_a", sid: "sess_a" });
    const state = await verifier().authenticateRequest(bearer(token));
    expect(state).toMatchObject({
      status: "signed-in",
      userId: "user_a",
      sessionId: "sess_a",
      credential: "access-token",
    });
    if (state.status !== "signed-in" || state.credential !== "access-token") throw new Error("unreachable");
    expect(state.claims.iss).toBe(issuer.url);
    expect(Object.isFrozen(state.claims)).toBe(true);
  });

  it("signs in with the access cookie (plain name over http)", async () => {
    const token = await issuer.issueAccessToken({ sub: "user_c" });
    const state = await verifier().authenticateRequest(withCookies({ gatehouse_access: token }));
    expect(state).toMatchObject({ status: "signed-in", userId: "user_c" });
  });

  it("on an https issuer reads __Host-gatehouse_access, and the plain name only with a cookie domain", async () => {
    const https = "https://auth.example.com";
    const token = await new SignJWT({ sub: "user_h", sid: "sess_h", jti: "at_1" })
      .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: issuer.kid })
      .setIssuer(https)
      .setAudience(https)
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(issuer.privateKey);
    const strict = verifier({ issuer: https });
    expect(await strict.authenticateRequest(withCookies({ "__Host-gatehouse_access": token }))).toMatchObject({
      status: "signed-in",
    });
    expect(await strict.authenticateRequest(withCookies({ gatehouse_access: token }))).toMatchObject({
      reason: "no-credential",
    });
    const shared = verifier({ issuer: https, cookieDomain: ".example.com" });
    expect(await shared.authenticateRequest(withCookies({ gatehouse_access: token }))).toMatchObject({
      status: "signed-in",
    });
  });

  it("never falls back to cookies when an Authorization header is present", async () => {
    const token = await issuer.issueAccessToken();
    const request = withCookies({ gatehouse_access: token }, { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(await verifier().authenticateRequest(request)).toEqual({ status: "signed-out", reason: "no-credential" });
    const broken = withCookies({ gatehouse_access: token }, { headers: { authorization: "Bearer" } });
    expect(await verifier().authenticateRequest(broken)).toEqual({
      status: "signed-out",
      reason: "invalid",
      detail: "malformed",
    });
  });

  it("never reads a token from the query string", async () => {
    const token = await issuer.issueAccessToken();
    const request = new Request(`http://app.test/?access_token=${token}&token=${token}`);
    expect(await verifier().authenticateRequest(request)).toEqual({ status: "signed-out", reason: "no-credential" });
  });

  it("prefers the access cookie over the session cookie", async () => {
    const token = await issuer.issueAccessToken({ sub: "user_pref" });
    const state = await verifier().authenticateRequest(
      withCookies({ gatehouse_session: "sess_aaaaaaaaaaaaaaaaaaaaaa.bbb", gatehouse_access: token }),
    );
    expect(state).toMatchObject({ status: "signed-in", userId: "user_pref", credential: "access-token" });
  });

  it("answers no-credential without any credential", async () => {
    expect(await verifier().authenticateRequest(new Request("http://app.test/"))).toEqual({
      status: "signed-out",
      reason: "no-credential",
    });
    expect(await verifier().authenticateRequest(withCookies({ other: "x" }))).toEqual({
      status: "signed-out",
      reason: "no-credential",
    });
  });
});

describe("signed-out reasons of access tokens", () => {
  it("invalid, with the broken rule as detail", async () => {
    const v = verifier();
    const wrongAudience = await issuer.issueAccessToken({ claims: { aud: "https://other.example" } });
    const wrongType = await issuer.issueAccessToken({ header: { typ: "JWT" } });
    const forged = (await issuer.issueAccessToken()).slice(0, -4) + "AAAA";
    const unknownKey = await issuer.issueAccessToken({ kid: "key_unknown" });
    expect(await v.authenticateRequest(bearer(wrongAudience))).toEqual({
      status: "signed-out",
      reason: "invalid",
      detail: "wrong-audience",
    });
    expect(await v.authenticateRequest(bearer(wrongType))).toMatchObject({ reason: "invalid", detail: "wrong-type" });
    expect(await v.authenticateRequest(bearer(forged))).toMatchObject({
      reason: "invalid",
      detail: "invalid-signature",
    });
    expect(await v.authenticateRequest(bearer(unknownKey))).toMatchObject({ reason: "invalid", detail: "unknown-key" });
    expect(await v.authenticateRequest(bearer("not-a-token"))).toMatchObject({
      reason: "invalid",
      detail: "malformed",
    });
  });

  it("a configured audience replaces the default (the issuer)", async () => {
    const token = await issuer.issueAccessToken({ claims: { aud: "https://api.example.com" } });
    expect(await verifier().authenticateRequest(bearer(token))).toMatchObject({ detail: "wrong-audience" });
    expect(await verifier({ audience: "https://api.example.com" }).authenticateRequest(bearer(token))).toMatchObject({
      status: "signed-in",
    });
  });

  it("expired: from a cookie on GET it carries the server's refresh URL for this page", async () => {
    const token = await issuer.issueAccessToken({ now: Date.now() - 120_000, lifetimeSeconds: 60 });
    const page = "https://app.example.com/account?tab=security";
    const state = await verifier().authenticateRequest(withCookies({ gatehouse_access: token }, { url: page }));
    expect(state).toEqual({
      status: "signed-out",
      reason: "expired",
      refreshURL: `${issuer.url}/v1/token/refresh?redirect_url=${encodeURIComponent(page)}`,
    });
  });

  it("expired: no refresh URL for a POST (a redirect would drop its body) or a bearer token", async () => {
    const token = await issuer.issueAccessToken({ now: Date.now() - 120_000, lifetimeSeconds: 60 });
    const post = withCookies({ gatehouse_access: token }, { method: "POST" });
    expect(await verifier().authenticateRequest(post)).toEqual({ status: "signed-out", reason: "expired" });
    expect(await verifier().authenticateRequest(bearer(token))).toEqual({ status: "signed-out", reason: "expired" });
  });

  it("the refresh URL keeps the path of a base URL mounted below the root", async () => {
    const token = await issuer.issueAccessToken({ now: Date.now() - 120_000, lifetimeSeconds: 60 });
    const v = createVerifier({
      url: `${issuer.url}/auth/`,
      keys: countingKeys([issuer.publicJWK]),
      logger: recordingLogger(),
    });
    const state = await v.authenticateRequest(withCookies({ gatehouse_access: token }, { url: "http://app.test/" }));
    expect(state).toMatchObject({
      refreshURL: `${issuer.url}/auth/v1/token/refresh?redirect_url=http%3A%2F%2Fapp.test%2F`,
    });
  });

  it("unavailable when the signing keys cannot be fetched, without logging the token", async () => {
    const logger = recordingLogger();
    const token = await issuer.issueAccessToken();
    const v = createVerifier({
      url: issuer.url,
      logger,
      fetch: async () => new Response("down", { status: 502 }),
    });
    expect(await v.authenticateRequest(bearer(token))).toEqual({ status: "signed-out", reason: "unavailable" });
    expect(logger.lines.map((line) => line.level)).toContain("warn");
    expect(JSON.stringify(logger.lines)).not.toContain(token);
  });
});

describe("the token cache", () => {
  it("does not verify a token again on every request", async () => {
    const keys = countingKeys([issuer.publicJWK]);
    const v = verifier({ keys });
    const token = await issuer.issueAccessToken();
    for (let i = 0; i < 5; i++)
      expect(await v.authenticateRequest(bearer(token))).toMatchObject({ status: "signed-in" });
    expect(keys.calls).toBe(1);
    await v.authenticateRequest(bearer(await issuer.issueAccessToken()));
    expect(keys.calls).toBe(2);
  });

  it("answers only the exact token string: a tampered copy is verified and refused", async () => {
    const keys = countingKeys([issuer.publicJWK]);
    const v = verifier({ keys });
    const token = await issuer.issueAccessToken();
    await v.authenticateRequest(bearer(token));
    const [header, payload] = token.split(".");
    const other = await issuer.issueAccessToken({ sub: "user_other" });
    const spliced = `${header}.${payload}.${other.split(".")[2]}`;
    expect(await v.authenticateRequest(bearer(spliced))).toMatchObject({ reason: "invalid" });
    expect(keys.calls).toBe(2);
    // The cache is indexed by the token's end, the signature: another payload under the cached
    // token's signature finds that entry, and must still be verified and refused.
    const borrowed = `${header}.${other.split(".")[1]}.${token.split(".")[2]}`;
    expect(await v.authenticateRequest(bearer(borrowed))).toMatchObject({ reason: "invalid" });
    expect(keys.calls).toBe(3);
    expect(await v.authenticateRequest(bearer(token))).toMatchObject({ status: "signed-in" });
    expect(keys.calls).toBe(3);
  });

  it("evicts a token at its exp", async () => {
    let now = Date.now();
    const keys = countingKeys([issuer.publicJWK]);
    const v = verifier({ keys, clock: () => now });
    const token = await issuer.issueAccessToken({ now, lifetimeSeconds: 600 });
    const exp = (Math.floor(now / 1000) + 600) * 1000;
    expect(await v.authenticateRequest(bearer(token))).toMatchObject({ status: "signed-in" });
    now = exp - 1;
    expect(await v.authenticateRequest(bearer(token))).toMatchObject({ status: "signed-in" });
    expect(keys.calls).toBe(1);
    now = exp;
    expect(await v.authenticateRequest(bearer(token))).toEqual({ status: "signed-out", reason: "expired" });
    expect(keys.calls).toBe(2);
  });

  it("is bounded: the least recently used token leaves first", async () => {
    const keys = countingKeys([issuer.publicJWK]);
    const v = verifier({ keys, tokenCacheSize: 2 });
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => issuer.issueAccessToken()));
    await v.authenticateRequest(bearer(a!));
    await v.authenticateRequest(bearer(b!));
    await v.authenticateRequest(bearer(a!)); // a is now the most recent
    await v.authenticateRequest(bearer(c!)); // evicts b
    expect(keys.calls).toBe(3);
    await v.authenticateRequest(bearer(a!));
    expect(keys.calls).toBe(3);
    await v.authenticateRequest(bearer(b!));
    expect(keys.calls).toBe(4);
  });

  it("never caches a refused token", async () => {
    const keys = countingKeys([issuer.publicJWK]);
    const v = verifier({ keys });
    const forged = (await issuer.issueAccessToken()).slice(0, -4) + "AAAA";
    await v.authenticateRequest(bearer(forged));
    await v.authenticateRequest(bearer(forged));
    expect(keys.calls).toBe(2);
  });
});

describe("misconfiguration throws ConfigurationError with a hint", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["no options", () => createVerifier(undefined as unknown as VerifierOptions), /options object/],
    ["no url", () => createVerifier({} as VerifierOptions), /GATEHOUSE_URL/],
    ["relative url", () => createVerifier({ url: "/auth" }), /absolute http\(s\)/],
    ["non-http url", () => createVerifier({ url: "ftp://auth.example.com" }), /absolute http\(s\)/],
    ["url with a query", () => createVerifier({ url: "https://auth.example.com/?x=1" }), /query/],
    ["HMAC algorithm", () => createVerifier({ url: "https://a.example", algorithms: ["HS256" as "EdDSA"] }), /EdDSA/],
    ["alg none", () => createVerifier({ url: "https://a.example", algorithms: ["none" as "EdDSA"] }), /EdDSA/],
    ["no algorithms", () => createVerifier({ url: "https://a.example", algorithms: [] }), /EdDSA/],
    ["feed without key", () => createVerifier({ url: "https://a.example", followRevocations: true }), /secretKey/],
    [
      "unknown policy",
      () => createVerifier({ url: "https://a.example", onFeedUnavailable: "maybe" as "fail-closed" }),
      /fail-closed/,
    ],
    ["zero outage limit", () => createVerifier({ url: "https://a.example", maxFeedOutageSeconds: 0 }), /positive/],
    ["NaN outage limit", () => createVerifier({ url: "https://a.example", maxFeedOutageSeconds: NaN }), /positive/],
    ["empty cache", () => createVerifier({ url: "https://a.example", tokenCacheSize: 0 }), /tokenCacheSize/],
    ["empty issuer", () => createVerifier({ url: "https://a.example", issuer: "" }), /issuer/],
    ["empty audience", () => createVerifier({ url: "https://a.example", audience: "" }), /audience/],
    ["empty cookie domain", () => createVerifier({ url: "https://a.example", cookieDomain: " " }), /cookieDomain/],
    [
      "cached store checks",
      () =>
        createVerifier({
          url: "https://a.example",
          sessions: { getSession: async () => null },
          sessionCacheSeconds: 5,
        }),
      /server only/,
    ],
    [
      "touch without idle timeout",
      () =>
        createVerifier({
          url: "https://a.example",
          sessions: { getSession: async () => null, touchSession: async () => {} },
        }),
      /sessionIdleTimeoutSeconds/,
    ],
    [
      "negative feed delay",
      () => createVerifier({ url: "https://a.example", feed: { minReconnectDelayMs: -1 } }),
      /milliseconds/,
    ],
  ];

  it.each(cases)("%s", (_name, create, hint) => {
    let thrown: unknown;
    try {
      create();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as ConfigurationError).code).toBe("invalid_configuration");
    expect((thrown as Error).message).toMatch(hint);
  });

  it("never repeats a rejected secret key", () => {
    const pasted = "sk_live_0123456789abcdefTHISISSECRET";
    expect(() => createVerifier({ url: "https://a.example", secretKey: pasted })).toThrow(ConfigurationError);
    try {
      createVerifier({ url: "https://a.example", secretKey: pasted });
    } catch (error) {
      expect(String(error)).not.toContain(pasted);
      expect((error as Error).message).toMatch(/gh_sk_/);
    }
  });

  it("accepts a minimal configuration without network access at creation", () => {
    const v = createVerifier({ url: "https://auth.example.com", fetch: () => Promise.reject(new Error("no network")) });
    expect(v.status()).toEqual({ state: "off", lastSyncedAt: null, revokedSessions: 0, lastError: null });
  });
});
