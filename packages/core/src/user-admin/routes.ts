/**
 * Admin routes of users (`/v1/admin/users`), as DESIGN.md pins them, plus ban/unban and the
 * user's sessions. Every route needs a secret key (see `admin/guard.ts`).
 */
import { adminActor } from "../admin/actor.js";
import { defineRoute, jsonResponse, noContentResponse, type AnyRoute } from "../http/route.js";
import { sessionListJSON, toSessionJSON } from "../sessions/schema.js";
import {
  adminUserJSON,
  adminUserListJSON,
  createUserBody,
  deletedUserJSON,
  listUsersQuery,
  toAdminUserJSON,
  updateUserBody,
} from "./schema.js";
import type { UserAdminService } from "./service.js";

const TAG = "Admin: users";
const unauthorized = {
  401: { description: "`secret_key_required`, `invalid_secret_key`" },
  403: { description: "`secret_key_in_query`, `non_canonical_path`" },
};
const notFound = { 404: { description: "`not_found`" } };

/** The users admin routes. */
export function userAdminRoutes({ userAdmin }: { userAdmin: UserAdminService }): AnyRoute[] {
  return [
    defineRoute({
      method: "GET",
      path: "/v1/admin/users",
      summary: "List users, newest first, with search, filters and cursor pagination",
      tag: TAG,
      auth: "admin",
      query: listUsersQuery,
      responses: {
        200: { description: "One page", schema: adminUserListJSON },
        400: { description: "`invalid_query`, `invalid_cursor`" },
        ...unauthorized,
      },
      async handle({ query }) {
        const { users, nextCursor } = await userAdmin.list({
          ...(query.limit !== undefined ? { limit: query.limit } : {}),
          ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
          ...(query.search !== undefined ? { search: query.search } : {}),
          ...(query.banned !== undefined ? { banned: query.banned } : {}),
          ...(query.verified !== undefined ? { verified: query.verified } : {}),
          ...(query.created_after !== undefined ? { createdFrom: query.created_after } : {}),
          ...(query.created_before !== undefined ? { createdBefore: query.created_before } : {}),
        });
        return jsonResponse(200, { data: users.map(toAdminUserJSON), next_cursor: nextCursor });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/admin/users",
      summary: "Create a user, with or without a password",
      tag: TAG,
      auth: "admin",
      body: createUserBody,
      responses: {
        201: { description: "Created", schema: adminUserJSON },
        ...unauthorized,
        409: { description: "`email_taken`" },
        422: { description: "`validation_failed`, `password_too_short`, `password_too_long`, `password_too_common`" },
      },
      async handle({ body, admin }) {
        const user = await userAdmin.create(
          {
            email: body.email,
            ...(body.password !== undefined ? { password: body.password } : {}),
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.email_verified !== undefined ? { emailVerified: body.email_verified } : {}),
            ...(body.public_metadata !== undefined ? { publicMetadata: body.public_metadata } : {}),
            ...(body.private_metadata !== undefined ? { privateMetadata: body.private_metadata } : {}),
          },
          adminActor(admin),
        );
        return jsonResponse(201, toAdminUserJSON(user));
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/admin/users/{id}",
      summary: "Get a user",
      tag: TAG,
      auth: "admin",
      responses: { 200: { description: "The user", schema: adminUserJSON }, ...unauthorized, ...notFound },
      async handle({ params }) {
        return jsonResponse(200, toAdminUserJSON(await userAdmin.get(params.id!)));
      },
    }),
    defineRoute({
      method: "PATCH",
      path: "/v1/admin/users/{id}",
      summary: "Change a user's email, name, verification or metadata",
      tag: TAG,
      auth: "admin",
      body: updateUserBody,
      responses: {
        200: { description: "The updated user", schema: adminUserJSON },
        ...unauthorized,
        ...notFound,
        409: { description: "`email_taken`" },
        422: { description: "`validation_failed`" },
      },
      async handle({ params, body, admin }) {
        const user = await userAdmin.update(
          params.id!,
          {
            ...(body.email !== undefined ? { email: body.email } : {}),
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.email_verified !== undefined ? { emailVerified: body.email_verified } : {}),
            ...(body.public_metadata !== undefined ? { publicMetadata: body.public_metadata } : {}),
            ...(body.private_metadata !== undefined ? { privateMetadata: body.private_metadata } : {}),
          },
          adminActor(admin),
        );
        return jsonResponse(200, toAdminUserJSON(user));
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/v1/admin/users/{id}",
      summary: "Delete a user: every session ends, then the account and its credentials go",
      tag: TAG,
      auth: "admin",
      responses: { 200: { description: "Deleted", schema: deletedUserJSON }, ...unauthorized, ...notFound },
      async handle({ params, admin }) {
        await userAdmin.delete(params.id!, adminActor(admin));
        return jsonResponse(200, { id: params.id, deleted: true });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/admin/users/{id}/ban",
      summary: "Ban a user: every session ends at once and sign-in is refused",
      tag: TAG,
      auth: "admin",
      responses: { 200: { description: "The banned user", schema: adminUserJSON }, ...unauthorized, ...notFound },
      async handle({ params, admin }) {
        return jsonResponse(200, toAdminUserJSON(await userAdmin.ban(params.id!, adminActor(admin))));
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/admin/users/{id}/unban",
      summary: "Lift a ban",
      tag: TAG,
      auth: "admin",
      responses: { 200: { description: "The user", schema: adminUserJSON }, ...unauthorized, ...notFound },
      async handle({ params, admin }) {
        return jsonResponse(200, toAdminUserJSON(await userAdmin.unban(params.id!, adminActor(admin))));
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/admin/users/{id}/sessions",
      summary: "A user's live sessions, most recently active first",
      tag: TAG,
      auth: "admin",
      responses: { 200: { description: "The sessions", schema: sessionListJSON }, ...unauthorized, ...notFound },
      async handle({ params }) {
        const live = await userAdmin.listSessions(params.id!);
        return jsonResponse(200, { data: live.map((session) => toSessionJSON(session, null)) });
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/v1/admin/users/{id}/sessions",
      summary: "Sign a user out everywhere: every session ends at once",
      tag: TAG,
      auth: "admin",
      responses: { 204: { description: "Signed out everywhere" }, ...unauthorized, ...notFound },
      async handle({ params, admin }) {
        await userAdmin.signOutEverywhere(params.id!, adminActor(admin));
        return noContentResponse();
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/v1/admin/users/{id}/sessions/{sessionId}",
      summary: "Revoke one of a user's sessions",
      tag: TAG,
      auth: "admin",
      responses: {
        204: { description: "Revoked" },
        ...unauthorized,
        404: { description: "`not_found`: no such live session for this user" },
      },
      async handle({ params, admin }) {
        await userAdmin.revokeSession(params.id!, params.sessionId!, adminActor(admin));
        return noContentResponse();
      },
    }),
  ];
}
