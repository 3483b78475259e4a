/**
 * Everything that differs between the three strategies, in one place: which credential a
 * request presents, how it is authenticated, and how a new or refreshed session is handed to
 * the client (cookies, or an OAuth 2 token response for bearer transport).
 *
 * | strategy | credential | cookies |
 * |---|---|---|
 * | session | opaque session token | session cookie |
 * | jwt, hybrid | access JWT (+ refresh token) | access cookie + refresh cookie on /v1/token |
 */
import { toUserJSON } from "../accounts/schema.js";
import type { Strategy } from "../config.js";
import {
  clearedCookies,
  credentialCookie,
  readCredential,
  refreshCookie,
  type CookieSettings,
} from "../http/credentials.js";
import { jsonResponse, type Caller, type Transport } from "../http/route.js";
import type { SessionRecord, SessionStore, UserRecord } from "../storage/ports.js";
import type { IssuedTokens, TokenService } from "../tokens/service.js";
import { toSessionJSON } from "./schema.js";
import type { IssuedSession, RevocationReason, SessionService } from "./service.js";

/** Options of {@link createSessionTransport}. */
export interface SessionTransportOptions {
  strategy: Strategy;
  cookie: CookieSettings;
  sessions: SessionService;
  store: SessionStore;
  /** Present for `jwt` and `hybrid`. */
  tokens: TokenService | null;
  clock: () => number;
}

/** Strategy-aware credential handling. */
export interface SessionTransport {
  /** The signed-in caller of a request, checked against the store; null if none. */
  authenticate(request: Request, transport: Transport): Promise<Caller | null>;
  /**
   * Ends the session an authentic credential of the request names (an expired access token
   * still names its session): at sign-out, and at every sign-in, which never adopts the session
   * the client already had (session fixation).
   */
  endPresentedSession(request: Request, transport: Transport, reason: RevocationReason): Promise<void>;
  /**
   * The answer to a sign-up or sign-in that created `issued`. `extra` members are added to the
   * body (e.g. the backup codes of an enrolment that signed in).
   */
  issuedResponse(
    status: number,
    transport: Transport,
    user: UserRecord,
    issued: IssuedSession,
    extra?: Record<string, unknown>,
  ): Promise<Response>;
  /** The answer to a refresh; tokens go where the refresh token came from. */
  refreshedResponse(transport: Transport, refreshed: IssuedTokens & { user: UserRecord }): Response;
  /** `Set-Cookie` values that end every credential cookie. */
  clearedCookies(): string[];
}

/** Creates the strategy-aware transport. */
export function createSessionTransport(options: SessionTransportOptions): SessionTransport {
  const { cookie, sessions, store, tokens, clock } = options;
  const secondsUntil = (instant: number): number => Math.floor((instant - clock()) / 1000);

  function tokenResponseBody(issued: IssuedTokens, user: UserRecord): Record<string, unknown> {
    return {
      access_token: issued.accessToken,
      token_type: "Bearer",
      expires_in: secondsUntil(issued.accessExpiresAt),
      refresh_token: issued.refreshToken,
      session_id: issued.session.id,
      user: toUserJSON(user),
    };
  }

  function tokenCookies(issued: IssuedTokens): string[] {
    // Both cookies live as long as the session could: an expired access cookie tells a server
    // "refresh me", where a missing one would say "signed out".
    const lifetime = secondsUntil(issued.session.expiresAt);
    return [
      credentialCookie(cookie, issued.accessToken, lifetime),
      refreshCookie(cookie, issued.refreshToken, lifetime),
    ];
  }

  function withCookies(status: number, body: unknown, cookies: string[]): Response {
    const response = jsonResponse(status, body);
    for (const value of cookies) response.headers.append("set-cookie", value);
    return response;
  }

  return {
    async authenticate(request, transport) {
      const credential = readCredential(request.headers, transport, cookie);
      if (!credential) return null;
      return tokens ? tokens.authenticate(credential) : sessions.authenticate(credential);
    },

    async endPresentedSession(request, transport, reason) {
      const credential = readCredential(request.headers, transport, cookie);
      if (!credential) return;
      let presented: SessionRecord | null;
      if (tokens) {
        const sessionId = await tokens.sessionIdOf(credential);
        presented = sessionId ? await store.getSession(sessionId) : null;
      } else {
        presented = (await sessions.authenticate(credential))?.session ?? null;
      }
      if (presented) await sessions.revoke(presented, reason);
    },

    async issuedResponse(status, transport, user, issued, extra = {}) {
      if (!tokens) {
        const lifetime = secondsUntil(issued.session.expiresAt);
        if (transport === "bearer") {
          return jsonResponse(status, {
            access_token: issued.token,
            token_type: "Bearer",
            expires_in: lifetime,
            session_id: issued.session.id,
            user: toUserJSON(user),
            ...extra,
          });
        }
        return withCookies(
          status,
          { user: toUserJSON(user), session: toSessionJSON(issued.session, issued.session.id), ...extra },
          [credentialCookie(cookie, issued.token, lifetime)],
        );
      }
      const issuedTokens = await tokens.issue(user, issued);
      if (transport === "bearer") return jsonResponse(status, { ...tokenResponseBody(issuedTokens, user), ...extra });
      return withCookies(
        status,
        {
          user: toUserJSON(user),
          session: toSessionJSON(issued.session, issued.session.id),
          expires_in: secondsUntil(issuedTokens.accessExpiresAt),
          ...extra,
        },
        tokenCookies(issuedTokens),
      );
    },

    refreshedResponse(transport, refreshed) {
      if (transport === "bearer") return jsonResponse(200, tokenResponseBody(refreshed, refreshed.user));
      return withCookies(
        200,
        {
          token_type: "Bearer",
          expires_in: secondsUntil(refreshed.accessExpiresAt),
          session_id: refreshed.session.id,
        },
        tokenCookies(refreshed),
      );
    },

    clearedCookies: () => clearedCookies(cookie),
  };
}
