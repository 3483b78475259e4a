/**
 * The cache of credentials already checked, keyed by the exact token string. An Ed25519
 * verification costs ~130 µs and a session check through the server a round trip; a token
 * seen before costs a map lookup instead. Entries leave at their expiry, when their session is
 * revoked, or, least recently used first, when the cache is full.
 */

/** A bounded LRU of checked credentials. */
export interface TokenCache<V> {
  /** The value, or undefined if absent or expired at `now` (ms); a hit counts as a use. */
  get(token: string, now: number): V | undefined;
  /** Remembers `value` until `expiresAt` (ms) for the session `sessionId`. */
  set(token: string, value: V, expiresAt: number, sessionId: string): void;
  /** Forgets every entry of the session. */
  deleteSession(sessionId: string): void;
  readonly size: number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
  sessionId: string;
  /** When it was last inserted or moved to the back, counted in uses of the cache. */
  usedAt: number;
}

/**
 * Creates an empty cache holding at most `maxEntries`.
 *
 * @example
 * ```ts
 * const cache = createTokenCache<AccessTokenClaims>({ maxEntries: 10_000 });
 * cache.set(token, claims, claims.exp * 1000, claims.sid);
 * cache.get(token, Date.now());
 * ```
 */
export function createTokenCache<V>(options: { maxEntries: number }): TokenCache<V> {
  // A Map iterates in insertion order; re-inserting on every hit makes the first key the LRU.
  const entries = new Map<string, Entry<V>>();
  const bySession = new Map<string, Set<string>>();
  let uses = 0;

  function remove(token: string): void {
    const entry = entries.get(token);
    if (!entry) return;
    entries.delete(token);
    const tokens = bySession.get(entry.sessionId);
    tokens?.delete(token);
    if (tokens?.size === 0) bySession.delete(entry.sessionId);
  }

  return {
    get(token, now) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (now >= entry.expiresAt) {
        remove(token);
        return undefined;
      }
      // Already the most recently used (one busy client): moving it would change nothing, and
      // a delete and re-insert per hit makes the map compact itself, which is not free.
      if (entry.usedAt !== uses) {
        entries.delete(token);
        entries.set(token, entry);
        entry.usedAt = ++uses;
      }
      return entry.value;
    },
    set(token, value, expiresAt, sessionId) {
      remove(token);
      entries.set(token, { value, expiresAt, sessionId, usedAt: ++uses });
      let tokens = bySession.get(sessionId);
      if (!tokens) bySession.set(sessionId, (tokens = new Set()));
      tokens.add(token);
      while (entries.size > options.maxEntries) {
        const oldest = entries.keys().next().value as string;
        remove(oldest);
      }
    },
    deleteSession(sessionId) {
      for (const token of bySession.get(sessionId) ?? []) entries.delete(token);
      bySession.delete(sessionId);
    },
    get size() {
      return entries.size;
    },
  };
}
