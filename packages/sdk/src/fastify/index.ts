/**
 * `@gatehouse/sdk/fastify`: a Fastify plugin that decorates every request with `request.auth`,
 * and `requireAuth()`, a `preHandler` hook that refuses requests that are not signed in with a
 * 401 problem+json (or a redirect, when asked); `requireAuth(verifier)` authenticates by
 * itself. Thin on purpose: it hands the verifier a view of the Fastify request (no web
 * `Request` is built per request).
 */
import type { FastifyPluginAsync, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import { ConfigurationError } from "../errors/index.js";
import { absoluteURL, nodeRequestView } from "../lib/node-request.js";
import { answerSignedOut, guardArguments, type RequireAuthOptions } from "../lib/respond.js";
import type { AuthState } from "../verifier/auth-state.js";
import type { RequestLike, Verifier } from "../verifier/create-verifier.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by `authPlugin` from `@gatehouse/sdk/fastify`. */
    auth: AuthState;
  }
}

/** Options of {@link authPlugin}. */
export interface AuthPluginOptions {
  verifier: Verifier;
}

/**
 * The plugin. It applies to every route of the instance it is registered on, including
 * sibling plugins (it opts out of encapsulation, as `fastify-plugin` would make it).
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { createVerifier } from "@gatehouse/sdk";
 * import { authPlugin, requireAuth } from "@gatehouse/sdk/fastify";
 *
 * const app = Fastify();
 * await app.register(authPlugin, { verifier: createVerifier({ url: "https://auth.example.com" }) });
 * app.get("/me", { preHandler: requireAuth() }, async (request) => ({ auth: request.auth }));
 * ```
 */
export const authPlugin: FastifyPluginAsync<AuthPluginOptions> = async (fastify, options) => {
  const verifier = options?.verifier;
  if (!verifier || typeof verifier.authenticateRequest !== "function") {
    throw new ConfigurationError("authPlugin needs a verifier: app.register(authPlugin, { verifier }).");
  }
  // Declared up front so every request object has the same shape (V8 keeps it monomorphic).
  fastify.decorateRequest("auth");
  fastify.addHook("onRequest", async (request) => {
    request.auth = await verifier.authenticateRequest(requestOf(request));
  });
};
// What fastify-plugin sets: hooks apply to the parent instance instead of a private scope.
Object.assign(authPlugin, {
  [Symbol.for("skip-override")]: true,
  [Symbol.for("fastify.display-name")]: "@gatehouse/sdk",
});

/** A view of the Fastify request as the verifier reads it (the URL only built if needed). */
function requestOf(request: FastifyRequest): RequestLike {
  return nodeRequestView(request.method, request.headers, () =>
    absoluteURL({ protocol: request.protocol, host: request.host, path: request.url }),
  );
}

/**
 * A `preHandler` hook that refuses requests that are not signed in: 401
 * `application/problem+json` with `code: "unauthenticated"` and the `reason` (503
 * `verification_unavailable` when the verifier could not check), or a redirect as `options`
 * say.
 *
 * Given the verifier, it authenticates the request itself and sets `request.auth`, for routes
 * outside {@link authPlugin}'s reach. Without it, register the plugin first. When
 * `request.auth` is already set, it is used as is: a request is never authenticated twice.
 *
 * @example
 * ```ts
 * app.get("/api/me", { preHandler: requireAuth(verifier) }, async (request) => request.auth);
 * app.get("/account", { preHandler: requireAuth({ refreshExpired: true }) }, renderAccount); // behind authPlugin
 * ```
 * @throws ConfigurationError at setup when `signInURL` is not a path or http(s) URL, when
 * options come without the verifier, or when the first argument is neither.
 */
export function requireAuth(options?: RequireAuthOptions): preHandlerAsyncHookHandler;
export function requireAuth(verifier: Verifier, options?: RequireAuthOptions): preHandlerAsyncHookHandler;
export function requireAuth(
  first?: Verifier | RequireAuthOptions,
  second?: RequireAuthOptions,
): preHandlerAsyncHookHandler {
  const { verifier, options } = guardArguments(first, second);
  return async function requireAuthHook(request, reply) {
    let state = request.auth as AuthState | undefined;
    if (!state) {
      if (!verifier) {
        throw new ConfigurationError(
          "requireAuth() found no request.auth: pass it the verifier, or app.register(authPlugin, { verifier }) first.",
        );
      }
      state = await verifier.authenticateRequest(requestOf(request));
      request.auth = state;
    }
    if (state.status === "signed-in") return;
    const url = absoluteURL({ protocol: request.protocol, host: request.host, path: request.url });
    const answer = answerSignedOut(state, { method: request.method, url }, options);
    await reply
      .code(answer.status)
      .headers(answer.headers)
      .send(answer.body ?? undefined);
  };
}

export type { RequireAuthOptions } from "../lib/respond.js";
