/**
 * Admin routes of secret keys: create (the key is in this one response), list, revoke.
 */
import { adminActor } from "../admin/actor.js";
import { defineRoute, jsonResponse, type AnyRoute } from "../http/route.js";
import {
  createSecretKeyBody,
  createdSecretKeyJSON,
  secretKeyJSON,
  secretKeyListJSON,
  toSecretKeyJSON,
} from "./schema.js";
import type { SecretKeyService } from "./service.js";

const unauthorized = {
  401: { description: "`secret_key_required`, `invalid_secret_key`" },
  403: { description: "`secret_key_in_query`, `non_canonical_path`" },
};

/** The secret key routes under `/v1/admin/secret-keys`. */
export function secretKeyRoutes({ secretKeys }: { secretKeys: SecretKeyService }): AnyRoute[] {
  return [
    defineRoute({
      method: "GET",
      path: "/v1/admin/secret-keys",
      summary: "List secret keys (never the keys themselves)",
      tag: "Admin: secret keys",
      auth: "admin",
      responses: {
        200: { description: "Every key, revoked ones included", schema: secretKeyListJSON },
        ...unauthorized,
      },
      async handle() {
        return jsonResponse(200, { data: (await secretKeys.list()).map(toSecretKeyJSON) });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/admin/secret-keys",
      summary: "Create a secret key; it is shown only in this response",
      tag: "Admin: secret keys",
      auth: "admin",
      body: createSecretKeyBody,
      responses: {
        201: { description: "Created", schema: createdSecretKeyJSON },
        ...unauthorized,
        422: { description: "`validation_failed`" },
      },
      async handle({ body, admin }) {
        const { secretKey, record } = await secretKeys.create({ name: body.name ?? null }, adminActor(admin));
        return jsonResponse(201, { ...toSecretKeyJSON(record), secret_key: secretKey });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/admin/secret-keys/{id}/revoke",
      summary: "Revoke a secret key, effective with the next request",
      tag: "Admin: secret keys",
      auth: "admin",
      responses: {
        200: { description: "Revoked (also when it already was)", schema: secretKeyJSON },
        ...unauthorized,
        404: { description: "`not_found`" },
        409: { description: "`last_secret_key`: create another key first" },
      },
      async handle({ params, admin }) {
        return jsonResponse(200, toSecretKeyJSON(await secretKeys.revoke(params.id!, adminActor(admin))));
      },
    }),
  ];
}
