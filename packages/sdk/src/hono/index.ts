/**
 * `@gatehouse/sdk/hono`: Hono middleware. `authMiddleware(verifier)` sets `c.get("auth")`;
 * `requireAuth(verifier)` sets it too and refuses requests that are not signed in with a 401
 * problem+json (or a redirect, when asked). Hono already speaks web `Request`, so the adapter
 * hands `c.req.raw` to the verifier; on @hono/node-server it reads Node's parsed headers
 * instead, because the server builds `c.req.raw.headers` lazily and building them costs more
 * than a cached check.
 */
import type { Context, MiddlewareHandler } from "hono";
import { ConfigurationError } from "../errors/index.js";
import { nodeRequestView, type NodeHeaders } from "../lib/node-request.js";
import { answerSignedOut, guardArguments, type RequireAuthOptions } from "../lib/respond.js";
import type { AuthState } from "../verifier/auth-state.js";
import type { RequestLike, Verifier } from "../verifier/create-verifier.js";

/** The context variables the middleware sets. */
export interface AuthVariables {
  auth: AuthState;
}

/** A Hono environment with `auth`: `new Hono<AuthEnv>()`. */
export interface AuthEnv {
  Variables: AuthVariables;
}

/**
 * Middleware that authenticates every request and sets the `auth` variable. It never refuses
 * a request itself: use it where signed-out visitors are served too, and
 * {@link requireAuth} where a signed-in user is required.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { createVerifier } from "@gatehouse/sdk";
 * import { authMiddleware, requireAuth, type AuthEnv } from "@gatehouse/sdk/hono";
 *
 * const app = new Hono<AuthEnv>();
 * app.use(authMiddleware(createVerifier({ url: "https://auth.example.com" })));
 * app.get("/me", requireAuth(), (c) => {
 *   const auth = c.get("auth");
 *   return c.json({ userId: auth.status === "signed-in" ? auth.userId : null });
 * });
 * ```
 */
export function authMiddleware(verifier: Verifier): MiddlewareHandler<AuthEnv> {
  if (!verifier || typeof verifier.authenticateRequest !== "function") {
    throw new ConfigurationError("authMiddleware needs a verifier: authMiddleware(createVerifier({ url })).");
  }
  return async (c, next) => {
    c.set("auth", await verifier.authenticateRequest(requestOf(c)));
    await next();
  };
}

/** @hono/node-server's bindings (`c.env.incoming` is the Node request); absent on other runtimes. */
interface NodeBindings {
  incoming?: { method?: string; headers?: NodeHeaders };
}

function requestOf(c: Context): RequestLike {
  const incoming = (c.env as NodeBindings | undefined)?.incoming;
  // Everything from the Node request: even `c.req` is an object Hono would build for this.
  return incoming?.headers ? nodeRequestView(incoming.method, incoming.headers, () => c.req.url) : c.req.raw;
}

/**
 * Refuses requests that are not signed in: 401 `application/problem+json` with
 * `code: "unauthenticated"` and the `reason` (503 `verification_unavailable` when the verifier
 * could not check), or a redirect as `options` say.
 *
 * Given the verifier, it authenticates the request itself and sets the `auth` variable, so a
 * protected route needs one middleware instead of two (each Hono middleware is another
 * asynchronous step per request: with cached tokens, dropping the second raised a benchmarked
 * app's throughput by about a sixth). Without it, {@link authMiddleware} must run first. When
 * `auth` is already set, it is used as is: a request is never authenticated twice.
 *
 * @example
 * ```ts
 * app.use("/api/*", requireAuth(verifier));
 * app.get("/account", requireAuth(verifier, { refreshExpired: true }), renderAccount);
 * // or, behind app.use(authMiddleware(verifier)):
 * app.get("/settings", requireAuth(), renderSettings);
 * ```
 * @throws ConfigurationError at setup when `signInURL` is not a path or http(s) URL, when
 * options come without the verifier, or when the first argument is neither.
 */
export function requireAuth(options?: RequireAuthOptions): MiddlewareHandler<AuthEnv>;
export function requireAuth(verifier: Verifier, options?: RequireAuthOptions): MiddlewareHandler<AuthEnv>;
export function requireAuth(
  first?: Verifier | RequireAuthOptions,
  second?: RequireAuthOptions,
): MiddlewareHandler<AuthEnv> {
  const { verifier, options } = guardArguments(first, second);
  return async (c, next) => {
    let state = c.get("auth") as AuthState | undefined;
    if (!state) {
      if (!verifier) {
        throw new ConfigurationError(
          'requireAuth() found no "auth" variable: pass it the verifier, or app.use(authMiddleware(verifier)) before it.',
        );
      }
      state = await verifier.authenticateRequest(requestOf(c));
      c.set("auth", state);
    }
    if (state.status === "signed-in") {
      await next();
      return;
    }
    const answer = answerSignedOut(state, { method: c.req.method, url: c.req.url }, options);
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  };
}

export type { RequireAuthOptions } from "../lib/respond.js";
