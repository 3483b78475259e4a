/**
 * The Redis adapter against the shared conformance suites on a real server, under a key prefix
 * unique to this file; plus what only Redis needs: the one-GET hot path (observed with MONITOR),
 * the per-user index expiring, limits and the revocation stream shared across instances, and who
 * closes the connections.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigurationError } from "../../errors/index.js";
import {
  describeRateLimiterConformance,
  describeRevocationLogConformance,
  describeSessionStoreConformance,
  describeUserChangeFeedConformance,
} from "../../storage/conformance.test-suite.js";
import type { RevocationEntry, RevocationLogEntry, SessionRecord, SessionRotation } from "../../storage/ports.js";
import { REDIS_URL, deleteRedisPrefix, probeRedis, testRedisPrefix } from "../../test-support/services.js";
import { createRedisStorage } from "./index.js";
import type { RedisStorage } from "./index.js";

const probe = await probeRedis();
const keyPrefix = testRedisPrefix();

function newSession(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id: `sess_${crypto.randomUUID()}`,
    userId: `user_${crypto.randomUUID()}`,
    secretHash: "hash",
    createdAt: now,
    lastActiveAt: now,
    idleExpiresAt: now + 60 * 60 * 1000,
    expiresAt: now + 24 * 60 * 60 * 1000,
    ip: null,
    userAgent: null,
    generation: 0,
    previousSecretHash: null,
    rotatedAt: null,
    secondFactorVerifiedAt: null,
    ...overrides,
  };
}

/** A refresh-token rotation of `session`, every field a new value. */
function rotationFields(session: SessionRecord): SessionRotation {
  const now = Date.now();
  return {
    secretHash: `hash-${crypto.randomUUID()}`,
    previousSecretHash: session.secretHash,
    rotatedAt: now,
    generation: session.generation + 1,
    lastActiveAt: now + 1,
    idleExpiresAt: now + 60 * 60 * 1000,
  };
}

