/**
 * Hands a new session to the client in the form its transport asks for: an HttpOnly cookie
 * with `{user, session}` in the body, or an OAuth 2 bearer token response.
 */
import { toUserJSON } from "../accounts/schema.js";
import { sessionCookie, type CookieSettings } from "../http/credentials.js";
import { jsonResponse, type Transport } from "../http/route.js";
import type { UserRecord } from "../storage/ports.js";
import { toSessionJSON } from "./schema.js";
import type { IssuedSession } from "./service.js";

/** The response for a sign-up or sign-in that created `issued`. */
export function sessionIssuedResponse(
  status: number,
  transport: Transport,
  user: UserRecord,
  issued: IssuedSession,
  cookie: CookieSettings,
  now: number,
): Response {
  const lifetimeSeconds = Math.floor((issued.session.expiresAt - now) / 1000);
  if (transport === "bearer") {
    return jsonResponse(status, {
      access_token: issued.token,
      token_type: "Bearer",
      expires_in: lifetimeSeconds,
      session_id: issued.session.id,
      user: toUserJSON(user),
    });
  }
  return jsonResponse(
    status,
    { user: toUserJSON(user), session: toSessionJSON(issued.session, issued.session.id) },
    { "set-cookie": sessionCookie(cookie, issued.token, lifetimeSeconds) },
  );
}
