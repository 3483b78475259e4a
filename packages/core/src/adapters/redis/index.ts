/**
 * Redis adapter (`@gatehouse/core/adapters/redis`): sessions and rate-limit counters shared by
 * every Gatehouse instance, with Redis expiring both on its own.
 *
 * Layout under the key prefix (default `gatehouse:`):
 * - `session:<id>`: the session record as JSON, expiring at the earlier of its two expiries
 *   (PXAT), so reading a session is one GET on the request hot path;
 * - `user-sessions:<userId>`: a set of that user's session ids, for "sign out everywhere" and the
 *   session list; it expires with the user's latest session, and ids whose session expired
 *   are pruned when the list is read;
 * - `rl:<limiter name>:<key>`: rate-limiter-flexible's counters;
 * - `revocations`: the revocation log, a stream;
 * - `user-changes`: a publish/subscribe channel (no key) on which instances announce user changes.
 *
 * The session and index keys of one user hash to different slots, so this targets a single
 * Redis (or a primary with replicas / Sentinel), not Redis Cluster. Needs Redis 7.0+ (PXAT,
 * GETDEL, PEXPIREAT NX/GT).
 */
import { Redis } from "ioredis";
import type { ChainableCommander } from "ioredis";
import { RateLimiterRedis } from "rate-limiter-flexible";
import { ConfigurationError } from "../../errors/index.js";
import { fromFlexibleRateLimiter } from "../../storage/rate-limiter.js";
import type {
  RateLimiter,
  RateLimiterFactory,
  RateLimiterOptions,
  RevocationLog,
  RevocationLogEntry,
  SessionRecord,
  SessionRotation,
  SessionStore,
  UserChangeFeed,
  UserChangeListener,
} from "../../storage/ports.js";
import { createListenerSet } from "../../lib/listener-set.js";

export type { RateLimiterFactory, SessionStore } from "../../storage/ports.js";

/** Options of {@link createRedisStorage}: exactly one of `url` and `client`. */
export interface RedisStorageOptions {
  /** `redis://…` or `rediss://…`; the storage creates its own client and closes it on `close()`. */
  url?: string;
  /** A client the caller owns (and closes); the storage never quits it. */
  client?: Redis;
  /**
   * Prepended to every key, so several applications or environments can share one Redis.
   * @default "gatehouse:"
   */
  keyPrefix?: string;
}

/** Sessions, rate limiters and the revocation log on one Redis server. */
export interface RedisStorage {
  /** The revocation log every instance on this Redis and prefix shares (a Redis stream). */
  revocations: RevocationLog;
  /** Sessions in Redis. Its `close()` does nothing: the connection belongs to this storage. */
  sessionStore: SessionStore;
  /** Rate limiters whose counts are shared by every instance using the same Redis and prefix. */
  rateLimiters: RateLimiterFactory;
  /** Announces user changes to every instance on this Redis and prefix (publish/subscribe). */
  userChanges: UserChangeFeed;
  /** The connection in use (the caller's, or the one created from `url`). */
  client: Redis;
  /** Quits the connection if the storage created it from `url`; otherwise does nothing. */
  close(): Promise<void>;
}

const DEFAULT_KEY_PREFIX = "gatehouse:";

/** Redis refuses PXAT 0; any past instant deletes the key at once, which is what we want. */
function expiryOf(session: SessionRecord): number {
  return Math.max(1, Math.min(session.expiresAt, session.idleExpiresAt));
}

function sessionToJSON(session: SessionRecord): string {
  const stored: SessionRecord = {
    id: session.id,
    userId: session.userId,
    secretHash: session.secretHash,
    createdAt: session.createdAt,
    lastActiveAt: session.lastActiveAt,
    idleExpiresAt: session.idleExpiresAt,
    expiresAt: session.expiresAt,
    ip: session.ip,
    userAgent: session.userAgent,
    generation: session.generation,
    previousSecretHash: session.previousSecretHash,
    rotatedAt: session.rotatedAt,
    secondFactorVerifiedAt: session.secondFactorVerifiedAt,
  };
  return JSON.stringify(stored);
}

