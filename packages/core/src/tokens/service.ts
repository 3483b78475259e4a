/**
 * Access and refresh tokens for the `jwt` and `hybrid` strategies.
 *
 * A sign-in creates a server session; the client gets a short-lived access JWT (`sid` names the
 * session) and a refresh token. Refresh tokens rotate on every use and are single-use, with
 * one twist that keeps parallel tabs and retries from logging anyone out: the successor of a
 * token is *derived* from it with a server-side key, so every refresh of the same token within
 * the grace window returns the very same successor, and the chain never forks. Nothing usable
 * is stored: the session keeps only hashes of the current and previous secret.
 *
 * A refresh token is `<session id>.<generation>.<secret>.<tag>`. The tag is a MAC over the rest,
 * so an older token of the chain is recognised as authentic (its reuse is the theft signal and
 * ends the session), while a forged one is merely refused and cannot be used to log anyone out.
 */
import { constantTimeEqual, isSessionLive, sha256base64url, verifyAccessToken } from "@gatehouse/sdk";
import type { AccessTokenClaims } from "@gatehouse/sdk";
import type { EventBus } from "../events/bus.js";
import { InvalidGrantError } from "../errors/index.js";
import type { Caller } from "../http/route.js";
import { base64url, randomBytes } from "../lib/encoding.js";
import type { MAC } from "../lib/encryption.js";
import type { SigningKeyManager } from "../keys/service.js";
import type { IssuedSession, SessionService } from "../sessions/service.js";
import type { SessionRecord, SessionStore, UserRecord, UserStore } from "../storage/ports.js";

const REFRESH_TOKEN = /^(sess_[A-Za-z0-9_-]{22})\.(\d{1,9})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

/**
 * The `fva` claim: `[first, second]`, the minutes between each factor's last verification in the
 * session and the token's `iat`; `-1` for a second factor never verified in the session. The first
 * factor was verified when the session was created (sign-in).
 */
export function factorVerificationAge(session: SessionRecord, now: number): [number, number] {
  const minutesSince = (instant: number): number => Math.max(0, Math.floor((now - instant) / 60_000));
  return [
    minutesSince(session.createdAt),
    session.secondFactorVerifiedAt === null ? -1 : minutesSince(session.secondFactorVerifiedAt),
  ];
}

/** Tokens handed to a client for a session. */
export interface IssuedTokens {
  accessToken: string;
  /** When the access token expires (ms). */
  accessExpiresAt: number;
  refreshToken: string;
  session: SessionRecord;
}

/** Options of {@link createTokenService}. */
export interface TokenServiceOptions {
  keys: SigningKeyManager;
  store: SessionStore;
  /** Reads the session's user: the engine's user cache. */
  users: Pick<UserStore, "getUserById">;
  sessions: SessionService;
  events: EventBus;
  /** Keys refresh-token tags and successors; derived from the encryption key. */
  mac: MAC;
  issuer: string;
  audience: string;
  accessTokenTTLSeconds: number;
  refreshGraceSeconds: number;
  idleTimeoutSeconds: number;
  clock: () => number;
}

/** What the routes and the handler use. */
export interface TokenService {
  /** Access and refresh tokens for a session just created by a sign-in. */
  issue(user: UserRecord, issued: IssuedSession): Promise<IssuedTokens>;
  /** Rotates a refresh token. @throws InvalidGrantError */
  refresh(refreshToken: string): Promise<IssuedTokens & { user: UserRecord }>;
  /** The caller behind an access token, with the session checked against the store; null if none. */
  authenticate(accessToken: string): Promise<Caller | null>;
  /** The session an authentic access token names, even an expired one (for sign-out). */
  sessionIdOf(accessToken: string): Promise<string | null>;
}

