/**
 * The webhooks service: managing endpoints (with their signing secrets, encrypted at rest and
 * shown once), turning engine events into queued deliveries, and the delivery log with manual
 * retries and test events. Sending is the worker's job (`worker.ts`); this service only ever
 * writes deliveries to the database and nudges it.
 */
import { decodeCursor, encodeCursor } from "../admin/cursor.js";
import { NotAvailableError, NotFoundError, WebhookDisabledError } from "../errors/index.js";
import type { GatehouseEvent } from "../events/bus.js";
import { randomId } from "../lib/encoding.js";
import type { Logger } from "../lib/logger.js";
import type {
  UserStore,
  WebhookAttemptRecord,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookEndpointRecord,
  WebhookStore,
} from "../storage/ports.js";
import { payloadForEvent, testPayload, WEBHOOK_TEST_EVENT_TYPE, type WebhookPayload } from "./payload.js";
import { DEFAULT_ROTATION_OVERLAP_SECONDS } from "./schema.js";
import type { WebhookSecretBox } from "./secrets.js";
import { generateWebhookSecret } from "./signing.js";
import { validateWebhookURL } from "./url.js";

/** Deliveries per page when the caller does not say. */
const DEFAULT_PAGE_SIZE = 20;

/** Options of {@link createWebhookService}. */
export interface WebhookServiceOptions {
  store: WebhookStore;
  users: UserStore;
  /** Encrypts signing secrets; without one (no encryption key), endpoints cannot be created or rotated. */
  secrets: WebhookSecretBox | null;
  allowPrivateNetworks: boolean;
  /** Attempts a delivery gets before it is marked failed. */
  maxAttempts: number;
  /** Whether some worker in this engine sends deliveries (else they wait for another instance). */
  hasSender: boolean;
  /** Called after deliveries were queued, so the worker can send them at once. */
  onQueued(): void;
  clock: () => number;
  logger: Logger;
}

/** What a new endpoint is made of. */
export interface NewWebhookEndpoint {
  url: string;
  eventTypes: string[];
  description?: string | null;
  enabled?: boolean;
}

/** Changes to an endpoint; absent fields stay as they are. */
export interface WebhookEndpointUpdate {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  enabled?: boolean;
}

/** The webhooks operations the routes and the event bus use. */
export interface WebhookService {
  /**
   * Creates an endpoint; the returned secret exists nowhere else in plain text.
   * @throws ValidationError (a refused URL), NotAvailableError (no encryption key)
   */
  create(input: NewWebhookEndpoint): Promise<{ endpoint: WebhookEndpointRecord; secret: string }>;
  list(): Promise<WebhookEndpointRecord[]>;
  /** @throws NotFoundError */
  get(id: string): Promise<WebhookEndpointRecord>;
  /** @throws NotFoundError, ValidationError (a refused URL) */
  update(id: string, changes: WebhookEndpointUpdate): Promise<WebhookEndpointRecord>;
  /** Deletes the endpoint, its queued deliveries and its log. @throws NotFoundError */
  remove(id: string): Promise<void>;
  /**
   * Replaces the signing secret; the previous one keeps signing alongside for `overlapSeconds`.
   * @throws NotFoundError, NotAvailableError (no encryption key)
   */
  rotateSecret(id: string, overlapSeconds?: number): Promise<{ endpoint: WebhookEndpointRecord; secret: string }>;
  /** A page of the endpoint's deliveries, newest first. @throws NotFoundError, InvalidCursorError */
  listDeliveries(
    id: string,
    options: { status?: WebhookDeliveryStatus; limit?: number; cursor?: string },
  ): Promise<{ deliveries: WebhookDeliveryRecord[]; nextCursor: string | null }>;
  /** One delivery of the endpoint with its attempts. @throws NotFoundError */
  getDelivery(
    id: string,
    deliveryId: string,
  ): Promise<{ delivery: WebhookDeliveryRecord; payload: WebhookPayload; attempts: WebhookAttemptRecord[] }>;
  /** Makes a delivery of the endpoint due now (one more attempt if it had finished). @throws NotFoundError */
  retry(id: string, deliveryId: string): Promise<WebhookDeliveryRecord>;
  /** Queues a `webhook.test` delivery (one attempt) to the endpoint. @throws NotFoundError, WebhookDisabledError */
  sendTest(id: string): Promise<WebhookDeliveryRecord>;
  /** Queues a delivery of `event` to every enabled endpoint subscribed to its type. */
  handleEvent(event: GatehouseEvent): Promise<void>;
}

