/**
 * The SQL schema of Gatehouse, as Kysely migrations kept in code (nothing is read from disk at
 * runtime, so a bundled or compiled server migrates the same way as the sources).
 *
 * One schema serves SQLite and PostgreSQL: ids are `text`, every timestamp is a `bigint` of
 * milliseconds since the epoch, and flags are nullable timestamps rather than booleans, so no
 * column needs a per-dialect type.
 *
 * Concurrency: Kysely's `Migrator` creates its bookkeeping tables race-tolerantly, then runs the
 * pending migrations while holding a PostgreSQL advisory lock inside one transaction, so several
 * instances starting at once against one PostgreSQL apply each migration exactly once. On SQLite
 * the single connection of one process serializes migrations; SQLite is the single-instance store.
 */
import { Migrator } from "kysely";
import type { Kysely, Migration, MigrationProvider } from "kysely";
import { emailMigration } from "../email/migrations.js";
import { tokensMigration } from "../tokens/migrations.js";
import { adminMigration } from "../admin/migrations.js";
import { webhooksMigration } from "../webhooks/migrations.js";
import { mfaMigration, smsMigration } from "../mfa/migrations.js";
import { passkeysMigration } from "../passkeys/migrations.js";

/** Table where Kysely records which migrations ran. */
export const MIGRATION_TABLE = "gatehouse_migrations";
/** Table Kysely's migrator uses for its lock row. */
export const MIGRATION_LOCK_TABLE = "gatehouse_migrations_lock";
/**
 * Name of the unique constraint on `users.email_normalized`, so a PostgreSQL unique violation can
 * be told apart from any other (SQLite reports the column instead of this name).
 */
export const USERS_EMAIL_UNIQUE_CONSTRAINT = "users_email_normalized_unique";

// Migrations are typed against an unknown schema on purpose: a migration describes the schema as
// it was when written, not the current table types.
const initialSchema: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("users")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("email", "text", (column) => column.notNull())
      .addColumn("email_normalized", "text", (column) => column.notNull())
      .addColumn("name", "text")
      .addColumn("password_hash", "text")
      .addColumn("email_verified_at", "bigint")
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("updated_at", "bigint", (column) => column.notNull())
      .addUniqueConstraint(USERS_EMAIL_UNIQUE_CONSTRAINT, ["email_normalized"])
      .execute();

    await db.schema
      .createTable("sessions")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
      .addColumn("secret_hash", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("last_active_at", "bigint", (column) => column.notNull())
      .addColumn("idle_expires_at", "bigint", (column) => column.notNull())
      .addColumn("expires_at", "bigint", (column) => column.notNull())
      .addColumn("ip", "text")
      .addColumn("user_agent", "text")
      .execute();
    // Separate indexes on both expiries: the sweep's `expires_at <= ? or idle_expires_at <= ?`
    // can then use one index per branch (PostgreSQL bitmap-or, SQLite's OR optimisation).
    await db.schema.createIndex("sessions_user_id_index").on("sessions").column("user_id").execute();
    await db.schema.createIndex("sessions_expires_at_index").on("sessions").column("expires_at").execute();
    await db.schema.createIndex("sessions_idle_expires_at_index").on("sessions").column("idle_expires_at").execute();

    await db.schema
      .createTable("secret_keys")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("key_hash", "text", (column) => column.notNull().unique())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("revoked_at", "bigint")
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("secret_keys").execute();
    await db.schema.dropTable("sessions").execute();
    await db.schema.dropTable("users").execute();
  },
};

/**
 * Every migration by name. Kysely runs them in name order, so new names must sort after the
 * existing ones (keep the zero-padded counter).
 */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  "0001_initial_schema": initialSchema,
  "0002_email": emailMigration,
  "0003_tokens": tokensMigration,
  "0004_admin": adminMigration,
  "0005_webhooks": webhooksMigration,
  "0006_mfa": mfaMigration,
  "0007_sms": smsMigration,
  "0008_passkeys": passkeysMigration,
});

const inCodeMigrationProvider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...migrations };
  },
};

/**
 * Brings the schema up to date; safe to call from several instances at once and when nothing
 * is pending.
 *
 * @throws Error naming the failed migration, with the database's error as `cause`.
 * @example
 * ```ts
 * await migrateToLatest(kysely);
 * ```
 */
export async function migrateToLatest<Schema>(db: Kysely<Schema>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: inCodeMigrationProvider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((result) => result.status === "Error")?.migrationName;
  const message = failed ? `Database migration ${failed} failed` : "Database migration failed";
  throw new Error(message, { cause: error });
}
