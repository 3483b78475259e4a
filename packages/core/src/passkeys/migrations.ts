/**
 * Schema of passkeys: the credentials (public keys only), each user's random WebAuthn user handle,
 * and the challenges handed to browsers (hashed). Registered as `0008_passkeys` in
 * `storage/migrations.ts`; same rules as the initial schema (text ids, bigint milliseconds). The
 * credential id is unique across all users: the database, not only a check, refuses a second
 * account claiming someone's credential.
 */
import type { Kysely, Migration } from "kysely";

/** Name of the unique constraint on `passkeys.credential_id`. */
export const PASSKEYS_CREDENTIAL_ID_UNIQUE_CONSTRAINT = "passkeys_credential_id_unique";

/** The `0008_passkeys` migration. */
export const passkeysMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("passkey_user_handles")
      .addColumn("user_id", "text", (column) => column.primaryKey().references("users.id").onDelete("cascade"))
      .addColumn("user_handle", "text", (column) => column.notNull().unique())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .execute();

    await db.schema
      .createTable("passkeys")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
      .addColumn("credential_id", "text", (column) => column.notNull())
      .addColumn("public_key", "text", (column) => column.notNull())
      .addColumn("counter", "bigint", (column) => column.notNull())
      // A JSON array of strings.
      .addColumn("transports", "text", (column) => column.notNull())
      .addColumn("device_type", "text", (column) => column.notNull())
      // 0 or 1: an integer is the one boolean both dialects store alike.
      .addColumn("backed_up", "integer", (column) => column.notNull())
      .addColumn("name", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("last_used_at", "bigint")
      .addUniqueConstraint(PASSKEYS_CREDENTIAL_ID_UNIQUE_CONSTRAINT, ["credential_id"])
      .execute();
    await db.schema.createIndex("passkeys_user_id_index").on("passkeys").column("user_id").execute();

    await db.schema
      .createTable("passkey_challenges")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("challenge_hash", "text", (column) => column.notNull().unique())
      .addColumn("purpose", "text", (column) => column.notNull())
      .addColumn("user_id", "text", (column) => column.references("users.id").onDelete("cascade"))
      .addColumn("session_id", "text")
      .addColumn("client_hash", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("expires_at", "bigint", (column) => column.notNull())
      .addColumn("used_at", "bigint")
      .execute();
    await db.schema
      .createIndex("passkey_challenges_expires_at_index")
      .on("passkey_challenges")
      .column("expires_at")
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("passkey_challenges").execute();
    await db.schema.dropTable("passkeys").execute();
    await db.schema.dropTable("passkey_user_handles").execute();
  },
};
