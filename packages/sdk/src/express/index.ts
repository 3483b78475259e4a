/**
 * `@gatehouse/sdk/express`: Express middleware. `authMiddleware(verifier)` sets `req.auth` on
 * every request; `requireAuth(verifier)` sets it too and refuses requests that are not signed
 * in with a 401 problem+json (or a redirect, when asked). Thin on purpose: it hands the
 * verifier a view of the Express request (no web `Request` is built per request); every rule
 * lives in the verifier.
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { ConfigurationError } from "../errors/index.js";
import { absoluteURL, nodeRequestView } from "../lib/node-request.js";
import { answerSignedOut, guardArguments, type RequireAuthOptions } from "../lib/respond.js";
import type { AuthState } from "../verifier/auth-state.js";
import type { RequestLike, Verifier } from "../verifier/create-verifier.js";

declare global {
  // Express's own extension point for request properties is this global namespace.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `authMiddleware` from `@gatehouse/sdk/express`. */
      auth?: AuthState;
    }
  }
}

/** A view of the Express request as the verifier reads it (the URL only built if needed). */
function requestOf(req: Request): RequestLike {
  return nodeRequestView(req.method, req.headers, () =>
    absoluteURL({ protocol: req.protocol, host: req.get("host"), path: req.originalUrl }),
  );
}

/**
 * Middleware that authenticates every request and sets `req.auth`. It never refuses a
 * request itself: use it where signed-out visitors are served too, and {@link requireAuth}
 * where a signed-in user is required.
 *
 * @example
 * ```ts
 * import express from "express";
 * import { createVerifier } from "@gatehouse/sdk";
 * import { authMiddleware, requireAuth } from "@gatehouse/sdk/express";
 *
 * const verifier = createVerifier({ url: "https://auth.example.com" });
 * const app = express();
 * app.use(authMiddleware(verifier));
 * app.get("/me", requireAuth(), (req, res) => {
 *   res.json({ userId: req.auth?.status === "signed-in" ? req.auth.userId : null });
 * });
 * ```
 */
export function authMiddleware(verifier: Verifier): RequestHandler {
  if (!verifier || typeof verifier.authenticateRequest !== "function") {
    throw new ConfigurationError("authMiddleware needs a verifier: authMiddleware(createVerifier({ url })).");
  }
  return (req, _res, next) => {
    verifier.authenticateRequest(requestOf(req)).then(
      (state) => {
        req.auth = state;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

/**
 * Refuses requests that are not signed in: 401 `application/problem+json` with
 * `code: "unauthenticated"` and the `reason` (503 `verification_unavailable` when the verifier
 * could not check), or a redirect as `options` say.
 *
 * Given the verifier, it authenticates the request itself and sets `req.auth`, so a protected
 * route needs one middleware instead of two. Without it, {@link authMiddleware} must run
 * first. When `req.auth` is already set, it is used as is: a request is never authenticated
 * twice.
 *
 * @example
 * ```ts
 * app.get("/api/me", requireAuth(verifier), (req, res) => res.json(req.auth));
 * app.get("/account", requireAuth(verifier, { refreshExpired: true, signInURL: "https://auth.example.com/sign-in" }), renderAccount);
 * ```
 * @throws ConfigurationError at setup when `signInURL` is not a path or http(s) URL, when
 * options come without the verifier, or when the first argument is neither.
 */
export function requireAuth(options?: RequireAuthOptions): RequestHandler;
export function requireAuth(verifier: Verifier, options?: RequireAuthOptions): RequestHandler;
export function requireAuth(first?: Verifier | RequireAuthOptions, second?: RequireAuthOptions): RequestHandler {
  const { verifier, options } = guardArguments(first, second);
  function passOrRefuse(req: Request, res: Response, next: NextFunction, state: AuthState): void {
    if (state.status === "signed-in") {
      next();
      return;
    }
    const url = absoluteURL({ protocol: req.protocol, host: req.get("host"), path: req.originalUrl });
    const answer = answerSignedOut(state, { method: req.method, url }, options);
    res.status(answer.status).set(answer.headers);
    if (answer.body === null) res.end();
    else res.send(answer.body);
  }
  return (req, res, next) => {
    if (req.auth) {
      passOrRefuse(req, res, next, req.auth);
      return;
    }
    if (!verifier) {
      next(
        new ConfigurationError(
          "requireAuth() found no req.auth: pass it the verifier, or mount app.use(authMiddleware(verifier)) before it.",
        ),
      );
      return;
    }
    verifier.authenticateRequest(requestOf(req)).then(
      (state) => {
        req.auth = state;
        passOrRefuse(req, res, next, state);
      },
      (error: unknown) => next(error),
    );
  };
}

export type { RequireAuthOptions } from "../lib/respond.js";
