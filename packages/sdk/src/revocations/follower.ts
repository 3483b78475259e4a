/**
 * The revocation follower: keeps the set of revoked sessions current from a connection (the
 * SSE feed or an in-process log) and knows how far it can be trusted. "In sync" means the
 * connection has replayed everything retained (`ready`) and is still delivering; once it has
 * been out of sync for longer than the outage limit, the verifier's outage policy applies.
 */
import { describeError, type VerifierLogger } from "../lib/logger.js";
import type { Connection, ConnectionEvents } from "./connection.js";
import { createRevokedSessions } from "./revoked-sessions.js";

/**
 * Where the follower stands.
 * - `off`: the verifier does not follow revocations.
 * - `connecting`: not in sync (starting, or reconnecting), but for less than the outage limit.
 * - `live`: in sync; a revocation reaches the verifier as soon as the server publishes it.
 * - `unavailable`: out of sync for longer than the limit (or never in sync after the startup
 *   wait); the outage policy applies.
 * - `closed`: `close()` was called; the outage policy applies.
 */
export type FeedState = "off" | "connecting" | "live" | "unavailable" | "closed";

/** A snapshot of the follower, from `verifier.status()` and `onFeedStatus`. */
export interface FeedStatus {
  state: FeedState;
  /** The last instant (ms) the follower was known to be in sync; null if it never was. */
  lastSyncedAt: number | null;
  /** Revoked sessions currently remembered. */
  revokedSessions: number;
  /** Why the connection last failed; safe to log. Null while none has. */
  lastError: string | null;
}

/** Options of {@link createRevocationFollower}. */
export interface FollowerOptions {
  connect(events: ConnectionEvents): Connection;
  clock: () => number;
  maxOutageMs: number;
  /** How long requests wait at start for the first sync. */
  startupTimeoutMs: number;
  /** Named in the log line that announces the policy taking effect. */
  policy: string;
  /** Called for every revocation, so caches can drop what belongs to the session. */
  onRevoked(sessionId: string): void;
  onStatus?(status: FeedStatus): void;
  logger: VerifierLogger;
}

/** A running follower. */
export interface RevocationFollower {
  /** Resolves at the first sync, or once the startup wait is over. */
  ready(): Promise<void>;
  /** Whether {@link ready} has resolved: lets a request skip awaiting it (an await per request is not free). */
  isReady(): boolean;
  isRevoked(sessionId: string, now: number): boolean;
  /** The state at `now` (cheap: per request); reports a change through `onStatus`. */
  state(now: number): FeedState;
  /** A full snapshot at `now`; sweeps expired entries first so the count is current. */
  status(now: number): FeedStatus;
  close(): Promise<void>;
}

/** Expired entries are swept this often, besides being dropped when looked up. */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * Starts following.
 *
 * @example
 * ```ts
 * const follower = createRevocationFollower({ connect: (events) => connectSSEFeed(feed, events), ...options });
 * await follower.ready();
 * follower.isRevoked(claims.sid, Date.now());
 * ```
 */
export function createRevocationFollower(options: FollowerOptions): RevocationFollower {
  const { clock, logger } = options;
  const revoked = createRevokedSessions();
  let live = false;
  let closed = false;
  let gateOpen = false;
  let lastSyncedAt: number | null = null;
  let lastError: string | null = null;
  // The starting state is not announced: the callback would run before createVerifier returns.
  let reported: FeedState = "connecting";
  let outageTimer: ReturnType<typeof setTimeout> | undefined;

  let openGate: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    openGate = () => {
      gateOpen = true;
      clearTimeout(startupTimer);
      resolve();
    };
  });
  const startupTimer = setTimeout(() => {
    openGate();
    state(clock());
  }, options.startupTimeoutMs);
  startupTimer.unref?.();
  const pruneTimer = setInterval(() => revoked.prune(clock()), PRUNE_INTERVAL_MS);
  pruneTimer.unref?.();

  function stateAt(now: number): FeedState {
    if (closed) return "closed";
    if (live) return "live";
    if (lastSyncedAt === null) return gateOpen ? "unavailable" : "connecting";
    return now - lastSyncedAt > options.maxOutageMs ? "unavailable" : "connecting";
  }

  function state(now: number): FeedState {
    const current = stateAt(now);
    if (current !== reported) {
      const previous = reported;
      reported = current;
      if (current === "unavailable") {
        logger.error(
          { lastSyncedAt, lastError, policy: options.policy },
          `gatehouse: the revocation feed has been out of sync for longer than ${options.maxOutageMs / 1000} s; applying "${options.policy}"`,
        );
      } else if (current === "live" && previous === "unavailable") {
        logger.info({}, "gatehouse: the revocation feed is back in sync");
      }
      try {
        options.onStatus?.(snapshot(current));
      } catch (error) {
        // An app's status hook must not break the bookkeeping that protects it.
        logger.warn({ error: describeError(error) }, "gatehouse: onFeedStatus threw");
      }
    }
    return current;
  }

  function snapshot(current: FeedState): FeedStatus {
    return { state: current, lastSyncedAt, revokedSessions: revoked.size, lastError };
  }

  const connection = options.connect({
    onRevocation(entry) {
      revoked.add(entry.sessionId, entry.until);
      options.onRevoked(entry.sessionId);
    },
    onReady() {
      live = true;
      lastError = null;
      lastSyncedAt = clock();
      clearTimeout(outageTimer);
      openGate();
      state(lastSyncedAt);
    },
    onAlive() {
      if (live) lastSyncedAt = clock();
    },
    onDisconnected(problem) {
      const wasLive = live;
      const firstFailure = lastError === null;
      live = false;
      lastError = problem;
      if (closed) return;
      // One line per streak of failures: retries every few seconds would flood the log.
      if (wasLive) logger.warn({ problem }, "gatehouse: lost the revocation feed; reconnecting");
      else if (firstFailure) logger.warn({ problem }, "gatehouse: cannot reach the revocation feed; retrying");
      // The policy must take effect (and be reported) even if no request comes to notice.
      if (wasLive && lastSyncedAt !== null) {
        clearTimeout(outageTimer);
        outageTimer = setTimeout(() => state(clock()), Math.max(0, lastSyncedAt + options.maxOutageMs - clock()) + 1);
        outageTimer.unref?.();
      }
      state(clock());
    },
  });

  return {
    ready: () => gate,
    isReady: () => gateOpen,
    isRevoked: (sessionId, now) => revoked.has(sessionId, now),
    state,
    status(now) {
      revoked.prune(now);
      return snapshot(state(now));
    },
    async close() {
      if (closed) return;
      closed = true;
      live = false;
      clearTimeout(startupTimer);
      clearTimeout(outageTimer);
      clearInterval(pruneTimer);
      openGate();
      await connection.stop();
      state(clock());
    },
  };
}
