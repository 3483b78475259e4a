/**
 * Finds the credential a request presents, by the same rules as the Gatehouse server: an
 * `Authorization` header wins and cookies are then ignored (so the two never mix); otherwise
 * the access-token cookie, then the session cookie. A token in the query string is never
 * read: URLs end up in logs, browser histories and Referer headers.
 */
import { parse as parseCookies } from "cookie";

/** Names of the credential cookies. */
export interface CookieNames {
  /** Access JWT (`jwt` and `hybrid` strategies). */
  access: string;
  /** Opaque session token (`session` strategy). */
  session: string;
}

/** The headers the verifier reads: a web `Headers`, or anything with the same `get`. */
export interface HeaderReader {
  /** The header's value, or null when absent. Names are lower case. */
  get(name: string): string | null;
}

/** What a request presents. */
export type PresentedCredential =
  | { kind: "none" }
  /** An `Authorization: Bearer` header without a usable token. */
  | { kind: "malformed" }
  | { kind: "bearer"; token: string }
  | { kind: "access-cookie"; token: string }
  | { kind: "session-cookie"; token: string };

const BEARER = /^bearer +([^\s]+) *$/i;
const BEARER_SCHEME = /^bearer(\s|$)/i;

/**
 * The cookie names the server uses for `issuer`: `__Host-` prefixed on https without a shared
 * cookie domain (the prefix pins the cookie to exactly that host), plain otherwise.
 *
 * @example
 * ```ts
 * cookieNamesFor({ secure: true, cookieDomain: null }).access; // "__Host-gatehouse_access"
 * ```
 */
export function cookieNamesFor(options: { secure: boolean; cookieDomain: string | null }): CookieNames {
  const prefix = options.secure && options.cookieDomain === null ? "__Host-" : "";
  return { access: `${prefix}gatehouse_access`, session: `${prefix}gatehouse_session` };
}

/**
 * Reads the credential from request headers.
 *
 * @example
 * ```ts
 * readCredential(new Headers({ authorization: "Bearer eyJ…" }), names); // { kind: "bearer", token: "eyJ…" }
 * ```
 */
export function readCredential(headers: HeaderReader, names: CookieNames): PresentedCredential {
  const authorization = headers.get("authorization");
  if (authorization !== null) {
    const match = BEARER.exec(authorization.trim());
    if (match) return { kind: "bearer", token: match[1]! };
    // Another scheme (Basic, …) is not ours; still, an Authorization header rules out cookies.
    return BEARER_SCHEME.test(authorization.trim()) ? { kind: "malformed" } : { kind: "none" };
  }
  const header = headers.get("cookie");
  if (!header) return { kind: "none" };
  let cookies: Record<string, string | undefined>;
  try {
    cookies = parseCookies(header);
  } catch {
    return { kind: "none" };
  }
  const access = cookies[names.access];
  if (access) return { kind: "access-cookie", token: access };
  const session = cookies[names.session];
  if (session) return { kind: "session-cookie", token: session };
  return { kind: "none" };
}
