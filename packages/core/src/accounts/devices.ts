/**
 * Recognising the device a sign-in comes from, for the new-device sign-in notice.
 *
 * Browsers (cookie transport) get a long-lived random device cookie, HttpOnly and host-only;
 * the device is "this cookie". Clients without cookies (bearer transport) are recognised by
 * their User-Agent together with their network (the /24 of an IPv4 address, the /64 of an IPv6
 * one): an app on a new network counts as new, which is the point of the notice. Only a SHA-256
 * of the device key is stored, per user.
 *
 * The device cookie is not a credential: it grants nothing, it only spares a known device the
 * notice. A device not seen for a year is forgotten.
 */
import { parse as parseCookies, serialize as serializeCookie } from "cookie";
import type { CookieSettings } from "../http/credentials.js";
import { throttleKeyForIP } from "../http/client-ip.js";
import type { Transport } from "../http/route.js";
import { base64url, randomBytes, sha256base64url } from "../lib/encoding.js";

/** How long a device cookie lives, and how long an unseen device stays known. */
export const DEVICE_MEMORY_SECONDS = 365 * 24 * 3600;

const DEVICE_TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** The device cookie's name: `__Host-` prefixed on https, pinning it to this exact host. */
export function deviceCookieName(cookie: CookieSettings): string {
  return cookie.secure ? "__Host-gatehouse_device" : "gatehouse_device";
}

/** The device cookie a cookie-transport request presents, if well-formed; never read for bearer clients. */
export function readDeviceToken(headers: Headers, transport: Transport, cookie: CookieSettings): string | null {
  if (transport !== "cookie") return null;
  const header = headers.get("cookie");
  if (!header) return null;
  const value = parseCookies(header)[deviceCookieName(cookie)];
  return value && DEVICE_TOKEN_FORMAT.test(value) ? value : null;
}

/**
 * `Set-Cookie` for the device cookie. Host-only even when the session cookie is shared across
 * subdomains: recognising a device needs no sharing.
 */
export function deviceCookie(cookie: CookieSettings, token: string): string {
  return serializeCookie(deviceCookieName(cookie), token, {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: cookie.secure,
    maxAge: DEVICE_MEMORY_SECONDS,
  });
}

/** What identifies the device of one sign-in. */
export interface DeviceKey {
  /** base64url SHA-256 of the device key, as stored. */
  hash: string;
  /** A new device cookie to hand out (or the presented one, refreshed), or null for bearer clients. */
  cookieToken: string | null;
}

/** Works out the device key of a sign-in. */
export async function deviceKeyOf(client: {
  transport: Transport;
  deviceToken: string | null;
  ip: string | null;
  userAgent: string | null;
}): Promise<DeviceKey> {
  if (client.transport === "cookie") {
    const token = client.deviceToken ?? base64url(randomBytes(32));
    return { hash: await sha256base64url(`cookie:${token}`), cookieToken: token };
  }
  const network = client.ip ? throttleKeyForIP(client.ip).replace(/\.\d+$/, ".0/24") : "unknown";
  return { hash: await sha256base64url(`client:${client.userAgent ?? ""}|${network}`), cookieToken: null };
}
