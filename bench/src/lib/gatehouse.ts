/**
 * Starting `gatehouse start` (the standalone server, built from packages/server) as a child
 * process for one strategy and store, and the account operations the rows need: sign-up and
 * sign-in over HTTP, with bearer or cookie transport. Every request that stands for a
 * different user carries its own client address (see client-ips.ts), so the per-IP sign-in
 * throttle counts users, not the benchmark.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startChild, waitFor, type Child } from "./child.js";
import { benchClientIP } from "./client-ips.js";

export type Strategy = "session" | "jwt" | "hybrid";

/** A running Gatehouse server. */
export interface GatehouseServer {
  name: string;
  url: string;
  strategy: Strategy;
  secretKey: string;
  /** Redis key prefix, or null on SQLite only. */
  redisPrefix: string | null;
  /** The SQLite database file (users, keys; sessions too without Redis). */
  sqliteFile: string;
  child: Child;
  stop(): Promise<void>;
}

/** Options of {@link startGatehouse}. */
export interface GatehouseOptions {
  name: string;
  strategy: Strategy;
  /** Redis URL for sessions, throttle and revocation log; null = SQLite only. */
  redisURL: string | null;
  /** Prefix under which this run keeps its Redis keys. */
  redisPrefix: string;
  nodeFlags?: string[];
}

const SERVER_BIN = fileURLToPath(new URL("../../../packages/server/bin/gatehouse.js", import.meta.url));
/** Same user agent on every stack's sign-ins: it is stored with the session by Gatehouse and better-auth. */
export const BENCH_USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
export const BENCH_PASSWORD = "a long bench passphrase, not a common one";

let addresses = 0;
/** A client address never used before in this run. */
export function nextClientIP(): string {
  return benchClientIP(addresses++);
}

/** Reserves `count` consecutive client addresses (for a load generator) and returns the first index. */
export function reserveClientIPs(count: number): number {
  const first = addresses;
  addresses += count;
  return first;
}

/** Starts `gatehouse start` and waits until `/healthz` answers. */
export async function startGatehouse(options: GatehouseOptions): Promise<GatehouseServer> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), "gatehouse-bench-"));
  const url = `http://127.0.0.1:${port}`;
  const secretKey = `gh_sk_${randomBytes(32).toString("base64url")}`;
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: "127.0.0.1",
    GATEHOUSE_URL: url,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_STRATEGY: options.strategy,
    GATEHOUSE_SECRET_KEY: secretKey,
    GATEHOUSE_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    GATEHOUSE_LOG_LEVEL: "warn",
    GATEHOUSE_TRUSTED_PROXIES: "127.0.0.1",
    GATEHOUSE_REDIS_PREFIX: options.redisPrefix,
  };
  if (options.redisURL) env.REDIS_URL = options.redisURL;
  const child = startChild({
    name: options.name,
    args: [SERVER_BIN, "start"],
    env,
    ...(options.nodeFlags ? { nodeFlags: options.nodeFlags } : {}),
  });
  const healthy = (async () => {
    for (;;) {
      try {
        const response = await fetch(`${url}/healthz`);
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  await waitFor(child, healthy, 30_000);
  return {
    name: options.name,
    url,
    strategy: options.strategy,
    secretKey,
    redisPrefix: options.redisURL ? options.redisPrefix : null,
    sqliteFile: join(dataDir, "gatehouse.db"),
    child,
    async stop() {
      await child.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The credential a sign-up or sign-in handed out. */
export interface Credential {
  userId: string;
  sessionId: string;
  /** Headers that authenticate a request: `authorization` (bearer) or `cookie`. */
  headers: Record<string, string>;
  /** The access token or session token itself (bearer transport). */
  token: string | null;
  obtainedAt: number;
}

/** Cookies a browser would send on every request: those scoped to `/` (not the refresh cookie). */
export function cookieHeader(setCookies: string[]): string {
  return setCookies
    .filter((each) => !/;\s*path=\/v1\//i.test(each))
    .map((each) => each.split(";")[0]!)
    .join("; ");
}

async function authenticate(
  server: GatehouseServer,
  path: "/v1/sign-up" | "/v1/sign-in/password",
  email: string,
  transport: "bearer" | "cookie",
): Promise<Credential> {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": BENCH_USER_AGENT,
      "x-forwarded-for": nextClientIP(),
      ...(transport === "bearer" ? { "auth-transport": "bearer" } : {}),
    },
    body: JSON.stringify({ email, password: BENCH_PASSWORD }),
  });
  if (!response.ok) {
    throw new Error(`${server.name}: ${path} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
  const body = (await response.json()) as {
    access_token?: string;
    session_id?: string;
    user: { id: string };
    session?: { id: string };
  };
  const obtainedAt = Date.now();
  if (transport === "bearer") {
    return {
      userId: body.user.id,
      sessionId: body.session_id!,
      headers: { authorization: `Bearer ${body.access_token!}` },
      token: body.access_token!,
      obtainedAt,
    };
  }
  return {
    userId: body.user.id,
    sessionId: body.session!.id,
    headers: { cookie: cookieHeader(response.headers.getSetCookie()) },
    token: null,
    obtainedAt,
  };
}

/** Signs a new account up (which signs it in). */
export function signUp(server: GatehouseServer, email: string, transport: "bearer" | "cookie"): Promise<Credential> {
  return authenticate(server, "/v1/sign-up", email, transport);
}

/** Signs an existing account in: a new session. */
export function signIn(server: GatehouseServer, email: string, transport: "bearer" | "cookie"): Promise<Credential> {
  return authenticate(server, "/v1/sign-in/password", email, transport);
}

/** Runs `task` over `items` with at most `concurrency` at once; results in input order. */
export async function mapConcurrently<T, R>(
  items: T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!);
      }
    }),
  );
  return results;
}
