/**
 * The cache of credentials already checked. An Ed25519 verification costs ~130 µs and a
 * session check through the server a round trip; a token seen before costs a map lookup and a
 * string comparison instead. Entries leave at their expiry, when their session is revoked, or,
 * least recently used first, when the cache is full.
 *
 * Only the exact token string finds its entry: the map is indexed by the token's last
 * {@link INDEX_CHARS} characters, and a hit counts only when the whole token equals the one
 * that was checked. The index exists because a map hashes its key in full every time it is
 * handed a new string, and each request brings a new one: for a 460-byte access token that was
 * about 0.9 µs per request, more than the rest of a cached check. Comparing two strings costs
 * next to nothing.
 */

/**
 * How many characters from a token's end index the cache: 192 bits of an access token's
 * signature (86 base64url characters in all) or of a session token's secret (43), which no two
 * tokens share by chance. Cheap to hash, unlike the whole token.
 */
export const INDEX_CHARS = 32;

function indexKey(token: string): string {
  return token.length > INDEX_CHARS ? token.slice(-INDEX_CHARS) : token;
}

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
  /** The whole token that was checked; a presented token must equal it. */
  token: string;
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
  /** Each session's index keys. */
  const bySession = new Map<string, Set<string>>();
  let uses = 0;

  function remove(key: string): void {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    const keys = bySession.get(entry.sessionId);
    keys?.delete(key);
    if (keys?.size === 0) bySession.delete(entry.sessionId);
  }

  return {
    get(token, now) {
      const key = indexKey(token);
      const entry = entries.get(key);
      if (!entry || entry.token !== token) return undefined;
      if (now >= entry.expiresAt) {
        remove(key);
        return undefined;
      }
      // Already the most recently used (one busy client): moving it would change nothing, and
      // a delete and re-insert per hit makes the map compact itself, which is not free.
      if (entry.usedAt !== uses) {
        entries.delete(key);
        entries.set(key, entry);
        entry.usedAt = ++uses;
      }
      return entry.value;
    },
    set(token, value, expiresAt, sessionId) {
      const key = indexKey(token);
      // Also drops another token that shares the index key (never seen: it would take two
      // signatures or session secrets alike in their last 192 bits); that one is checked afresh.
      remove(key);
      entries.set(key, { token, value, expiresAt, sessionId, usedAt: ++uses });
      let keys = bySession.get(sessionId);
      if (!keys) bySession.set(sessionId, (keys = new Set()));
      keys.add(key);
      while (entries.size > options.maxEntries) {
        const oldest = entries.keys().next().value as string;
        remove(oldest);
      }
    },
    deleteSession(sessionId) {
      for (const key of bySession.get(sessionId) ?? []) entries.delete(key);
      bySession.delete(sessionId);
    },
    get size() {
      return entries.size;
    },
  };
}
