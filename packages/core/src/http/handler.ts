/**
 * The engine's HTTP entry point: matches a route, applies the cross-cutting rules (origin
 * check for cookie writes, body limit and validation, authentication) and turns every error
 * into problem+json through the one mapper. Speaks only web-standard Request and Response.
 */
import { assertCanonicalAdminPath, type AdminGuard } from "../admin/guard.js";
import type { Observer } from "../config.js";
import {
  ConfigurationError,
  InvalidQueryError,
  MethodNotAllowedError,
  NotFoundError,
  UnauthenticatedError,
  toProblemResponse,
} from "../errors/index.js";
import type { Logger } from "../lib/logger.js";
import type { RequestContext } from "../types.js";
import { readBody } from "./body.js";
import { resolveClientIP, type TrustedProxyRange } from "./client-ip.js";
import { corsHeaders, preflightResponse } from "./cors.js";
import { detectTransport } from "./credentials.js";
import { assertSameOrigin } from "./origin.js";
import {
  EVERY_ANSWER_HEADERS,
  carriesEveryAnswerHeader,
  type AdminCaller,
  type AnyRoute,
  type Caller,
  type RouteContext,
  type Transport,
} from "./route.js";
import type { z } from "zod";

/** What the handler needs. */
export interface HandlerOptions {
  routes: AnyRoute[];
  /** The signed-in caller of a request (strategy-aware), or null. */
  authenticate(request: Request, transport: Transport): Promise<Caller | null>;
  /** The base URL's origin and `GATEHOUSE_ALLOWED_ORIGINS`. */
  allowedOrigins: Set<string>;
  trustedProxies: TrustedProxyRange[];
  bodyLimitBytes: number;
  logger: Logger;
  observer: Observer;
  /** Opens routes with `auth: "admin"`; without it those routes answer 500 (a wiring bug). */
  adminGuard?: AdminGuard;
}

/**
 * Validates the query string against a route's schema. Each parameter may appear once: with a
 * repeated one, which of the values a filter would apply is anyone's guess.
 */
function readQuery<T>(url: URL, schema: z.ZodType<T>): T {
  const values: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (Object.hasOwn(values, name)) {
      throw new InvalidQueryError([{ pointer: name, detail: `${name} may be given only once.` }]);
    }
    values[name] = value;
  }
  const result = schema.safeParse(values);
  if (!result.success) {
    throw new InvalidQueryError(
      result.error.issues.map((issue) => {
        const pointer = issue.path.map(String).join(".");
        const unknown = issue.code === "unrecognized_keys" ? issue.keys.join(", ") : null;
        return {
          pointer: unknown ?? pointer,
          detail: unknown ? `Unknown query parameter: ${unknown}.` : issue.message,
        };
      }),
    );
  }
  return result.data;
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

/** The routes, and those without path parameters by exact path: most requests need no regex. */
interface RouteTable {
  compiled: CompiledRoute[];
  byPath: Map<string, AnyRoute[]>;
}

function routeTable(routes: AnyRoute[]): RouteTable {
  const byPath = new Map<string, AnyRoute[]>();
  for (const route of routes) {
    if (route.path.includes("{")) continue;
    byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);
  }
  return { compiled: routes.map(compile), byPath };
}

