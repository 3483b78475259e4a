/**
 * The user cache of the session check. Every authenticated request needs the session's user (a
 * ban or a deletion decides whether the session still counts, and `GET /v1/session` answers
 * with it), and reading it from SQL was the largest single cost of a Redis session check. The
 * user changes rarely, so each instance keeps the users it read, and every write of a user
 * drops the copy here and, through the {@link UserChangeFeed}, on every other instance.
 *
 * Why this cannot serve a stale user for longer than the feed takes to deliver:
 * - a write drops the copy here before it returns, and announces the change to every instance;
 * - a read that was under way when a change or an interruption arrived is not kept (it may hold
 *   the record from before the change);
 * - while the feed is not connected nothing is kept, and an interruption empties the cache;
 * - a copy is kept for `maxAgeMs` at most, which bounds what a lost announcement (a write whose
 *   publish failed, a connection that died without a sign) or a write made outside Gatehouse
 *   (an operator's SQL) can leave behind.
 */
import type { Database, UserChangeFeed, UserRecord } from "../storage/ports.js";

/** How long a copy is kept at most. */
export const USER_CACHE_MAX_AGE_MS = 10_000;
const DEFAULT_MAX_ENTRIES = 10_000;

/** Options of {@link createUserCache}. */
export interface UserCacheOptions {
  database: Database;
  /** Announces changes to every instance; null when none reaches them all: nothing is cached. */
  changes: UserChangeFeed | null;
  /** The engine's clock (epoch milliseconds). */
  clock: () => number;
  /** @default USER_CACHE_MAX_AGE_MS */
  maxAgeMs?: number;
  /** The oldest copy goes when a new one would exceed this. @default 10000 */
  maxEntries?: number;
}

/** A database whose user writes keep the cache right, and the cached read. */
export interface UserCache {
  /**
   * The database, except that each write of a user also drops the copy here and announces the
   * change to every instance. Every part of the engine writes users through it.
   */
  readonly database: Database;
  /**
   * The user by id: the kept copy while it is fresh, else the database's (then kept). The record
   * is frozen, because every caller shares it.
   */
  getUserById(id: string): Promise<UserRecord | null>;
  /** Stops listening to the feed. */
  close(): void;
}

interface Entry {
  user: UserRecord;
  readAt: number;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** Creates the cache over `database`; see the module comment for why it stays right. */
export function createUserCache(options: UserCacheOptions): UserCache {
  const { database, changes, clock } = options;
  const maxAgeMs = options.maxAgeMs ?? USER_CACHE_MAX_AGE_MS;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const entries = new Map<string, Entry>();
  // Moves on every change and interruption: a read that began before one is not kept.
  let generation = 0;

  function forget(userId: string): void {
    generation++;
    entries.delete(userId);
  }

  const stopListening =
    changes?.subscribe({
      changed: forget,
      interrupted() {
        generation++;
        entries.clear();
      },
    }) ?? (() => {});

  /** Runs a write of the user, then drops the copy here and tells every instance. */
  async function announced<T>(userId: string, write: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await write();
    } finally {
      // Even after a failure: the write may have applied before it failed.
      forget(userId);
    }
    await changes?.publish(userId);
    return result;
  }

  return {
    database: {
      ...database,
      updatePasswordHash: (userId, passwordHash, updatedAt) =>
        announced(userId, () => database.updatePasswordHash(userId, passwordHash, updatedAt)),
      markEmailVerified: (userId, emailNormalized, verifiedAt) =>
        announced(userId, () => database.markEmailVerified(userId, emailNormalized, verifiedAt)),
      updateEmail: (userId, change, updatedAt) =>
        announced(userId, () => database.updateEmail(userId, change, updatedAt)),
      updateUser: (id, userChanges, updatedAt) => announced(id, () => database.updateUser(id, userChanges, updatedAt)),
      deleteUser: (id) => announced(id, () => database.deleteUser(id)),
    },

    async getUserById(id) {
      if (!changes?.connected) return database.getUserById(id);
      const now = clock();
      const kept = entries.get(id);
      if (kept && now - kept.readAt < maxAgeMs) return kept.user;
      const startedAt = generation;
      const user = await database.getUserById(id);
      if (user && startedAt === generation && changes.connected) {
        entries.delete(id);
        // Insertion order is age order: the first key is the oldest copy.
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(id, { user: deepFreeze(user), readAt: now });
      }
      return user;
    },

    close: stopListening,
  };
}
