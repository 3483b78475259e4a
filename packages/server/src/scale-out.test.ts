/**
 * Scale-out without code changes: two real `gatehouse start` processes on one PostgreSQL
 * database and one Redis behave as one service — a session made on one is valid on the other,
 * a sign-out on one is seen by the other at once, and the sign-in throttle is shared. With the
 * jwt strategy and one shared encryption key, tokens and refresh tokens of one instance work on
 * the other, a sign-out on one reaches the other's revocation feed, and a user changed on one is
 * answered changed by the other although it keeps users cached. Also: losing Redis
 * makes the server unready, not dead.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createTestDatabase,
  deleteRedisPrefix,
  probePostgres,
  probeRedis,
  REDIS_URL,
  testRedisPrefix,
  type TestDatabase,
} from "../../core/src/test-support/services.js";
import {
  freePort,
  openEventStream,
  postJSON,
  sessionCookie,
  startCLI,
  strongPassword,
  uniqueEmail,
  type StartedCLI,
} from "./test-support/cli-process.js";

const postgres = await probePostgres();
const redis = await probeRedis();
const services = postgres.available && redis.available;
const reason = [postgres.reason, redis.reason].filter(Boolean).join("; ");

describe.skipIf(!services)(`two instances on one PostgreSQL and one Redis ${reason}`.trim(), () => {
  let database: TestDatabase;
  let a: StartedCLI;
  let b: StartedCLI;
  const redisPrefix = testRedisPrefix();

  beforeAll(async () => {
    database = await createTestDatabase();
    const publicPort = await freePort();
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      GATEHOUSE_REDIS_PREFIX: redisPrefix,
      // Behind one load balancer, both instances share the public URL.
      GATEHOUSE_URL: `http://localhost:${publicPort}`,
      // Instances sharing a database share the key (and no data directory is needed).
      GATEHOUSE_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    };
    // Started together on an empty database: migrations must be safe to run concurrently.
    [a, b] = await Promise.all([startCLI(env), startCLI(env)]);
  });

  afterAll(async () => {
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    await deleteRedisPrefix(redisPrefix);
    expect(codes).toEqual([0, 0]);
  });

  it("both instances are ready, with the database and Redis sessions checked", async () => {
    for (const instance of [a, b]) {
      const response = await fetch(`${instance.url}/readyz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        status: "ok",
        checks: { database: { ok: true }, sessions: { ok: true } },
      });
    }
  });

  it("a session made on A is valid on B, and a sign-out on A ends it on B at once", async () => {
    const email = uniqueEmail();
    const signUp = await postJSON(`${a.url}/v1/sign-up`, { email, password: strongPassword() });
    expect(signUp.status).toBe(201);
    const cookie = sessionCookie(signUp);

    const onB = await fetch(`${b.url}/v1/session`, { headers: { cookie } });
    expect(onB.status).toBe(200);
    expect(((await onB.json()) as { user: { email: string } }).user.email).toBe(email);

    const signOut = await fetch(`${a.url}/v1/sign-out`, { method: "POST", headers: { cookie } });
    expect(signOut.ok).toBe(true);

    expect((await fetch(`${b.url}/v1/session`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${a.url}/v1/session`, { headers: { cookie } })).status).toBe(401);
  });

  it("a bearer session made on B is valid on A", async () => {
    const email = uniqueEmail();
    const password = strongPassword();
    expect((await postJSON(`${b.url}/v1/sign-up`, { email, password })).status).toBe(201);
    const signIn = await postJSON(`${b.url}/v1/sign-in/password`, { email, password }, { "auth-transport": "bearer" });
    expect(signIn.status).toBe(200);
    const { access_token: token } = (await signIn.json()) as { access_token: string };
    const onA = await fetch(`${a.url}/v1/session`, { headers: { authorization: `Bearer ${token}` } });
    expect(onA.status).toBe(200);
  });

  it("a sign-in throttled on A is throttled on B: the count lives in Redis", async () => {
    const email = uniqueEmail();
    const password = strongPassword();
    expect((await postJSON(`${a.url}/v1/sign-up`, { email, password })).status).toBe(201);

    let status = 0;
    let attempts = 0;
    // The per-account limit is 10 attempts per 15 minutes by default.
    while (status !== 429 && attempts < 20) {
      attempts++;
      status = (await postJSON(`${a.url}/v1/sign-in/password`, { email, password: `${password}-wrong` })).status;
    }
    expect(status).toBe(429);
    expect(attempts).toBe(11);

    // Even the right password is refused on the other instance while the account is throttled.
    const onB = await postJSON(`${b.url}/v1/sign-in/password`, { email, password });
    expect(onB.status).toBe(429);
    expect(Number(onB.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

/** The OAuth 2 token response of the bearer transport. */
interface TokenResponse {
  access_token: string;
  refresh_token: string;
  session_id: string;
}

