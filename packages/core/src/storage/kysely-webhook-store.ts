/**
 * The SQL implementation of the {@link WebhookStore} port, shared by SQLite and PostgreSQL and
 * mixed into the database by `kysely-database.ts`. Kept in its own file so the webhook queries
 * (the worker's claim above all) can be read in one place.
 *
 * Claiming is one statement (a materialized CTE picking the due rows, and the UPDATE of those),
 * so it is atomic on both dialects.
 * On PostgreSQL the subquery also takes `FOR UPDATE SKIP LOCKED`: concurrent workers on other
 * instances skip rows another worker is claiming instead of waiting for it, and the outer
 * conditions are re-checked on the row they finally update, so two claims never win the same
 * row. SQLite serializes writers, so the plain statement is already exclusive.
 */
import type { Kysely, Selectable } from "kysely";
import { compiledRead, type DirectRead } from "./compiled-read.js";
import type { GatehouseTables } from "./kysely-database.js";
import type {
  ClaimedWebhookDelivery,
  WebhookAttemptRecord,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookEndpointRecord,
  WebhookStore,
} from "./ports.js";

/** The `webhook_endpoints` table as the database returns it. */
export interface WebhookEndpointsTable {
  id: string;
  url: string;
  description: string | null;
  /** JSON array of event type names. */
  event_types: string;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: number | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

/** The `webhook_deliveries` table as the database returns it. */
export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_type: string;
  payload: string;
  status: WebhookDeliveryStatus;
  attempt_count: number;
  max_attempts: number;
  next_attempt_at: number | null;
  /** A worker holds the row until then; null when unclaimed. */
  locked_until: number | null;
  /** Proves which claim holds the row, so a worker whose lease ran out cannot overwrite it. */
  claim_token: string | null;
  last_attempt_at: number | null;
  last_response_status: number | null;
  last_error: string | null;
  created_at: number;
  completed_at: number | null;
}

/** The `webhook_delivery_attempts` table as the database returns it. */
export interface WebhookDeliveryAttemptsTable {
  delivery_id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  response_status: number | null;
  response_body: string | null;
  error: string | null;
}

/** Options of {@link createKyselyWebhookStore}. */
export interface KyselyWebhookStoreOptions {
  /**
   * Whether the dialect has `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL). Without it (SQLite)
   * claims rely on the database serializing writers.
   * @default false
   */
  skipLocked?: boolean;
  /** Runs the endpoint listing on the spot where the adapter can (see `compiled-read.ts`). */
  readDirectly?: DirectRead | undefined;
}

function endpointFromRow(row: Selectable<WebhookEndpointsTable>): WebhookEndpointRecord {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: JSON.parse(row.event_types) as string[],
    secretCiphertext: row.secret_ciphertext,
    previousSecretCiphertext: row.previous_secret_ciphertext,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function deliveryFromRow(row: Selectable<WebhookDeliveriesTable>): WebhookDeliveryRecord {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventType: row.event_type,
    payload: row.payload,
    status: row.status,
    attemptCount: row.attempt_count,
    maxAttempts: row.max_attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastResponseStatus: row.last_response_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    completedAt: row.completed_at,
  };
}

function attemptFromRow(row: Selectable<WebhookDeliveryAttemptsTable>): WebhookAttemptRecord {
  return {
    deliveryId: row.delivery_id,
    attempt: row.attempt,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    responseStatus: row.response_status,
    responseBody: row.response_body,
    error: row.error,
  };
}

/**
 * Builds the {@link WebhookStore} on a Kysely instance; `createKyselyDatabase` mixes it in.
 *
 * @example
 * ```ts
 * const webhooks = createKyselyWebhookStore(kysely, { skipLocked: true }); // PostgreSQL
 * const claimed = await webhooks.claimDueWebhookDeliveries({ now, limit: 10, leaseUntil: now + 60_000 });
 * ```
 */
