/**
 * SQLite adapter (`@gatehouse/core/adapters/sqlite`): the embedded default database, one file
 * on disk through better-sqlite3. Queries live in the shared Kysely implementation; this module
 * only opens the file with the settings a server needs.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { createKyselyDatabase } from "../../storage/kysely-database.js";
import { startBackgroundCheckpointer } from "./background-checkpointer.js";
import { createDirectReader, withStatementCache } from "./statement-cache.js";
import type { GatehouseTables } from "../../storage/kysely-database.js";
import type { Database } from "../../storage/ports.js";

export type { Database } from "../../storage/ports.js";

/** Options of {@link createSQLiteDatabase}. */
export interface SQLiteDatabaseOptions {
  /**
   * Path of the database file; its directory is created if missing. `":memory:"` keeps the
   * database in memory (gone when closed), for tests.
   */
  filename: string;
  /**
   * Where WAL checkpoints (the only writes that wait for the disk) run. `"background"`, the
   * default for a file: on a worker thread with a connection of its own, every 500 ms, so no
   * `fsync` ever blocks the event loop. `"automatic"`: SQLite's own, on this connection's thread
   * after a commit that takes the WAL past 1000 pages. Ignored for `":memory:"`, which has no WAL.
   */
  checkpoints?: "background" | "automatic";
}

/**
 * How long a write waits for another connection's write lock (e.g. a CLI command running next
 * to the server) before failing with SQLITE_BUSY.
 */
const BUSY_TIMEOUT_MILLISECONDS = 5_000;

const IN_MEMORY_FILENAMES = new Set([":memory:", ""]);

function isDuplicateEmailError(error: unknown): boolean {
  // SQLite names the column, not the constraint, in its message; the primary-key violation
  // (SQLITE_CONSTRAINT_PRIMARYKEY) is a duplicate id, which is a bug and not a taken email.
  return (
    error instanceof Error &&
    (error as { code?: unknown }).code === "SQLITE_CONSTRAINT_UNIQUE" &&
    error.message.includes("users.email_normalized")
  );
}

/**
 * Opens (creating if needed) a SQLite database file as the Gatehouse {@link Database}.
 *
 * The file is opened in WAL mode so readers never wait for the writer, with foreign keys
 * enforced and a busy timeout of 5 s, and WAL checkpoints run on a worker thread (see
 * {@link SQLiteDatabaseOptions.checkpoints}). Call `migrate()` before first use.
 *
 * @example
 * ```ts
 * import { createSQLiteDatabase } from "@gatehouse/core/adapters/sqlite";
 *
 * const database = createSQLiteDatabase({ filename: "./.gatehouse/gatehouse.db" });
 * await database.migrate();
 * ```
 */
export function createSQLiteDatabase(options: SQLiteDatabaseOptions): Database {
  const { filename } = options;
  if (!IN_MEMORY_FILENAMES.has(filename)) mkdirSync(dirname(resolve(filename)), { recursive: true });

  const sqlite = new SQLite(filename);
  sqlite.pragma("journal_mode = WAL");
  // Off by default in SQLite, and per connection: without it sessions would outlive their user.
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MILLISECONDS}`);

  const statements = withStatementCache(sqlite);
  const database = createKyselyDatabase({
    kysely: new Kysely<GatehouseTables>({ dialect: new SqliteDialect({ database: statements }) }),
    kind: "sqlite",
    isDuplicateEmailError,
    readDirectly: createDirectReader(sqlite, statements),
  });
  if (IN_MEMORY_FILENAMES.has(filename) || options.checkpoints === "automatic") return database;

  const checkpointer = startBackgroundCheckpointer(sqlite, filename, { busyTimeoutMs: BUSY_TIMEOUT_MILLISECONDS });
  return {
    ...database,
    // The worker's connection closes first, so this one is the last and, as SQLite does for the
    // last connection, checkpoints what is left and removes the WAL.
    close: () => checkpointer.stop().then(() => database.close()),
  };
}
