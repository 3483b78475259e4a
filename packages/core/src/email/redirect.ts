/**
 * `redirect_url` checking for magic links: where the emailed link may send the browser after
 * signing in. An open redirect here would turn a trusted sign-in email into a phishing link.
 *
 * The rule is the engine's one (`http/redirects.ts`: a path on the base URL's origin, or an
 * absolute http(s) URL on an allowed origin, without user info), with two differences: a value
 * that fails is refused with 400 at request time rather than replaced (the requester learns at
 * once, instead of the user landing somewhere unexpected after the email), and it is stricter
 * about spellings browsers read differently from the WHATWG parser (any whitespace or control
 * character, a scheme not followed by exactly `//` and a host).
 */
import { InvalidRedirectURLError } from "../errors/index.js";
import { safeRedirect } from "../http/redirects.js";

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
  if (value.length === 0 || value.length > REDIRECT_URL_MAX_LENGTH || /[\s\p{Cc}]/u.test(value)) {
    throw new InvalidRedirectURLError();
  }
  // An absolute value must be spelled `http(s)://host…`: the parser would read `https:///evil`
  // as https://evil/.
  if (!value.startsWith("/") && !/^https?:\/\/[^/?#\\]/i.test(value)) throw new InvalidRedirectURLError();
  const resolved = safeRedirect(value, options.baseURL, options.allowedOrigins, "");
  if (resolved === "") throw new InvalidRedirectURLError();
  return resolved;
}
