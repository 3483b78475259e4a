/**
 * What a revocation follower is connected to. Two kinds exist: the server's SSE feed (service
 * mode, {@link connectSSEFeed}) and an in-process revocation log (embedded mode,
 * {@link connectRevocationSource}). Both report through the same four callbacks, so the
 * follower's bookkeeping (status, outage policy, startup wait) is written once.
 */
import { describeError, type VerifierLogger } from "../lib/logger.js";
import { createSSEParser } from "./sse-parser.js";

/** One revoked session, as a revocation log holds it (field names of the engine's log). */
export interface RevocationRecord {
  sessionId: string;
  userId: string;
  /** When the session was revoked, ms since the epoch. */
  revokedAt: number;
  /** After this instant (ms) no access token of the session can still be valid. */
  until: number;
  /** Opaque, increasing position in the log; resuming after it misses nothing. */
  cursor?: string;
}

/**
 * An in-process source of revocations, such as the engine's revocation log. `subscribe`
 * delivers live entries; `readAfter` replays retained ones (from the oldest when `cursor` is
 * null), oldest first, at most `limit`.
 */
export interface RevocationSource {
  subscribe(listener: (entry: RevocationRecord) => void): () => void;
  readAfter(cursor: string | null, limit: number): Promise<RevocationRecord[]>;
}

/** The callbacks a connection reports through. */
export interface ConnectionEvents {
  onRevocation(entry: RevocationRecord): void;
  /** Every retained entry has been delivered: from now on the follower is in sync. */
  onReady(): void;
  /** Bytes arrived (an event or a heartbeat): the connection is alive. */
  onAlive(): void;
  /** The connection ended or could not be made; `problem` is safe to log (no secret). */
  onDisconnected(problem: string): void;
}

/** A running connection. */
export interface Connection {
  /** Ends it; resolves once no timer or socket of it remains. */
  stop(): Promise<void>;
}

/** Reconnection delays. */
export interface RetryOptions {
  /** First delay after a failure; doubles per consecutive failure. @default 500 */
  minReconnectDelayMs: number;
  /** @default 30000 */
  maxReconnectDelayMs: number;
}

/** Options of {@link connectSSEFeed}. */
export interface SSEFeedOptions extends RetryOptions {
  /** `{url}/v1/revocations/stream`. */
  streamURL: string;
  secretKey: string;
  fetch: typeof fetch;
  /** A connection silent this long is presumed dead and replaced. @default 45000 */
  heartbeatTimeoutMs: number;
  logger: VerifierLogger;
}

/** Entries per `readAfter` page during an in-process catch-up. */
const REPLAY_PAGE = 500;

/** Exponential backoff with jitter, so many app instances do not reconnect in lockstep. */
function reconnectDelay(attempt: number, retry: RetryOptions): number {
  const ceiling = Math.min(retry.maxReconnectDelayMs, retry.minReconnectDelayMs * 2 ** Math.min(attempt, 20));
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

/** A sleep that `stop()` can cut short; its timer never keeps the process alive. */
function createSleeper(): { sleep(ms: number): Promise<void>; wake(): void } {
  let wake: (() => void) | null = null;
  return {
    sleep(ms) {
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        timer.unref?.();
        function done(): void {
          clearTimeout(timer);
          wake = null;
          resolve();
        }
        wake = done;
      });
    },
    wake() {
      wake?.();
    },
  };
}

function parseRevocation(data: string, id: string | null): RevocationRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { sid, sub, revoked_at: revokedAt, until } = value as Record<string, unknown>;
  if (typeof sid !== "string" || sid === "" || typeof sub !== "string") return null;
  if (typeof revokedAt !== "number" || typeof until !== "number" || !Number.isFinite(until)) return null;
  return { sessionId: sid, userId: sub, revokedAt, until, ...(id === null ? {} : { cursor: id }) };
}

/**
 * Follows `GET {url}/v1/revocations/stream`: replays from `Last-Event-ID` on every reconnect,
 * reconnects with backoff, and replaces a connection that has been silent for longer than
 * three heartbeats (a half-open TCP connection would otherwise look alive forever).
 *
 * @example
 * ```ts
 * const connection = connectSSEFeed(options, { onRevocation, onReady, onAlive, onDisconnected });
 * await connection.stop();
 * ```
 */
