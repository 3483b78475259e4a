// Session tokens (`session` strategy): through a store (one read per request, the server's
// rules) and through the server (`GET /v1/session`, one round trip per request unless cached).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256base64url } from "../lib/crypto.js";
import type { SessionSource, StoredSession } from "../sessions/session-check.js";
import { startFakeIssuer, type FakeIssuer } from "../test-support/fake-issuer.js";
import { bearer, manualClock, recordingLogger, waitFor, withCookies } from "../test-support/helpers.js";
import { createVerifier, type VerifierOptions } from "./create-verifier.js";

const SESSION_ID = "sess_AAAAAAAAAAAAAAAAAAAAAA";
const SECRET = "S".repeat(43);
const TOKEN = `${SESSION_ID}.${SECRET}`;

let issuer: FakeIssuer;
beforeAll(async () => {
  issuer = await startFakeIssuer();
});
afterAll(async () => {
  await issuer.close();
});

function memoryStore(initial: Record<string, StoredSession>) {
  const sessions = new Map(Object.entries(initial));
  const store = {
    reads: 0,
    touches: [] as { id: string; lastActiveAt: number; idleExpiresAt: number }[],
    failing: false,
    sessions,
    async getSession(id: string) {
      store.reads++;
      if (store.failing) throw Object.assign(new Error("redis://:hunter2@cache down"), { code: "ECONNREFUSED" });
      return sessions.get(id) ?? null;
    },
    async touchSession(id: string, lastActiveAt: number, idleExpiresAt: number) {
      store.touches.push({ id, lastActiveAt, idleExpiresAt });
    },
  };
  return store satisfies SessionSource;
}

async function stored(now: number, overrides: Partial<StoredSession> = {}): Promise<StoredSession> {
  return {
    userId: "user_store",
    secretHash: await sha256base64url(SECRET),
    lastActiveAt: now,
    idleExpiresAt: now + 3_600_000,
    expiresAt: now + 86_400_000,
    ...overrides,
  };
}

describe("through the store", () => {
  function storeVerifier(store: SessionSource, options: Partial<VerifierOptions> = {}) {
    return createVerifier({
      url: "https://auth.example.com",
      sessions: store,
      sessionIdleTimeoutSeconds: 3600,
      logger: recordingLogger(),
      fetch: () => Promise.reject(new Error("a store check must not use the network")),
      ...options,
    });
  }

  it("signs in with one getSession per request, from the session cookie or a bearer header", async () => {
    const clock = manualClock();
    const store = memoryStore({ [SESSION_ID]: await stored(clock.now()) });
    const verifier = storeVerifier(store, { clock: clock.now });
    const expected = {
      status: "signed-in",
      userId: "user_store",
      sessionId: SESSION_ID,
      credential: "session",
      claims: null,
    };
    expect(await verifier.authenticateRequest(bearer(TOKEN))).toEqual(expected);
    expect(await verifier.authenticateRequest(withCookies({ "__Host-gatehouse_session": TOKEN }))).toEqual(expected);
    expect(store.reads).toBe(2);
  });

  it("session-ended for an unknown session, a wrong secret, and past either expiry", async () => {
    const clock = manualClock();
    const store = memoryStore({ [SESSION_ID]: await stored(clock.now()) });
    const verifier = storeVerifier(store, { clock: clock.now });
    const ended = { status: "signed-out", reason: "session-ended" };
    expect(await verifier.authenticateRequest(bearer(`sess_${"B".repeat(22)}.${SECRET}`))).toEqual(ended);
    expect(await verifier.authenticateRequest(bearer(`${SESSION_ID}.${"T".repeat(43)}`))).toEqual(ended);
    store.sessions.set(SESSION_ID, await stored(clock.now(), { idleExpiresAt: clock.now() }));
    expect(await verifier.authenticateRequest(bearer(TOKEN))).toEqual(ended);
    store.sessions.set(SESSION_ID, await stored(clock.now(), { expiresAt: clock.now() }));
    expect(await verifier.authenticateRequest(bearer(TOKEN))).toEqual(ended);
  });

  it("invalid for a session cookie that is not a session token", async () => {
    const store = memoryStore({});
    const verifier = storeVerifier(store);
    expect(await verifier.authenticateRequest(withCookies({ "__Host-gatehouse_session": "garbage" }))).toEqual({
      status: "signed-out",
      reason: "invalid",
      detail: "malformed",
    });
    expect(store.reads).toBe(0);
  });

  it("records activity at most once a minute, never beyond the absolute end", async () => {
    const clock = manualClock();
    const start = clock.now();
    const store = memoryStore({ [SESSION_ID]: await stored(start, { expiresAt: start + 3_600_000 + 90_000 }) });
    const verifier = storeVerifier(store, { clock: clock.now });
    await verifier.authenticateRequest(bearer(TOKEN));
    clock.advance(59_000);
    await verifier.authenticateRequest(bearer(TOKEN));
    expect(store.touches).toEqual([]);
    clock.advance(1_000);
    await verifier.authenticateRequest(bearer(TOKEN));
    expect(store.touches).toEqual([
      { id: SESSION_ID, lastActiveAt: start + 60_000, idleExpiresAt: start + 3_600_000 + 60_000 },
    ]);
    store.sessions.set(SESSION_ID, { ...store.sessions.get(SESSION_ID)!, lastActiveAt: start });
    clock.advance(60_000);
    await verifier.authenticateRequest(bearer(TOKEN));
    expect(store.touches.at(-1)?.idleExpiresAt).toBe(start + 3_600_000 + 90_000);
  });

  it("never writes with a store that has no touchSession", async () => {
    const clock = manualClock();
    const record = await stored(clock.now() - 3_000_000);
    const verifier = storeVerifier(
      { getSession: async () => record },
      { clock: clock.now, sessionIdleTimeoutSeconds: undefined },
    );
    expect(await verifier.authenticateRequest(bearer(TOKEN))).toMatchObject({ status: "signed-in" });
  });

  it("unavailable when the store fails, logging no connection details", async () => {
    const logger = recordingLogger();
    const store = memoryStore({});
    store.failing = true;
    const verifier = storeVerifier(store, { logger });
    expect(await verifier.authenticateRequest(bearer(TOKEN))).toEqual({ status: "signed-out", reason: "unavailable" });
    expect(JSON.stringify(logger.lines)).toContain("ECONNREFUSED");
    expect(JSON.stringify(logger.lines)).not.toContain("hunter2");
    expect(JSON.stringify(logger.lines)).not.toContain(SECRET);
  });
});

