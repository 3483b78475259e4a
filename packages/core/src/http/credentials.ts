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
  name: string;
  domain: string | null;
  secure: boolean;
}

/**
 * `bearer` when the client asks for it or already authenticates that way. An `Authorization`
 * header means cookies are ignored for that request, so the two never mix.
 */
export function detectTransport(headers: Headers): Transport {
  if (headers.get("auth-transport")?.trim().toLowerCase() === "bearer") return "bearer";
  if (/^bearer\s/i.test(headers.get("authorization") ?? "")) return "bearer";
  return "cookie";
}

/** The presented session token for the transport, or null. */
export function readCredential(headers: Headers, transport: Transport, cookie: CookieSettings): string | null {
  if (transport === "bearer") {
    const match = /^bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
    return match?.[1] ?? null;
  }
  const header = headers.get("cookie");
  if (!header) return null;
  return parseCookies(header)[cookie.name] ?? null;
}

/** `Set-Cookie` value carrying a session token. */
export function sessionCookie(cookie: CookieSettings, token: string, maxAgeSeconds: number): string {
  return serializeCookie(cookie.name, token, {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: cookie.secure,
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
    ...(cookie.domain ? { domain: cookie.domain } : {}),
  });
}

/** `Set-Cookie` value that removes the session cookie. */
export function clearedSessionCookie(cookie: CookieSettings): string {
  return sessionCookie(cookie, "", 0);
}