function sessionFromJSON(json: string): SessionRecord {
  const stored = JSON.parse(json) as SessionRecord;
  return {
    id: stored.id,
    userId: stored.userId,
    secretHash: stored.secretHash,
    createdAt: stored.createdAt,
    lastActiveAt: stored.lastActiveAt,
    idleExpiresAt: stored.idleExpiresAt,
    expiresAt: stored.expiresAt,
    ip: stored.ip,
    userAgent: stored.userAgent,
    // Sessions written before refresh rotation existed carry none of its state.
    generation: stored.generation ?? 0,
    previousSecretHash: stored.previousSecretHash ?? null,
    rotatedAt: stored.rotatedAt ?? null,
    secondFactorVerifiedAt: stored.secondFactorVerifiedAt ?? null,
  };
}

/**
 * Compare-and-set of a session's JSON on its `secretHash`, in one script so concurrent
 * rotations cannot interleave: KEYS[1] session key, KEYS[2] the user's session index; ARGV
 * expected hash, new JSON, PXAT.
 */
// Fix: the index's expiry follows a rotation's later idle expiry, as it follows a touch's;
// otherwise the index expired first and listSessionsByUser / "sign out everywhere" missed a
// session still alive (conformance: "a self-expiring store drops a session at the earlier of its
// two expiries, after touches and rotations too").
const ROTATE_SESSION_SECRET = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if cjson.decode(current).secretHash ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
redis.call('PEXPIREAT', KEYS[2], ARGV[3], 'GT')
return 1`;

/**
 * Sets `secondFactorVerifiedAt` inside the stored JSON in one script, so a refresh-token rotation
 * running at the same moment is never overwritten, and a deleted session stays deleted. KEYS[1]
 * session key; ARGV[1] the instant (13 digits: within cjson's 14 significant digits).
 */
const MARK_SECOND_FACTOR = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local session = cjson.decode(current)
session.secondFactorVerifiedAt = tonumber(ARGV[1])
redis.call('SET', KEYS[1], cjson.encode(session), 'KEEPTTL')
return 1`;

/** Runs a MULTI and surfaces the first command error, which ioredis reports in the results. */
async function execTransaction(transaction: ChainableCommander): Promise<void> {
  const results = await transaction.exec();
  // exec() resolves null only when a WATCHed key changed; nothing here WATCHes.
  if (results === null) throw new Error("Redis aborted the transaction.");
  for (const [error] of results) if (error) throw error;
}

