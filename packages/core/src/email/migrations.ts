/**
 * Schema of the email flows: the single-use tokens sent by email and the devices each user has
 * signed in from (for the new-device sign-in notice). Registered as `0002_email` in
 * `storage/migrations.ts`; same rules as the initial schema (text ids, bigint milliseconds,
 * nullable timestamps instead of booleans).
 */
import type { Kysely, Migration } from "kysely";

/** The `0002_email` migration. */
export const emailMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("email_tokens")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
      .addColumn("purpose", "text", (column) => column.notNull())
      .addColumn("email", "text", (column) => column.notNull())
      .addColumn("account_email", "text", (column) => column.notNull())
      // Unique so a lookup by hash finds exactly one token; NULLs (code-only tokens) don't clash.
      .addColumn("secret_hash", "text", (column) => column.unique())
      .addColumn("code_hash", "text")
      .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
      .addColumn("redirect_url", "text")
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("expires_at", "bigint", (column) => column.notNull())
      .addColumn("used_at", "bigint")
      .execute();
    // Serves "the user's newest token of this purpose", which every use checks.
    await db.schema
      .createIndex("email_tokens_user_purpose_index")
      .on("email_tokens")
      .columns(["user_id", "purpose", "created_at"])
      .execute();
    await db.schema.createIndex("email_tokens_expires_at_index").on("email_tokens").column("expires_at").execute();

    await db.schema
      .createTable("known_devices")
      .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
      .addColumn("device_hash", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("last_seen_at", "bigint", (column) => column.notNull())
      .addPrimaryKeyConstraint("known_devices_pkey", ["user_id", "device_hash"])
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("known_devices").execute();
    await db.schema.dropTable("email_tokens").execute();
  },
};
