/**
 * Schema of second factors: TOTP authenticators (secrets encrypted), backup codes (hashed),
 * sign-in challenges (hashed) and the account-wide attempt counter; plus the session's record of
 * when a second factor was last verified (the `fva` claim). Registered as `0006_mfa` in
 * `storage/migrations.ts`; same rules as the initial schema (text ids, bigint milliseconds,
 * nullable timestamps instead of booleans).
 */
import type { Kysely, Migration } from "kysely";

/** The `0006_mfa` migration. */
export const mfaMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable("sessions").addColumn("second_factor_verified_at", "bigint").execute();

    await db.schema
      .createTable("mfa_totp")
      .addColumn("user_id", "text", (column) => column.primaryKey().references("users.id").onDelete("cascade"))
      .addColumn("encrypted_secret", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("confirmed_at", "bigint")
      .addColumn("last_used_step", "bigint")
      .execute();

    await db.schema
      .createTable("mfa_backup_codes")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
      .addColumn("code_hash", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("used_at", "bigint")
      .execute();
    await db.schema
      .createIndex("mfa_backup_codes_user_index")
      .on("mfa_backup_codes")
      .columns(["user_id", "code_hash"])
      .execute();

    await db.schema
      .createTable("mfa_challenges")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
      .addColumn("purpose", "text", (column) => column.notNull())
      .addColumn("secret_hash", "text", (column) => column.notNull())
      .addColumn("method", "text", (column) => column.notNull())
      .addColumn("client_hash", "text", (column) => column.notNull())
      .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("expires_at", "bigint", (column) => column.notNull())
      .addColumn("used_at", "bigint")
      .execute();
    await db.schema.createIndex("mfa_challenges_expires_at_index").on("mfa_challenges").column("expires_at").execute();

    await db.schema
      .createTable("mfa_attempts")
      .addColumn("user_id", "text", (column) => column.primaryKey().references("users.id").onDelete("cascade"))
      .addColumn("attempts", "integer", (column) => column.notNull())
      .addColumn("window_started_at", "bigint", (column) => column.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("mfa_attempts").execute();
    await db.schema.dropTable("mfa_challenges").execute();
    await db.schema.dropTable("mfa_backup_codes").execute();
    await db.schema.dropTable("mfa_totp").execute();
    await db.schema.alterTable("sessions").dropColumn("second_factor_verified_at").execute();
  },
};

/**
 * The `0007_sms` migration: phone numbers for SMS codes (encrypted, with a keyed hash for
 * throttling) and each user's one live SMS code (hashed, bound to its purpose).
 */
export const smsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("mfa_sms")
      .addColumn("user_id", "text", (column) => column.primaryKey().references("users.id").onDelete("cascade"))
      .addColumn("encrypted_phone_number", "text", (column) => column.notNull())
      .addColumn("phone_number_hash", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("confirmed_at", "bigint")
      .execute();

    await db.schema
      .createTable("mfa_sms_codes")
      .addColumn("user_id", "text", (column) => column.primaryKey().references("users.id").onDelete("cascade"))
      .addColumn("purpose", "text", (column) => column.notNull())
      .addColumn("bound_to", "text", (column) => column.notNull())
      .addColumn("code_hash", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("expires_at", "bigint", (column) => column.notNull())
      .addColumn("used_at", "bigint")
      .execute();
    await db.schema.createIndex("mfa_sms_codes_expires_at_index").on("mfa_sms_codes").column("expires_at").execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("mfa_sms_codes").execute();
    await db.schema.dropTable("mfa_sms").execute();
  },
};
