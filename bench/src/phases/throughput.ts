/**
 * Throughput rows: each server in a process of its own, the same route (`GET /api/me`) and
 * the same small JSON answer, loaded with a fixed number of connections. Every server is
 * started first and checked (200 with its credential, 401 without); then each row gets a
 * warm-up, and the measured rounds go round-robin over the rows, so a slow spell on the
 * machine spreads over every row instead of landing on one; within a round, the rows a target
 * compares are measured close together ({@link MEASUREMENT_ORDER}).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import type { BenchOptions } from "../lib/args.js";
import { startServerScript, type Child } from "../lib/child.js";
import { signIn, signUp, startGatehouse, type GatehouseServer, type Strategy } from "../lib/gatehouse.js";
import type { LoadResult, Loader } from "../lib/load.js";
import { commandsPerRequest } from "../lib/redis.js";
import { summarize, type Summary } from "../lib/stats.js";

/** Which family a row belongs to, for ratios. */
export type RowGroup = "ceiling" | "gatehouse" | "reference" | "peer";

/** A throughput row as defined (what it is), before it runs. */
export interface RowDefinition {
  id: string;
  label: string;
  group: RowGroup;
  framework: "node:http" | "Hono" | "Express" | "Gatehouse server";
  /** The strategy (Gatehouse rows) and the store a request reads, if any. */
  strategy: Strategy | null;
  store: "redis" | "sqlite" | null;
  /** What one request does, in a sentence, for the docs. */
  measures: string;
}

/** A row's measured figures. */
export interface RowResult extends RowDefinition {
  requestsPerSecond: Summary;
  p50Ms: Summary;
  p99Ms: Summary;
  /**
   * CPU time of the answering process (all its threads) per request, in microseconds: what a
   * request costs, which a busy machine disturbs far less than requests per second.
   */
  cpuMicrosPerRequest: Summary;
  non2xx: number;
  errors: number;
  rounds: (LoadResult & { cpuMicrosPerRequest: number })[];
  /** Bytes of the credential header sent on every request (`Authorization` or `Cookie`, name included). */
  credentialHeaderBytes: number;
  /** Redis commands naming this row's keys, per request (Redis rows only). */
  redis: { commandsPerRequest: number; commands: Record<string, number> } | null;
  /** Why the row did not run, when it could not. */
  skipped: string | null;
}

/** Shared context of the phase. */
export interface ThroughputContext {
  options: BenchOptions;
  loader: Loader;
  redisURL: string;
  redis: Redis;
  /** This run's Redis key prefix; every key the suite creates starts with it. */
  runPrefix: string;
  log: (message: string) => void;
}

interface RunningRow {
  url: string;
  /** Headers for the next round (a Gatehouse jwt/hybrid row signs in again when its token is old). */
  headers(): Promise<Record<string, string>>;
  /** Redis key prefix this row's requests read, for the command count. */
  redisPrefix: string | null;
  /** The process that answers the requests, whose CPU time is counted. */
  pid: number;
  stop(): Promise<void>;
}

interface Row extends RowDefinition {
  start(servers: GatehouseServers): Promise<RunningRow>;
}

/** The Gatehouse servers the rows share, started on first use. */
class GatehouseServers {
  private readonly started = new Map<string, Promise<GatehouseServer>>();
  private users = 0;
  constructor(private readonly context: ThroughputContext) {}

  get(strategy: Strategy, store: "redis" | "sqlite"): Promise<GatehouseServer> {
    const key = `${strategy}-${store}`;
    let server = this.started.get(key);
    if (!server) {
      server = startGatehouse({
        name: `gatehouse (${key})`,
        strategy,
        redisURL: store === "redis" ? this.context.redisURL : null,
        redisPrefix: `${this.context.runPrefix}gh-${key}:`,
      });
      this.started.set(key, server);
    }
    return server;
  }

