/**
 * The one place a signed-out state becomes an HTTP answer, shared by every framework adapter:
 * a redirect where a browser can recover by itself (an expired cookie on a page load, or a
 * sign-in page when the app names one), otherwise an RFC 9457 problem with the stable code and
 * reason. An outage of what the verifier depends on is a 503, never a 401: the user is not
 * at fault, and a client that takes a 401 as "sign in again" would be sent away for nothing.
 */
import { ConfigurationError } from "../errors/index.js";
import type { SignedOutState } from "../verifier/auth-state.js";
import type { Verifier } from "../verifier/create-verifier.js";

/** Options of every adapter's `requireAuth`. */
export interface RequireAuthOptions {
  /**
   * Redirect a GET or HEAD request whose access cookie has expired to the server's refresh
   * path (`state.refreshURL`), which sets a fresh cookie and sends the browser back. For
   * server-rendered pages on the `hybrid` strategy; API routes called by `fetch` leave it off
   * and let the browser client refresh.
   * @default false (true in the Next.js middleware)
   */
  refreshExpired?: boolean;
  /**
   * Send signed-out GET and HEAD requests here (with `redirect_url` set to the page) instead of
   * answering 401. A path, or an absolute http(s) URL such as `https://auth.example.com/sign-in`.
   */
  signInURL?: string;
}

/** An HTTP answer, framework-neutral. */
export interface SignedOutAnswer {
  status: number;
  headers: Record<string, string>;
  body: string | null;
}

/** The RFC 9457 body of a refused request. */
export interface UnauthenticatedProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: "unauthenticated" | "verification_unavailable";
  reason: SignedOutState["reason"];
}

/**
 * Throws at setup, not per request, when `signInURL` cannot be a redirect target.
 *
 * @example
 * ```ts
 * checkRequireAuthOptions({ signInURL: "/sign-in" }); // fine; "javascript:…" throws ConfigurationError
 * ```
 */
export function checkRequireAuthOptions(options: RequireAuthOptions): void {
  const url = options.signInURL;
  if (url === undefined) return;
  if (typeof url === "string" && url.startsWith("/") && !url.startsWith("//")) return;
  try {
    const parsed = new URL(String(url));
    if (parsed.protocol === "https:" || parsed.protocol === "http:") return;
  } catch {
    // Reported below.
  }
  throw new ConfigurationError(
    'signInURL must be a path ("/sign-in") or an absolute http(s) URL ("https://auth.example.com/sign-in").',
  );
}

const REQUIRE_AUTH_OPTIONS = new Set(["refreshExpired", "signInURL"]);

/**
 * Sorts out an adapter's `requireAuth(options?)` / `requireAuth(verifier, options?)` arguments
 * and checks the options, at setup.
 *
 * @example
 * ```ts
 * guardArguments(verifier, { signInURL: "/sign-in" }); // { verifier, options: { signInURL: "/sign-in" } }
 * guardArguments({ refreshExpired: true }); // { verifier: null, options: { refreshExpired: true } }
 * ```
 * @throws ConfigurationError when `signInURL` is not a path or http(s) URL, when options come
 * with no verifier, or when the first argument is neither a verifier nor options.
 */
export function guardArguments(
  first: Verifier | RequireAuthOptions | undefined,
  second: RequireAuthOptions | undefined,
): { verifier: Verifier | null; options: RequireAuthOptions } {
  if (typeof (first as Verifier | undefined)?.authenticateRequest === "function") {
    const options = second ?? {};
    checkRequireAuthOptions(options);
    return { verifier: first as Verifier, options };
  }
  if (first === undefined || first === null) {
    // `requireAuth(undefined, options)`: a verifier variable that was never set.
    if (second !== undefined) {
      throw new ConfigurationError("requireAuth(verifier, options) was given no verifier: createVerifier({ url }).");
    }
    return { verifier: null, options: {} };
  }
  const options = first as RequireAuthOptions;
  const unknown = Object.keys(options).filter((key) => !REQUIRE_AUTH_OPTIONS.has(key));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `requireAuth takes a verifier or options ({ refreshExpired, signInURL }); got ${unknown.join(", ")}.`,
    );
  }
  checkRequireAuthOptions(options);
  return { verifier: null, options };
}

function redirect(location: string): SignedOutAnswer {
  return { status: 303, headers: { location, "cache-control": "no-store" }, body: null };
}

/**
 * The answer for a request that is not signed in.
 *
 * @example
 * ```ts
 * const answer = answerSignedOut(state, request, { refreshExpired: true });
 * return new Response(answer.body, { status: answer.status, headers: answer.headers });
 * ```
 */
export function answerSignedOut(
  state: SignedOutState,
  request: { method: string; url: string },
  options: RequireAuthOptions,
): SignedOutAnswer {
  const unavailable = state.reason === "unavailable" || state.reason === "feed-unavailable";
  if (options.refreshExpired && state.refreshURL) return redirect(state.refreshURL);
  const pageLoad = request.method === "GET" || request.method === "HEAD";
  if (options.signInURL && pageLoad && !unavailable) {
    const target = new URL(options.signInURL, request.url);
    target.searchParams.set("redirect_url", request.url);
    return redirect(options.signInURL.startsWith("/") ? `${target.pathname}${target.search}` : target.href);
  }
  const status = unavailable ? 503 : 401;
  const problem: UnauthenticatedProblem = unavailable
    ? {
        type: "urn:gatehouse:error:verification_unavailable",
        title: "Service Unavailable",
        status,
        detail: "Your sign-in could not be checked right now. Try again shortly.",
        code: "verification_unavailable",
        reason: state.reason,
      }
    : {
        type: "urn:gatehouse:error:unauthenticated",
        title: "Unauthorized",
        status,
        detail: "You are not signed in.",
        code: "unauthenticated",
        reason: state.reason,
      };
  const headers: Record<string, string> = {
    "content-type": "application/problem+json",
    "cache-control": "no-store",
  };
  if (unavailable) headers["retry-after"] = "5";
  // RFC 6750 §3: say a presented token was refused, so clients know to refresh, not just retry.
  else headers["www-authenticate"] = state.reason === "no-credential" ? "Bearer" : 'Bearer error="invalid_token"';
  return { status, headers, body: JSON.stringify(problem) };
}
