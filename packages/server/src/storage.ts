/**
 * Opening the storage a configuration names: SQLite in the data directory or PostgreSQL, plus
 * Redis for sessions, the sign-in throttle and the shared revocation log when `REDIS_URL` is
 * set. Shared by `gatehouse start` and the one-off commands (`gatehouse keys ...`), so both
 * always read and write the same place.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Database, GatehouseConfig, RateLimiterFactory, SessionStore, UserChangeFeed } from "@gatehouse/core";
import { createSQLiteDatabase } from "@gatehouse/core/adapters/sqlite";
import { createPostgresDatabase } from "@gatehouse/core/adapters/postgres";
import { createRedisStorage, type RedisStorage } from "@gatehouse/core/adapters/redis";
import { ServerConfigError, type ServerConfig } from "./config.js";

/** File name of the embedded SQLite database in the data directory. */
export const SQLITE_FILE = "gatehouse.db";

/** The revocation log the engine accepts (not exported by name from `@gatehouse/core`). */
export type RevocationLog = NonNullable<GatehouseConfig["revocationLog"]>;

/** Opened storage, ready to hand to the engine. */
export interface Storage {
  database: Database;
  /** Redis sessions; undefined = the database's. */
  sessionStore?: SessionStore;
  /** Redis-backed throttle counters; undefined = in memory. */
  rateLimiters?: RateLimiterFactory;
  /** The revocation log every instance on the same Redis shares; undefined = the database's. */
  revocationLog?: RevocationLog;
  /** Announces user changes to every instance on the same Redis; undefined = in-process. */
  userChanges?: UserChangeFeed;
  /** Releases what the engine does not own (the Redis client); the engine closes its stores. */
  closeExtras(): Promise<void>;
  /** Closes everything, for when the engine never took ownership. */
  closeAll(): Promise<void>;
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /**
   * Refuse to create a new SQLite file. One-off commands set it: a command pointed at the wrong
   * directory must say so instead of quietly working on an empty database.
   */
  mustExist?: boolean;
}

/**
 * Opens the configured database: PostgreSQL when `DATABASE_URL` is set, else SQLite at
 * `<dataDir>/gatehouse.db` (the directory is created owner-only).
 * @throws ServerConfigError when `mustExist` is set and there is no SQLite database yet.
 */
export async function openDatabase(config: ServerConfig, options: OpenDatabaseOptions = {}): Promise<Database> {
  if (config.databaseURL !== null) return createPostgresDatabase({ connectionString: config.databaseURL });
  const filename = join(config.dataDir, SQLITE_FILE);
  if (options.mustExist && !existsSync(filename)) {
    throw new ServerConfigError(
      `No database at ${filename}. Point GATEHOUSE_DATA_DIR (--data-dir) or DATABASE_URL (--database-url) ` +
        "at the server's storage, with the same settings as gatehouse start.",
    );
  }
  // Owner-only: the database holds password and key hashes.
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  return createSQLiteDatabase({ filename });
}

/**
 * Opens the database and, when `REDIS_URL` is set, Redis for sessions, the throttle and the
 * revocation log. Redis connection problems are logged (see {@link watchRedis}), not thrown.
 */
export async function openStorage(config: ServerConfig, logger: Logger): Promise<Storage> {
  const database = await openDatabase(config);
  if (config.redisURL === null) {
    return { database, closeExtras: async () => {}, closeAll: () => database.close() };
  }
  let redis: RedisStorage;
  try {
    redis = await createRedisStorage({ url: config.redisURL, keyPrefix: config.redisPrefix });
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  watchRedis(redis.client, logger);
  return {
    database,
    sessionStore: redis.sessionStore,
    rateLimiters: redis.rateLimiters,
    // Without it each instance would log revocations only in its own database and feed
    // followers connected to another instance would never hear of them.
    revocationLog: redis.revocations,
    // Without it an instance would keep serving a user that another instance changed or banned.
    userChanges: redis.userChanges,
    closeExtras: () => closeRedis(redis),
    async closeAll() {
      await Promise.allSettled([closeRedis(redis), database.close()]);
    },
  };
}

/**
 * QUIT waits for Redis to answer, which never happens while it is unreachable (ioredis keeps
 * reconnecting): it is sent only on a live connection, and even then bounded; afterwards the
 * sockets and any reconnect timer are dropped so shutdown always finishes.
 */
async function closeRedis(redis: RedisStorage): Promise<void> {
  // The revocation log and the user-change feed listen on connections of their own, which must
  // go too even when the main one is down.
  await withTimeout(
    Promise.all([redis.revocations.close().catch(() => {}), redis.userChanges.close().catch(() => {})]),
    2_000,
    () => undefined,
  );
  if (redis.client.status === "ready") {
    await withTimeout(
      redis.close().catch(() => {}),
      2_000,
      () => undefined,
    );
  }
  redis.client.disconnect();
}

/** The part of an ioredis client the server listens to. */
interface RedisEvents {
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "ready", listener: () => void): unknown;
}

/**
 * An unhandled 'error' event would crash the process; Redis going away must instead make
 * `/readyz` fail and requests get 5xx until it is back. ioredis reconnects by itself and
 * reports every failed attempt, so only the first error of an outage is logged at warn.
 */
function watchRedis(client: RedisEvents, logger: Logger): void {
  let down = false;
  client.on("error", (error: Error & { code?: string }) => {
    // Not `err`/`code`: "code" is a redacted field name (verification codes), which would hide
    // the useful ECONNREFUSED.
    const fields = { redisError: error.message, errno: error.code ?? null };
    if (down) {
      logger.debug(fields, "redis still unreachable");
      return;
    }
    down = true;
    logger.warn(fields, "redis connection error; retrying");
  });
  client.on("ready", () => {
    if (down) logger.info({}, "redis connection restored");
    down = false;
  });
}

/** Resolves with `promise`, or with `fallback()` once `ms` have passed. */
export function withTimeout<T>(promise: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
