/**
 * Peer: better-auth, `auth.api.getSession({ headers })` in a Hono route, as its Hono guide
 * shows, on SQLite (better-sqlite3) and optionally with Redis secondary storage
 * (`@better-auth/redis-storage`), in its default configuration otherwise (no cookie cache).
 * The server migrates its own database, signs a user up at start and announces the session
 * cookie; `POST /api/auth/sign-up/email` stays mounted for the Redis memory measurement.
 *
 * `BENCH_STORE`: `sqlite` or `redis`. `BENCH_FAST_HASH=1` swaps better-auth's scrypt for
 * SHA-256, only in the memory measurement, where 10k sign-ups must not take minutes and the
 * password hash (which lives in SQLite) does not touch the Redis figure.
 */
import { createHash, randomBytes } from "node:crypto";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import Database from "better-sqlite3";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { redisStorage } from "@better-auth/redis-storage";
import { Redis } from "ioredis";
import { announceReady, exitOnSignal } from "../lib/child.js";

const store = process.env.BENCH_STORE ?? "sqlite";
const database = new Database(process.env.BENCH_SQLITE_FILE!);
database.pragma("journal_mode = WAL");
const redis = store === "redis" ? new Redis(process.env.REDIS_URL!) : null;
const baseURL = "http://127.0.0.1";

const fastHash = (password: string): string => createHash("sha256").update(password).digest("base64url");

const options = {
  baseURL,
  secret: randomBytes(32).toString("base64url"),
  database,
  telemetry: { enabled: false },
  emailAndPassword: {
    enabled: true,
    ...(process.env.BENCH_FAST_HASH === "1"
      ? {
          password: {
            hash: async (password: string) => fastHash(password),
            verify: async ({ hash, password }: { hash: string; password: string }) => hash === fastHash(password),
          },
        }
      : {}),
  },
  ...(redis ? { secondaryStorage: redisStorage({ client: redis, keyPrefix: process.env.BENCH_REDIS_PREFIX! }) } : {}),
};
const { runMigrations } = await getMigrations(options);
await runMigrations();
const auth = betterAuth(options);

const app = new Hono();
app.on(["POST", "GET"], "/api/auth/*", (c) => auth.handler(c.req.raw));
app.get("/api/me", async (c) => {
  const session = await auth.api.getSession({ headers: c.req.raw.headers });
  if (!session) return c.json({ code: "unauthenticated" }, 401);
  return c.json({ userId: session.user.id });
});

const signedUp = await auth.api.signUpEmail({
  body: { email: "bench@example.com", password: "a long bench passphrase", name: "Bench" },
  asResponse: true,
});
const cookie = signedUp.headers
  .getSetCookie()
  .map((each) => each.split(";")[0]!)
  .join("; ");

const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  announceReady({ port: info.port, headers: { cookie } });
});
exitOnSignal(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  redis?.disconnect();
  database.close();
});