export function connectSSEFeed(options: SSEFeedOptions, events: ConnectionEvents): Connection {
  let stopped = false;
  let cursor: string | null = null;
  let current: AbortController | null = null;
  const sleeper = createSleeper();

  async function consume(
    body: ReadableStream<Uint8Array>,
    signal: AbortSignal,
    markAlive: () => void,
    markReady: () => void,
  ): Promise<void> {
    const parser = createSSEParser({
      onComment: () => events.onAlive(),
      onEvent(event) {
        if (event.type === "revocation") {
          const entry = parseRevocation(event.data, event.id);
          if (entry) events.onRevocation(entry);
          else options.logger.warn({ event: "revocation" }, "gatehouse: ignored a malformed revocation event");
        } else if (event.type === "ready") {
          markReady();
          events.onReady();
        }
        // The cursor moves only once the event has been applied, so a cut mid-event replays it.
        if (event.id !== null) cursor = event.id;
        events.onAlive();
      },
    });
    const decoder = new TextDecoder();
    const reader = body.getReader();
    // Cancelling ends a pending read even if the fetch in use ignores its abort signal.
    const cancel = (): void => void reader.cancel().catch(() => {});
    signal.addEventListener("abort", cancel, { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        markAlive();
        parser.push(decoder.decode(value, { stream: true }));
      }
    } finally {
      signal.removeEventListener("abort", cancel);
      reader.releaseLock();
    }
  }

  async function connectOnce(): Promise<{ problem: string; wasReady: boolean }> {
    const controller = new AbortController();
    current = controller;
    let lastActivity = performance.now();
    let silent = false;
    const watchdog = setInterval(
      () => {
        if (performance.now() - lastActivity > options.heartbeatTimeoutMs) {
          silent = true;
          controller.abort();
        }
      },
      Math.max(10, Math.floor(options.heartbeatTimeoutMs / 4)),
    );
    watchdog.unref?.();
    let wasReady = false;
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${options.secretKey}`,
        accept: "text/event-stream",
        "cache-control": "no-store",
      };
      if (cursor !== null) headers["last-event-id"] = cursor;
      const response = await options.fetch(options.streamURL, {
        headers,
        signal: controller.signal,
        // A redirect would carry the secret key somewhere it was not configured to go.
        redirect: "manual",
      });
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        return {
          problem: `the feed refused the secret key (HTTP ${response.status}); check secretKey (GATEHOUSE_SECRET_KEY)`,
          wasReady,
        };
      }
      const type = response.headers.get("content-type") ?? "";
      if (response.status !== 200 || !type.toLowerCase().startsWith("text/event-stream") || !response.body) {
        await response.body?.cancel();
        return { problem: `the feed answered HTTP ${response.status} (${type || "no content type"})`, wasReady };
      }
      await consume(
        response.body,
        controller.signal,
        () => {
          lastActivity = performance.now();
        },
        () => {
          wasReady = true;
        },
      );
      return { problem: "the feed closed the connection", wasReady };
    } catch (error) {
      if (silent) return { problem: `no data or heartbeat for ${options.heartbeatTimeoutMs} ms`, wasReady };
      return { problem: describeError(error), wasReady };
    } finally {
      clearInterval(watchdog);
      controller.abort();
      current = null;
    }
  }

  const loop = (async () => {
    let attempt = 0;
    while (!stopped) {
      const { problem, wasReady } = await connectOnce();
      if (stopped) break;
      events.onDisconnected(problem);
      // A connection that got as far as `ready` was healthy: start the backoff over.
      attempt = wasReady ? 0 : attempt + 1;
      await sleeper.sleep(reconnectDelay(attempt, options));
    }
  })();

  return {
    async stop() {
      stopped = true;
      current?.abort();
      sleeper.wake();
      await loop;
    },
  };
}

/** Options of {@link connectRevocationSource}. */
export interface SourceOptions extends RetryOptions {
  logger: VerifierLogger;
}

/**
 * Follows an in-process revocation log: subscribes first, then replays what the log retains,
 * so an entry appended during the replay is seen at least once (applying one twice is
 * harmless). A failed replay is retried with backoff.
 *
 * @example
 * ```ts
 * const connection = connectRevocationSource(database.revocations, options, events);
 * ```
 */
export function connectRevocationSource(
  source: RevocationSource,
  options: SourceOptions,
  events: ConnectionEvents,
): Connection {
  let stopped = false;
  const sleeper = createSleeper();
  const unsubscribe = source.subscribe((entry) => {
    if (!stopped) events.onRevocation(entry);
  });

  const loop = (async () => {
    let attempt = 0;
    while (!stopped) {
      try {
        let cursor: string | null = null;
        for (;;) {
          const page = await source.readAfter(cursor, REPLAY_PAGE);
          if (stopped) return;
          for (const entry of page) events.onRevocation(entry);
          const last = page.at(-1)?.cursor;
          if (page.length < REPLAY_PAGE || last === undefined) break;
          cursor = last;
        }
        events.onReady();
        return;
      } catch (error) {
        if (stopped) return;
        events.onDisconnected(`reading the revocation log failed: ${describeError(error)}`);
        attempt++;
        await sleeper.sleep(reconnectDelay(attempt, options));
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      unsubscribe();
      sleeper.wake();
      await loop;
    },
  };
}