describe.skipIf(!services)(`the jwt strategy on two instances ${reason}`.trim(), () => {
  let database: TestDatabase;
  let a: StartedCLI;
  let b: StartedCLI;
  const redisPrefix = testRedisPrefix();
  // What an operator sets on every instance: the same encryption key and admin secret key.
  const secretKey = `gh_sk_${randomBytes(32).toString("base64url")}`;

  beforeAll(async () => {
    database = await createTestDatabase();
    const publicPort = await freePort();
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      GATEHOUSE_REDIS_PREFIX: redisPrefix,
      GATEHOUSE_URL: `http://localhost:${publicPort}`,
      GATEHOUSE_STRATEGY: "jwt",
      GATEHOUSE_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
      GATEHOUSE_SECRET_KEY: secretKey,
    };
    // Together on an empty database, as an orchestrator starts replicas.
    [a, b] = await Promise.all([startCLI(env), startCLI(env)]);
  });

  afterAll(async () => {
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    await deleteRedisPrefix(redisPrefix);
    expect(codes).toEqual([0, 0]);
  });

  async function signUpOn(instance: StartedCLI): Promise<TokenResponse> {
    const response = await postJSON(
      `${instance.url}/v1/sign-up`,
      { email: uniqueEmail(), password: strongPassword() },
      { "auth-transport": "bearer" },
    );
    expect(response.status).toBe(201);
    return (await response.json()) as TokenResponse;
  }

  const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

  it("an access token issued by A is accepted by B", async () => {
    const issued = await signUpOn(a);
    const onB = await fetch(`${b.url}/v1/session`, { headers: bearer(issued.access_token) });
    expect(onB.status).toBe(200);
    expect(((await onB.json()) as { session: { id: string } }).session.id).toBe(issued.session_id);
  });

  it("B refreshes a refresh token A issued, and A accepts the result", async () => {
    const issued = await signUpOn(a);
    const refresh = await postJSON(`${b.url}/v1/token`, {
      grant_type: "refresh_token",
      refresh_token: issued.refresh_token,
    });
    expect(refresh.status).toBe(200);
    const refreshed = (await refresh.json()) as TokenResponse;
    expect(refreshed.session_id).toBe(issued.session_id);
    expect((await fetch(`${a.url}/v1/session`, { headers: bearer(refreshed.access_token) })).status).toBe(200);
  });

  it("a user renamed through A's admin API is answered renamed by B within 1 s, though B had it cached", async () => {
    const issued = await signUpOn(a);
    const nameOnB = async (): Promise<string | null> => {
      const response = await fetch(`${b.url}/v1/session`, { headers: bearer(issued.access_token) });
      return ((await response.json()) as { user: { name: string | null } }).user.name;
    };
    expect(await nameOnB()).toBeNull();
    const onA = await fetch(`${a.url}/v1/session`, { headers: bearer(issued.access_token) });
    const { user } = (await onA.json()) as { user: { id: string } };

    const renamed = await fetch(`${a.url}/v1/admin/users/${user.id}`, {
      method: "PATCH",
      headers: { ...bearer(secretKey), "content-type": "application/json" },
      body: JSON.stringify({ name: "Ada" }),
    });
    expect(renamed.status).toBe(200);

    // B keeps a user up to 10 s; only A's announcement over Redis makes this pass within 1 s.
    await vi.waitFor(async () => expect(await nameOnB()).toBe("Ada"), { timeout: 1_000, interval: 20 });
  });

  it("a sign-out on A reaches B's revocation feed within 2 s, and B then refuses the access token", async () => {
    const issued = await signUpOn(a);
    expect((await fetch(`${b.url}/v1/session`, { headers: bearer(issued.access_token) })).status).toBe(200);

    const feed = await openEventStream(`${b.url}/v1/revocations/stream`, bearer(secretKey));
    try {
      expect(feed.response.status).toBe(200);
      // Subscribed and caught up: from here on, B streams what any instance revokes.
      await feed.waitFor((event) => event.event === "ready", 2_000);

      const signOut = await fetch(`${a.url}/v1/sign-out`, { method: "POST", headers: bearer(issued.access_token) });
      expect(signOut.ok).toBe(true);

      const revoked = await feed.waitFor(
        (event) =>
          event.event === "revocation" && (JSON.parse(event.data) as { sid: string }).sid === issued.session_id,
        2_000,
      );
      // The cursor a verifier sends back as Last-Event-ID after a reconnect.
      expect(revoked.id).toMatch(/\S/);
      expect((await fetch(`${b.url}/v1/session`, { headers: bearer(issued.access_token) })).status).toBe(401);
    } finally {
      feed.close();
    }
  });

  it("the revocation feed refuses a request without the secret key", async () => {
    const response = await fetch(`${b.url}/v1/revocations/stream`, { headers: bearer(`gh_sk_${"x".repeat(43)}`) });
    expect(response.status).toBe(401);
  });
});

describe("an unreachable Redis", () => {
  let dataDir: string;
  let cli: StartedCLI;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "gatehouse-redis-down-"));
    // A port nothing listens on: every connection attempt is refused.
    const closedPort = await freePort();
    cli = await startCLI({ GATEHOUSE_DATA_DIR: dataDir, REDIS_URL: `redis://127.0.0.1:${closedPort}` });
  });

  afterAll(async () => {
    await cli?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("makes /readyz answer 503 while the process stays up, and SIGTERM still exits 0", async () => {
    const ready = await fetch(`${cli.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "unavailable" });

    const health = await fetch(`${cli.url}/healthz`);
    expect(health.status).toBe(200);
    expect(cli.child.exitCode).toBeNull();
    // The connection errors were logged, not thrown.
    expect(cli.stdout()).toMatch(/redis connection error/);

    const started = Date.now();
    expect(await cli.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});
