/**
 * What a route is: method, path pattern, the schemas of its input and output (from which the
 * OpenAPI document is generated) and the function that answers it. Feature folders export
 * lists of routes; `handler.ts` runs them.
 */
import type { z } from "zod";
import type { ClientDetails } from "../sessions/service.js";
import type { SessionRecord, UserRecord } from "../storage/ports.js";

/** How the client holds its credential: an HttpOnly cookie, or a token it sends as `Authorization: Bearer`. */
export type Transport = "cookie" | "bearer";

/** The signed-in caller of a route that requires a session. */
export interface Caller {
  user: UserRecord;
  session: SessionRecord;
  /**
   * When the presented access token expires (epoch milliseconds), for callers authenticated
   * by one (`jwt`, `hybrid`); absent for session tokens. Browser clients schedule their next
   * refresh from it.
   */
  accessTokenExpiresAt?: number;
}

/** The caller of an admin route: the secret key that opened it. */
export interface AdminCaller {
  /** The key's id (`sk_…`); the `actor` of the events the request causes. */
  keyId: string;
}

/** Everything a route's `handle` gets. */
export interface RouteContext<Body, Query = undefined> {
  request: Request;
  /** Path parameters, e.g. `{ id }` for `/v1/sessions/{id}`. */
  params: Record<string, string>;
  /** The validated body (undefined for routes without one). */
  body: Body;
  /** The validated query parameters (undefined for routes that declare none). */
  query: Query;
  /** The client's address after applying the trusted-proxy rules, or null when unknown. */
  clientIP: string | null;
  transport: Transport;
  /** The signed-in caller; set for routes with `auth: "session"`. */
  caller: Caller | null;
  /** The secret key's caller; set for routes with `auth: "admin"`. */
  admin: AdminCaller | null;
}

/** One documented response of a route. */
export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
}

/** One HTTP route of the Gatehouse API. */
export interface Route<Body = unknown, Query = undefined> {
  method: "GET" | "POST" | "DELETE" | "PATCH" | "PUT";
  /** Path with `{param}` placeholders. */
  path: string;
  summary: string;
  tag: string;
  /**
   * `session`: answered only for a signed-in caller, else 401 `unauthenticated`.
   * `admin`: answered only with `Authorization: Bearer <active secret key>` on a canonical path,
   * checked before the body is read (see `admin/guard.ts`).
   */
  auth: "none" | "session" | "admin";
  /** Body schema; the body is parsed and validated before `handle` runs. */
  body?: z.ZodType<Body>;
  /** Accepted body encodings. @default ["json"] */
  bodyFormats?: ("json" | "form")[];
  /**
   * Largest body this route accepts, when it needs more than the engine's limit (imports).
   * @default the engine's `bodyLimitBytes`
   */
  bodyLimitBytes?: number;
  /**
   * Query parameter schema (a `z.object` of strings, coerced as needed). Unknown or repeated
   * parameters and invalid values are refused with 400 `invalid_query`.
   */
  query?: z.ZodType<Query>;
  /** Documented responses by status code. */
  responses: Record<number, RouteResponse>;
  handle(context: RouteContext<Body, Query>): Promise<Response>;
}

/** Defines a route with its body and query types inferred from the schemas. */
export function defineRoute<Body = undefined, Query = undefined>(route: Route<Body, Query>): Route<Body, Query> {
  return route;
}

/**
 * Headers the handler puts on every answer: no content sniffing, and `Vary: Origin` because
 * whether an answer carries CORS headers depends on the caller's origin.
 */
export const EVERY_ANSWER_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "x-content-type-options": "nosniff",
  vary: "Origin",
});

/** Marks an answer built with {@link EVERY_ANSWER_HEADERS} already among its headers. */
const CARRIES_EVERY_ANSWER_HEADER = Symbol("carriesEveryAnswerHeader");
type MarkedResponse = Response & { [CARRIES_EVERY_ANSWER_HEADER]?: true };

/** A JSON response that no cache may keep: every Gatehouse answer concerns one user. */
export function jsonResponse(status: number, body: unknown, headers?: HeadersInit): Response {
  if (headers === undefined) {
    // Most answers. Their headers are a plain record with the handler's already in it, so the
    // handler need not open `response.headers`: on Node, @hono/node-server hands such a record to
    // node:http as it is, while opening the headers builds undici's `Headers` and takes a slower
    // path, which cost about a tenth of the server's CPU per `GET /v1/session`
    // (docs/benchmarks.md, fourteenth round). A literal per answer: a spread would cost more.
    const response: MarkedResponse = new Response(JSON.stringify(body), {
      status,
      headers: {
        "content-type": "application/json",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        vary: "Origin",
      },
    });
    response[CARRIES_EVERY_ANSWER_HEADER] = true;
    return response;
  }
  const responseHeaders = new Headers(headers);
  responseHeaders.set("content-type", "application/json");
  responseHeaders.set("cache-control", "no-store");
  return new Response(JSON.stringify(body), { status, headers: responseHeaders });
}

/** Whether `response` was built with {@link EVERY_ANSWER_HEADERS} already among its headers. */
export function carriesEveryAnswerHeader(response: Response): boolean {
  return (response as MarkedResponse)[CARRIES_EVERY_ANSWER_HEADER] === true;
}

/** An empty 204 answer that no cache may keep. */
export function noContentResponse(): Response {
  return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
}

/** The client's address (after the trusted-proxy rules) and user agent, for events and notices. */
export function clientDetailsOf(context: RouteContext<unknown>): ClientDetails {
  return { ip: context.clientIP, userAgent: context.request.headers.get("user-agent") };
}

/**
 * A route of any body type, for route tables. `any` is deliberate: each route's body type is
 * checked where it is defined, and a table mixes several.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = Route<any, any>;
