/**
 * Where a redirect may go. A `redirect_url` from a request is honoured only when it points at
 * the base URL's origin or a configured allowed origin; anything else (protocol-relative
 * `//evil`, `/\evil`, `https:evil`, `https://app@evil`, `javascript:`, control characters…)
 * falls back to the base URL.
 */

/**
 * The absolute URL to redirect to: `candidate` when it is safe, else `fallback`.
 *
 * @example
 * ```ts
 * safeRedirect("/account", base, allowed);            // → https://auth.example.com/account
 * safeRedirect("https://app.example.com/x", base, allowed); // allowed origin → kept
 * safeRedirect("//evil.example/", base, allowed);     // → fallback
 * ```
 */
export function safeRedirect(
  candidate: string | null,
  base: URL,
  allowedOrigins: Set<string>,
  fallback: string = base.href,
): string {
  if (!candidate || candidate.length > 2048) return fallback;
  // Browsers strip tabs and newlines and treat backslashes as slashes; refuse rather than guess.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(candidate)) return fallback;
  const isRelativePath = candidate.startsWith("/") && !candidate.startsWith("//");
  if (!isRelativePath && !/^https?:\/\//i.test(candidate)) return fallback;
  let url: URL;
  try {
    url = new URL(candidate, base);
  } catch {
    return fallback;
  }
  if (url.username || url.password) return fallback;
  if (url.protocol !== "https:" && url.protocol !== "http:") return fallback;
  return allowedOrigins.has(url.origin) ? url.href : fallback;
}
