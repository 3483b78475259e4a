/**
 * Bytes: what a credential costs on the wire and in Redis.
 * - Token and header sizes, from real sign-ins: the access token (jwt), the refresh token, and
 *   the header a client sends on every request for each strategy and transport, next to the
 *   peers' (their cookies or bearer tokens, from the throughput rows).
 * - Redis memory per session: `used_memory` (INFO memory) before and after creating N
 *   sessions, divided by N; and, as a cross-check that other clients of a shared Redis cannot
 *   disturb, the sum of `MEMORY USAGE` over the keys created. Gatehouse's sessions are made by
 *   the engine itself (sign-ups through its handler, Redis session store, as the server does),
 *   with a SHA-256 password hasher instead of Argon2id so that N sign-ups take seconds: the
 *   password hash lives in SQLite and never reaches Redis. The peers' sessions are made by their
 *   own sign-in routes over HTTP (better-auth likewise with a fast hash for this measurement).
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { createGatehouse, type PasswordHasher } from "@gatehouse/core";
import { createRedisStorage } from "@gatehouse/core/adapters/redis";
import { createSQLiteDatabase } from "@gatehouse/core/adapters/sqlite";
import type { BenchOptions } from "../lib/args.js";
import { startServerScript } from "../lib/child.js";
import {
  cookieHeader,
  mapConcurrently,
  nextClientIP,
  signUp,
  startGatehouse,
  BENCH_PASSWORD,
  BENCH_USER_AGENT,
  type Strategy,
} from "../lib/gatehouse.js";
import { countKeys, deleteKeys, memoryUsageOfKeys, usedMemory } from "../lib/redis.js";

/** Sizes of one stack's credential. */
export interface CredentialSize {
  id: string;
  label: string;
  /** `Authorization: Bearer …` or `Cookie: …` as sent on every request, in bytes. */
  headerBytes: number;
  header: "authorization" | "cookie";
}

/** Redis memory per session for one stack. */
export interface RedisMemory {
  id: string;
  label: string;
  sessions: number;
  keys: number;
  /** `used_memory` delta / sessions. */
  usedMemoryPerSession: number;
  /** Sum of MEMORY USAGE over the keys created / sessions. */
  memoryUsagePerSession: number;
}

/** Measured figures of the phase. */
export interface BytesResult {
  accessTokenBytes: number;
  refreshTokenBytes: number;
  sessionTokenBytes: number;
  gatehouseHeaders: CredentialSize[];
  redis: RedisMemory[];
}

function fastHasher(): PasswordHasher {
  const digest = (password: string): string => createHash("sha256").update(password).digest("base64url");
  return {
    hash: async (password) => digest(password),
    verify: async (hash, password) => hash === digest(password),
    needsRehash: () => false,
  };
}

async function measure(
  redis: Redis,
  prefix: string,
  sessions: number,
  create: () => Promise<void>,
): Promise<Omit<RedisMemory, "id" | "label">> {
  await deleteKeys(redis, prefix);
  const before = await usedMemory(redis);
  await create();
  const after = await usedMemory(redis);
  const usage = await memoryUsageOfKeys(redis, prefix);
  const keys = await countKeys(redis, prefix);
  await deleteKeys(redis, prefix);
  return {
    sessions,
    keys,
    usedMemoryPerSession: (after - before) / sessions,
    memoryUsagePerSession: usage.bytes / sessions,
  };
}

