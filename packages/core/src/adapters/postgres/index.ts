/**
 * PostgreSQL adapter (`@gatehouse/core/adapters/postgres`): the database for running several
 * Gatehouse instances side by side. Queries live in the shared Kysely implementation; this
 * module only sets up the pg pool.
 */
import pg from "pg";
import type { CustomTypesConfig } from "pg";
import { Kysely, PostgresDialect } from "kysely";
import { createKyselyDatabase } from "../../storage/kysely-database.js";
import type { GatehouseTables } from "../../storage/kysely-database.js";
import { USERS_EMAIL_UNIQUE_CONSTRAINT } from "../../storage/migrations.js";
import type { Database } from "../../storage/ports.js";

export type { Database } from "../../storage/ports.js";

/** Options of {@link createPostgresDatabase}. */
export interface PostgresDatabaseOptions {
  /** `postgres://user:password@host:5432/database`, as libpq understands it. */
  connectionString: string;
  /**
   * Most connections the pool opens at once.
   * @default 10
   */
  max?: number;
}

const DEFAULT_MAX_CONNECTIONS = 10;

/** PostgreSQL's SQLSTATE for unique_violation. */
const UNIQUE_VIOLATION = "23505";

/**
 * pg returns `int8` as strings because it can exceed 2^53; every int8 in this schema is a
 * millisecond timestamp or a row count, far below that, so numbers are exact. Set on this pool
 * only, so an application sharing the process keeps pg's global behaviour.
 */
const int8AsNumber: CustomTypesConfig = {
  getTypeParser: (id, format) =>
    id === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(id, format),
};

function isDuplicateEmailError(error: unknown): boolean {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === UNIQUE_VIOLATION && constraint === USERS_EMAIL_UNIQUE_CONSTRAINT;
}

/**
 * Connects a pg pool to PostgreSQL as the Gatehouse {@link Database}. Connections open lazily, on
 * the first query; call `migrate()` before first use (safe from several instances at once).
 *
 * @example
 * ```ts
 * import { createPostgresDatabase } from "@gatehouse/core/adapters/postgres";
 *
 * const database = createPostgresDatabase({ connectionString: process.env.DATABASE_URL!, max: 20 });
 * await database.migrate();
 * ```
 */
export function createPostgresDatabase(options: PostgresDatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? DEFAULT_MAX_CONNECTIONS,
    types: int8AsNumber,
  });
  // An idle connection dropped by the server (restart, failover) is emitted here; without a
  // listener Node would crash the process. The pool already discards that connection, and the
  // next query or readiness ping reports the outage, so there is nothing more to do.
  pool.on("error", () => {});

  return createKyselyDatabase({
    kysely: new Kysely<GatehouseTables>({ dialect: new PostgresDialect({ pool }) }),
    kind: "postgres",
    isDuplicateEmailError,
    skipLocked: true,
  });
}
