/**
 * The OAuth 2 token endpoint (`POST /v1/token`, refresh grant, RFC 6749 §6) and the redirect
 * form of a refresh (`GET /v1/token/refresh`) that server-rendered apps use when a request
 * arrives with an expired access cookie.
 */
import { z } from "zod";
import { GatehouseError, InvalidGrantError, UnsupportedGrantTypeError, toProblemResponse } from "../errors/index.js";
import { readCookie, type CookieSettings } from "../http/credentials.js";
import { safeRedirect } from "../http/redirects.js";
import { defineRoute, type AnyRoute } from "../http/route.js";
import { bearerTokenJSON } from "../sessions/schema.js";
import type { SessionTransport } from "../sessions/transport.js";
import type { TokenService } from "./service.js";

/** What the token routes need. */
export interface TokenRouteDependencies {
  /** Null for the `session` strategy, which has no refresh tokens. */
  tokens: TokenService | null;
  transport: SessionTransport;
  cookie: CookieSettings;
  baseURL: URL;
  allowedOrigins: Set<string>;
}

const tokenRequest = z.object({
  grant_type: z.string({ error: "grant_type must be a string." }).max(64).optional(),
  refresh_token: z.string({ error: "refresh_token must be a string." }).max(512).optional(),
});

/** The token routes. */
export function tokenRoutes({
  tokens,
  transport,
  cookie,
  baseURL,
  allowedOrigins,
}: TokenRouteDependencies): AnyRoute[] {
  return [
    defineRoute({
      method: "POST",
      path: "/v1/token",
      summary: "Refresh: exchange a refresh token for new tokens (RFC 6749 §6)",
      tag: "Tokens",
      auth: "none",
      body: tokenRequest,
      bodyFormats: ["json", "form"],
      responses: {
        200: {
          description:
            "New tokens. A refresh token sent in the body is answered in the body; one from the refresh cookie is answered with new cookies.",
          schema: bearerTokenJSON,
        },
        400: { description: "`invalid_grant`, `unsupported_grant_type`, `invalid_request` (with RFC 6749 `error`)" },
      },
      async handle({ body, request }) {
        if (body.grant_type === undefined) {
          throw new GatehouseError("invalid_request", 400, "grant_type is required.", {
            oauthError: "invalid_request",
          });
        }
        if (body.grant_type !== "refresh_token") throw new UnsupportedGrantTypeError();
        if (!tokens) throw new UnsupportedGrantTypeError("The session strategy has no refresh tokens.");
        const fromCookie = body.refresh_token === undefined;
        const refreshToken = body.refresh_token ?? readCookie(request.headers, cookie.refreshName);
        if (!refreshToken) {
          throw new GatehouseError("invalid_request", 400, "refresh_token is required.", {
            oauthError: "invalid_request",
          });
        }
        try {
          const refreshed = await tokens.refresh(refreshToken);
          const response = transport.refreshedResponse(fromCookie ? "cookie" : "bearer", refreshed);
          response.headers.set("pragma", "no-cache");
          return response;
        } catch (error) {
          if (!fromCookie || !(error instanceof InvalidGrantError)) throw error;
          // A dead refresh cookie is cleared, so the browser stops presenting it.
          const response = toProblemResponse(error);
          for (const value of transport.clearedCookies()) response.headers.append("set-cookie", value);
          return response;
        }
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/token/refresh",
      summary: "Refresh with the refresh cookie, then redirect back (server-rendered apps, hybrid strategy)",
      tag: "Tokens",
      auth: "none",
      responses: {
        303: {
          description:
            "Back to `redirect_url` (allowed origins only) with fresh cookies, or with the cookies cleared when the session has ended.",
        },
      },
      async handle({ request }) {
        const target = safeRedirect(new URL(request.url).searchParams.get("redirect_url"), baseURL, allowedOrigins);
        const headers = new Headers({ location: target, "cache-control": "no-store" });
        const refreshToken = readCookie(request.headers, cookie.refreshName);
        try {
          if (!tokens || !refreshToken) throw new InvalidGrantError();
          const refreshed = await tokens.refresh(refreshToken);
          for (const value of transport.refreshedResponse("cookie", refreshed).headers.getSetCookie()) {
            headers.append("set-cookie", value);
          }
        } catch (error) {
          if (!(error instanceof InvalidGrantError)) throw error;
          for (const value of transport.clearedCookies()) headers.append("set-cookie", value);
        }
        return new Response(null, { status: 303, headers });
      },
    }),
  ];
}