/** The list name bound into delivery-log cursors, so another list's cursor is refused. */
const CURSOR_LIST = "webhook-deliveries";

/**
 * Creates the webhooks service.
 *
 * @example
 * ```ts
 * const webhooks = createWebhookService({ store: database, users: database, secrets,
 *   allowPrivateNetworks: false, maxAttempts: 8, hasSender: true, onQueued: worker.nudge,
 *   clock: Date.now, logger });
 * events.subscribe((event) => webhooks.handleEvent(event));
 * ```
 */
export function createWebhookService(options: WebhookServiceOptions): WebhookService {
  const { store, users, clock, logger } = options;
  let warnedNoSender = false;

  function requireSecretBox(): WebhookSecretBox {
    if (!options.secrets) {
      throw new NotAvailableError(
        "Webhook signing secrets are stored encrypted, and no encryption key is configured: set GATEHOUSE_ENCRYPTION_KEY (or `encryptionKey` in createGatehouse).",
      );
    }
    return options.secrets;
  }

  async function get(id: string): Promise<WebhookEndpointRecord> {
    const endpoint = await store.getWebhookEndpoint(id);
    if (!endpoint) throw new NotFoundError("No such webhook endpoint.");
    return endpoint;
  }

  async function deliveryOf(id: string, deliveryId: string): Promise<WebhookDeliveryRecord> {
    await get(id);
    const delivery = await store.getWebhookDelivery(deliveryId);
    // Another endpoint's delivery is answered like a missing one.
    if (!delivery || delivery.endpointId !== id) throw new NotFoundError("No such delivery.");
    return delivery;
  }

  function queued(): void {
    if (!options.hasSender && !warnedNoSender) {
      warnedNoSender = true;
      logger.warn(
        {},
        "webhook deliveries are queued but this engine has no webhook sender; another instance with one must deliver them",
      );
    }
    options.onQueued();
  }

  return {
    async create(input) {
      const box = requireSecretBox();
      const url = validateWebhookURL(input.url, { allowPrivateNetworks: options.allowPrivateNetworks });
      const now = clock();
      const id = randomId("wh");
      const secret = generateWebhookSecret();
      const endpoint: WebhookEndpointRecord = {
        id,
        url,
        description: input.description ?? null,
        eventTypes: [...new Set(input.eventTypes)],
        secretCiphertext: await box.seal(id, secret),
        previousSecretCiphertext: null,
        previousSecretExpiresAt: null,
        disabledAt: input.enabled === false ? now : null,
        createdAt: now,
        updatedAt: now,
      };
      await store.createWebhookEndpoint(endpoint);
      logger.info({ webhookId: id, eventTypes: endpoint.eventTypes }, "webhook endpoint created");
      return { endpoint, secret };
    },

    list: () => store.listWebhookEndpoints(),

    get,

    async update(id, changes) {
      const current = await get(id);
      const url =
        changes.url === undefined
          ? undefined
          : validateWebhookURL(changes.url, { allowPrivateNetworks: options.allowPrivateNetworks });
      const now = clock();
      const disabledAt =
        changes.enabled === undefined ? undefined : changes.enabled ? null : (current.disabledAt ?? now);
      const updated = await store.updateWebhookEndpoint(id, {
        url,
        eventTypes: changes.eventTypes === undefined ? undefined : [...new Set(changes.eventTypes)],
        description: changes.description,
        disabledAt,
        updatedAt: now,
      });
      if (!updated) throw new NotFoundError("No such webhook endpoint.");
      logger.info({ webhookId: id }, "webhook endpoint updated");
      // Re-enabled: deliveries that waited meanwhile are due.
      if (current.disabledAt !== null && updated.disabledAt === null) queued();
      return updated;
    },

    async remove(id) {
      if (!(await store.deleteWebhookEndpoint(id))) throw new NotFoundError("No such webhook endpoint.");
      logger.info({ webhookId: id }, "webhook endpoint deleted");
    },

    async rotateSecret(id, overlapSeconds = DEFAULT_ROTATION_OVERLAP_SECONDS) {
      const box = requireSecretBox();
      const current = await get(id);
      const now = clock();
      const secret = generateWebhookSecret();
      const updated = await store.updateWebhookEndpoint(id, {
        secretCiphertext: await box.seal(id, secret),
        // Rotating again during an overlap retires the oldest secret: at most two sign at once.
        previousSecretCiphertext: overlapSeconds > 0 ? current.secretCiphertext : null,
        previousSecretExpiresAt: overlapSeconds > 0 ? now + overlapSeconds * 1000 : null,
        updatedAt: now,
      });
      if (!updated) throw new NotFoundError("No such webhook endpoint.");
      logger.info({ webhookId: id, overlapSeconds }, "webhook signing secret rotated");
      return { endpoint: updated, secret };
    },

    async listDeliveries(id, { status, limit = DEFAULT_PAGE_SIZE, cursor }) {
      await get(id);
      let after: { createdAt: number; id: string } | undefined;
      if (cursor !== undefined) {
        const [createdAt, deliveryId] = decodeCursor(CURSOR_LIST, cursor, ["number", "string"] as const);
        after = { createdAt, id: deliveryId };
      }
      // One more than asked tells whether there is a next page without a count query.
      const page = await store.listWebhookDeliveries(id, { status, after, limit: limit + 1 });
      const deliveries = page.slice(0, limit);
      const last = deliveries.at(-1);
      const nextCursor = page.length > limit && last ? encodeCursor(CURSOR_LIST, [last.createdAt, last.id]) : null;
      return { deliveries, nextCursor };
    },

    async getDelivery(id, deliveryId) {
      const delivery = await deliveryOf(id, deliveryId);
      const attempts = await store.listWebhookAttempts(deliveryId);
      return { delivery, payload: JSON.parse(delivery.payload) as WebhookPayload, attempts };
    },

    async retry(id, deliveryId) {
      await deliveryOf(id, deliveryId);
      const retried = await store.retryWebhookDelivery(deliveryId, clock());
      if (!retried) throw new NotFoundError("No such delivery.");
      queued();
      return retried;
    },

    async sendTest(id) {
      const endpoint = await get(id);
      if (endpoint.disabledAt !== null) throw new WebhookDisabledError();
      const now = clock();
      const deliveryId = randomId("msg");
      await store.createWebhookDeliveries([
        {
          id: deliveryId,
          endpointId: id,
          eventType: WEBHOOK_TEST_EVENT_TYPE,
          payload: JSON.stringify(testPayload(id, now)),
          // A test answers "does it work now?": one attempt, no retries to wait for.
          maxAttempts: 1,
          createdAt: now,
          nextAttemptAt: now,
        },
      ]);
      queued();
      return (await store.getWebhookDelivery(deliveryId))!;
    },

    async handleEvent(event) {
      const endpoints = (await store.listWebhookEndpoints()).filter(
        (endpoint) => endpoint.disabledAt === null && endpoint.eventTypes.includes(event.type),
      );
      if (endpoints.length === 0) return;
      const payload = JSON.stringify(await payloadForEvent(event, users));
      const now = clock();
      const deliveries = endpoints.map((endpoint) => ({
        id: randomId("msg"),
        endpointId: endpoint.id,
        eventType: event.type,
        payload,
        maxAttempts: options.maxAttempts,
        createdAt: now,
        nextAttemptAt: now,
      }));
      try {
        await store.createWebhookDeliveries(deliveries);
      } catch (error) {
        // One insert is all or none; an endpoint deleted since the listing must not cost the
        // others their delivery, so each is queued on its own.
        const results = await Promise.allSettled(deliveries.map((each) => store.createWebhookDeliveries([each])));
        if (results.every((result) => result.status === "rejected")) throw error;
      }
      queued();
    },
  };
}
