/**
 * The engine's HTTP entry point: matches a route, applies the cross-cutting rules (origin
 * check for cookie writes, body limit and validation, authentication) and turns every error
 * into problem+json through the one mapper. Speaks only web-standard Request and Response.
 */
import type { Observer } from "../config.js";
import { MethodNotAllowedError, NotFoundError, UnauthenticatedError, toProblemResponse } from "../errors/index.js";
import type { Logger } from "../lib/logger.js";
import type { RequestContext } from "../types.js";
import { readBody } from "./body.js";
import { resolveClientIP, type TrustedProxyRange } from "./client-ip.js";
import { corsHeaders, preflightResponse } from "./cors.js";
import { detectTransport } from "./credentials.js";
import { assertSameOrigin } from "./origin.js";
import type { AnyRoute, Caller, Transport } from "./route.js";

/** What the handler needs. */
export interface HandlerOptions {
  routes: AnyRoute[];
  /** The signed-in caller of a request (strategy-aware), or null. */
  authenticate(request: Request, transport: Transport): Promise<Caller | null>;
  /** The secret key behind `Authorization: Bearer gh_sk_…`, or null. */
  authenticateAdmin(request: Request): Promise<{ keyId: string } | null>;
  /** The base URL's origin and `GATEHOUSE_ALLOWED_ORIGINS`. */
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

/** Builds `handler(Request, context) => Response`. */
export function createHandler(
  options: HandlerOptions,
): (request: Request, context?: RequestContext) => Promise<Response> {
  const compiled = options.routes.map(compile);
  const { logger, observer } = options;

  async function authenticate(request: Request, transport: Transport): Promise<Caller> {
    const caller = await options.authenticate(request, transport);
    if (!caller) throw new UnauthenticatedError();
    return caller;
  }

  async function authenticateAdmin(request: Request): Promise<{ keyId: string }> {
    const admin = await options.authenticateAdmin(request);
    if (!admin) throw new UnauthenticatedError();
    return admin;
  }

  async function answer(
    request: Request,
    context: RequestContext | undefined,
    onRoute: (path: string) => void,
  ): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === "OPTIONS") return preflightResponse(request, options.allowedOrigins);
    const { route, params } = match(compiled, request.method, pathname);
    onRoute(route.path);
    const transport = detectTransport(request.headers);
    // Bearer requests carry no ambient credential a foreign page could ride on.
    if (transport === "cookie") assertSameOrigin(request, options.allowedOrigins);
    const body = route.body
      ? await readBody(request, route.body, options.bodyLimitBytes, route.bodyFormats)
      : undefined;
    const caller = route.auth === "session" ? await authenticate(request, transport) : null;
    const admin = route.auth === "admin" ? await authenticateAdmin(request) : null;
    const clientIP = resolveClientIP(request.headers, context?.remoteAddress, options.trustedProxies);
    return route.handle({ request, params, body, clientIP, transport, caller, admin });
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
    for (const [name, value] of corsHeaders(request, options.allowedOrigins)) response.headers.set(name, value);
    observer.onRequest?.({
      method: request.method,
      route,
      status: response.status,
      durationSeconds: (performance.now() - started) / 1000,
    });
    return response;
  };
}
