/**
 * `@gatehouse/sdk/next`: helpers for Next.js middleware and route handlers, written against
 * web `Request`/`Response` only, so the SDK never imports `next` (and runs in the edge or the
 * Node.js middleware runtime alike). `middleware` refuses or redirects signed-out requests;
 * `auth` tells a route handler or server component who is signed in.
 */
import { ConfigurationError } from "../errors/index.js";
import { answerSignedOut, checkRequireAuthOptions, type RequireAuthOptions } from "../lib/respond.js";
import type { AuthState } from "../verifier/auth-state.js";
import type { Verifier } from "../verifier/create-verifier.js";

/** Options of {@link createNextAuth}: how the middleware answers signed-out requests. */
export type NextAuthOptions = RequireAuthOptions;

/** What {@link createNextAuth} returns. */
export interface NextAuth {
  /**
   * For `middleware.ts`: undefined lets the request through (Next.js continues as with
   * `NextResponse.next()`); otherwise the redirect or problem response to send.
   */
  middleware(request: Request): Promise<Response | undefined>;
  /**
   * Who the request belongs to. Takes the route handler's `Request`, or the `Headers` of a
   * server component (`await headers()`), which carry the cookies but not the page URL (so no
   * `refreshURL` is offered).
   */
  auth(request: Request | Headers): Promise<AuthState>;
}

/**
 * Creates the helpers. The middleware redirects an expired access cookie to the server's
 * refresh path by default (`refreshExpired: true`), since it runs on page navigations.
 *
 * @example middleware.ts
 * ```ts
 * import { createVerifier } from "@gatehouse/sdk";
 * import { createNextAuth } from "@gatehouse/sdk/next";
 *
 * const nextAuth = createNextAuth(createVerifier({ url: process.env.GATEHOUSE_URL! }));
 * export function middleware(request: Request) {
 *   return nextAuth.middleware(request);
 * }
 * export const config = { matcher: ["/dashboard/:path*", "/api/:path*"] };
 * ```
 * @example app/api/me/route.ts
 * ```ts
 * export async function GET(request: Request) {
 *   const auth = await nextAuth.auth(request);
 *   if (auth.status !== "signed-in") return Response.json({ reason: auth.reason }, { status: 401 });
 *   return Response.json({ userId: auth.userId });
 * }
 * ```
 * @throws ConfigurationError when `verifier` is missing or `signInURL` is not a path or http(s) URL.
 */
export function createNextAuth(verifier: Verifier, options: NextAuthOptions = {}): NextAuth {
  if (!verifier || typeof verifier.authenticateRequest !== "function") {
    throw new ConfigurationError("createNextAuth needs a verifier: createNextAuth(createVerifier({ url })).");
  }
  const settings: RequireAuthOptions = { refreshExpired: true, ...options };
  checkRequireAuthOptions(settings);
  return {
    async middleware(request) {
      const state = await verifier.authenticateRequest(request);
      if (state.status === "signed-in") return undefined;
      const answer = answerSignedOut(state, request, settings);
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    },
    async auth(request) {
      if (!(request instanceof Headers)) return verifier.authenticateRequest(request);
      // Headers alone have no URL: a placeholder stands in, so a refresh URL would point nowhere.
      const state = await verifier.authenticateRequest(new Request("http://localhost/", { headers: request }));
      if (state.status === "signed-out" && state.refreshURL) {
        const { refreshURL: _placeholder, ...rest } = state;
        return rest;
      }
      return state;
    },
  };
}