describe.skipIf(!probe.available)(`Redis adapter ${probe.reason}`, () => {
  afterAll(() => deleteRedisPrefix(keyPrefix));

  describeSessionStoreConformance("redis", async () => {
    const storage = createRedisStorage({ url: REDIS_URL, keyPrefix });
    return { store: storage.sessionStore, expiresSessionsItself: true, teardown: () => storage.close() };
  });

  describeRateLimiterConformance("redis", async () => {
    const storage = createRedisStorage({ url: REDIS_URL, keyPrefix });
    return { rateLimiters: storage.rateLimiters, teardown: () => storage.close() };
  });

  describeRevocationLogConformance("redis", async () => {
    // A prefix of its own per test, so each test starts from an empty stream.
    const logPrefix = `${keyPrefix}log-${crypto.randomUUID()}:`;
    const storage = createRedisStorage({ url: REDIS_URL, keyPrefix: logPrefix });
    return {
      log: storage.revocations,
      teardown: async () => {
        await storage.close();
        await deleteRedisPrefix(logPrefix);
      },
    };
  });

  describe("revocation log shared between instances", () => {
    let logPrefix: string;
    let here: RedisStorage;
    let there: RedisStorage;

    beforeAll(async () => {
      logPrefix = `${keyPrefix}shared-log-${crypto.randomUUID()}:`;
      here = createRedisStorage({ url: REDIS_URL, keyPrefix: logPrefix });
      there = createRedisStorage({ url: REDIS_URL, keyPrefix: logPrefix });
      // "From now on" is as Redis sees it: a subscriber whose connection is still being set up
      // starts from where the stream is once it is connected.
      await Promise.all([here.sessionStore.ping(), there.sessionStore.ping()]);
    });

    afterAll(async () => {
      await Promise.all([here.close(), there.close()]);
      await deleteRedisPrefix(logPrefix);
    });

    function newRevocation(): RevocationEntry {
      const now = Date.now();
      return {
        sessionId: `sess_${crypto.randomUUID()}`,
        userId: `user_${crypto.randomUUID()}`,
        revokedAt: now,
        until: now + 60_000,
      };
    }

    /** Live delivery crosses the network: wait for it, but never longer than 2 s. */
    function eventually(check: () => void): Promise<void> {
      return vi.waitFor(check, { timeout: 2_000, interval: 10 });
    }

    it("delivers an entry appended through one instance live to a subscriber of the other, and replays it there", async () => {
      const received: RevocationLogEntry[] = [];
      const unsubscribe = there.revocations.subscribe((entry) => received.push(entry));
      try {
        const appended = await here.revocations.append(newRevocation());
        await eventually(() => expect(received).toStrictEqual([appended]));
        expect((await there.revocations.readAfter(null, 1_000)).at(-1)).toStrictEqual(appended);
      } finally {
        unsubscribe();
      }
    });

    it("keeps delivering after the first subscriber unsubscribes and a new one subscribes", async () => {
      const first: RevocationLogEntry[] = [];
      const unsubscribeFirst = there.revocations.subscribe((entry) => first.push(entry));
      const early = await here.revocations.append(newRevocation());
      await eventually(() => expect(first).toStrictEqual([early]));
      unsubscribeFirst();

      const second: RevocationLogEntry[] = [];
      const unsubscribeSecond = there.revocations.subscribe((entry) => second.push(entry));
      try {
        const late = await here.revocations.append(newRevocation());
        await eventually(() => expect(second).toStrictEqual([late]));
        expect(first).toStrictEqual([early]);
        // And the other way round, from the instance that only appended so far.
        const back: RevocationLogEntry[] = [];
        const unsubscribeBack = here.revocations.subscribe((entry) => back.push(entry));
        try {
          const reply = await there.revocations.append(newRevocation());
          await eventually(() => expect(back).toStrictEqual([reply]));
        } finally {
          unsubscribeBack();
        }
      } finally {
        unsubscribeSecond();
      }
    });

    it("keeps the logs of different prefixes apart", async () => {
      const elsewhere = createRedisStorage({ url: REDIS_URL, keyPrefix: `${logPrefix}elsewhere:` });
      try {
        const appended = await here.revocations.append(newRevocation());
        expect(await elsewhere.revocations.readAfter(null, 1_000)).toEqual([]);
        expect((await there.revocations.readAfter(null, 1_000)).at(-1)).toStrictEqual(appended);
      } finally {
        await elsewhere.close();
      }
    });

    it("close() of a subscribed storage leaves no connection open, in the process or on the server", async () => {
      const openSockets = (): number =>
        process.getActiveResourcesInfo().filter((resource) => resource === "TCPSocketWrap").length;
      const socketsBefore = openSockets();
      const connectionName = `gatehouse-test-${crypto.randomUUID()}`;
      const url = new URL(REDIS_URL);
      url.searchParams.set("connectionName", connectionName);
      const closing = createRedisStorage({ url: url.toString(), keyPrefix: logPrefix });
      await closing.sessionStore.ping();
      const namedConnections = async (): Promise<number> => {
        const list = String(await here.client.call("CLIENT", "LIST"));
        return list.split("\n").filter((line) => line.includes(` name=${connectionName} `)).length;
      };

      const received: RevocationLogEntry[] = [];
      closing.revocations.subscribe((entry) => received.push(entry));
      const appended = await there.revocations.append(newRevocation());
      await eventually(() => expect(received).toStrictEqual([appended]));
      // The storage's own connection and the one tailing the stream.
      expect(await namedConnections()).toBe(2);

      await closing.close();

      await eventually(() => expect(openSockets()).toBeLessThanOrEqual(socketsBefore));
      await eventually(async () => expect(await namedConnections()).toBe(0));
    });
  });

  describeUserChangeFeedConformance("redis", async () => {
    const feedPrefix = `${keyPrefix}feed-${crypto.randomUUID()}:`;
    const here = createRedisStorage({ url: REDIS_URL, keyPrefix: feedPrefix });
    const there = createRedisStorage({ url: REDIS_URL, keyPrefix: feedPrefix });
    return {
      here: here.userChanges,
      there: there.userChanges,
      teardown: async () => {
        await Promise.all([here.close(), there.close()]);
      },
    };
  });

  describe("user changes shared between instances", () => {
    /** A storage whose connections carry a name of their own, so a test can find them on the server. */
    function namedStorage(prefix: string): { storage: RedisStorage; connectionName: string } {
      const connectionName = `gatehouse-test-${crypto.randomUUID()}`;
      const url = new URL(REDIS_URL);
      url.searchParams.set("connectionName", connectionName);
      return { storage: createRedisStorage({ url: url.toString(), keyPrefix: prefix }), connectionName };
    }

    /** The server's CLIENT LIST lines of the connections named `connectionName`. */
    async function connectionsNamed(client: Redis, connectionName: string): Promise<string[]> {
      const list = String(await client.call("CLIENT", "LIST"));
      return list.split("\n").filter((line) => line.includes(` name=${connectionName} `));
    }

    function eventually(check: () => void | Promise<void>): Promise<void> {
      return vi.waitFor(check, { timeout: 2_000, interval: 10 });
    }

    it("a lost connection is reported to the listeners, and delivery resumes once it is back", async () => {
      const prefix = `${keyPrefix}feed-${crypto.randomUUID()}:`;
      const { storage: here, connectionName } = namedStorage(prefix);
      const there = createRedisStorage({ url: REDIS_URL, keyPrefix: prefix });
      try {
        const changed: string[] = [];
        let interruptions = 0;
        here.userChanges.subscribe({ changed: (userId) => changed.push(userId), interrupted: () => interruptions++ });
        await eventually(() => expect(here.userChanges.connected).toBe(true));

        // The server drops the subscribed connection, as a restart or a network fault would.
        const [subscribed] = (await connectionsNamed(there.client, connectionName)).filter((line) =>
          line.includes(" sub=1 "),
        );
        const id = /\bid=(\d+)/.exec(subscribed!)![1]!;
        await there.client.call("CLIENT", "KILL", "ID", id);

        await eventually(() => expect(interruptions).toBe(1));
        await eventually(() => expect(here.userChanges.connected).toBe(true));
        const userId = `user_${crypto.randomUUID()}`;
        await there.userChanges.publish(userId);
        await eventually(() => expect(changed).toEqual([userId]));
      } finally {
        await Promise.all([here.close(), there.close()]);
      }
    });

    it("is not connected before the subscription is confirmed, nor after the last listener left", async () => {
      const prefix = `${keyPrefix}feed-${crypto.randomUUID()}:`;
      const { storage, connectionName } = namedStorage(prefix);
      try {
        await storage.sessionStore.ping();
        expect(storage.userChanges.connected).toBe(false);
        const stop = storage.userChanges.subscribe({ changed() {}, interrupted() {} });
        expect(storage.userChanges.connected).toBe(false);
        await eventually(() => expect(storage.userChanges.connected).toBe(true));
        // The storage's own connection and the subscribed one.
        expect(await connectionsNamed(storage.client, connectionName)).toHaveLength(2);

        stop();

        expect(storage.userChanges.connected).toBe(false);
        await eventually(async () => expect(await connectionsNamed(storage.client, connectionName)).toHaveLength(1));
      } finally {
        await storage.close();
      }
    });

    it("instances under another prefix hear nothing", async () => {
      const here = createRedisStorage({ url: REDIS_URL, keyPrefix: `${keyPrefix}feed-${crypto.randomUUID()}:` });
      const elsewhere = createRedisStorage({ url: REDIS_URL, keyPrefix: `${keyPrefix}feed-${crypto.randomUUID()}:` });
      try {
        const heard: string[] = [];
        elsewhere.userChanges.subscribe({ changed: (userId) => heard.push(userId), interrupted() {} });
        const heardHere: string[] = [];
        here.userChanges.subscribe({ changed: (userId) => heardHere.push(userId), interrupted() {} });
        await eventually(() =>
          expect([here.userChanges.connected, elsewhere.userChanges.connected]).toEqual([true, true]),
        );

        await here.userChanges.publish("user_1");

        await eventually(() => expect(heardHere).toEqual(["user_1"]));
        expect(heard).toEqual([]);
      } finally {
        await Promise.all([here.close(), elsewhere.close()]);
      }
    });

    it("close() of a subscribed storage leaves no connection open on the server", async () => {
      const { storage, connectionName } = namedStorage(`${keyPrefix}feed-${crypto.randomUUID()}:`);
      const observer = new Redis(REDIS_URL);
      try {
        storage.userChanges.subscribe({ changed() {}, interrupted() {} });
        await eventually(() => expect(storage.userChanges.connected).toBe(true));

        await storage.close();

        expect(storage.userChanges.connected).toBe(false);
        await eventually(async () => expect(await connectionsNamed(observer, connectionName)).toEqual([]));
      } finally {
        observer.disconnect();
      }
    });
  });

  describe("createRedisStorage", () => {
    let client: Redis;
    let storage: RedisStorage;

    beforeAll(() => {
      client = new Redis(REDIS_URL);
      storage = createRedisStorage({ client, keyPrefix });
    });

    afterAll(async () => {
      await storage.close();
      await client.quit();
    });

    it("getSession is a single GET (observed by the server with MONITOR)", async () => {
      const session = newSession();
      await storage.sessionStore.createSession(session);
      const info = await client.client("INFO");
      const address = /\baddr=(\S+)/.exec(info)?.[1];
      expect(address).toBeDefined();

      const monitorConnection = new Redis(REDIS_URL);
      const monitor = await monitorConnection.monitor();
      try {
        const marker = `${keyPrefix}end-of-observation`;
        const observed: string[][] = [];
        const markerSeen = new Promise<void>((resolve) => {
          monitor.on("monitor", (_time: string, args: string[], source: string) => {
            if (source !== address) return;
            if (args.includes(marker)) resolve();
            else observed.push(args.map((arg, index) => (index === 0 ? arg.toLowerCase() : arg)));
          });
        });

        expect(await storage.sessionStore.getSession(session.id)).toStrictEqual(session);
        // Commands from one connection reach MONITOR in order: once the marker shows, every
        // command getSession sent has been seen.
        await client.exists(marker);
        await markerSeen;

        expect(observed).toEqual([["get", `${keyPrefix}session:${session.id}`]]);
      } finally {
        monitor.disconnect();
        monitorConnection.disconnect();
      }
    });

    it("touchSession loses to a sign-out that lands between its read and its write", async () => {
      const racingClient = new Redis(REDIS_URL);
      const racing = createRedisStorage({ client: racingClient, keyPrefix });
      const session = newSession();
      await racing.sessionStore.createSession(session);
      const originalGet = racingClient.get.bind(racingClient);
      // The sign-out of another instance, slipped in right after touchSession's GET returns.
      racingClient.get = (async (key: string) => {
        const value = await originalGet(key);
        await storage.sessionStore.deleteSession(session.id);
        return value;
      }) as typeof racingClient.get;
      try {
        await racing.sessionStore.touchSession(session.id, session.lastActiveAt + 1, session.idleExpiresAt + 1);
        expect(await storage.sessionStore.getSession(session.id)).toBeNull();
        expect(await storage.sessionStore.listSessionsByUser(session.userId)).toEqual([]);
      } finally {
        await racingClient.quit();
      }
    });

    it("keeps sessions under <prefix>session:<id>, expiring at the earlier expiry", async () => {
      const session = newSession({ idleExpiresAt: Date.now() + 60_000 });
      await storage.sessionStore.createSession(session);
      const key = `${keyPrefix}session:${session.id}`;
      expect(JSON.parse((await client.get(key)) ?? "null")).toStrictEqual(session);
      expect(Number(await client.call("PEXPIRETIME", key))).toBe(session.idleExpiresAt);

      await storage.sessionStore.touchSession(session.id, session.lastActiveAt + 1, session.expiresAt + 1);
      // After the touch the absolute expiry is the earlier one.
      expect(Number(await client.call("PEXPIRETIME", key))).toBe(session.expiresAt);
    });

    it("expires the per-user index with the user's latest session, and never shortens it", async () => {
      const userId = `user_${crypto.randomUUID()}`;
      const now = Date.now();
      const indexKey = `${keyPrefix}user-sessions:${userId}`;
      const longer = newSession({ userId, idleExpiresAt: now + 120_000 });
      const shorter = newSession({ userId, idleExpiresAt: now + 60_000 });

      await storage.sessionStore.createSession(longer);
      expect(Number(await client.call("PEXPIRETIME", indexKey))).toBe(longer.idleExpiresAt);
      await storage.sessionStore.createSession(shorter);
      expect(Number(await client.call("PEXPIRETIME", indexKey))).toBe(longer.idleExpiresAt);
      expect((await client.smembers(indexKey)).sort()).toEqual([longer.id, shorter.id].sort());

      await storage.sessionStore.touchSession(shorter.id, now + 1, now + 180_000);
      expect(Number(await client.call("PEXPIRETIME", indexKey))).toBe(now + 180_000);

      await storage.sessionStore.deleteSession(longer.id);
      expect(await client.smembers(indexKey)).toEqual([shorter.id]);
    });

    it("rotateSessionSecret moves the key's expiry to the earlier expiry, and stretches the per-user index", async () => {
      const now = Date.now();
      const session = newSession({ idleExpiresAt: now + 60_000, expiresAt: now + 600_000 });
      const key = `${keyPrefix}session:${session.id}`;
      const indexKey = `${keyPrefix}user-sessions:${session.userId}`;
      await storage.sessionStore.createSession(session);
      expect(Number(await client.call("PEXPIRETIME", indexKey))).toBe(session.idleExpiresAt);

      const longer = { ...rotationFields(session), idleExpiresAt: now + 120_000 };
      expect(await storage.sessionStore.rotateSessionSecret(session.id, session.secretHash, longer)).toBe(true);
      expect(Number(await client.call("PEXPIRETIME", key))).toBe(now + 120_000);
      // Otherwise the index would expire first and "sign out everywhere" would miss the session.
      expect(Number(await client.call("PEXPIRETIME", indexKey))).toBe(now + 120_000);

      const pastAbsolute = { ...rotationFields({ ...session, ...longer }), idleExpiresAt: now + 900_000 };
      expect(await storage.sessionStore.rotateSessionSecret(session.id, longer.secretHash, pastAbsolute)).toBe(true);
      expect(Number(await client.call("PEXPIRETIME", key))).toBe(session.expiresAt);
      expect(Number(await client.call("PEXPIRETIME", indexKey))).toBe(session.expiresAt);

      const shorter = { ...rotationFields({ ...session, ...pastAbsolute }), idleExpiresAt: now + 30_000 };
      expect(await storage.sessionStore.rotateSessionSecret(session.id, pastAbsolute.secretHash, shorter)).toBe(true);
      expect(Number(await client.call("PEXPIRETIME", key))).toBe(now + 30_000);
      // The index is never shortened: other sessions of the user may still need it.
      expect(Number(await client.call("PEXPIRETIME", indexKey))).toBe(session.expiresAt);
    });

    it("rotateSessionSecret loses to a sign-out that lands between its read and its write", async () => {
      const racingClient = new Redis(REDIS_URL);
      const racing = createRedisStorage({ client: racingClient, keyPrefix });
      const session = newSession();
      await racing.sessionStore.createSession(session);
      const originalGet = racingClient.get.bind(racingClient);
      // The sign-out of another instance, slipped in right after the rotation reads the session.
      racingClient.get = (async (key: string) => {
        const value = await originalGet(key);
        await storage.sessionStore.deleteSession(session.id);
        return value;
      }) as typeof racingClient.get;
      try {
        const rotation = rotationFields(session);
        expect(await racing.sessionStore.rotateSessionSecret(session.id, session.secretHash, rotation)).toBe(false);
        expect(await storage.sessionStore.getSession(session.id)).toBeNull();
        expect(await storage.sessionStore.listSessionsByUser(session.userId)).toEqual([]);
      } finally {
        await racingClient.quit();
      }
    });

    it("prunes ids of sessions that expired from the per-user index when listing", async () => {
      const userId = `user_${crypto.randomUUID()}`;
      const indexKey = `${keyPrefix}user-sessions:${userId}`;
      const live = newSession({ userId });
      const gone = newSession({ userId });
      await storage.sessionStore.createSession(live);
      await storage.sessionStore.createSession(gone);
      // Stands in for Redis expiring the key: the index still names the session.
      await client.del(`${keyPrefix}session:${gone.id}`);

      expect(await storage.sessionStore.listSessionsByUser(userId)).toStrictEqual([live]);
      expect(await client.smembers(indexKey)).toEqual([live.id]);
    });

    it("shares rate-limit counts between instances on the same Redis and prefix", async () => {
      const other = createRedisStorage({ url: REDIS_URL, keyPrefix });
      try {
        const options = { name: `shared-${crypto.randomUUID()}`, points: 2, durationSeconds: 60 };
        const here = storage.rateLimiters(options);
        const there = other.rateLimiters(options);
        expect((await here.consume("203.0.113.7")).allowed).toBe(true);
        expect((await there.consume("203.0.113.7")).allowed).toBe(true);
        const refused = await here.consume("203.0.113.7");
        expect(refused.allowed).toBe(false);
        expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        expect(await client.exists(`${keyPrefix}rl:${options.name}:203.0.113.7`)).toBe(1);

        await there.reset("203.0.113.7");
        expect((await here.consume("203.0.113.7")).allowed).toBe(true);
      } finally {
        await other.close();
      }
    });

    it("rethrows a Redis failure from consume instead of reporting it as a refusal", async () => {
      const unreachable = new Redis({
        port: 1,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      unreachable.on("error", () => {});
      const broken = createRedisStorage({ client: unreachable, keyPrefix });
      try {
        const limiter = broken.rateLimiters({ name: "broken", points: 5, durationSeconds: 60 });
        await expect(limiter.consume("203.0.113.7")).rejects.toBeInstanceOf(Error);
        await expect(broken.sessionStore.ping()).rejects.toBeInstanceOf(Error);
      } finally {
        unreachable.disconnect();
      }
    });

    it("leaves a caller's client open on close(), and quits the one it created from a url", async () => {
      const callersClient = new Redis(REDIS_URL);
      const borrowing = createRedisStorage({ client: callersClient, keyPrefix });
      expect(borrowing.client).toBe(callersClient);
      await borrowing.close();
      expect(await callersClient.ping()).toBe("PONG");
      await callersClient.quit();

      const owning = createRedisStorage({ url: REDIS_URL, keyPrefix });
      await owning.sessionStore.ping();
      await owning.sessionStore.close();
      expect(await owning.client.ping()).toBe("PONG");
      await owning.close();
      await owning.close();
      expect(owning.client.status).toBe("end");
    });

    it("close() of a storage that never reached its Redis resolves at once", async () => {
      const stranded = createRedisStorage({ url: "redis://127.0.0.1:1", keyPrefix });
      stranded.client.on("error", () => {});
      await expect(stranded.close()).resolves.toBeUndefined();
    });

    it("refuses to start without exactly one of url and client", () => {
      expect(() => createRedisStorage({})).toThrow(ConfigurationError);
      expect(() => createRedisStorage({ url: REDIS_URL, client })).toThrow(ConfigurationError);
    });

    it("uses the gatehouse: prefix by default", async () => {
      const defaults = createRedisStorage({ client });
      const session = newSession();
      try {
        await defaults.sessionStore.createSession(session);
        expect(await client.exists(`gatehouse:session:${session.id}`)).toBe(1);
      } finally {
        await defaults.sessionStore.deleteSession(session.id);
      }
      expect(await client.exists(`gatehouse:session:${session.id}`)).toBe(0);
      expect(await client.exists(`gatehouse:user-sessions:${session.userId}`)).toBe(0);
    });
  });
});
