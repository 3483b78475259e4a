/**
 * Small helpers shared by the SDK's tests: a logger that records, requests carrying a
 * credential, a counting key resolver, and polling without fixed sleeps.
 */
import { createLocalJWKSet, type JWK, type JWTVerifyGetKey } from "jose";
import type { VerifierLogger } from "../lib/logger.js";

/** A logger that keeps every line, to assert on what was (and was not) logged. */
export function recordingLogger(): VerifierLogger & { lines: { level: string; object: unknown; message?: string }[] } {
  const lines: { level: string; object: unknown; message?: string }[] = [];
  const at =
    (level: string) =>
    (object: Record<string, unknown>, message?: string): void => {
      lines.push({ level, object, message });
    };
  return { lines, info: at("info"), warn: at("warn"), error: at("error") };
}

/** A GET request to the app presenting `token` as a bearer credential. */
export function bearer(token: string, url = "http://app.test/"): Request {
  return new Request(url, { headers: { authorization: `Bearer ${token}` } });
}

/** A request to the app presenting cookies. */
export function withCookies(cookies: Record<string, string>, init: RequestInit & { url?: string } = {}): Request {
  const cookie = Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join("; ");
  const headers = new Headers(init.headers);
  headers.set("cookie", cookie);
  return new Request(init.url ?? "http://app.test/page?x=1", { ...init, headers });
}

/** A local key resolver that counts how often it is asked. */
export function countingKeys(keys: JWK[]): JWTVerifyGetKey & { calls: number } {
  const local = createLocalJWKSet({ keys });
  const resolver = Object.assign(
    async (...args: Parameters<typeof local>) => {
      resolver.calls++;
      return local(...args);
    },
    { calls: 0 },
  );
  return resolver as JWTVerifyGetKey & { calls: number };
}

/** Polls `check` every few ms until it returns true or `timeoutMs` passes; returns the elapsed ms. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - started;
}

/** A clock tests move by hand. */
export function manualClock(start = Date.now()): {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
} {
  let current = start;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
    set(ms) {
      current = ms;
    },
  };
}