function match(
  table: RouteTable,
  method: string,
  pathname: string,
): { route: AnyRoute; params: Record<string, string> } {
  const exact = table.byPath.get(pathname)?.find((route) => route.method === method);
  if (exact) return { route: exact, params: {} };
  const { compiled } = table;
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

/**
 * The route's context with `clientIP` resolved on first read: most routes never read it, and
 * parsing forwarded addresses on every request is not free. A class rather than an object
 * literal with a getter: V8 builds a literal's accessor anew on every request, which costs more
 * than the lookup it defers.
 */
class LazyClientIPContext<Body, Query> implements RouteContext<Body, Query> {
  readonly request: Request;
  readonly params: Record<string, string>;
  readonly body: Body;
  readonly query: Query;
  readonly transport: Transport;
  readonly caller: Caller | null;
  readonly admin: AdminCaller | null;
  #clientIP: { value: string | null } | undefined;

  constructor(
    fields: Omit<RouteContext<Body, Query>, "clientIP">,
    private readonly remoteAddress: string | undefined,
    private readonly trustedProxies: TrustedProxyRange[],
  ) {
    this.request = fields.request;
    this.params = fields.params;
    this.body = fields.body;
    this.query = fields.query;
    this.transport = fields.transport;
    this.caller = fields.caller;
    this.admin = fields.admin;
  }

  get clientIP(): string | null {
    this.#clientIP ??= { value: resolveClientIP(this.request.headers, this.remoteAddress, this.trustedProxies) };
    return this.#clientIP.value;
  }
}

function isEventStream(response: Response): boolean {
  return response.headers.get("content-type")?.startsWith("text/event-stream") === true;
}

/** Builds `handler(Request, context) => Response`. */
export function createHandler(
  options: HandlerOptions,
): (request: Request, context?: RequestContext) => Promise<Response> {
  const table = routeTable(options.routes);
  const { logger, observer } = options;

  async function authenticate(request: Request, transport: Transport): Promise<Caller> {
    const caller = await options.authenticate(request, transport);
    if (!caller) throw new UnauthenticatedError();
    return caller;
  }

  async function answer(
    request: Request,
    context: RequestContext | undefined,
    onRoute: (path: string) => void,
  ): Promise<Response> {
    const url = new URL(request.url);
    const { pathname } = url;
    if (request.method === "OPTIONS") return preflightResponse(request, options.allowedOrigins);
    // Before routing, so a disguised admin path is refused rather than answered 404 or routed.
    assertCanonicalAdminPath(context?.rawPath ?? pathname, pathname);
    const { route, params } = match(table, request.method, pathname);
    onRoute(route.path);
    if (route.auth === "admin") return answerAdmin(route, request, url, params, context);
    const query = route.query ? readQuery(url, route.query) : undefined;
    const transport = detectTransport(request.headers);
    // Bearer requests carry no ambient credential a foreign page could ride on.
    if (transport === "cookie") assertSameOrigin(request, options.allowedOrigins);
    const body = route.body
      ? await readBody(request, route.body, options.bodyLimitBytes, route.bodyFormats, context?.readBody)
      : undefined;
    const caller = route.auth === "session" ? await authenticate(request, transport) : null;
    return route.handle(
      new LazyClientIPContext(
        { request, params, body, query, transport, caller, admin: null },
        context?.remoteAddress,
        options.trustedProxies,
      ),
    );
  }

  /**
   * Admin routes: the key is checked first, before the query and body are even looked at, so
   * an unauthenticated caller learns nothing about their shape. No origin check: the admin API
   * never reads a cookie, so there is no ambient credential to forge a request with.
   */
  async function answerAdmin(
    route: AnyRoute,
    request: Request,
    url: URL,
    params: Record<string, string>,
    context: RequestContext | undefined,
  ): Promise<Response> {
    if (!options.adminGuard) throw new ConfigurationError("Admin routes need an admin guard.");
    const admin: AdminCaller = await options.adminGuard.authenticate(request, url);
    const query = route.query ? readQuery(url, route.query) : undefined;
    const body = route.body
      ? await readBody(
          request,
          route.body,
          route.bodyLimitBytes ?? options.bodyLimitBytes,
          route.bodyFormats,
          context?.readBody,
        )
      : undefined;
    return route.handle(
      new LazyClientIPContext(
        { request, params, body, query, transport: "bearer", caller: null, admin },
        context?.remoteAddress,
        options.trustedProxies,
      ),
    );
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
    const alreadyComplete = carriesEveryAnswerHeader(response);
    if (!alreadyComplete) {
      for (const name in EVERY_ANSWER_HEADERS) response.headers.set(name, EVERY_ANSWER_HEADERS[name]!);
    }
    for (const [name, value] of corsHeaders(request, options.allowedOrigins)) response.headers.set(name, value);
    observer.onRequest?.({
      request,
      method: request.method,
      route,
      status: response.status,
      // A JSON answer never is; asking only the others keeps their headers closed.
      eventStream: !alreadyComplete && isEventStream(response),
      durationSeconds: (performance.now() - started) / 1000,
    });
    return response;
  };
}