function createRedisSessionStore(client: Redis, keyPrefix: string): SessionStore {
  const sessionKey = (id: string): string => `${keyPrefix}session:${id}`;
  const userSessionsKey = (userId: string): string => `${keyPrefix}user-sessions:${userId}`;

  return {
    async createSession(session: SessionRecord): Promise<void> {
      const expiry = expiryOf(session);
      const indexKey = userSessionsKey(session.userId);
      await execTransaction(
        client
          .multi()
          .set(sessionKey(session.id), sessionToJSON(session), "PXAT", expiry)
          .sadd(indexKey, session.id)
          // GT alone never sets a first expiry (no TTL counts as infinite), hence NX before it:
          // a new index gets this session's expiry, an existing one keeps the later of the two.
          .pexpireat(indexKey, expiry, "NX")
          .pexpireat(indexKey, expiry, "GT"),
      );
    },

    async getSession(id: string): Promise<SessionRecord | null> {
      const json = await client.get(sessionKey(id));
      return json === null ? null : sessionFromJSON(json);
    },

    async touchSession(id: string, lastActiveAt: number, idleExpiresAt: number): Promise<void> {
      const key = sessionKey(id);
      const json = await client.get(key);
      if (json === null) return;
      const session: SessionRecord = { ...sessionFromJSON(json), lastActiveAt, idleExpiresAt };
      const expiry = expiryOf(session);
      await execTransaction(
        client
          .multi()
          // XX: if a sign-out deleted the key since the GET, this writes nothing.
          .set(key, sessionToJSON(session), "PXAT", expiry, "XX")
          .pexpireat(userSessionsKey(session.userId), expiry, "GT"),
      );
    },

    async markSecondFactorVerified(id: string, verifiedAt: number): Promise<void> {
      await client.eval(MARK_SECOND_FACTOR, 1, sessionKey(id), verifiedAt);
    },

    async rotateSessionSecret(id: string, expectedSecretHash: string, rotation: SessionRotation): Promise<boolean> {
      const key = sessionKey(id);
      const json = await client.get(key);
      if (json === null) return false;
      const session: SessionRecord = { ...sessionFromJSON(json), ...rotation };
      const applied = await client.eval(
        ROTATE_SESSION_SECRET,
        2,
        key,
        userSessionsKey(session.userId),
        expectedSecretHash,
        sessionToJSON(session),
        expiryOf(session),
      );
      return applied === 1;
    },

    async deleteSession(id: string): Promise<void> {
      const json = await client.getdel(sessionKey(id));
      if (json !== null) await client.srem(userSessionsKey(sessionFromJSON(json).userId), id);
    },

    async listSessionsByUser(userId: string): Promise<SessionRecord[]> {
      const indexKey = userSessionsKey(userId);
      const ids = await client.smembers(indexKey);
      if (ids.length === 0) return [];
      const values = await client.mget(ids.map(sessionKey));
      const sessions: SessionRecord[] = [];
      const expiredIds: string[] = [];
      ids.forEach((id, index) => {
        const json = values[index];
        if (json === null || json === undefined) expiredIds.push(id);
        else sessions.push(sessionFromJSON(json));
      });
      // Safe to prune: a session's key and its index entry are written in one MULTI, so a
      // missing key means the session expired or was deleted, never that it is being created.
      if (expiredIds.length > 0) await client.srem(indexKey, ...expiredIds);
      return sessions.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async deleteSessionsByUser(userId: string): Promise<void> {
      const indexKey = userSessionsKey(userId);
      const ids = await client.smembers(indexKey);
      if (ids.length === 0) return;
      // Remove exactly these ids rather than the whole set, so a session created meanwhile keeps
      // its index entry and stays reachable by the next "sign out everywhere".
      await execTransaction(
        client
          .multi()
          .del(...ids.map(sessionKey))
          .srem(indexKey, ...ids),
      );
    },

    async deleteExpiredSessions(): Promise<number> {
      // Redis deletes each session key at its expiry (PXAT); there is nothing left to sweep.
      return 0;
    },

    async ping(): Promise<void> {
      await client.ping();
    },

    async close(): Promise<void> {
      // The RedisStorage owns the connection (and shares it with the rate limiters).
    },
  };
}

// Fix: no leading zeros, as Redis writes ids; Redis would read "01-0" as "1-0" and skip entries
// (conformance: "readAfter of a cursor that is not one of ours replays from the start").
const STREAM_ID = /^(0|[1-9]\d{0,15})-(0|[1-9]\d{0,15})$/;
/** How many entries `prune` reads at a time. */
const PRUNE_PAGE = 1000;
/** How long one blocking read waits before looping, so `close()` is never held up for long. */
const LIVE_BLOCK_MS = 1000;

function revocationFromStream(id: string, fields: string[]): RevocationLogEntry {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i]!, fields[i + 1]!);
  return {
    cursor: id,
    sessionId: values.get("sid") ?? "",
    userId: values.get("uid") ?? "",
    revokedAt: Number(values.get("at")),
    until: Number(values.get("until")),
  };
}

/**
 * The shared revocation log as a Redis stream: ordered, durable for as long as entries matter,
 * and readable from any position, so a reconnecting verifier replays exactly what it missed.
 * Live delivery tails the stream with a blocking XREAD on a connection of its own, so every
 * instance sees every other instance's revocations within one round trip.
 */