describe("through the server", () => {
  function serverVerifier(options: Partial<VerifierOptions> = {}) {
    return createVerifier({ url: issuer.url, logger: recordingLogger(), ...options });
  }

  it("asks GET /v1/session once per request", async () => {
    const token = issuer.createSession("user_server");
    const verifier = serverVerifier();
    const before = issuer.sessionRequests;
    for (let i = 0; i < 3; i++) {
      expect(await verifier.authenticateRequest(withCookies({ gatehouse_session: token }))).toMatchObject({
        status: "signed-in",
        userId: "user_server",
        sessionId: token.split(".")[0],
        credential: "session",
        claims: null,
      });
    }
    expect(issuer.sessionRequests - before).toBe(3);
  });

  it("session-ended when the server answers 401", async () => {
    const token = issuer.createSession("user_gone");
    issuer.endSession(token.split(".")[0]!);
    expect(await serverVerifier().authenticateRequest(bearer(token))).toEqual({
      status: "signed-out",
      reason: "session-ended",
    });
  });

  it("unavailable when the server fails or cannot be reached: an outage is not a sign-out", async () => {
    const token = issuer.createSession("user_x");
    const failing = serverVerifier({ fetch: async () => new Response("oops", { status: 500 }) });
    expect(await failing.authenticateRequest(bearer(token))).toEqual({ status: "signed-out", reason: "unavailable" });
    const odd = serverVerifier({ fetch: async () => Response.json({ user: {}, session: {} }) });
    expect(await odd.authenticateRequest(bearer(token))).toEqual({ status: "signed-out", reason: "unavailable" });
    const unreachable = serverVerifier({ fetch: () => Promise.reject(new TypeError("fetch failed")) });
    expect(await unreachable.authenticateRequest(bearer(token))).toEqual({
      status: "signed-out",
      reason: "unavailable",
    });
  });

  it("with sessionCacheSeconds, answers from the cache until it expires", async () => {
    const clock = manualClock();
    const token = issuer.createSession("user_cached");
    const verifier = serverVerifier({ sessionCacheSeconds: 30, clock: clock.now });
    const before = issuer.sessionRequests;
    await verifier.authenticateRequest(bearer(token));
    await verifier.authenticateRequest(bearer(token));
    expect(issuer.sessionRequests - before).toBe(1);
    clock.advance(30_000);
    await verifier.authenticateRequest(bearer(token));
    expect(issuer.sessionRequests - before).toBe(2);
  });

  it("a revocation from the feed drops the cached answer and refuses the session at once", async () => {
    const token = issuer.createSession("user_feed");
    const sessionId = token.split(".")[0]!;
    const verifier = serverVerifier({
      sessionCacheSeconds: 300,
      secretKey: issuer.secretKey,
      followRevocations: true,
    });
    try {
      await verifier.ready();
      expect(await verifier.authenticateRequest(bearer(token))).toMatchObject({ status: "signed-in" });
      issuer.endSession(sessionId);
      issuer.revoke(sessionId);
      await waitFor(async () => (await verifier.authenticateRequest(bearer(token))).status === "signed-out");
      expect(await verifier.authenticateRequest(bearer(token))).toEqual({ status: "signed-out", reason: "revoked" });
    } finally {
      await verifier.close();
    }
  });

  it("bypasses the cache while the feed is out of sync, and session checks ignore the feed policy", async () => {
    const token = issuer.createSession("user_outage");
    const verifier = serverVerifier({
      sessionCacheSeconds: 300,
      secretKey: issuer.secretKey,
      followRevocations: true,
      feed: { startupTimeoutMs: 50 },
    });
    try {
      await verifier.ready();
      await verifier.close(); // the feed is now "closed": fail-closed would refuse access tokens
      const before = issuer.sessionRequests;
      expect(await verifier.authenticateRequest(bearer(token))).toMatchObject({ status: "signed-in" });
      expect(await verifier.authenticateRequest(bearer(token))).toMatchObject({ status: "signed-in" });
      expect(issuer.sessionRequests - before).toBe(2);
    } finally {
      await verifier.close();
    }
  });
});
