// The token cache on its own: expiry, LRU order and bound, and eviction by session.
import { describe, expect, it } from "vitest";
import { createTokenCache, INDEX_CHARS } from "./token-cache.js";

describe("createTokenCache", () => {
  it("returns a value until its expiry, then forgets it", () => {
    const cache = createTokenCache<string>({ maxEntries: 10 });
    cache.set("t1", "claims", 1000, "sess_a");
    expect(cache.get("t1", 999)).toBe("claims");
    expect(cache.get("t1", 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("evicts the least recently used entry when full", () => {
    const cache = createTokenCache<string>({ maxEntries: 2 });
    cache.set("a", "A", Infinity, "sess_1");
    cache.set("b", "B", Infinity, "sess_1");
    cache.get("a", 0);
    cache.set("c", "C", Infinity, "sess_2");
    expect(cache.get("b", 0)).toBeUndefined();
    expect(cache.get("a", 0)).toBe("A");
    expect(cache.get("c", 0)).toBe("C");
  });

  it("keeps the LRU order exact when hits on the newest entry skip moving it", () => {
    const cache = createTokenCache<string>({ maxEntries: 2 });
    cache.set("a", "A", Infinity, "sess_1");
    cache.set("b", "B", Infinity, "sess_1");
    cache.get("b", 0); // already the newest
    cache.get("a", 0); // a becomes the newest
    cache.get("b", 0); // b again
    cache.set("c", "C", Infinity, "sess_2");
    expect(cache.get("a", 0)).toBeUndefined();
    expect(cache.get("b", 0)).toBe("B");
    expect(cache.get("c", 0)).toBe("C");
  });

  it("drops every token of a revoked session and nothing else", () => {
    const cache = createTokenCache<string>({ maxEntries: 10 });
    cache.set("a", "A", Infinity, "sess_1");
    cache.set("b", "B", Infinity, "sess_1");
    cache.set("c", "C", Infinity, "sess_2");
    cache.deleteSession("sess_1");
    expect(cache.size).toBe(1);
    expect(cache.get("a", 0)).toBeUndefined();
    expect(cache.get("c", 0)).toBe("C");
  });

  it("re-setting a token replaces its entry and its session", () => {
    const cache = createTokenCache<string>({ maxEntries: 10 });
    cache.set("a", "old", Infinity, "sess_1");
    cache.set("a", "new", Infinity, "sess_2");
    cache.deleteSession("sess_1");
    expect(cache.get("a", 0)).toBe("new");
    cache.deleteSession("sess_2");
    expect(cache.size).toBe(0);
  });

  describe("indexed by the token's end, answered only for the whole token", () => {
    const ending = "s".repeat(INDEX_CHARS);
    // Same last characters as a checked token, different payload: a forgery the cache must not vouch for.
    const checked = `header.payload-of-alice.${ending}`;
    const forged = `header.payload-of-mallory.${ending}`;

    it("does not answer a token that shares only its index key with a cached one", () => {
      const cache = createTokenCache<string>({ maxEntries: 10 });
      cache.set(checked, "alice", Infinity, "sess_a");
      expect(cache.get(forged, 0)).toBeUndefined();
      expect(cache.get(checked.slice(1), 0)).toBeUndefined();
      expect(cache.get(`x${checked}`, 0)).toBeUndefined();
      // The miss leaves the real entry alone.
      expect(cache.get(checked, 0)).toBe("alice");
    });

    it("answers a token equal to the cached one but built anew, as each request brings it", () => {
      const cache = createTokenCache<string>({ maxEntries: 10 });
      cache.set(checked, "alice", Infinity, "sess_a");
      const arrived = Buffer.from(checked, "latin1").toString("latin1");
      expect(cache.get(arrived, 0)).toBe("alice");
    });

    it("keeps one of two tokens sharing an index key, each with its own session", () => {
      const cache = createTokenCache<string>({ maxEntries: 10 });
      cache.set(checked, "alice", Infinity, "sess_a");
      cache.set(forged, "mallory", Infinity, "sess_m");
      expect(cache.get(checked, 0)).toBeUndefined();
      expect(cache.get(forged, 0)).toBe("mallory");
      // The displaced token's session no longer holds the key: revoking it keeps the other.
      cache.deleteSession("sess_a");
      expect(cache.get(forged, 0)).toBe("mallory");
      cache.deleteSession("sess_m");
      expect(cache.size).toBe(0);
    });

    it("indexes short tokens whole", () => {
      const cache = createTokenCache<string>({ maxEntries: 10 });
      cache.set("short", "S", Infinity, "sess_s");
      expect(cache.get("short", 0)).toBe("S");
      expect(cache.get("shor", 0)).toBeUndefined();
    });
  });
});
