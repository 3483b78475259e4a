/**
 * The set of revoked session ids a verifier checks every access token against. An entry only
 * matters while a token of its session could still be valid, so it is dropped after its
 * `until`: the set stays as small as the revocations of the last token lifetime.
 */

/** Revoked sessions, each kept until its `until` (ms since the epoch). */
export interface RevokedSessions {
  /** Records a revocation; a later `until` for the same session wins. */
  add(sessionId: string, until: number): void;
  /** Whether the session is revoked at `now`; forgets the entry once `until` has passed. */
  has(sessionId: string, now: number): boolean;
  /** Forgets every entry whose `until` has passed; returns how many went. */
  prune(now: number): number;
  readonly size: number;
}

/**
 * Creates an empty set.
 *
 * @example
 * ```ts
 * const revoked = createRevokedSessions();
 * revoked.add("sess_…", Date.now() + 600_000);
 * revoked.has("sess_…", Date.now()); // true
 * ```
 */
export function createRevokedSessions(): RevokedSessions {
  const entries = new Map<string, number>();
  return {
    add(sessionId, until) {
      const known = entries.get(sessionId);
      if (known === undefined || until > known) entries.set(sessionId, until);
    },
    has(sessionId, now) {
      const until = entries.get(sessionId);
      if (until === undefined) return false;
      if (until > now) return true;
      entries.delete(sessionId);
      return false;
    },
    prune(now) {
      let removed = 0;
      for (const [sessionId, until] of entries) {
        if (until <= now) {
          entries.delete(sessionId);
          removed++;
        }
      }
      return removed;
    },
    get size() {
      return entries.size;
    },
  };
}
