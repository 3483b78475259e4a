// The token cache on its own: expiry, LRU order and bound, and eviction by session.
import { describe, expect, it } from "vitest";
import { createTokenCache } from "./token-cache.js";

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
});
