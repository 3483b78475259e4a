/**
 * The session check's user cache: it saves the database read, and it never keeps serving a user
 * after a change it was told of, after a change it might have missed, or past its maximum age.
 * Runs on the memory database; the feeds have conformance suites of their own.
 */
import { describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import { createListenerSet } from "../lib/listener-set.js";
import type { Database, UserChangeFeed, UserChangeListener, UserRecord } from "../storage/ports.js";
import { createLocalUserChangeFeed } from "../storage/user-change-feed.js";
import { minimalUser } from "../test-support/users.js";
import { USER_CACHE_MAX_AGE_MS, createUserCache, type UserCacheOptions } from "./user-cache.js";

const NOW = 1_767_225_600_000;

/** A feed whose connection the test controls, delivering through the real listener set. */
function controlledFeed(): UserChangeFeed & { connect(): void; interrupt(): void } {
  const listeners = createListenerSet<UserChangeListener>();
  const feed = {
    connected: true,
    async publish(userId: string) {
      listeners.each((listener) => listener.changed(userId));
    },
    subscribe: listeners.add,
    async close() {
      listeners.clear();
    },
    connect() {
      feed.connected = true;
    },
    interrupt() {
      feed.connected = false;
      listeners.each((listener) => listener.interrupted());
    },
  };
  return feed;
}

/** The memory database with its user reads counted, and optionally held until released. */
function countedDatabase(): Database & { reads: number; holdReads(): () => void } {
  const database = createMemoryDatabase({ warn: () => {} });
  let held: Promise<void> | null = null;
  const counted = {
    ...database,
    reads: 0,
    async getUserById(id: string) {
      counted.reads++;
      // Read now, answer once released: the read sees the record as it was when it began.
      const user = await database.getUserById(id);
      if (held) await held;
      return user;
    },
    holdReads() {
      let release!: () => void;
      held = new Promise((resolve) => (release = resolve));
      return () => {
        held = null;
        release();
      };
    },
  };
  return counted;
}

async function setup(options: Partial<UserCacheOptions> = {}) {
  const database = countedDatabase();
  const clock = { now: NOW };
  const feed = controlledFeed();
  const cache = createUserCache({ database, changes: feed, clock: () => clock.now, ...options });
  const user = await database.createUser(minimalUser(`user_${crypto.randomUUID()}`, NOW));
  return { database, clock, feed, cache, user };
}

describe("user cache", () => {
  it("answers a repeated read from memory, with the record the database holds", async () => {
    const { database, cache, user } = await setup();

    expect(await cache.getUserById(user.id)).toStrictEqual(user);
    expect(await cache.getUserById(user.id)).toStrictEqual(user);
    expect(database.reads).toBe(1);
  });

  it("shares a frozen record, metadata included, so no caller can change what the next one gets", async () => {
    const { database, cache, user } = await setup();
    await database.updateUser(user.id, { publicMetadata: { plan: { tier: "pro" } } }, NOW + 1);

    const read = await cache.getUserById(user.id);

    expect(Object.isFrozen(read)).toBe(true);
    expect(() => {
      (read!.publicMetadata.plan as { tier: string }).tier = "free";
    }).toThrow(TypeError);
    expect((await cache.getUserById(user.id))!.publicMetadata).toEqual({ plan: { tier: "pro" } });
  });

  it("reads again once the copy is older than the maximum age", async () => {
    const { database, clock, cache, user } = await setup();
    await cache.getUserById(user.id);

    clock.now += USER_CACHE_MAX_AGE_MS - 1;
    await cache.getUserById(user.id);
    expect(database.reads).toBe(1);

    clock.now += 1;
    await cache.getUserById(user.id);
    expect(database.reads).toBe(2);
  });

  it("does not keep an unknown user: one created later is found", async () => {
    const { database, cache } = await setup();
    expect(await cache.getUserById("user_later")).toBeNull();
    const later = await cache.database.createUser(minimalUser("user_later", NOW));
    expect(await cache.getUserById("user_later")).toStrictEqual(later);
    expect(database.reads).toBe(2);
  });

  describe("each write of a user through the cache's database drops the copy and announces the change", () => {
    const writes: Record<string, (database: Database, user: UserRecord) => Promise<unknown>> = {
      updateUser: (database, user) => database.updateUser(user.id, { name: "Ada", bannedAt: NOW }, NOW + 1),
      deleteUser: (database, user) => database.deleteUser(user.id),
      updatePasswordHash: (database, user) => database.updatePasswordHash(user.id, "$argon2id$new", NOW + 1),
      markEmailVerified: (database, user) => database.markEmailVerified(user.id, user.emailNormalized, NOW + 1),
      updateEmail: (database, user) =>
        database.updateEmail(
          user.id,
          {
            expectedEmailNormalized: user.emailNormalized,
            email: "new@example.com",
            emailNormalized: "new@example.com",
            emailVerifiedAt: null,
          },
          NOW + 1,
        ),
    };

    for (const [name, write] of Object.entries(writes)) {
      it(name, async () => {
        const { database, feed, cache, user } = await setup();
        const announced: string[] = [];
        feed.subscribe({ changed: (userId) => announced.push(userId), interrupted() {} });
        await cache.getUserById(user.id);

        await write(cache.database, user);

        expect(announced).toEqual([user.id]);
        expect(await cache.getUserById(user.id)).toStrictEqual(await database.getUserById(user.id));
        expect(await cache.getUserById(user.id)).not.toStrictEqual(user);
      });
    }

    it("a write that fails still drops the copy, and announces nothing", async () => {
      const { database, feed, cache, user } = await setup();
      const other = await database.createUser(minimalUser(`user_${crypto.randomUUID()}`, NOW));
      const announced: string[] = [];
      feed.subscribe({ changed: (userId) => announced.push(userId), interrupted() {} });
      await cache.getUserById(user.id);

      await expect(
        cache.database.updateUser(user.id, { email: other.email, emailNormalized: other.emailNormalized }, NOW + 1),
      ).rejects.toThrow();

      expect(announced).toEqual([]);
      await cache.getUserById(user.id);
      expect(database.reads).toBe(2);
    });
  });

  it("a change announced by another instance drops the copy here", async () => {
    const database = countedDatabase();
    const feed = createLocalUserChangeFeed();
    const here = createUserCache({ database, changes: feed, clock: () => NOW });
    const there = createUserCache({ database, changes: feed, clock: () => NOW });
    const user = await database.createUser(minimalUser(`user_${crypto.randomUUID()}`, NOW));
    await here.getUserById(user.id);

    await there.database.updateUser(user.id, { bannedAt: NOW }, NOW + 1);

    expect((await here.getUserById(user.id))!.bannedAt).toBe(NOW);
  });

  it("a change made without an announcement is served stale until the maximum age: the bound", async () => {
    const { database, clock, cache, user } = await setup();
    await cache.getUserById(user.id);
    await database.updateUser(user.id, { bannedAt: NOW }, NOW + 1);

    expect((await cache.getUserById(user.id))!.bannedAt).toBeNull();
    clock.now += USER_CACHE_MAX_AGE_MS;
    expect((await cache.getUserById(user.id))!.bannedAt).toBe(NOW);
  });

  it("does not keep a read that was under way when a change was announced", async () => {
    const { database, feed, cache, user } = await setup();
    const release = database.holdReads();
    const racing = cache.getUserById(user.id);
    // The change commits and is announced while the read (which saw the old record) is out.
    await database.updateUser(user.id, { bannedAt: NOW }, NOW + 1);
    await feed.publish(user.id);
    release();

    expect((await racing)!.bannedAt).toBeNull();
    expect((await cache.getUserById(user.id))!.bannedAt).toBe(NOW);
  });

  it("keeps nothing while the feed is not connected, and forgets everything when it is interrupted", async () => {
    const { database, feed, cache, user } = await setup();
    await cache.getUserById(user.id);

    feed.interrupt();
    await cache.getUserById(user.id);
    await cache.getUserById(user.id);
    expect(database.reads).toBe(3);

    feed.connect();
    await cache.getUserById(user.id);
    await cache.getUserById(user.id);
    expect(database.reads).toBe(4);
  });

  it("does not keep a read that was under way when the feed was interrupted", async () => {
    const { database, feed, cache, user } = await setup();
    const release = database.holdReads();
    const racing = cache.getUserById(user.id);
    feed.interrupt();
    feed.connect();
    release();
    await racing;

    await cache.getUserById(user.id);
    expect(database.reads).toBe(2);
  });

  it("without a feed reaching every instance, keeps nothing", async () => {
    const { database, cache, user } = await setup({ changes: null });
    await cache.getUserById(user.id);
    await cache.getUserById(user.id);
    expect(database.reads).toBe(2);
  });

  it("holds at most maxEntries copies, dropping the oldest", async () => {
    const { database, cache, user } = await setup({ maxEntries: 2 });
    const second = await database.createUser(minimalUser(`user_${crypto.randomUUID()}`, NOW));
    const third = await database.createUser(minimalUser(`user_${crypto.randomUUID()}`, NOW));
    for (const each of [user, second, third]) await cache.getUserById(each.id);
    expect(database.reads).toBe(3);

    await cache.getUserById(third.id);
    await cache.getUserById(second.id);
    expect(database.reads).toBe(3);
    await cache.getUserById(user.id);
    expect(database.reads).toBe(4);
  });

  it("close() stops listening: a later announcement no longer drops its copy", async () => {
    const { database, feed, cache, user } = await setup();
    await cache.getUserById(user.id);

    cache.close();
    await feed.publish(user.id);

    await cache.getUserById(user.id);
    expect(database.reads).toBe(1);
  });
});
