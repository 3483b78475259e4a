/**
 * The Gatehouse SDK verifier the app rows use, configured from the environment the
 * orchestrator sets, exactly as the SDK README tells an app to configure it:
 * - `jwt`/`hybrid`: JWKS from the server, revocation feed followed (`BENCH_FOLLOW=1`);
 * - `session` on Redis: the server's Redis session store (`BENCH_SESSIONS=redis`);
 * - `session` on SQLite: the server's database file, read by this second process (WAL).
 */
import { createVerifier, type Verifier } from "@gatehouse/sdk";
import { createRedisStorage } from "@gatehouse/core/adapters/redis";
import { createSQLiteDatabase } from "@gatehouse/core/adapters/sqlite";
import type { SessionSource } from "@gatehouse/sdk";

/** The server's default idle timeout (7 days), which the verifier needs to record activity. */
const IDLE_TIMEOUT_SECONDS = 604_800;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** A verifier for the configured row, and how to release what it opened. */
export async function verifierFromEnvironment(): Promise<{ verifier: Verifier; close(): Promise<void> }> {
  const kind = process.env.BENCH_SESSIONS ?? "none";
  let sessions: SessionSource | undefined;
  let closeStore: () => Promise<void> = async () => {};
  if (kind === "redis") {
    const redis = createRedisStorage({ url: required("REDIS_URL"), keyPrefix: required("BENCH_REDIS_PREFIX") });
    sessions = redis.sessionStore;
    closeStore = () => redis.close();
  } else if (kind === "sqlite") {
    const database = createSQLiteDatabase({ filename: required("BENCH_SQLITE_FILE") });
    sessions = database.sessions;
    closeStore = () => database.close();
  }
  const follow = process.env.BENCH_FOLLOW === "1";
  const verifier = createVerifier({
    url: required("GATEHOUSE_URL"),
    ...(follow ? { secretKey: required("GATEHOUSE_SECRET_KEY"), followRevocations: true } : {}),
    ...(sessions ? { sessions, sessionIdleTimeoutSeconds: IDLE_TIMEOUT_SECONDS } : {}),
  });
  await verifier.ready();
  return {
    verifier,
    async close() {
      await verifier.close();
      await closeStore();
    },
  };
}
