/**
 * Publication of the signing keys (`/.well-known/jwks.json`), the discovery document, and key
 * rotation for administrators.
 */
import { z } from "zod";
import { NotAvailableError } from "../errors/index.js";
import { defineRoute, jsonResponse, type AnyRoute } from "../http/route.js";
import { sha256base64url } from "../lib/encoding.js";
import type { SigningKeyManager } from "./service.js";

/** What the key routes need. */
export interface KeyRouteDependencies {
  /** Null for the `session` strategy, which signs no tokens: the key set is then empty. */
  keys: SigningKeyManager | null;
  issuer: string;
}

/**
 * Verifiers cache the key set this long. A new key signs at once, but a verifier meeting an
 * unknown `kid` refetches, and a retired key stays published until its tokens expire.
 */
const JWKS_MAX_AGE_SECONDS = 300;

const jwksJSON = z.object({
  keys: z.array(z.object({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal("sig") }).loose()),
});

/** The key routes. */
export function keyRoutes({ keys, issuer }: KeyRouteDependencies): AnyRoute[] {
  return [
    defineRoute({
      method: "GET",
      path: "/.well-known/jwks.json",
      summary: "Public keys that verify access tokens (JWKS, RFC 7517)",
      tag: "Keys",
      auth: "none",
      responses: {
        200: { description: "The published keys, newest first", schema: jwksJSON },
        304: { description: "Not modified (`If-None-Match`)" },
      },
      async handle({ request }) {
        const body = JSON.stringify(keys ? await keys.jwks() : { keys: [] });
        const etag = `"${(await sha256base64url(body)).slice(0, 27)}"`;
        const headers = {
          "content-type": "application/json",
          "cache-control": `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
          etag,
        };
        const presented = request.headers.get("if-none-match");
        if (presented?.split(",").some((tag) => tag.trim() === etag)) {
          return new Response(null, { status: 304, headers });
        }
        return new Response(body, { status: 200, headers });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/.well-known/openid-configuration",
      summary: "Discovery: the issuer and where its keys are",
      tag: "Keys",
      auth: "none",
      responses: { 200: { description: "Discovery document (the subset of OpenID Connect Discovery that applies)" } },
      async handle() {
        const document = {
          issuer,
          jwks_uri: `${issuer}/.well-known/jwks.json`,
          token_endpoint: `${issuer}/v1/token`,
          grant_types_supported: ["refresh_token"],
          id_token_signing_alg_values_supported: keys ? [keys.algorithm] : [],
          token_endpoint_auth_methods_supported: ["none"],
        };
        return new Response(JSON.stringify(document), {
          headers: { "content-type": "application/json", "cache-control": `public, max-age=${JWKS_MAX_AGE_SECONDS}` },
        });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/admin/signing-keys/rotate",
      summary: "Rotate the signing key now",
      tag: "Admin",
      auth: "admin",
      responses: {
        200: { description: "The new key's id", schema: z.object({ kid: z.string() }) },
        401: { description: "`unauthenticated`: no valid secret key" },
        409: { description: "`not_available`: the engine runs without signing keys" },
      },
      async handle({ admin }) {
        if (!keys) throw new NotAvailableError("No signing keys: the engine was started without an encryption key.");
        return jsonResponse(200, await keys.rotate({ type: "admin", id: admin!.keyId }));
      },
    }),
  ];
}
