/**
 * The engine's HTTP entry point: matches a route, applies the cross-cutting rules (origin
 * check for cookie writes, body limit and validation, authentication) and turns every error
 * into problem+json through the one mapper. Speaks only web-standard Request and Response.
 */
import type { Observer } from "../config.js";
import { MethodNotAllowedError, NotFoundError, UnauthenticatedError, toProblemResponse } from "../errors/index.js";
import { sha256base64url } from "../lib/encoding.js";
import type { Logger } from "../lib/logger.js";
import type { SessionService } from "../sessions/service.js";
import type { SecretKeyStore } from "../storage/ports.js";
import type { RequestContext } from "../types.js";
import { readJSONBody } from "./body.js";
import { resolveClientIP, type TrustedProxyRange } from "./client-ip.js";
import { detectTransport, readCredential, type CookieSettings } from "./credentials.js";
import { assertSameOrigin } from "./origin.js";
import { readQuery } from "./query.js";
import type { AdminCaller, AnyRoute, Caller } from "./route.js";

/** What the handler needs. */
export interface HandlerOptions {
  routes: AnyRoute[];
  sessions: SessionService;
  /** Where `auth: "admin"` routes look up the presented secret key's hash. */
  secretKeys: SecretKeyStore;
  cookie: CookieSettings;
  allowedOrigins: Set<string>;
  trustedProxies: TrustedProxyRange[];
  bodyLimitBytes: number;
  logger: Logger;
  observer: Observer;
}

interface CompiledRoute {
  route: AnyRoute;
  pattern: RegExp;
  paramNames: string[];
}

function compile(route: AnyRoute): CompiledRoute {
  const paramNames: string[] = [];
  const source = route.path
    .split("/")
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      paramNames.push(param[1]!);
      return "([^/]+)";
    })
    .join("/");
  return { route, pattern: new RegExp(`^${source}$`), paramNames };
}

function match(
  compiled: CompiledRoute[],
  method: string,
  pathname: string,
): { route: AnyRoute; params: Record<string, string> } {
  const allowed: string[] = [];
  for (const { route, pattern, paramNames } of compiled) {
    const found = pattern.exec(pathname);
    if (!found) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    const params: Record<string, string> = {};
    for (const [index, name] of paramNames.entries()) {
      try {
        params[name] = decodeURIComponent(found[index + 1]!);
      } catch {
        throw new NotFoundError(); // malformed percent-encoding names no resource
      }
    }
    return { route, params };
  }
  if (allowed.length > 0) throw new MethodNotAllowedError(allowed);
  throw new NotFoundError();
}

// ---- Admin guard -------------------------------------------------------------------------
// The minimal `auth: "admin"` check the webhooks admin API needs: only
// `Authorization: Bearer gh_sk_…` with an active key opens it. Kept in this one block so it can
// be reconciled with the fuller admin-API guard.

/** The shape of an admin secret key; anything else (a session token, a cookie) is refused unlooked-up. */
const SECRET_KEY_FORMAT = /^gh_sk_\S{32,}$/;
const ADMIN_UNAUTHENTICATED = "A valid secret key is required: send Authorization: Bearer gh_sk_….";

function decodedOrRaw(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

async function authenticateAdmin(request: Request, url: URL, secretKeys: SecretKeyStore): Promise<AdminCaller> {
  // A key in a URL lands in access logs, proxies and browser history. It is refused even next
  // to a valid header, so the leak is noticed instead of silently tolerated.
  if (/gh_sk_/i.test(decodedOrRaw(url.search.replace(/\+/g, " ")))) {
    throw new UnauthenticatedError("Secret keys are accepted only in the Authorization header, never in the URL.");
  }
  // Cookies are never read here, and a session token in the header fails the format check:
  // a user's credential never opens the admin API.
  const key = /^bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  if (key === undefined || !SECRET_KEY_FORMAT.test(key)) throw new UnauthenticatedError(ADMIN_UNAUTHENTICATED);
  // Looked up by hash (only hashes are stored); revoked keys are not found.
  const record = await secretKeys.findActiveSecretKey(await sha256base64url(key));
  if (!record) throw new UnauthenticatedError(ADMIN_UNAUTHENTICATED);
  return { secretKeyId: record.id };
}
// ---- end of admin guard -------------------------------------------------------------------

/** Builds `handler(Request, context) => Response`. */
export function createHandler(
  options: HandlerOptions,
): (request: Request, context?: RequestContext) => Promise<Response> {
  const compiled = options.routes.map(compile);
  const { sessions, cookie, logger, observer } = options;

  async function authenticate(request: Request, transport: "cookie" | "bearer"): Promise<Caller> {
    const token = readCredential(request.headers, transport, cookie);
    const caller = token ? await sessions.authenticate(token) : null;
    if (!caller) throw new UnauthenticatedError();
    return caller;
  }

  async function answer(
    request: Request,
    context: RequestContext | undefined,
    onRoute: (path: string) => void,
  ): Promise<Response> {
    const url = new URL(request.url);
    const { route, params } = match(compiled, request.method, url.pathname);
    onRoute(route.path);
    // Admin routes authenticate first: an anonymous caller learns nothing, not even whether its
    // body would have been valid.
    const admin = route.auth === "admin" ? await authenticateAdmin(request, url, options.secretKeys) : null;
    const transport = detectTransport(request.headers);
    // Bearer requests carry no ambient credential a foreign page could ride on.
    if (transport === "cookie") assertSameOrigin(request, options.allowedOrigins);
    const query = route.query ? readQuery(url, route.query) : undefined;
    const body = route.body ? await readJSONBody(request, route.body, options.bodyLimitBytes) : undefined;
    const caller = route.auth === "session" ? await authenticate(request, transport) : null;
    const clientIP = resolveClientIP(request.headers, context?.remoteAddress, options.trustedProxies);
    return route.handle({ request, params, body, query, clientIP, transport, caller, admin });
  }

  return async function handler(request, context) {
    const started = performance.now();
    let route = "unmatched";
    let response: Response;
    try {
      response = await answer(request, context, (path) => {
        route = path;
      });
    } catch (error) {
      response = toProblemResponse(error, (unexpected) =>
        logger.error({ err: unexpected, method: request.method, route }, "request failed"),
      );
    }
    response.headers.set("x-content-type-options", "nosniff");
    observer.onRequest?.({
      method: request.method,
      route,
      status: response.status,
      durationSeconds: (performance.now() - started) / 1000,
    });
    return response;
  };
}
