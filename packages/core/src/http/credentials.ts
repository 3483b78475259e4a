/**
 * Where a request's credential comes from and where a new one goes. Browsers get an HttpOnly
 * cookie; clients that send `Auth-Transport: bearer` (native apps, APIs) get the token in the
 * body and present it as `Authorization: Bearer`. A token in the query string is never read:
 * URLs end up in logs, histories and Referer headers.
 */
import { parse as parseCookies, serialize as serializeCookie } from "cookie";
import type { Transport } from "./route.js";

/** Cookie settings resolved from the configuration. */
export interface CookieSettings {
  /** The credential cookie: the session token, or the access JWT for `jwt`/`hybrid`. */
  name: string;
  /** The refresh-token cookie (`jwt`/`hybrid`), scoped to {@link REFRESH_COOKIE_PATH}. */
  refreshName: string;
  domain: string | null;
  secure: boolean;
}

/** The refresh cookie goes only to the token endpoint, never to the app or other routes. */
export const REFRESH_COOKIE_PATH = "/v1/token";

/**
 * `bearer` when the client asks for it or sends any `Authorization` header: then cookies are
 * ignored for that request, so the two never mix (and the SDK's verifier decides the same way).
 */
export function detectTransport(headers: Headers): Transport {
  if (headers.get("auth-transport")?.trim().toLowerCase() === "bearer") return "bearer";
  if (headers.has("authorization")) return "bearer";
  return "cookie";
}

/** The presented session token for the transport, or null. */
export function readCredential(headers: Headers, transport: Transport, cookie: CookieSettings): string | null {
  if (transport === "bearer") {
    const match = /^bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
    return match?.[1] ?? null;
  }
  return readCookie(headers, cookie.name);
}

/** A cookie's value from the request, or null. */
export function readCookie(headers: Headers, name: string): string | null {
  const header = headers.get("cookie");
  if (!header) return null;
  return parseCookies(header)[name] ?? null;
}

function cookie(settings: CookieSettings, name: string, value: string, maxAgeSeconds: number, path: string): string {
  return serializeCookie(name, value, {
    httpOnly: true,
    sameSite: "lax",
    path,
    secure: settings.secure,
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
    // The refresh cookie stays with the host that serves the token endpoint.
    ...(settings.domain && name === settings.name ? { domain: settings.domain } : {}),
  });
}

/** `Set-Cookie` value carrying the credential (session token or access JWT). */
export function credentialCookie(settings: CookieSettings, token: string, maxAgeSeconds: number): string {
  return cookie(settings, settings.name, token, maxAgeSeconds, "/");
}

/** `Set-Cookie` value carrying the refresh token, for the token endpoint only. */
export function refreshCookie(settings: CookieSettings, token: string, maxAgeSeconds: number): string {
  return cookie(settings, settings.refreshName, token, maxAgeSeconds, REFRESH_COOKIE_PATH);
}

/** `Set-Cookie` values that remove every credential cookie. */
export function clearedCookies(settings: CookieSettings): string[] {
  return [credentialCookie(settings, "", 0), refreshCookie(settings, "", 0)];
}