function createRedisRevocationLog(client: Redis, keyPrefix: string): RevocationLog {
  const streamKey = `${keyPrefix}revocations`;
  const live = createListenerSet<(entry: RevocationLogEntry) => void>();
  let subscribers = 0;
  let reader: Redis | null = null;
  let tailing: Promise<void> | null = null;

  async function tail(connection: Redis, start: Promise<string>): Promise<void> {
    // Start after the newest entry at subscribe time; from then on resume after the last seen.
    // Fix: XREAD's "$" meant "newest when the new connection's first XREAD arrives", so entries
    // appended right after subscribe() were never delivered (conformance: "subscribe delivers
    // the entries appended from now on ..."). The position is read on the shared client,
    // ordered before any append this instance makes after subscribing.
    let lastId: string;
    try {
      lastId = await start;
    } catch {
      // Redis is unreachable: nothing can be appended meanwhile; fall back to "newest".
      lastId = "$";
    }
    while (reader === connection) {
      try {
        const reply = (await connection.xread("BLOCK", LIVE_BLOCK_MS, "STREAMS", streamKey, lastId)) as
          [string, [string, string[]][]][] | null;
        // Fix: a reply can still arrive after stopTailing() (disconnect() half-closes the
        // socket), and delivering it would hand a later subscriber, served by the next reader,
        // the same entry twice (conformance: "after its last subscriber left, a new subscriber
        // still receives live entries").
        if (reader !== connection) return;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            const entry = revocationFromStream(id, fields);
            live.each((listener) => listener(entry));
          }
        }
      } catch {
        if (reader !== connection) return;
        // Redis is unreachable: ioredis reconnects; wait a little instead of spinning.
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  function stopTailing(): Promise<void> {
    const connection = reader;
    reader = null;
    const finished = tailing;
    tailing = null;
    connection?.disconnect();
    return finished ?? Promise.resolve();
  }

  return {
    async append(entry) {
      const id = await client.xadd(
        streamKey,
        "*",
        "sid",
        entry.sessionId,
        "uid",
        entry.userId,
        "at",
        String(entry.revokedAt),
        "until",
        String(entry.until),
      );
      return { ...entry, cursor: id as string };
    },

    async readAfter(cursor, limit) {
      // A cursor that is not a stream id (garbage from a client) replays from the start.
      const start = cursor !== null && STREAM_ID.test(cursor) ? `(${cursor}` : "-";
      // Fix: XRANGE … COUNT 0 replies nil, not an empty array (conformance: "readAfter returns
      // the entries strictly after the cursor, oldest first, at most `limit`").
      const entries = (await client.xrange(streamKey, start, "+", "COUNT", limit)) as [string, string[]][] | null;
      return (entries ?? []).map(([id, fields]) => revocationFromStream(id, fields));
    },

    subscribe(listener) {
      const unsubscribe = live.add(listener);
      subscribers++;
      if (reader === null) {
        // The id of the newest entry now, "0-0" for an empty stream.
        const start = client
          .xrevrange(streamKey, "+", "-", "COUNT", 1)
          .then((newest) => (newest as [string, string[]][] | null)?.[0]?.[0] ?? "0-0");
        reader = client.duplicate();
        reader.on("error", () => {});
        tailing = tail(reader, start);
      }
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        unsubscribe();
        if (--subscribers === 0) void stopTailing();
      };
    },

    async prune(now) {
      // Fix: this trimmed only the dead prefix of the first 1000 entries, but `until` is not in
      // append order (instances with different token lifetimes share the stream), so dead
      // entries behind a live one, or past the first 1000, stayed (conformance: "prune(now)
      // removes every entry whose until <= now, wherever it sits ..." and "prune removes every
      // dead entry, however many there are"). Every entry is looked at; the stream holds only
      // entries that can still matter, so it stays small.
      let removed = 0;
      let start = "-";
      for (;;) {
        const page = (await client.xrange(streamKey, start, "+", "COUNT", PRUNE_PAGE)) as [string, string[]][] | null;
        if (!page || page.length === 0) return removed;
        const dead = page.filter(([id, fields]) => revocationFromStream(id, fields).until <= now).map(([id]) => id);
        // XDEL counts only what it removed, so instances pruning at once do not count twice.
        if (dead.length > 0) removed += await client.xdel(streamKey, ...dead);
        if (page.length < PRUNE_PAGE) return removed;
        start = `(${page[page.length - 1]![0]}`;
      }
    },

    async close() {
      live.clear();
      subscribers = 0;
      await stopTailing();
    },
  };
}

/**
 * User changes over Redis publish/subscribe, on a connection of its own that exists while someone
 * listens. Publish/subscribe delivers to whoever is subscribed at that moment and keeps nothing,
 * so a lost connection is reported to the listeners (`interrupted`), and `connected` stays false
 * until the channel is subscribed again.
 */
