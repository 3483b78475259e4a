/**
 * Wire shapes of the webhooks admin API: request bodies and query strings (validated) and the
 * JSON it returns. The OpenAPI document is generated from these.
 */
import { z } from "zod";
import { EVENT_TYPES } from "../events/bus.js";
import type { WebhookAttemptRecord, WebhookDeliveryRecord, WebhookEndpointRecord } from "../storage/ports.js";
import { MAX_WEBHOOK_URL_LENGTH } from "./url.js";
import { isoTime, isoTimeOrNull } from "../lib/iso-time.js";

/**
 * The event types an endpoint can subscribe to: every type the engine emits, so a type added
 * to `EVENT_TYPES` becomes subscribable (and documented) with no change here.
 */
export const WEBHOOK_EVENT_TYPES = EVENT_TYPES;

/** Longest overlap of an old and a new secret after a rotation: 7 days. */
export const MAX_ROTATION_OVERLAP_SECONDS = 7 * 24 * 3600;
/** Overlap used when a rotation does not say: 24 hours. */
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 24 * 3600;

const url = z
  .string({ error: "url must be a string." })
  .max(MAX_WEBHOOK_URL_LENGTH, { error: `url can be at most ${MAX_WEBHOOK_URL_LENGTH} characters long.` });

const eventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES, { error: `each event type must be one of: ${WEBHOOK_EVENT_TYPES.join(", ")}.` }), {
    error: "event_types must be a list of event types.",
  })
  .min(1, { error: "event_types needs at least one event type." })
  .max(WEBHOOK_EVENT_TYPES.length * 2, { error: "event_types has too many entries." })
  .transform((types) => [...new Set(types)]);

const description = z
  .string({ error: "description must be a string." })
  .trim()
  .max(500, { error: "description can be at most 500 characters long." })
  .regex(/^[^\p{Cc}]*$/u, { error: "description cannot contain control characters." })
  .nullable();

const enabled = z.boolean({ error: "enabled must be true or false." });

/** `POST /v1/admin/webhooks` body. */
export const createWebhookBody = z.object({
  url,
  event_types: eventTypes,
  description: description.optional(),
  enabled: enabled.optional().describe("Default true."),
});

/** `PATCH /v1/admin/webhooks/{id}` body: any of the fields, at least one. */
export const updateWebhookBody = z
  .object({
    url: url.optional(),
    event_types: eventTypes.optional(),
    description: description.optional(),
    enabled: enabled.optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    error: "Give at least one of url, event_types, description, enabled.",
  });

/** `POST /v1/admin/webhooks/{id}/rotate-secret` body. */
export const rotateSecretBody = z.object({
  overlap_seconds: z
    .number({ error: "overlap_seconds must be a number." })
    .int({ error: "overlap_seconds must be a whole number." })
    .min(0, { error: "overlap_seconds cannot be negative." })
    .max(MAX_ROTATION_OVERLAP_SECONDS, {
      error: `overlap_seconds can be at most ${MAX_ROTATION_OVERLAP_SECONDS} (7 days).`,
    })
    .optional()
    .describe(
      `How long the previous secret keeps signing alongside the new one. Default ${DEFAULT_ROTATION_OVERLAP_SECONDS} (24 h); 0 retires it at once.`,
    ),
});

/** Query of `GET /v1/admin/webhooks/{id}/deliveries`; unknown parameters are refused. */
export const listDeliveriesQuery = z.strictObject({
  status: z
    .enum(["pending", "succeeded", "failed"], { error: "status must be pending, succeeded or failed." })
    .optional()
    .describe("Only deliveries in this state"),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, { error: "limit must be a whole number from 1 to 100." })
    .transform(Number)
    .refine((value) => value >= 1 && value <= 100, { error: "limit must be a whole number from 1 to 100." })
    .optional()
    .describe("Page size, 1 to 100 (default 20)"),
  cursor: z.string().optional().describe("`next_cursor` of the previous page"),
});

