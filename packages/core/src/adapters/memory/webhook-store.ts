/**
 * The in-memory {@link WebhookStore}, mixed into `createMemoryDatabase`. It keeps the SQL
 * stores' rules (cascading deletes, claims that never hand one delivery to two workers, copies
 * in and out) so code developed against it behaves the same on SQLite or PostgreSQL. One
 * process only: its "atomic" claim is atomic because nothing awaits between reading and
 * writing.
 */
import type {
  ClaimedWebhookDelivery,
  WebhookAttemptRecord,
  WebhookDeliveryRecord,
  WebhookEndpointRecord,
  WebhookStore,
} from "../../storage/ports.js";

interface StoredDelivery {
  record: WebhookDeliveryRecord;
  lockedUntil: number | null;
  claimToken: string | null;
}

function copyEndpoint(endpoint: WebhookEndpointRecord): WebhookEndpointRecord {
  return { ...endpoint, eventTypes: [...endpoint.eventTypes] };
}

function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Creates an empty in-memory {@link WebhookStore}.
 *
 * @example
 * ```ts
 * const store = createMemoryWebhookStore();
 * await store.createWebhookEndpoint(endpoint);
 * ```
 */
export function createMemoryWebhookStore(): WebhookStore {
  const endpoints = new Map<string, WebhookEndpointRecord>();
  const deliveries = new Map<string, StoredDelivery>();
  const attempts = new Map<string, WebhookAttemptRecord[]>();

  function deleteDelivery(id: string): void {
    deliveries.delete(id);
    attempts.delete(id);
  }

  function isClaimable(stored: StoredDelivery, now: number): boolean {
    const { record, lockedUntil } = stored;
    const endpoint = endpoints.get(record.endpointId);
    return (
      record.status === "pending" &&
      record.nextAttemptAt !== null &&
      record.nextAttemptAt <= now &&
      (lockedUntil === null || lockedUntil <= now) &&
      endpoint !== undefined &&
      endpoint.disabledAt === null
    );
  }

  return {
    async createWebhookEndpoint(endpoint) {
      if (endpoints.has(endpoint.id)) throw new Error(`A webhook endpoint with id ${endpoint.id} already exists.`);
      endpoints.set(endpoint.id, copyEndpoint(endpoint));
    },

    async getWebhookEndpoint(id) {
      const endpoint = endpoints.get(id);
      return endpoint ? copyEndpoint(endpoint) : null;
    },

    async listWebhookEndpoints() {
      return [...endpoints.values()].sort((a, b) => a.createdAt - b.createdAt || byId(a, b)).map(copyEndpoint);
    },

    async updateWebhookEndpoint(id, changes) {
      const endpoint = endpoints.get(id);
      if (!endpoint) return null;
      const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
      const updated = copyEndpoint({ ...endpoint, ...defined });
      endpoints.set(id, updated);
      return copyEndpoint(updated);
    },

    async deleteWebhookEndpoint(id) {
      if (!endpoints.delete(id)) return false;
      for (const [deliveryId, stored] of deliveries) if (stored.record.endpointId === id) deleteDelivery(deliveryId);
      return true;
    },

    async createWebhookDeliveries(newDeliveries) {
      // All or none, like the SQL stores' single INSERT.
      for (const delivery of newDeliveries) {
        if (deliveries.has(delivery.id)) throw new Error(`A webhook delivery with id ${delivery.id} already exists.`);
        if (!endpoints.has(delivery.endpointId)) throw new Error(`No webhook endpoint ${delivery.endpointId}.`);
      }
      for (const delivery of newDeliveries) {
        deliveries.set(delivery.id, {
          record: {
            ...delivery,
            status: "pending",
            attemptCount: 0,
            lastAttemptAt: null,
            lastResponseStatus: null,
            lastError: null,
            completedAt: null,
          },
          lockedUntil: null,
          claimToken: null,
        });
      }
    },

    async getWebhookDelivery(id) {
      const stored = deliveries.get(id);
      return stored ? { ...stored.record } : null;
    },

    async listWebhookDeliveries(endpointId, { limit, status, after }) {
      return [...deliveries.values()]
        .map((stored) => stored.record)
        .filter((record) => record.endpointId === endpointId)
        .filter((record) => status === undefined || record.status === status)
        .filter(
          (record) =>
            after === undefined ||
            record.createdAt < after.createdAt ||
            (record.createdAt === after.createdAt && record.id < after.id),
        )
        .sort((a, b) => b.createdAt - a.createdAt || byId(b, a))
        .slice(0, limit)
        .map((record) => ({ ...record }));
    },

    async listWebhookAttempts(deliveryId) {
      return (attempts.get(deliveryId) ?? []).map((attempt) => ({ ...attempt })).sort((a, b) => a.attempt - b.attempt);
    },

    async claimDueWebhookDeliveries({ now, limit, leaseUntil }) {
      const claimToken = crypto.randomUUID();
      const due = [...deliveries.values()]
        .filter((stored) => isClaimable(stored, now))
        .sort((a, b) => (a.record.nextAttemptAt ?? 0) - (b.record.nextAttemptAt ?? 0) || byId(a.record, b.record))
        .slice(0, limit);
      const claimed: ClaimedWebhookDelivery[] = [];
      for (const stored of due) {
        stored.record = { ...stored.record, attemptCount: stored.record.attemptCount + 1, lastAttemptAt: now };
        stored.lockedUntil = leaseUntil;
        stored.claimToken = claimToken;
        claimed.push({ delivery: { ...stored.record }, claimToken });
      }
      return claimed;
    },

    async finishWebhookAttempt({ claimToken, attempt, outcome }) {
      const stored = deliveries.get(attempt.deliveryId);
      if (!stored) return false;
      attempts.set(attempt.deliveryId, [...(attempts.get(attempt.deliveryId) ?? []), { ...attempt }]);
      if (stored.claimToken !== claimToken) return false;
      stored.record = {
        ...stored.record,
        status: outcome.status,
        nextAttemptAt: outcome.nextAttemptAt,
        completedAt: outcome.completedAt,
        lastResponseStatus: outcome.lastResponseStatus,
        lastError: outcome.lastError,
      };
      stored.lockedUntil = null;
      stored.claimToken = null;
      return true;
    },

    async releaseWebhookDelivery(deliveryId, claimToken) {
      const stored = deliveries.get(deliveryId);
      if (!stored || stored.claimToken !== claimToken) return;
      stored.record = { ...stored.record, attemptCount: stored.record.attemptCount - 1 };
      stored.lockedUntil = null;
      stored.claimToken = null;
    },

    async retryWebhookDelivery(id, now) {
      const stored = deliveries.get(id);
      if (!stored) return null;
      const { record } = stored;
      stored.record = {
        ...record,
        maxAttempts: record.status === "pending" ? record.maxAttempts : record.attemptCount + 1,
        status: "pending",
        nextAttemptAt: now,
        completedAt: null,
      };
      return { ...stored.record };
    },

    async deleteFinishedWebhookDeliveries(before) {
      let removed = 0;
      for (const [id, stored] of deliveries) {
        const { status, completedAt } = stored.record;
        if (status !== "pending" && completedAt !== null && completedAt < before) {
          deleteDelivery(id);
          removed++;
        }
      }
      return removed;
    },
  };
}