function createRedisUserChangeFeed(client: Redis, keyPrefix: string): UserChangeFeed {
  const channel = `${keyPrefix}user-changes`;
  const listeners = createListenerSet<UserChangeListener>();
  let subscribers = 0;
  let subscriber: Redis | null = null;
  let connected = false;

  function startListening(): void {
    // Resubscribed by hand on each "ready" rather than by ioredis, so `connected` turns true
    // only once Redis confirmed the subscription.
    const connection = client.duplicate({ autoResubscribe: false, enableAutoPipelining: false });
    subscriber = connection;
    connection.on("error", () => {});
    connection.on("ready", () => {
      connection.subscribe(channel).then(
        () => {
          if (subscriber === connection) connected = true;
        },
        // The connection dropped again; its "close" reports it and the next "ready" retries.
        () => {},
      );
    });
    connection.on("message", (from: string, userId: string) => {
      if (subscriber === connection && from === channel) listeners.each((listener) => listener.changed(userId));
    });
    connection.on("close", () => {
      if (subscriber !== connection || !connected) return;
      connected = false;
      listeners.each((listener) => listener.interrupted());
    });
  }

  function stopListening(): void {
    const connection = subscriber;
    subscriber = null;
    connected = false;
    connection?.disconnect();
  }

  return {
    get connected() {
      return connected;
    },

    async publish(userId) {
      await client.publish(channel, userId);
    },

    subscribe(listener) {
      const remove = listeners.add(listener);
      if (subscribers++ === 0) startListening();
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        remove();
        if (--subscribers === 0) stopListening();
      };
    },

    async close() {
      listeners.clear();
      subscribers = 0;
      stopListening();
    },
  };
}

/**
 * Quits politely (pending replies arrive first) and resolves once the socket is really closed,
 * so a test or shutdown hook awaiting `close()` leaves no open handle behind.
 */
async function quit(client: Redis): Promise<void> {
  if (client.status === "end") return;
  if (client.status !== "ready") {
    // Not connected: QUIT would sit in the offline queue until a reconnection that may never
    // come, so drop the connection attempt instead.
    client.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
  try {
    await client.quit();
  } catch {
    // The connection failed under us; no "end" is guaranteed to follow, so do not wait for it.
    client.disconnect();
    return;
  }
  await ended;
}

/**
 * Puts sessions and rate limiters in Redis, so any number of Gatehouse instances share them.
 * Pass `url` to let the storage own the connection, or `client` to reuse one you manage.
 *
 * @throws ConfigurationError unless exactly one of `url` and `client` is given.
 * @example
 * ```ts
 * import { createRedisStorage } from "@gatehouse/core/adapters/redis";
 *
 * const redis = createRedisStorage({ url: process.env.REDIS_URL });
 * const session = await redis.sessionStore.getSession("sess_…");
 * const signIn = redis.rateLimiters({ name: "sign-in-ip", points: 10, durationSeconds: 60 });
 * await redis.close();
 * ```
 */
export function createRedisStorage(options: RedisStorageOptions): RedisStorage {
  const { url, client: givenClient, keyPrefix = DEFAULT_KEY_PREFIX } = options;
  if ((url === undefined) === (givenClient === undefined)) {
    throw new ConfigurationError(
      "createRedisStorage needs exactly one of `url` (the storage opens and closes the connection) " +
        "or `client` (an ioredis client you own).",
    );
  }
  const ownsClient = givenClient === undefined;
  // One retry, not ioredis' default twenty: while Redis is down a request should fail within
  // a reconnect or two rather than hang for seconds behind the retries. Auto-pipelining sends
  // the commands issued in one event-loop tick (concurrent requests' session GETs) in one write:
  // under load that is one system call for many requests instead of one each, and the bench
  // showed the per-command write as the largest cost of a Redis session check.
  const client = givenClient ?? new Redis(url as string, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
  let closing: Promise<void> | undefined;

  const rateLimiters: RateLimiterFactory = (limiter: RateLimiterOptions): RateLimiter =>
    fromFlexibleRateLimiter(
      new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `${keyPrefix}rl:${limiter.name}`,
        points: limiter.points,
        duration: limiter.durationSeconds,
      }),
    );

  const revocations = createRedisRevocationLog(client, keyPrefix);
  const userChanges = createRedisUserChangeFeed(client, keyPrefix);

  return {
    sessionStore: createRedisSessionStore(client, keyPrefix),
    rateLimiters,
    revocations,
    userChanges,
    client,
    close(): Promise<void> {
      closing ??= Promise.all([revocations.close(), userChanges.close()]).then(() =>
        ownsClient ? quit(client) : undefined,
      );
      return closing;
    },
  };
}
