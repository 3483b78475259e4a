/**
 * Finds the real PostgreSQL and Redis the integration tests need. On a developer's machine
 * without them, those tests are skipped with the reason printed; under CI (CI=true) a missing
 * service fails the run instead, so a green CI always means the tests really ran.
 */
import pg from "pg";
import { Redis } from "ioredis";
import { randomBytes } from "node:crypto";

/** PostgreSQL server used by the tests; `DATABASE_URL` overrides. */
export const POSTGRES_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
/** Redis server used by the tests; `REDIS_URL` overrides. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Whether a service is there, and if not, why (shown in the skipped test's name). */
export interface ServiceProbe {
  available: boolean;
  reason: string;
}

function unavailable(service: string, url: string, error: unknown): ServiceProbe {
  const reason = `${service} unreachable at ${new URL(url).host} (${(error as Error).message})`;
  if (process.env.CI) throw new Error(`CI requires ${reason}`);
  console.warn(`[skip] ${reason}: its integration tests are skipped`);
  return { available: false, reason: `skipped: ${reason}` };
}

/** Probes PostgreSQL once; throws under CI when it is missing. */
export async function probePostgres(): Promise<ServiceProbe> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return { available: true, reason: "" };
  } catch (error) {
    return unavailable("PostgreSQL", POSTGRES_URL, error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Probes Redis once; throws under CI when it is missing. */
export async function probeRedis(): Promise<ServiceProbe> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
    return { available: true, reason: "" };
  } catch (error) {
    return unavailable("Redis", REDIS_URL, error);
  } finally {
    client.disconnect();
  }
}

/** A throwaway PostgreSQL database for one test file. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database `gatehouse_test_<random>` on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `gatehouse_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** A Redis key prefix unique to one test file, so parallel files never share keys. */
export function testRedisPrefix(): string {
  return `gatehouse-test:${randomBytes(6).toString("hex")}:`;
}

/** Deletes every key under a test prefix, so test runs leave nothing behind in Redis. */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
}