export function createKyselyWebhookStore(
  db: Kysely<GatehouseTables>,
  options: KyselyWebhookStoreOptions = {},
): WebhookStore {
  // Every event the bus carries asks for the endpoints, also when there are none.
  const readEndpoints = compiledRead(
    db,
    db.selectFrom("webhook_endpoints").selectAll().orderBy("created_at").orderBy("id").compile(),
    options.readDirectly,
  );
  return {
    async createWebhookEndpoint(endpoint) {
      await db
        .insertInto("webhook_endpoints")
        .values({
          id: endpoint.id,
          url: endpoint.url,
          description: endpoint.description,
          event_types: JSON.stringify(endpoint.eventTypes),
          secret_ciphertext: endpoint.secretCiphertext,
          previous_secret_ciphertext: endpoint.previousSecretCiphertext,
          previous_secret_expires_at: endpoint.previousSecretExpiresAt,
          disabled_at: endpoint.disabledAt,
          created_at: endpoint.createdAt,
          updated_at: endpoint.updatedAt,
        })
        .execute();
    },

    async getWebhookEndpoint(id) {
      const row = await db.selectFrom("webhook_endpoints").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? endpointFromRow(row) : null;
    },

    async listWebhookEndpoints() {
      return (await readEndpoints()).map(endpointFromRow);
    },

    async updateWebhookEndpoint(id, changes) {
      const set: Partial<WebhookEndpointsTable> = { updated_at: changes.updatedAt };
      if (changes.url !== undefined) set.url = changes.url;
      if (changes.description !== undefined) set.description = changes.description;
      if (changes.eventTypes !== undefined) set.event_types = JSON.stringify(changes.eventTypes);
      if (changes.secretCiphertext !== undefined) set.secret_ciphertext = changes.secretCiphertext;
      if (changes.previousSecretCiphertext !== undefined) {
        set.previous_secret_ciphertext = changes.previousSecretCiphertext;
      }
      if (changes.previousSecretExpiresAt !== undefined) {
        set.previous_secret_expires_at = changes.previousSecretExpiresAt;
      }
      if (changes.disabledAt !== undefined) set.disabled_at = changes.disabledAt;
      const row = await db
        .updateTable("webhook_endpoints")
        .set(set)
        .where("id", "=", id)
        .returningAll()
        .executeTakeFirst();
      return row ? endpointFromRow(row) : null;
    },

    async deleteWebhookEndpoint(id) {
      // Deliveries and their attempts go with it through ON DELETE CASCADE.
      const result = await db.deleteFrom("webhook_endpoints").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async createWebhookDeliveries(deliveries) {
      if (deliveries.length === 0) return;
      await db
        .insertInto("webhook_deliveries")
        .values(
          deliveries.map((delivery) => ({
            id: delivery.id,
            endpoint_id: delivery.endpointId,
            event_type: delivery.eventType,
            payload: delivery.payload,
            status: "pending" as const,
            attempt_count: 0,
            max_attempts: delivery.maxAttempts,
            next_attempt_at: delivery.nextAttemptAt,
            locked_until: null,
            claim_token: null,
            last_attempt_at: null,
            last_response_status: null,
            last_error: null,
            created_at: delivery.createdAt,
            completed_at: null,
          })),
        )
        .execute();
    },

    async getWebhookDelivery(id) {
      const row = await db.selectFrom("webhook_deliveries").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? deliveryFromRow(row) : null;
    },

    async listWebhookDeliveries(endpointId, { limit, status, after }) {
      let query = db.selectFrom("webhook_deliveries").selectAll().where("endpoint_id", "=", endpointId);
      if (status !== undefined) query = query.where("status", "=", status);
      if (after !== undefined) {
        query = query.where((eb) =>
          eb.or([
            eb("created_at", "<", after.createdAt),
            eb.and([eb("created_at", "=", after.createdAt), eb("id", "<", after.id)]),
          ]),
        );
      }
      const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
      return rows.map(deliveryFromRow);
    },

    async listWebhookAttempts(deliveryId) {
      const rows = await db
        .selectFrom("webhook_delivery_attempts")
        .selectAll()
        .where("delivery_id", "=", deliveryId)
        .orderBy("attempt")
        .execute();
      return rows.map(attemptFromRow);
    },

    async claimDueWebhookDeliveries({ now, limit, leaseUntil }): Promise<ClaimedWebhookDelivery[]> {
      const claimToken = crypto.randomUUID();
      let due = db
        .selectFrom("webhook_deliveries")
        .select("id")
        .where("status", "=", "pending")
        .where("next_attempt_at", "<=", now)
        .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
        .where("endpoint_id", "in", (eb) =>
          eb.selectFrom("webhook_endpoints").select("id").where("disabled_at", "is", null),
        )
        .orderBy("next_attempt_at")
        .orderBy("id")
        .limit(limit);
      if (options.skipLocked) due = due.forUpdate().skipLocked();
      const rows = await db
        // Materialized, so the due rows are picked exactly once: as a plain `IN (subquery)`,
        // PostgreSQL may run the subquery again while updating, and with SKIP LOCKED a rerun
        // picks other rows, overshooting the limit.
        .with(
          (cte) => cte("due").materialized(),
          () => due,
        )
        .updateTable("webhook_deliveries")
        .set((eb) => ({
          attempt_count: eb("attempt_count", "+", 1),
          last_attempt_at: now,
          locked_until: leaseUntil,
          claim_token: claimToken,
        }))
        .where("id", "in", (eb) => eb.selectFrom("due").select("due.id"))
        // Re-checked on the row actually updated: a row claimed between the subquery's snapshot
        // and this update no longer qualifies.
        .where("status", "=", "pending")
        .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
        .returningAll()
        .execute();
      return rows
        .map(deliveryFromRow)
        .sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0) || (a.id < b.id ? -1 : 1))
        .map((delivery) => ({ delivery, claimToken }));
    },

    async finishWebhookAttempt({ claimToken, attempt, outcome }) {
      return db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable("webhook_deliveries")
          .set({
            status: outcome.status,
            next_attempt_at: outcome.nextAttemptAt,
            completed_at: outcome.completedAt,
            last_response_status: outcome.lastResponseStatus,
            last_error: outcome.lastError,
            locked_until: null,
            claim_token: null,
          })
          .where("id", "=", attempt.deliveryId)
          .where("claim_token", "=", claimToken)
          .executeTakeFirst();
        const exists = await trx
          .selectFrom("webhook_deliveries")
          .select("id")
          .where("id", "=", attempt.deliveryId)
          .executeTakeFirst();
        // The attempt happened either way and belongs in the log, unless its endpoint (and so
        // the delivery) was deleted meanwhile.
        if (exists) {
          await trx
            .insertInto("webhook_delivery_attempts")
            .values({
              delivery_id: attempt.deliveryId,
              attempt: attempt.attempt,
              started_at: attempt.startedAt,
              duration_ms: attempt.durationMs,
              response_status: attempt.responseStatus,
              response_body: attempt.responseBody,
              error: attempt.error,
            })
            .execute();
        }
        return Number(result.numUpdatedRows) > 0;
      });
    },

    async releaseWebhookDelivery(deliveryId, claimToken) {
      await db
        .updateTable("webhook_deliveries")
        .set((eb) => ({ attempt_count: eb("attempt_count", "-", 1), locked_until: null, claim_token: null }))
        .where("id", "=", deliveryId)
        .where("claim_token", "=", claimToken)
        .execute();
    },

    async retryWebhookDelivery(id, now) {
      const row = await db
        .updateTable("webhook_deliveries")
        .set((eb) => ({
          // SET expressions read the row as it was: a finished delivery gets one more attempt,
          // a pending one keeps its remaining attempts.
          max_attempts: eb
            .case()
            .when("status", "=", "pending")
            .then(eb.ref("max_attempts"))
            .else(eb("attempt_count", "+", 1))
            .end(),
          status: "pending",
          next_attempt_at: now,
          completed_at: null,
        }))
        .where("id", "=", id)
        .returningAll()
        .executeTakeFirst();
      return row ? deliveryFromRow(row) : null;
    },

    async deleteFinishedWebhookDeliveries(before) {
      const result = await db
        .deleteFrom("webhook_deliveries")
        .where("status", "!=", "pending")
        .where("completed_at", "<", before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
