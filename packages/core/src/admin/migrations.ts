/**
 * Schema of the back office (issue 7): admin-only user fields (metadata, ban), labelled secret
 * keys, and the security event log. Registered as `0004_admin` in `storage/migrations.ts`.
 *
 * Like the initial schema it uses only types both SQL dialects share: JSON is `text` (the
 * engine never queries inside it), timestamps are `bigint` milliseconds, and the ban is a
 * nullable timestamp rather than a boolean.
 */
import type { Kysely, Migration } from "kysely";

/** The `0004_admin` migration. */
export const adminMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // SQLite allows one column per ALTER TABLE, and a NOT NULL column only with a default.
    await db.schema
      .alterTable("users")
      .addColumn("public_metadata", "text", (column) => column.notNull().defaultTo("{}"))
      .execute();
    await db.schema
      .alterTable("users")
      .addColumn("private_metadata", "text", (column) => column.notNull().defaultTo("{}"))
      .execute();
    await db.schema.alterTable("users").addColumn("banned_at", "bigint").execute();
    // The admin list pages newest first by (created_at, id).
    await db.schema.createIndex("users_created_at_id_index").on("users").columns(["created_at", "id"]).execute();

    await db.schema.alterTable("secret_keys").addColumn("name", "text").execute();
    await db.schema.alterTable("secret_keys").addColumn("hint", "text").execute();
    await db.schema.alterTable("secret_keys").addColumn("last_used_at", "bigint").execute();

    await db.schema
      .createTable("security_events")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("type", "text", (column) => column.notNull())
      .addColumn("occurred_at", "bigint", (column) => column.notNull())
      // No foreign key to users on purpose: the log outlives a deleted user (its user.deleted
      // event names them) until retention removes it.
      .addColumn("user_id", "text")
      .addColumn("session_id", "text")
      .addColumn("actor_type", "text")
      .addColumn("actor_id", "text")
      .addColumn("ip", "text")
      .addColumn("user_agent", "text")
      .addColumn("data", "text", (column) => column.notNull().defaultTo("{}"))
      .execute();
    await db.schema
      .createIndex("security_events_occurred_at_index")
      .on("security_events")
      .column("occurred_at")
      .execute();
    await db.schema
      .createIndex("security_events_user_id_index")
      .on("security_events")
      .columns(["user_id", "id"])
      .execute();
    await db.schema.createIndex("security_events_type_index").on("security_events").columns(["type", "id"]).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("security_events").execute();
    await db.schema.dropIndex("users_created_at_id_index").execute();
    for (const column of ["last_used_at", "hint", "name"]) {
      await db.schema.alterTable("secret_keys").dropColumn(column).execute();
    }
    for (const column of ["banned_at", "private_metadata", "public_metadata"]) {
      await db.schema.alterTable("users").dropColumn(column).execute();
    }
  },
};
