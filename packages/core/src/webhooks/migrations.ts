/**
 * The webhooks feature's schema: endpoints, deliveries (the persistent queue the worker claims
 * from, so retries survive a restart) and the attempt log. Registered as `0005_webhooks` in
 * `storage/migrations.ts`; written against an unknown schema like every migration, because it
 * describes the tables as they were when it was written.
 */
import type { Kysely, Migration } from "kysely";

/** The `0005_webhooks` migration. */
export const webhooksMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("webhook_endpoints")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("url", "text", (column) => column.notNull())
      .addColumn("description", "text")
      // A JSON array: endpoints are few and read whole, so a join table would buy nothing.
      .addColumn("event_types", "text", (column) => column.notNull())
      .addColumn("secret_ciphertext", "text", (column) => column.notNull())
      .addColumn("previous_secret_ciphertext", "text")
      .addColumn("previous_secret_expires_at", "bigint")
      .addColumn("disabled_at", "bigint")
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("updated_at", "bigint", (column) => column.notNull())
      .execute();

    await db.schema
      .createTable("webhook_deliveries")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("endpoint_id", "text", (column) =>
        column.notNull().references("webhook_endpoints.id").onDelete("cascade"),
      )
      .addColumn("event_type", "text", (column) => column.notNull())
      .addColumn("payload", "text", (column) => column.notNull())
      .addColumn("status", "text", (column) => column.notNull())
      .addColumn("attempt_count", "integer", (column) => column.notNull())
      .addColumn("max_attempts", "integer", (column) => column.notNull())
      .addColumn("next_attempt_at", "bigint")
      .addColumn("locked_until", "bigint")
      .addColumn("claim_token", "text")
      .addColumn("last_attempt_at", "bigint")
      .addColumn("last_response_status", "integer")
      .addColumn("last_error", "text")
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("completed_at", "bigint")
      .execute();
    // The worker's claim scans pending rows by due time; the log pages an endpoint's rows by
    // creation; the retention sweep finds finished rows by completion.
    await db.schema
      .createIndex("webhook_deliveries_due_index")
      .on("webhook_deliveries")
      .columns(["status", "next_attempt_at"])
      .execute();
    await db.schema
      .createIndex("webhook_deliveries_endpoint_index")
      .on("webhook_deliveries")
      .columns(["endpoint_id", "created_at", "id"])
      .execute();
    await db.schema
      .createIndex("webhook_deliveries_completed_at_index")
      .on("webhook_deliveries")
      .column("completed_at")
      .execute();

    await db.schema
      .createTable("webhook_delivery_attempts")
      .addColumn("delivery_id", "text", (column) =>
        column.notNull().references("webhook_deliveries.id").onDelete("cascade"),
      )
      .addColumn("attempt", "integer", (column) => column.notNull())
      .addColumn("started_at", "bigint", (column) => column.notNull())
      .addColumn("duration_ms", "integer", (column) => column.notNull())
      .addColumn("response_status", "integer")
      .addColumn("response_body", "text")
      .addColumn("error", "text")
      .addPrimaryKeyConstraint("webhook_delivery_attempts_pkey", ["delivery_id", "attempt"])
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("webhook_delivery_attempts").execute();
    await db.schema.dropTable("webhook_deliveries").execute();
    await db.schema.dropTable("webhook_endpoints").execute();
  },
};
