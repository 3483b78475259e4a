/**
 * Wire shapes of the security event log: the event object and the list's query parameters.
 */
import { z } from "zod";
import { limitParameter } from "../user-admin/schema.js";
import type { SecurityEventRecord } from "../storage/ports.js";
import { isoTime } from "../lib/iso-time.js";

const EVENT_TYPE = /^[a-z_]+\.[a-z_]+$/;
const MAX_TYPES = 20;

const instant = (name: string) =>
  z.iso
    .datetime({ offset: true, error: `${name} must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z.` })
    .transform((value) => Date.parse(value));

/** `GET /v1/admin/events` query parameters. */
export const listEventsQuery = z.strictObject({
  limit: limitParameter,
  cursor: z.string().optional().describe("`next_cursor` of the previous page"),
  type: z
    .string()
    .transform((value) => value.split(",").map((each) => each.trim()))
    .refine((types) => types.length <= MAX_TYPES && types.every((type) => EVENT_TYPE.test(type)), {
      error: `type must be a comma-separated list of at most ${MAX_TYPES} event types such as sign_in.failed.`,
    })
    .optional()
    .describe("Comma-separated event types, e.g. `sign_in.failed,user.banned`"),
  user_id: z.string().max(100, { error: "user_id is too long." }).optional(),
  actor_id: z.string().max(100, { error: "actor_id is too long." }).optional().describe("A secret key id or user id"),
  from: instant("from").optional().describe("ISO 8601; inclusive"),
  to: instant("to").optional().describe("ISO 8601; exclusive"),
});

/** One security event. */
export const securityEventJSON = z.object({
  id: z.string(),
  type: z.string(),
  occurred_at: z.string().describe("ISO 8601"),
  user_id: z.string().nullable(),
  session_id: z.string().nullable(),
  actor: z
    .object({ type: z.string(), id: z.string().nullable() })
    .nullable()
    .describe("Who caused it: `admin` with the secret key id, `user`, or `system`"),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

/** `GET /v1/admin/events`. */
export const securityEventListJSON = z.object({
  data: z.array(securityEventJSON),
  next_cursor: z.string().nullable(),
});

/** Serialises a stored event. */
export function toSecurityEventJSON(event: SecurityEventRecord): z.infer<typeof securityEventJSON> {
  return {
    id: event.id,
    type: event.type,
    occurred_at: isoTime(event.occurredAt),
    user_id: event.userId,
    session_id: event.sessionId,
    actor: event.actorType === null ? null : { type: event.actorType, id: event.actorId },
    ip: event.ip,
    user_agent: event.userAgent,
    data: event.data,
  };
}