/** A webhook endpoint as the API shows it; the secret never appears here. */
export const webhookJSON = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  event_types: z.array(z.string()),
  enabled: z.boolean(),
  created_at: z.string().describe("ISO 8601"),
  updated_at: z.string().describe("ISO 8601"),
  previous_secret_expires_at: z
    .string()
    .nullable()
    .describe("ISO 8601: until then deliveries are also signed with the secret before the last rotation"),
});

/** The answer to creation and rotation: the endpoint and its new secret, shown this once. */
export const webhookWithSecretJSON = webhookJSON.extend({
  secret: z.string().describe("`whsec_…`: shown only in this response; store it in the receiving app"),
});

/** `GET /v1/admin/webhooks`. */
export const webhookListJSON = z.object({ data: z.array(webhookJSON) });

/** One delivery (a message to one endpoint) as the API shows it. */
export const deliveryJSON = z.object({
  id: z.string().describe("`msg_…`, sent as `webhook-id`"),
  webhook_id: z.string(),
  event_type: z.string(),
  status: z.enum(["pending", "succeeded", "failed"]),
  attempt_count: z.number().int(),
  max_attempts: z.number().int(),
  next_attempt_at: z.string().nullable().describe("ISO 8601"),
  last_attempt_at: z.string().nullable().describe("ISO 8601"),
  last_response_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  created_at: z.string().describe("ISO 8601"),
  completed_at: z.string().nullable().describe("ISO 8601"),
});

/** One attempt in a delivery's log. */
export const attemptJSON = z.object({
  attempt: z.number().int(),
  started_at: z.string().describe("ISO 8601"),
  duration_ms: z.number().int(),
  response_status: z.number().int().nullable(),
  response_body: z.string().nullable().describe("The start of the receiver's answer (up to 1024 characters)"),
  error: z.string().nullable(),
});

/** `GET /v1/admin/webhooks/{id}/deliveries/{delivery_id}`: the delivery, what was sent, and every attempt. */
export const deliveryDetailJSON = deliveryJSON.extend({
  payload: z.record(z.string(), z.unknown()).describe("The JSON body sent: {type, timestamp, data}"),
  attempts: z.array(attemptJSON),
});

/** `GET /v1/admin/webhooks/{id}/deliveries`. */
export const deliveryListJSON = z.object({
  data: z.array(deliveryJSON),
  next_cursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
});

/** Serialises an endpoint; never includes a secret or its ciphertext. */
export function toWebhookJSON(endpoint: WebhookEndpointRecord, now: number): z.infer<typeof webhookJSON> {
  const overlapping = endpoint.previousSecretExpiresAt !== null && now < endpoint.previousSecretExpiresAt;
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    event_types: [...endpoint.eventTypes],
    enabled: endpoint.disabledAt === null,
    created_at: isoTime(endpoint.createdAt),
    updated_at: isoTime(endpoint.updatedAt),
    previous_secret_expires_at: overlapping ? isoTimeOrNull(endpoint.previousSecretExpiresAt) : null,
  };
}

/** Serialises a delivery. */
export function toDeliveryJSON(delivery: WebhookDeliveryRecord): z.infer<typeof deliveryJSON> {
  return {
    id: delivery.id,
    webhook_id: delivery.endpointId,
    event_type: delivery.eventType,
    status: delivery.status,
    attempt_count: delivery.attemptCount,
    max_attempts: delivery.maxAttempts,
    next_attempt_at: isoTimeOrNull(delivery.nextAttemptAt),
    last_attempt_at: isoTimeOrNull(delivery.lastAttemptAt),
    last_response_status: delivery.lastResponseStatus,
    last_error: delivery.lastError,
    created_at: isoTime(delivery.createdAt),
    completed_at: isoTimeOrNull(delivery.completedAt),
  };
}

/** Serialises one attempt. */
export function toAttemptJSON(attempt: WebhookAttemptRecord): z.infer<typeof attemptJSON> {
  return {
    attempt: attempt.attempt,
    started_at: isoTime(attempt.startedAt),
    duration_ms: attempt.durationMs,
    response_status: attempt.responseStatus,
    response_body: attempt.responseBody,
    error: attempt.error,
  };
}
