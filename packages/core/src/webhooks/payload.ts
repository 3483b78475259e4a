/**
 * What a webhook says: the Standard Webhooks JSON body `{type, timestamp, data}` built from an
 * engine event. Built once when the event happens and stored, so every attempt sends (and signs)
 * the very same bytes, and a user's profile is the one of that moment.
 *
 * `data` carries the ids, client details and actor of the event, the event's own details (member
 * names in snake_case, like the rest of the API), and for `user.*` events the public user object
 * (never a password hash). Events never carry
 * secrets (bus contract); detail members whose names look like credentials are dropped anyway,
 * so a future event that slips one in does not ship it to every endpoint.
 */
import { toUserJSON } from "../accounts/schema.js";
import type { GatehouseEvent } from "../events/bus.js";
import type { UserStore } from "../storage/ports.js";

/** The type of the event sent by `POST /v1/admin/webhooks/{id}/test`; never emitted otherwise. */
export const WEBHOOK_TEST_EVENT_TYPE = "webhook.test";

/** Detail names that are never forwarded, whatever an event carries. */
const CREDENTIAL_LIKE = /password|secret|token|hash|otp|^code$|_code$|key$/i;

/** The JSON body of a webhook request. */
export interface WebhookPayload {
  type: string;
  /** ISO 8601, when the event happened. */
  timestamp: string;
  data: Record<string, unknown>;
}

/**
 * The payload for an engine event.
 *
 * @example
 * ```ts
 * const payload = await payloadForEvent(event, users);
 * // { type: "user.created", timestamp: "2026-01-01T00:00:00.000Z", data: { user_id: "user_…", user: {…} } }
 * ```
 */
export async function payloadForEvent(event: GatehouseEvent, users: UserStore): Promise<WebhookPayload> {
  const data: Record<string, unknown> = { user_id: event.userId };
  if (event.sessionId !== undefined) data.session_id = event.sessionId;
  if (event.ip !== undefined) data.ip = event.ip;
  if (event.userAgent !== undefined) data.user_agent = event.userAgent;
  if (event.actor !== undefined) data.actor = { type: event.actor.type, id: event.actor.id };
  for (const [name, value] of Object.entries(event.data ?? {})) {
    // The API speaks snake_case; event details are written in the code's camelCase.
    const wireName = name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    if (!(wireName in data) && !CREDENTIAL_LIKE.test(name)) data[wireName] = value;
  }
  if (event.type.startsWith("user.") && event.userId !== null) {
    // Gone already for a deletion: then the id alone says which user it was.
    const user = await users.getUserById(event.userId);
    if (user) data.user = toUserJSON(user);
  }
  return { type: event.type, timestamp: new Date(event.occurredAt).toISOString(), data };
}

/**
 * The payload of a test delivery.
 *
 * @example
 * ```ts
 * testPayload("wh_…", Date.now()); // { type: "webhook.test", … }
 * ```
 */
export function testPayload(webhookId: string, now: number): WebhookPayload {
  return {
    type: WEBHOOK_TEST_EVENT_TYPE,
    timestamp: new Date(now).toISOString(),
    data: { webhook_id: webhookId, message: "A test event from Gatehouse: this endpoint is reachable and verifies." },
  };
}
