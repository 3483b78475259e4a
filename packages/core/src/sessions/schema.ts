/**
 * Wire shapes of the sessions feature: the public session object and the two ways a new
 * session is handed to the client (cookie transport body, OAuth 2 bearer token response).
 */
import { z } from "zod";
import { userJSON } from "../accounts/schema.js";
import type { SessionRecord } from "../storage/ports.js";
import { isoTime, isoTimeOrNull } from "../lib/iso-time.js";

/** The public session object. */
export const sessionJSON = z.object({
  id: z.string(),
  user_id: z.string(),
  created_at: z.string().describe("ISO 8601"),
  last_active_at: z.string().describe("ISO 8601"),
  idle_expires_at: z.string().describe("ISO 8601: the session ends here unless used"),
  expires_at: z.string().describe("ISO 8601: absolute end"),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  current: z.boolean().describe("Whether this is the session making the request"),
  second_factor_verified_at: z
    .string()
    .nullable()
    .describe(
      "ISO 8601: when a second factor was last verified in this session (at sign-in or a step-up), or null; the `fva` claim of access tokens carries its age",
    ),
});

/** `{user, session}`: the cookie-transport answer and `GET /v1/session`. */
export const userAndSessionJSON = z.object({ user: userJSON, session: sessionJSON });

/** OAuth 2 token response (RFC 6749 §5.1) for `Auth-Transport: bearer`. */
export const bearerTokenJSON = z.object({
  access_token: z.string().describe("`session`: the session token; `jwt`/`hybrid`: an access JWT (RFC 9068)"),
  token_type: z.literal("Bearer"),
  expires_in: z
    .number()
    .int()
    .describe("Seconds until the access token expires (`session`: the session's absolute end)"),
  refresh_token: z.string().optional().describe("`jwt`/`hybrid` only; single-use, rotated by `POST /v1/token`"),
  session_id: z.string(),
  user: userJSON,
});

/** `{user, session}` plus, for `jwt`/`hybrid`, the access token's lifetime (tokens are in cookies). */
export const cookieSignInJSON = userAndSessionJSON.extend({
  expires_in: z.number().int().optional().describe("`jwt`/`hybrid`: seconds until the access cookie's JWT expires"),
});

/** `GET /v1/session`: `{user, session}`, plus for `jwt`/`hybrid` the presented access token's remaining lifetime. */
export const currentSessionJSON = userAndSessionJSON.extend({
  expires_in: z
    .number()
    .int()
    .optional()
    .describe("`jwt`/`hybrid`: seconds until the presented access token expires (the client refreshes before)"),
});

/** `GET /v1/sessions`. */
export const sessionListJSON = z.object({ data: z.array(sessionJSON) });

/** Serialises a stored session for its owner; never includes the secret hash. */
export function toSessionJSON(session: SessionRecord, currentSessionId: string | null): z.infer<typeof sessionJSON> {
  return {
    id: session.id,
    user_id: session.userId,
    created_at: isoTime(session.createdAt),
    last_active_at: isoTime(session.lastActiveAt),
    idle_expires_at: isoTime(session.idleExpiresAt),
    expires_at: isoTime(session.expiresAt),
    ip: session.ip,
    user_agent: session.userAgent,
    current: session.id === currentSessionId,
    second_factor_verified_at: isoTimeOrNull(session.secondFactorVerifiedAt),
  };
}