/** Creates the token service. */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const { keys, store, users, sessions, events, mac, clock } = options;
  const graceMs = options.refreshGraceSeconds * 1000;
  const idleMs = options.idleTimeoutSeconds * 1000;

  async function refreshTokenFor(sessionId: string, generation: number, secret: string): Promise<string> {
    const body = `${sessionId}.${generation}.${secret}`;
    return `${body}.${await mac(`refresh-tag.${body}`)}`;
  }

  const successorSecret = (sessionId: string, generation: number, secret: string): Promise<string> =>
    mac(`refresh-successor.${sessionId}.${generation}.${secret}`);

  async function accessTokenFor(
    user: UserRecord,
    session: SessionRecord,
  ): Promise<{ token: string; expiresAt: number }> {
    const now = clock();
    // Never outlives the session's absolute lifetime.
    const expiresAt = Math.min(now + options.accessTokenTTLSeconds * 1000, session.expiresAt);
    const token = await keys.signAccessToken({
      iss: options.issuer,
      sub: user.id,
      aud: options.audience,
      iat: Math.floor(now / 1000),
      exp: Math.floor(expiresAt / 1000),
      jti: base64url(randomBytes(16)),
      sid: session.id,
      fva: factorVerificationAge(session, now),
    });
    return { token, expiresAt: Math.floor(expiresAt / 1000) * 1000 };
  }

  async function tokensFor(user: UserRecord, session: SessionRecord, refreshToken: string): Promise<IssuedTokens> {
    const access = await accessTokenFor(user, session);
    return { accessToken: access.token, accessExpiresAt: access.expiresAt, refreshToken, session };
  }

  async function verified(token: string, acceptExpired: boolean): Promise<AccessTokenClaims | null> {
    const result = await verifyAccessToken(token, {
      keys: keys.resolveKey,
      issuer: options.issuer,
      audience: options.audience,
      algorithms: keys.publishedAlgorithms(),
      now: new Date(clock()),
      acceptExpired,
    });
    return result.ok ? result.claims : null;
  }

  return {
    async issue(user, issued) {
      const secret = issued.token.slice(issued.token.indexOf(".") + 1);
      return tokensFor(user, issued.session, await refreshTokenFor(issued.session.id, 0, secret));
    },

    async refresh(refreshToken) {
      const match = REFRESH_TOKEN.exec(refreshToken);
      if (!match) throw new InvalidGrantError();
      const [, sessionId, generationText, secret, tag] = match as unknown as [string, string, string, string, string];
      const generation = Number(generationText);
      const expectedTag = (await refreshTokenFor(sessionId, generation, secret)).slice(-43);
      if (!constantTimeEqual(tag, expectedTag)) throw new InvalidGrantError();

      let session = await store.getSession(sessionId);
      const now = clock();
      if (!session || !isSessionLive(session, now)) throw new InvalidGrantError("The session has ended.");
      const user = await users.getUserById(session.userId);
      // A ban ends every session; this also refuses one that a sign-in racing the ban created.
      if (!user || user.bannedAt !== null) throw new InvalidGrantError("The session has ended.");

      const presentedHash = await sha256base64url(secret);
      const successor = await successorSecret(sessionId, generation, secret);
      const successorToken = await refreshTokenFor(sessionId, generation + 1, successor);

      if (presentedHash === session.secretHash && generation === session.generation) {
        const rotated = await store.rotateSessionSecret(sessionId, presentedHash, {
          secretHash: await sha256base64url(successor),
          previousSecretHash: presentedHash,
          rotatedAt: now,
          generation: generation + 1,
          lastActiveAt: now,
          idleExpiresAt: Math.min(now + idleMs, session.expiresAt),
        });
        if (rotated) return { ...(await tokensFor(user, session, successorToken)), user };
        // A parallel refresh rotated first: judge this one against the new state.
        session = await store.getSession(sessionId);
        if (!session) throw new InvalidGrantError("The session has ended.");
      }

      const withinGrace =
        presentedHash === session.previousSecretHash &&
        generation === session.generation - 1 &&
        session.rotatedAt !== null &&
        now - session.rotatedAt <= graceMs;
      if (withinGrace) return { ...(await tokensFor(user, session, successorToken)), user };

      // An authentic token that is no longer current: someone else holds the chain. End it.
      await sessions.revoke(session, "refresh_token_reuse");
      events.emit({
        type: "refresh_token.reused",
        userId: session.userId,
        sessionId,
        data: { presentedGeneration: generation, currentGeneration: session.generation },
      });
      throw new InvalidGrantError();
    },

    async authenticate(accessToken) {
      const claims = await verified(accessToken, false);
      if (!claims) return null;
      // The server's own endpoints always consult revocation state: the session must still exist.
      const session = await store.getSession(claims.sid);
      if (!session || session.userId !== claims.sub || !isSessionLive(session, clock())) return null;
      const user = await users.getUserById(session.userId);
      return user && user.bannedAt === null ? { user, session, accessTokenExpiresAt: claims.exp * 1000 } : null;
    },

    async sessionIdOf(accessToken) {
      return (await verified(accessToken, true))?.sid ?? null;
    },
  };
}
