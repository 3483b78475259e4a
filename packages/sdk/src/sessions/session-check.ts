/**
 * Checking an opaque session token (`session` strategy), in one of two ways:
 * - through the store: one `getSession` read per request, the same rules as the server
 *   (secret hash, absolute and idle expiry), for apps that share the session store (Redis or
 *   the database) or embed the engine;
 * - through the server: one `GET {url}/v1/session` round trip per request (unless the
 *   verifier caches answers), for apps that only know Gatehouse's URL.
 */
import { describeError, type VerifierLogger } from "../lib/logger.js";
import { isSessionLive, parseSessionToken, sessionSecretMatches } from "./session-token.js";

/** The fields of a stored session the check reads; the engine's `SessionRecord` has them. */
export interface StoredSession {
  userId: string;
  /** base64url SHA-256 of the token's secret half. */
  secretHash: string;
  lastActiveAt: number;
  /** The session ends here unless used (ms since the epoch). */
  idleExpiresAt: number;
  /** Absolute end (ms since the epoch). */
  expiresAt: number;
}

/**
 * A session store the verifier may read directly. The engine's `SessionStore` (SQLite,
 * PostgreSQL, Redis, memory) satisfies it as it is.
 */
export interface SessionSource {
  /** The session, or null. Expired records may be returned; the verifier checks. */
  getSession(id: string): Promise<StoredSession | null>;
  /** Records activity, so a session used only through this app does not idle out. */
  touchSession?(id: string, lastActiveAt: number, idleExpiresAt: number): Promise<void>;
}

/** The outcome of a session check. */
export type SessionCheckResult =
  | { ok: true; userId: string; sessionId: string; expiresAt: number | null }
  | { ok: false; reason: "session-ended" | "unavailable" | "invalid" };

/** Checks one session token. */
export type SessionCheck = (token: string) => Promise<SessionCheckResult>;

/** Options of {@link createStoreSessionCheck}. */
export interface StoreSessionCheckOptions {
  store: SessionSource;
  /** The server's idle timeout; needed to touch sessions. Null: never write. */
  idleTimeoutSeconds: number | null;
  clock: () => number;
  logger: VerifierLogger;
}

/**
 * A check that reads the store once per request. Activity is written at most once a minute
 * (or a tenth of a short idle timeout), as the server does: writing on every request would
 * turn each read into a write.
 *
 * @example
 * ```ts
 * const check = createStoreSessionCheck({ store: redisSessions, idleTimeoutSeconds: 604800, clock: Date.now, logger });
 * const result = await check("sess_….…");
 * ```
 */
export function createStoreSessionCheck(options: StoreSessionCheckOptions): SessionCheck {
  const { store, clock, logger } = options;
  const idleMs = options.idleTimeoutSeconds === null ? null : options.idleTimeoutSeconds * 1000;
  const touchIntervalMs = idleMs === null ? Infinity : Math.min(60_000, idleMs / 10);

  return async (token) => {
    const parsed = parseSessionToken(token);
    if (!parsed) return { ok: false, reason: "invalid" };
    let session: StoredSession | null;
    try {
      session = await store.getSession(parsed.sessionId);
    } catch (error) {
      logger.warn({ error: describeError(error) }, "gatehouse: the session store could not be read");
      return { ok: false, reason: "unavailable" };
    }
    if (!session) return { ok: false, reason: "session-ended" };
    if (!(await sessionSecretMatches(parsed.secret, session.secretHash))) return { ok: false, reason: "session-ended" };
    const now = clock();
    if (!isSessionLive(session, now)) return { ok: false, reason: "session-ended" };
    let idleExpiresAt = session.idleExpiresAt;
    if (idleMs !== null && store.touchSession && now - session.lastActiveAt >= touchIntervalMs) {
      idleExpiresAt = Math.min(now + idleMs, session.expiresAt);
      try {
        await store.touchSession(parsed.sessionId, now, idleExpiresAt);
      } catch (error) {
        // The read succeeded, so the request is authentic; only the idle clock lags.
        logger.warn({ error: describeError(error) }, "gatehouse: recording session activity failed");
      }
    }
    return {
      ok: true,
      userId: session.userId,
      sessionId: parsed.sessionId,
      expiresAt: Math.min(session.expiresAt, idleExpiresAt),
    };
  };
}

/** Options of {@link createServerSessionCheck}. */
export interface ServerSessionCheckOptions {
  /** `{url}/v1/session`. */
  sessionURL: string;
  fetch: typeof fetch;
  /** @default 5000 */
  timeoutMs?: number;
  logger: VerifierLogger;
}

function instant(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value !== "string") return null;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

/**
 * A check that asks the server: `GET {url}/v1/session` with the token as a bearer credential.
 * 200 means signed in, 401 that the session has ended; anything else (a fault, a timeout)
 * is "unavailable", so an outage is never mistaken for a sign-out.
 *
 * @example
 * ```ts
 * const check = createServerSessionCheck({ sessionURL: "https://auth.example.com/v1/session", fetch, logger });
 * ```
 */
export function createServerSessionCheck(options: ServerSessionCheckOptions): SessionCheck {
  const timeoutMs = options.timeoutMs ?? 5000;
  return async (token) => {
    const parsed = parseSessionToken(token);
    if (!parsed) return { ok: false, reason: "invalid" };
    let response: Response;
    try {
      response = await options.fetch(options.sessionURL, {
        headers: { authorization: `Bearer ${token}`, accept: "application/json" },
        // Never follow a redirect with the user's credential.
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      options.logger.warn({ error: describeError(error) }, "gatehouse: the session check could not reach the server");
      return { ok: false, reason: "unavailable" };
    }
    if (response.status === 401) {
      await response.body?.cancel();
      return { ok: false, reason: "session-ended" };
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      options.logger.warn({ status: response.status }, "gatehouse: the session check got an unexpected answer");
      return { ok: false, reason: "unavailable" };
    }
    try {
      const body = (await response.json()) as { user?: { id?: unknown }; session?: Record<string, unknown> };
      const userId = body.user?.id;
      const sessionId = body.session?.id;
      if (typeof userId !== "string" || sessionId !== parsed.sessionId) throw new TypeError("unexpected shape");
      const ends = [instant(body.session?.expires_at), instant(body.session?.idle_expires_at)].filter(
        (value): value is number => value !== null,
      );
      return { ok: true, userId, sessionId, expiresAt: ends.length > 0 ? Math.min(...ends) : null };
    } catch {
      options.logger.warn({}, "gatehouse: the session check answer was not {user, session}");
      return { ok: false, reason: "unavailable" };
    }
  };
}