async function gatehouseSessions(redisURL: string, prefix: string, sessions: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-bench-memory-"));
  const storage = createRedisStorage({ url: redisURL, keyPrefix: prefix });
  const engine = await createGatehouse({
    baseURL: "http://127.0.0.1:4000",
    database: createSQLiteDatabase({ filename: join(dir, "gatehouse.db") }),
    sessionStore: storage.sessionStore,
    revocationLog: storage.revocations,
    strategy: "session",
    passwordHasher: fastHasher(),
  });
  try {
    const indexes = Array.from({ length: sessions }, (_, index) => index);
    await mapConcurrently(indexes, 8, async (index) => {
      const response = await engine.handler(
        new Request("http://127.0.0.1:4000/v1/sign-up", {
          method: "POST",
          headers: { "content-type": "application/json", "user-agent": BENCH_USER_AGENT, "auth-transport": "bearer" },
          body: JSON.stringify({ email: `memory-${index}@example.com`, password: BENCH_PASSWORD }),
        }),
        { remoteAddress: nextClientIP() },
      );
      if (response.status !== 201) throw new Error(`embedded sign-up answered ${response.status}`);
      await response.arrayBuffer();
    });
  } finally {
    await engine.close();
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function peerSessions(
  name: string,
  script: string,
  env: Record<string, string>,
  sessions: number,
  request: (port: number, index: number) => Promise<Response>,
): Promise<void> {
  const { child, ready } = await startServerScript(name, script, env);
  try {
    const indexes = Array.from({ length: sessions }, (_, index) => index);
    await mapConcurrently(indexes, 16, async (index) => {
      const response = await request(ready.port, index);
      if (!response.ok)
        throw new Error(`${name}: answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
      await response.arrayBuffer();
    });
  } finally {
    await child.stop();
  }
}

/** Runs the bytes phase. */
export async function runBytes(
  options: BenchOptions,
  redis: Redis,
  redisURL: string,
  runPrefix: string,
  log: (message: string) => void,
): Promise<BytesResult> {
  const sessions = options.memorySessions;
  const gatehouseHeaders: CredentialSize[] = [];
  let accessTokenBytes = 0;
  let refreshTokenBytes = 0;
  let sessionTokenBytes = 0;
  const strategies: Strategy[] = ["session", "jwt", "hybrid"];
  for (const strategy of strategies) {
    const server = await startGatehouse({
      name: `gatehouse (${strategy}, bytes)`,
      strategy,
      redisURL,
      redisPrefix: `${runPrefix}gh-bytes-${strategy}:`,
    });
    try {
      const bearer = await signUp(server, `bytes-bearer-${strategy}@example.com`, "bearer");
      const response = await fetch(`${server.url}/v1/sign-in/password`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "auth-transport": "bearer",
          "x-forwarded-for": nextClientIP(),
        },
        body: JSON.stringify({ email: `bytes-bearer-${strategy}@example.com`, password: BENCH_PASSWORD }),
      });
      const body = (await response.json()) as { access_token: string; refresh_token?: string };
      if (strategy === "jwt") {
        accessTokenBytes = Buffer.byteLength(body.access_token);
        refreshTokenBytes = Buffer.byteLength(body.refresh_token ?? "");
      }
      if (strategy === "session") sessionTokenBytes = Buffer.byteLength(body.access_token);
      const cookie = await fetch(`${server.url}/v1/sign-up`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": nextClientIP() },
        body: JSON.stringify({ email: `bytes-cookie-${strategy}@example.com`, password: BENCH_PASSWORD }),
      });
      const cookieValue = cookieHeader(cookie.headers.getSetCookie());
      await cookie.arrayBuffer();
      gatehouseHeaders.push(
        {
          id: `gatehouse-${strategy}-bearer`,
          label: `Gatehouse ${strategy}, bearer`,
          header: "authorization",
          headerBytes: Buffer.byteLength(`authorization: ${bearer.headers.authorization!}`),
        },
        {
          id: `gatehouse-${strategy}-cookie`,
          label: `Gatehouse ${strategy}, cookie`,
          header: "cookie",
          headerBytes: Buffer.byteLength(`cookie: ${cookieValue}`),
        },
      );
    } finally {
      await server.stop();
    }
  }

  const results: RedisMemory[] = [];
  log(`  Redis memory over ${sessions} sessions: Gatehouse`);
  const gatehousePrefix = `${runPrefix}memory-gatehouse:`;
  results.push({
    id: "gatehouse-session-redis",
    label: "Gatehouse (session record + the user's session index)",
    ...(await measure(redis, gatehousePrefix, sessions, () => gatehouseSessions(redisURL, gatehousePrefix, sessions))),
  });
  log(`  Redis memory over ${sessions} sessions: express-session + connect-redis`);
  const connectPrefix = `${runPrefix}memory-connect-redis:`;
  results.push({
    id: "peer-express-session",
    label: "express-session + connect-redis",
    ...(await measure(redis, connectPrefix, sessions, () =>
      peerSessions(
        "peer-express-session (memory)",
        "servers/peer-express-session.js",
        { REDIS_URL: redisURL, BENCH_REDIS_PREFIX: connectPrefix },
        sessions,
        (port) => fetch(`http://127.0.0.1:${port}/login`, { method: "POST" }),
      ),
    )),
  });
  log(`  Redis memory over ${sessions} sessions: better-auth`);
  const betterAuthPrefix = `${runPrefix}memory-better-auth:`;
  const dir = await mkdtemp(join(tmpdir(), "better-auth-bench-memory-"));
  try {
    results.push({
      id: "peer-better-auth-redis",
      label: "better-auth with Redis secondary storage",
      ...(await measure(redis, betterAuthPrefix, sessions, () =>
        peerSessions(
          "peer-better-auth (memory)",
          "servers/peer-better-auth.js",
          {
            BENCH_STORE: "redis",
            BENCH_SQLITE_FILE: join(dir, "better-auth.db"),
            REDIS_URL: redisURL,
            BENCH_REDIS_PREFIX: betterAuthPrefix,
            BENCH_FAST_HASH: "1",
            BETTER_AUTH_TELEMETRY: "0",
          },
          sessions,
          (port, index) =>
            fetch(`http://127.0.0.1:${port}/api/auth/sign-up/email`, {
              method: "POST",
              headers: {
                "content-type": "application/json",
                "user-agent": BENCH_USER_AGENT,
                origin: "http://127.0.0.1",
              },
              body: JSON.stringify({ email: `memory-${index}@example.com`, password: BENCH_PASSWORD, name: "Bench" }),
            }),
        ),
      )),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  for (const each of results) {
    log(
      `    ${each.id}: ${Math.round(each.usedMemoryPerSession)} B/session (INFO), ${Math.round(each.memoryUsagePerSession)} B (MEMORY USAGE)`,
    );
  }
  return { accessTokenBytes, refreshTokenBytes, sessionTokenBytes, gatehouseHeaders, redis: results };
}