  /** A new account on `server`, signed in with the transport the strategy's clients use. */
  async account(server: GatehouseServer, transport: "bearer" | "cookie") {
    const email = `bench-${++this.users}@example.com`;
    return { email, credential: await signUp(server, email, transport) };
  }

  async stopAll(): Promise<void> {
    const servers = await Promise.allSettled([...this.started.values()]);
    await Promise.all(servers.map((each) => (each.status === "fulfilled" ? each.value.stop() : undefined)));
  }
}

function script(name: string, script: string, env: Record<string, string> = {}) {
  return async (): Promise<{ child: Child; port: number; headers: Record<string, string> }> => {
    const { child, ready } = await startServerScript(name, script, env);
    return { child, port: ready.port, headers: ready.headers ?? {} };
  };
}

/** A row served by one bench server script that mints its own credential (ceilings, peers). */
function selfContained(
  definition: RowDefinition,
  file: string,
  env: (context: ThroughputContext) => Record<string, string>,
  context: ThroughputContext,
): Row {
  return {
    ...definition,
    async start() {
      const { child, port, headers } = await script(definition.id, file, env(context))();
      return {
        url: `http://127.0.0.1:${port}/api/me`,
        headers: async () => headers,
        redisPrefix: env(context).BENCH_REDIS_PREFIX ?? null,
        pid: child.process.pid!,
        stop: () => child.stop(),
      };
    },
  };
}

/** Access tokens older than this are replaced before a round: hybrid tokens live 60 s. */
const TOKEN_REFRESH_MS: Record<Strategy, number> = { jwt: 5 * 60_000, hybrid: 30_000, session: Infinity };

/** A Gatehouse SDK row: an app server (Hono or Express) in front of a Gatehouse server. */
function sdkRow(definition: RowDefinition, file: string, context: ThroughputContext): Row {
  const strategy = definition.strategy!;
  const store = definition.store ?? "redis";
  return {
    ...definition,
    async start(servers) {
      const server = await servers.get(strategy, store === "sqlite" ? "sqlite" : "redis");
      const transport = strategy === "hybrid" ? "cookie" : "bearer";
      const account = await servers.account(server, transport);
      const env: Record<string, string> = { GATEHOUSE_URL: server.url };
      if (strategy === "session") {
        env.BENCH_SESSIONS = store;
        if (store === "redis") {
          env.REDIS_URL = context.redisURL;
          env.BENCH_REDIS_PREFIX = server.redisPrefix!;
        } else {
          env.BENCH_SQLITE_FILE = server.sqliteFile;
        }
      } else {
        env.GATEHOUSE_SECRET_KEY = server.secretKey;
        env.BENCH_FOLLOW = "1";
      }
      const { child, port } = await script(definition.id, file, env)();
      let credential = account.credential;
      return {
        url: `http://127.0.0.1:${port}/api/me`,
        async headers() {
          if (Date.now() - credential.obtainedAt > TOKEN_REFRESH_MS[strategy]) {
            credential = await signIn(server, account.email, transport);
          }
          return credential.headers;
        },
        redisPrefix: strategy === "session" && store === "redis" ? server.redisPrefix : null,
        pid: child.process.pid!,
        stop: () => child.stop(),
      };
    },
  };
}

/** The server's own `GET /v1/session`, bearer session token. */
function serverRow(definition: RowDefinition): Row {
  const store = definition.store!;
  return {
    ...definition,
    async start(servers) {
      const server = await servers.get("session", store);
      const { credential } = await servers.account(server, "bearer");
      return {
        url: `${server.url}/v1/session`,
        headers: async () => credential.headers,
        redisPrefix: server.redisPrefix,
        pid: server.child.process.pid!,
        stop: async () => {},
      };
    },
  };
}

