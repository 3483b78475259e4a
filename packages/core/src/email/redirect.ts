/**
 * `redirect_url` checking: where a magic link may send the browser after signing in. An open
 * redirect here would turn a trusted sign-in email into a phishing link, so the rule is narrow:
 * a path on the base URL's origin, or an absolute http(s) URL on an allowed origin (the base
 * URL's plus `GATEHOUSE_ALLOWED_ORIGINS`). Browsers "repair" many malformed URLs (`/\evil`,
 * `https:evil`, tabs inside the scheme), so anything a browser could read differently from the
 * WHATWG parser is refused before parsing, not normalised.
 */
import { InvalidRedirectURLError } from "../errors/index.js";

/** Longest `redirect_url` accepted. */
export const REDIRECT_URL_MAX_LENGTH = 2048;

/**
 * Returns the absolute URL a `redirect_url` value stands for, or throws.
 *
 * @throws InvalidRedirectURLError for protocol-relative (`//evil`), backslash (`/\evil`),
 * scheme-only (`https:evil`), credential-bearing (`https://app@evil`), non-http(s)
 * (`javascript:`, `data:`) or foreign-origin values, and for any whitespace or control character.
 * @example
 * resolveRedirectURL("/welcome", { baseURL, allowedOrigins }) // "https://auth.example.com/welcome"
 */
export function resolveRedirectURL(value: string, options: { baseURL: URL; allowedOrigins: Set<string> }): string {
  const { baseURL, allowedOrigins } = options;
  if (
    value.length === 0 ||
    value.length > REDIRECT_URL_MAX_LENGTH ||
    // Whitespace and control characters are stripped or tolerated by URL parsers in different
    // ways (`java\tscript:`); backslashes are read as slashes by browsers.
    /[\s\p{Cc}\\]/u.test(value)
  ) {
    throw new InvalidRedirectURLError();
  }
  let url: URL;
  if (value.startsWith("/")) {
    // `//host` and `/\host` are protocol-relative to a browser; the backslash is already refused.
    if (value.startsWith("//")) throw new InvalidRedirectURLError();
    url = new URL(value, baseURL.origin);
    if (url.origin !== baseURL.origin) throw new InvalidRedirectURLError();
    return url.href;
  }
  // Absolute: the scheme must be followed by "//" as written, so `https:evil.example` (which
  // the parser would quietly turn into https://evil.example/) is refused.
  const scheme = /^(https?):\/\/[^/?#]/i.exec(value);
  if (!scheme) throw new InvalidRedirectURLError();
  try {
    url = new URL(value);
  } catch {
    throw new InvalidRedirectURLError();
  }
  // `https://app.example.com@evil.example` names evil.example; any userinfo is refused outright.
  if (
    url.username !== "" ||
    url.password !== "" ||
    value
      .slice(scheme[0].length - 1)
      .split(/[/?#]/)[0]!
      .includes("@")
  ) {
    throw new InvalidRedirectURLError();
  }
  if (!allowedOrigins.has(url.origin)) throw new InvalidRedirectURLError();
  return url.href;
}
