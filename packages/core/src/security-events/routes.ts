/**
 * `GET /v1/admin/events`: the security event log, newest first, with filters and cursor
 * pagination.
 */
import { InvalidQueryError } from "../errors/index.js";
import { defineRoute, jsonResponse, type AnyRoute } from "../http/route.js";
import type { SecurityEventLog } from "./recorder.js";
import { listEventsQuery, securityEventListJSON, toSecurityEventJSON } from "./schema.js";

/** The security event routes. */
export function securityEventRoutes({ log }: { log: SecurityEventLog }): AnyRoute[] {
  return [
    defineRoute({
      method: "GET",
      path: "/v1/admin/events",
      summary: "Security events, newest first, filtered by type, user, actor and time",
      tag: "Admin: security events",
      auth: "admin",
      query: listEventsQuery,
      responses: {
        200: { description: "One page", schema: securityEventListJSON },
        400: { description: "`invalid_query`, `invalid_cursor`" },
        401: { description: "`secret_key_required`, `invalid_secret_key`" },
        403: { description: "`secret_key_in_query`, `non_canonical_path`" },
      },
      async handle({ query }) {
        if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
          throw new InvalidQueryError([{ pointer: "from", detail: "from must not be after to." }]);
        }
        const { events, nextCursor } = await log.list({
          ...(query.limit !== undefined ? { limit: query.limit } : {}),
          ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
          ...(query.type !== undefined ? { types: query.type } : {}),
          ...(query.user_id !== undefined ? { userId: query.user_id } : {}),
          ...(query.actor_id !== undefined ? { actorId: query.actor_id } : {}),
          ...(query.from !== undefined ? { from: query.from } : {}),
          ...(query.to !== undefined ? { to: query.to } : {}),
        });
        return jsonResponse(200, { data: events.map(toSecurityEventJSON), next_cursor: nextCursor });
      },
    }),
  ];
}