/** The hand-written node:http + one ioredis GET, reading the Gatehouse server's Redis sessions. */
function handwrittenRow(definition: RowDefinition, context: ThroughputContext): Row {
  return {
    ...definition,
    async start(servers) {
      const server = await servers.get("session", "redis");
      const { credential } = await servers.account(server, "bearer");
      const { child, port } = await script(definition.id, "servers/handwritten-redis.js", {
        REDIS_URL: context.redisURL,
        BENCH_REDIS_PREFIX: server.redisPrefix!,
      })();
      return {
        url: `http://127.0.0.1:${port}/api/me`,
        headers: async () => credential.headers,
        redisPrefix: server.redisPrefix,
        pid: child.process.pid!,
        stop: () => child.stop(),
      };
    },
  };
}

/** better-auth needs a database file of its own. */
function betterAuthRow(definition: RowDefinition, context: ThroughputContext): Row {
  return {
    ...definition,
    async start() {
      const dir = await mkdtemp(join(tmpdir(), "better-auth-bench-"));
      const prefix = `${context.runPrefix}${definition.id}:`;
      const { child, port, headers } = await script(definition.id, "servers/peer-better-auth.js", {
        BENCH_STORE: definition.store!,
        BENCH_SQLITE_FILE: join(dir, "better-auth.db"),
        REDIS_URL: context.redisURL,
        BENCH_REDIS_PREFIX: prefix,
        BETTER_AUTH_TELEMETRY: "0",
      })();
      return {
        url: `http://127.0.0.1:${port}/api/me`,
        headers: async () => headers,
        redisPrefix: definition.store === "redis" ? prefix : null,
        pid: child.process.pid!,
        async stop() {
          await child.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** Every throughput row, in table order. */
export function defineRows(context: ThroughputContext): Row[] {
  const gatehouse = (
    framework: "Hono" | "Express",
    strategy: Strategy,
    store: "redis" | "sqlite" | null,
    measures: string,
  ): Row => {
    const storeId = store ? `-${store}` : "";
    return sdkRow(
      {
        id: `gatehouse-${framework.toLowerCase()}-${strategy}${storeId}`,
        label: `Gatehouse SDK in ${framework}: ${strategy}${store ? ` on ${store === "redis" ? "Redis" : "SQLite"}` : ""}`,
        group: "gatehouse",
        framework,
        strategy,
        store,
        measures,
      },
      framework === "Hono" ? "servers/gatehouse-sdk-hono.js" : "servers/gatehouse-sdk-express.js",
      context,
    );
  };
  const jwtMeasures =
    "Bearer access JWT (EdDSA): signature and claims checked on first sight, then the SDK's token cache; revocation feed followed (a set lookup).";
  const hybridMeasures =
    "Access JWT in the HttpOnly cookie (hybrid): cookie parsed, then as jwt; the token is renewed by a sign-in every 30 s, as a browser refreshes.";
  const redisMeasures =
    "Bearer session token: one Redis GET of the session record through the SDK, SHA-256 of the secret, expiries.";
  const sqliteMeasures =
    "Bearer session token: one SELECT on the server's SQLite file (WAL, second process) through the SDK.";
  return [
    selfContained(
      {
        id: "ceiling-node-http",
        label: "Ceiling: bare node:http",
        group: "ceiling",
        framework: "node:http",
        strategy: null,
        store: null,
        measures: "No authentication: the fastest a Node server answers this route.",
      },
      "servers/ceiling-node-http.js",
      () => ({}),
      context,
    ),
    selfContained(
      {
        id: "ceiling-hono",
        label: "Ceiling: bare Hono",
        group: "ceiling",
        framework: "Hono",
        strategy: null,
        store: null,
        measures: "No authentication: Hono on @hono/node-server.",
      },
      "servers/ceiling-hono.js",
      () => ({}),
      context,
    ),
    selfContained(
      {
        id: "ceiling-express",
        label: "Ceiling: bare Express",
        group: "ceiling",
        framework: "Express",
        strategy: null,
        store: null,
        measures: "No authentication: Express 5, for reading the Express rows.",
      },
      "servers/ceiling-express.js",
      () => ({}),
      context,
    ),
    gatehouse("Hono", "jwt", null, jwtMeasures),
    gatehouse("Express", "jwt", null, jwtMeasures),
    gatehouse("Hono", "hybrid", null, hybridMeasures),
    gatehouse("Express", "hybrid", null, hybridMeasures),
    gatehouse("Hono", "session", "redis", redisMeasures),
    gatehouse("Express", "session", "redis", redisMeasures),
    gatehouse("Hono", "session", "sqlite", sqliteMeasures),
    gatehouse("Express", "session", "sqlite", sqliteMeasures),
    serverRow({
      id: "gatehouse-server-session-redis",
      label: "Gatehouse server: GET /v1/session, session on Redis",
      group: "gatehouse",
      framework: "Gatehouse server",
      strategy: "session",
      store: "redis",
      measures:
        "The server's own endpoint: session from Redis (one GET), user from the instance's user cache (read from SQLite at most every 10 s), answers {user, session}; metrics and request log included.",
    }),
    serverRow({
      id: "gatehouse-server-session-sqlite",
      label: "Gatehouse server: GET /v1/session, session on SQLite",
      group: "gatehouse",
      framework: "Gatehouse server",
      strategy: "session",
      store: "sqlite",
      measures: "The server's own endpoint on the embedded SQLite database alone.",
    }),
    handwrittenRow(
      {
        id: "handwritten-node-redis",
        label: "Reference: hand-written node:http + one ioredis GET",
        group: "reference",
        framework: "node:http",
        strategy: "session",
        store: "redis",
        measures: "The floor for a Redis session check: one GET, SHA-256 compare, expiries; no framework.",
      },
      context,
    ),
    selfContained(
      {
        id: "peer-express-jsonwebtoken",
        label: "Peer: Express + jsonwebtoken (HS256, string secret)",
        group: "peer",
        framework: "Express",
        strategy: "jwt",
        store: null,
        measures: "jwt.verify on every request, secret passed as a string (the common spelling).",
      },
      "servers/peer-express-jsonwebtoken.js",
      () => ({ BENCH_SECRET: "string" }),
      context,
    ),
    selfContained(
      {
        id: "peer-express-jsonwebtoken-keyobject",
        label: "Peer: Express + jsonwebtoken (HS256, KeyObject)",
        group: "peer",
        framework: "Express",
        strategy: "jwt",
        store: null,
        measures: "jwt.verify on every request, secret passed as a KeyObject.",
      },
      "servers/peer-express-jsonwebtoken.js",
      () => ({ BENCH_SECRET: "keyobject" }),
      context,
    ),
    selfContained(
      {
        id: "peer-hono-jose",
        label: "Peer: Hono + jose (EdDSA)",
        group: "peer",
        framework: "Hono",
        strategy: "jwt",
        store: null,
        measures: "jose jwtVerify (Ed25519 signature, iss, aud, typ) on every request.",
      },
      "servers/peer-hono-jose.js",
      () => ({}),
      context,
    ),
    selfContained(
      {
        id: "peer-express-session",
        label: "Peer: Express + express-session + connect-redis",
        group: "peer",
        framework: "Express",
        strategy: "session",
        store: "redis",
        measures: "Signed cookie checked, session read from Redis (and touched) by express-session on every request.",
      },
      "servers/peer-express-session.js",
      (ctx) => ({ REDIS_URL: ctx.redisURL, BENCH_REDIS_PREFIX: `${ctx.runPrefix}connect-redis:` }),
      context,
    ),
    betterAuthRow(
      {
        id: "peer-better-auth-sqlite",
        label: "Peer: better-auth getSession on SQLite",
        group: "peer",
        framework: "Hono",
        strategy: "session",
        store: "sqlite",
        measures: "auth.api.getSession({ headers }) with better-sqlite3, default options.",
      },
      context,
    ),
    betterAuthRow(
      {
        id: "peer-better-auth-redis",
        label: "Peer: better-auth getSession with Redis secondary storage",
        group: "peer",
        framework: "Hono",
        strategy: "session",
        store: "redis",
        measures: "auth.api.getSession({ headers }) with @better-auth/redis-storage (ioredis) over SQLite.",
      },
      context,
    ),
  ];
}

/** The credential header as it travels, `Name: value`, in bytes. */
function credentialBytes(headers: Record<string, string>): number {
  return Object.entries(headers)
    .filter(([name]) => name === "authorization" || name === "cookie")
    .reduce((sum, [name, value]) => sum + Buffer.byteLength(`${name}: ${value}`), 0);
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * User + system CPU time of a process and all its threads so far, in microseconds, from
 * /proc/<pid>/stat (utime and stime, in clock ticks of 10 ms: over a round of seconds and
 * thousands of requests the rounding is negligible).
 */
async function processCPUMicros(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces; the fields after its closing parenthesis don't.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / CLOCK_TICKS_PER_SECOND) * 1e6;
}

/** Checks that the row answers 200 with its credential and 401 without, before measuring it. */
async function check(row: Row, running: RunningRow): Promise<void> {
  const headers = await running.headers();
  const signedIn = await fetch(running.url, { headers });
  const body = await signedIn.text();
  if (signedIn.status !== 200 || !body.includes("user")) {
    throw new Error(`${row.id}: expected 200 with the credential, got ${signedIn.status} ${body.slice(0, 200)}`);
  }
  if (row.group === "ceiling") return;
  const anonymous = await fetch(running.url);
  await anonymous.arrayBuffer();
  if (anonymous.status !== 401)
    throw new Error(`${row.id}: expected 401 without a credential, got ${anonymous.status}`);
}

/**
 * The order in which each round measures the rows: each Hono and server row at most three rows
 * from those a target compares it with (bare Hono for jwt; express-session, the hand-written
 * design and better-auth for the session rows; better-auth for the rest). The speed of a shared
 * machine drifts within a round, and a ratio of two rows measured a minute apart carries that
 * drift: in one run on the thirteenth round's machine, bare node:http over bare Hono, measured
 * one after the other, stayed within 1.01–1.13× across the five rounds, while bare Hono over the
 * hand-written design, measured a minute apart, ranged from 1.01× to 2.24×. The Express rows
 * miss their targets by far more than that and fill the middle. The table keeps its own order; a
 * row missing here is measured last.
 */
export const MEASUREMENT_ORDER: readonly string[] = [
  "ceiling-node-http",
  "ceiling-hono",
  "gatehouse-hono-jwt",
  "gatehouse-hono-hybrid",
  "peer-better-auth-redis",
  "gatehouse-hono-session-redis",
  "handwritten-node-redis",
  "gatehouse-server-session-redis",
  "peer-express-session",
  "gatehouse-express-session-redis",
  "gatehouse-express-jwt",
  "gatehouse-express-hybrid",
  "ceiling-express",
  "peer-express-jsonwebtoken",
  "peer-express-jsonwebtoken-keyobject",
  "peer-hono-jose",
  "gatehouse-express-session-sqlite",
  "gatehouse-hono-session-sqlite",
  "peer-better-auth-sqlite",
  "gatehouse-server-session-sqlite",
];

/**
 * The rows in {@link MEASUREMENT_ORDER} for round `round` (from 1): forwards in odd rounds,
 * backwards in even ones, so that neither row of a compared pair is always the one measured
 * first (after a given neighbour, or earlier in a drift).
 */
export function roundOrder<T extends { id: string }>(rows: readonly T[], round: number): T[] {
  const position = (id: string): number => {
    const index = MEASUREMENT_ORDER.indexOf(id);
    return index === -1 ? MEASUREMENT_ORDER.length : index;
  };
  const ordered = [...rows].sort((a, b) => position(a.id) - position(b.id));
  return round % 2 === 1 ? ordered : ordered.reverse();
}

/** Runs the throughput phase. */
export async function runThroughput(context: ThroughputContext): Promise<RowResult[]> {
  const { options, loader, log } = context;
  const rows = defineRows(context).filter(
    (row) => options.rows.length === 0 || options.rows.some((wanted) => row.id.includes(wanted)),
  );
  const servers = new GatehouseServers(context);
  const running = new Map<string, RunningRow>();
  const skipped = new Map<string, string>();
  const rounds = new Map<string, (LoadResult & { cpuMicrosPerRequest: number })[]>();
  const redisCounts = new Map<string, RowResult["redis"]>();
  const headerBytes = new Map<string, number>();
  try {
    log(`starting ${rows.length} servers`);
    for (const row of rows) {
      try {
        const started = await row.start(servers);
        running.set(row.id, started);
        await check(row, started);
        headerBytes.set(row.id, credentialBytes(await started.headers()));
      } catch (error) {
        skipped.set(row.id, error instanceof Error ? error.message : String(error));
        log(`  ${row.id}: could not run: ${skipped.get(row.id)}`);
      }
    }
    const active = rows.filter((row) => running.has(row.id));
    for (const row of active) {
      const started = running.get(row.id)!;
      if (started.redisPrefix) {
        const sequential = 200;
        const headers = await started.headers();
        redisCounts.set(
          row.id,
          await commandsPerRequest(context.redisURL, started.redisPrefix, sequential, async () => {
            for (let i = 0; i < sequential; i++) await (await fetch(started.url, { headers })).arrayBuffer();
          }),
        );
      }
      log(`  warm-up ${row.id}`);
      await loader.run({
        url: started.url,
        headers: await started.headers(),
        connections: options.connections,
        seconds: options.warmupSeconds,
      });
    }
    for (let round = 1; round <= options.rounds; round++) {
      for (const row of roundOrder(active, round)) {
        const started = running.get(row.id)!;
        const headers = await started.headers();
        const cpuBefore = await processCPUMicros(started.pid);
        const load = await loader.run({
          url: started.url,
          headers,
          connections: options.connections,
          seconds: options.roundSeconds,
        });
        const cpuMicrosPerRequest = ((await processCPUMicros(started.pid)) - cpuBefore) / load.requests;
        const result = { ...load, cpuMicrosPerRequest };
        rounds.set(row.id, [...(rounds.get(row.id) ?? []), result]);
        log(
          `  round ${round}/${options.rounds} ${row.id}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms.toFixed(2)} ms${result.non2xx + result.errors > 0 ? `, ${result.non2xx} non-2xx, ${result.errors} errors` : ""}`,
        );
      }
    }
  } finally {
    await Promise.all([...running.values()].map((each) => each.stop()));
    await servers.stopAll();
  }
  return rows.map((row): RowResult => {
    const { start: _start, ...definition } = row;
    const measured = rounds.get(row.id) ?? [];
    if (measured.length === 0) {
      return {
        ...definition,
        requestsPerSecond: { median: 0, min: 0, max: 0, values: [] },
        p50Ms: { median: 0, min: 0, max: 0, values: [] },
        p99Ms: { median: 0, min: 0, max: 0, values: [] },
        cpuMicrosPerRequest: { median: 0, min: 0, max: 0, values: [] },
        non2xx: 0,
        errors: 0,
        rounds: [],
        credentialHeaderBytes: 0,
        redis: null,
        skipped: skipped.get(row.id) ?? "not run",
      };
    }
    return {
      ...definition,
      requestsPerSecond: summarize(measured.map((each) => each.requestsPerSecond)),
      p50Ms: summarize(measured.map((each) => each.p50Ms)),
      p99Ms: summarize(measured.map((each) => each.p99Ms)),
      cpuMicrosPerRequest: summarize(measured.map((each) => each.cpuMicrosPerRequest)),
      non2xx: measured.reduce((sum, each) => sum + each.non2xx, 0),
      errors: measured.reduce((sum, each) => sum + each.errors, 0),
      rounds: measured,
      credentialHeaderBytes: headerBytes.get(row.id) ?? 0,
      redis: redisCounts.get(row.id) ?? null,
      skipped: null,
    };
  });
}
