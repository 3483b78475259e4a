/**
 * Server-side sessions: creation, authentication of a presented token, activity tracking and
 * revocation. A session token is `<session id>.<secret>`: the id finds the record in one
 * lookup, the 256-bit secret proves possession, and only the secret's SHA-256 is stored, so
 * a leaked store yields no usable token.
 */
import { isSessionLive, parseSessionToken, sessionSecretMatches } from "@gatehouse/sdk";
import type { EventActor, EventBus } from "../events/bus.js";
import { base64url, randomBytes, randomId, sha256base64url } from "../lib/encoding.js";
import type { RevocationLog, SessionRecord, SessionStore, UserRecord, UserStore } from "../storage/ports.js";

/** A freshly created session with the token that only the client will ever hold. */
export interface IssuedSession {
  token: string;
  session: SessionRecord;
}

/** Where a sign-in came from, shown in the user's session list. */
export interface ClientDetails {
  ip: string | null;
  userAgent: string | null;
}

/**
 * Why a session ended early; carried on `session.revoked` events. Expiry is not a revocation
 * and emits nothing.
 */
export type RevocationReason =
  | "sign_out"
  | "user_revoked"
  | "replaced_by_sign_in"
  | "refresh_token_reuse"
  /** An admin banned the user: every session ends. */
  | "banned"
  /** An admin deleted the user: every session ends before the account goes. */
  | "deleted"
  /** An admin revoked this one session. */
  | "admin_revoked"
  /** An admin signed the user out on every device. */
  | "signed_out_everywhere"
  /** The password was reset with an emailed link: every session ends. */
  | "password_reset"
  /** The user changed their password: every other session ends. */
  | "password_changed";

/** Options of {@link createSessionService}. */
export interface SessionServiceOptions {
  store: SessionStore;
  events: EventBus;
  /** Every revocation is logged here, for the feed that stateless verifiers follow. */
  revocations: RevocationLog;
  /**
   * How long a revocation matters to a verifier: the longest an access token of the session can
   * outlive the revocation (its lifetime plus clock skew).
   */
  revocationRetentionMs: number;
  /** Reads the session's user: the engine's user cache. */
  users: Pick<UserStore, "getUserById">;
  idleTimeoutSeconds: number;
  maxAgeSeconds: number;
  clock: () => number;
}

/** The session operations the routes and the engine use. */
export interface SessionService {
  /**
   * Creates a session. `secondFactorVerifiedAt`: when the sign-in that creates it verified a
   * second factor (the `fva` claim starts from it).
   */
  create(userId: string, client: ClientDetails, options?: { secondFactorVerifiedAt?: number }): Promise<IssuedSession>;
  /** Records a second-factor verification (step-up) on a live session. */
  markSecondFactorVerified(session: SessionRecord, verifiedAt: number): Promise<void>;
  /** The session and its user for a presented token, or null if it is unknown, forged or expired. */
  authenticate(token: string): Promise<{ user: UserRecord; session: SessionRecord } | null>;
  /** Ends one session at once. `actor` (an admin) is recorded on the event. */
  revoke(session: SessionRecord, reason: RevocationReason, options?: { actor?: EventActor }): Promise<void>;
  /** Ends every session of the user at once, optionally sparing the caller's own. */
  revokeAllForUser(
    userId: string,
    reason: RevocationReason,
    options?: { exceptSessionId?: string; actor?: EventActor },
  ): Promise<void>;
  /** The user's live sessions, most recently active first. */
  listLive(userId: string): Promise<SessionRecord[]>;
}

const USER_AGENT_LIMIT = 512;

/** Creates the session service over a store. */
export function createSessionService(options: SessionServiceOptions): SessionService {
  const { store, users, events, revocations, clock } = options;
  const idleMs = options.idleTimeoutSeconds * 1000;
  const maxAgeMs = options.maxAgeSeconds * 1000;
  // Writing on every request would turn each read into a write; once a minute (or a tenth of
  // a short idle timeout) keeps the idle clock accurate enough at a fraction of the cost.
  const touchIntervalMs = Math.min(60_000, idleMs / 10);

  async function revoke(
    session: SessionRecord,
    reason: RevocationReason,
    { actor }: { actor?: EventActor } = {},
  ): Promise<void> {
    await store.deleteSession(session.id);
    // Awaited: when sign-out answers, the revocation is already on its way to every verifier.
    const now = clock();
    await revocations.append({
      sessionId: session.id,
      userId: session.userId,
      revokedAt: now,
      until: now + options.revocationRetentionMs,
    });
    events.emit({
      type: "session.revoked",
      userId: session.userId,
      sessionId: session.id,
      ...(actor ? { actor } : {}),
      data: { reason },
    });
  }

  return {
    async create(userId, client, { secondFactorVerifiedAt } = {}) {
      const secret = base64url(randomBytes(32));
      const now = clock();
      const session: SessionRecord = {
        id: randomId("sess"),
        userId,
        secretHash: await sha256base64url(secret),
        createdAt: now,
        lastActiveAt: now,
        idleExpiresAt: Math.min(now + idleMs, now + maxAgeMs),
        expiresAt: now + maxAgeMs,
        ip: client.ip,
        userAgent: client.userAgent?.slice(0, USER_AGENT_LIMIT) ?? null,
        generation: 0,
        previousSecretHash: null,
        rotatedAt: null,
        secondFactorVerifiedAt: secondFactorVerifiedAt ?? null,
      };
      await store.createSession(session);
      events.emit({
        type: "session.created",
        userId,
        sessionId: session.id,
        ip: session.ip,
        userAgent: session.userAgent,
      });
      return { token: `${session.id}.${secret}`, session };
    },

    async authenticate(token) {
      const parsed = parseSessionToken(token);
      if (!parsed) return null;
      const id = parsed.sessionId;
      const session = await store.getSession(id);
      if (!session) return null;
      if (!(await sessionSecretMatches(parsed.secret, session.secretHash))) return null;
      const now = clock();
      if (!isSessionLive(session, now)) {
        await store.deleteSession(id);
        return null;
      }
      const user = await users.getUserById(session.userId);
      // A ban revokes every session, but a session created by a sign-in racing the ban (or on a
      // store the ban could not reach) must still be refused: the user record decides.
      if (!user || user.bannedAt !== null) {
        await store.deleteSession(id);
        return null;
      }
      if (now - session.lastActiveAt >= touchIntervalMs) {
        session.lastActiveAt = now;
        session.idleExpiresAt = Math.min(now + idleMs, session.expiresAt);
        await store.touchSession(id, session.lastActiveAt, session.idleExpiresAt);
      }
      return { user, session };
    },

    revoke,

    async markSecondFactorVerified(session, verifiedAt) {
      await store.markSecondFactorVerified(session.id, verifiedAt);
      session.secondFactorVerifiedAt = verifiedAt;
    },

    async revokeAllForUser(userId, reason, { exceptSessionId, actor } = {}) {
      const sessions = await store.listSessionsByUser(userId);
      await Promise.all(
        sessions
          .filter((session) => session.id !== exceptSessionId)
          .map((session) => revoke(session, reason, actor ? { actor } : {})),
      );
    },

    async listLive(userId) {
      const now = clock();
      const sessions = await store.listSessionsByUser(userId);
      return sessions.filter((session) => isSessionLive(session, now)).sort((a, b) => b.lastActiveAt - a.lastActiveAt);
    },
  };
}
