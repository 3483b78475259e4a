/**
 * HTTP routes of the caller's own sessions: the current one, the list, and revocation.
 */
import { toUserJSON } from "../accounts/schema.js";
import { NotFoundError } from "../errors/index.js";
import { defineRoute, jsonResponse, type AnyRoute } from "../http/route.js";
import { currentSessionJSON, sessionListJSON, toSessionJSON } from "./schema.js";
import type { SessionService } from "./service.js";
import type { SessionTransport } from "./transport.js";

/** What the session routes need. */
export interface SessionRouteDependencies {
  sessions: SessionService;
  transport: SessionTransport;
  /** The engine's clock (epoch milliseconds). */
  clock: () => number;
}

/** The session routes. */
export function sessionRoutes({ sessions, transport: sessionTransport, clock }: SessionRouteDependencies): AnyRoute[] {
  return [
    defineRoute({
      method: "GET",
      path: "/v1/session",
      summary: "The signed-in user and the current session",
      tag: "Sessions",
      auth: "session",
      responses: {
        200: {
          description: "Signed in. `jwt`/`hybrid`: `expires_in` says when the presented access token expires",
          schema: currentSessionJSON,
        },
        401: { description: "`unauthenticated`" },
      },
      async handle({ caller }) {
        const { user, session, accessTokenExpiresAt } = caller!;
        const body: Record<string, unknown> = { user: toUserJSON(user), session: toSessionJSON(session, session.id) };
        // Lets a browser client that holds its token in an HttpOnly cookie schedule the refresh.
        if (accessTokenExpiresAt !== undefined) {
          body.expires_in = Math.max(0, Math.floor((accessTokenExpiresAt - clock()) / 1000));
        }
        return jsonResponse(200, body);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/sessions",
      summary: "The caller's live sessions, most recently active first",
      tag: "Sessions",
      auth: "session",
      responses: {
        200: { description: "The sessions", schema: sessionListJSON },
        401: { description: "`unauthenticated`" },
      },
      async handle({ caller }) {
        const { user, session } = caller!;
        const live = await sessions.listLive(user.id);
        return jsonResponse(200, { data: live.map((each) => toSessionJSON(each, session.id)) });
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/v1/sessions/{id}",
      summary: "Revoke one of the caller's sessions",
      tag: "Sessions",
      auth: "session",
      responses: {
        204: { description: "Revoked" },
        401: { description: "`unauthenticated`" },
        404: { description: "`not_found`: no such session among the caller's own" },
      },
      async handle({ caller, params, transport }) {
        const { user, session } = caller!;
        const target = (await sessions.listLive(user.id)).find((each) => each.id === params.id);
        // Someone else's session is answered exactly like a missing one: ids are not probeable.
        if (!target) throw new NotFoundError("No such session.");
        await sessions.revoke(target, "user_revoked");
        const headers = new Headers({ "cache-control": "no-store" });
        if (target.id === session.id && transport === "cookie") {
          for (const value of sessionTransport.clearedCookies()) headers.append("set-cookie", value);
        }
        return new Response(null, { status: 204, headers });
      },
    }),
  ];
}
