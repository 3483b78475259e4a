/**
 * Schema of the token strategies: refresh-rotation state on sessions, signing keys, and the
 * revocation log behind the feed.
 */
import { PostgresAdapter, type Kysely, type Migration } from "kysely";

/** `0003_tokens`: refresh rotation, signing keys, revocation log. */
export const tokensMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable("sessions")
      .addColumn("generation", "integer", (column) => column.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable("sessions").addColumn("previous_secret_hash", "text").execute();
    await db.schema.alterTable("sessions").addColumn("rotated_at", "bigint").execute();

    await db.schema
      .createTable("signing_keys")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("algorithm", "text", (column) => column.notNull())
      .addColumn("public_jwk", "text", (column) => column.notNull())
      .addColumn("encrypted_private_jwk", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("retired_at", "bigint")
      .addColumn("publish_until", "bigint")
      .execute();

    // The log's order is its insertion order: an auto-increment key, spelled per dialect.
    const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable("revocations")
      .addColumn("seq", isPostgres ? "bigserial" : "integer", (column) =>
        isPostgres ? column.primaryKey() : column.primaryKey().autoIncrement(),
      )
      .addColumn("session_id", "text", (column) => column.notNull())
      .addColumn("user_id", "text", (column) => column.notNull())
      .addColumn("revoked_at", "bigint", (column) => column.notNull())
      .addColumn("until", "bigint", (column) => column.notNull())
      .execute();
    await db.schema.createIndex("revocations_until_index").on("revocations").column("until").execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("revocations").execute();
    await db.schema.dropTable("signing_keys").execute();
    await db.schema.alterTable("sessions").dropColumn("rotated_at").execute();
    await db.schema.alterTable("sessions").dropColumn("previous_secret_hash").execute();
    await db.schema.alterTable("sessions").dropColumn("generation").execute();
  },
};
