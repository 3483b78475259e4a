/**
 * Cross-site request forgery defence for cookie-authenticated writes: the browser tells us
 * where a request comes from (`Origin`, `Sec-Fetch-Site`), and we refuse anything that is not
 * one of our own origins. Bearer-transport requests carry no ambient credential, so they are
 * not subject to it.
 */
import { OriginForbiddenError } from "../errors/index.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Throws {@link OriginForbiddenError} for an unsafe method whose `Origin` is `null` or foreign,
 * or whose `Sec-Fetch-Site` is `cross-site`. Requests without either header (non-browser
 * clients) pass: a browser always sends `Origin` on cross-origin writes.
 */
export function assertSameOrigin(request: Request, allowedOrigins: Set<string>): void {
  if (SAFE_METHODS.has(request.method)) return;
  if (request.headers.get("sec-fetch-site")?.toLowerCase() === "cross-site") throw new OriginForbiddenError();
  const origin = request.headers.get("origin");
  if (origin !== null && !allowedOrigins.has(origin)) throw new OriginForbiddenError();
}
