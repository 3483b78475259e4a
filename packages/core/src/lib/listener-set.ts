/**
 * The listeners of one source (a revocation log's live entries, a user-change feed), called in
 * turn; one listener's failure never keeps the call from the others. Shared by every revocation
 * log and user-change feed implementation.
 */

/** A set of listeners of type `L`. */
export interface ListenerSet<L> {
  /** Adds a listener; returns the function that removes it. */
  add(listener: L): () => void;
  /** Calls `call` with every listener; one that throws is passed over. */
  each(call: (listener: L) => void): void;
  /** Removes every listener. */
  clear(): void;
}

/** Creates an empty listener set. */
export function createListenerSet<L>(): ListenerSet<L> {
  const listeners = new Set<L>();
  return {
    add(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    each(call) {
      for (const listener of listeners) {
        try {
          call(listener);
        } catch {
          // A verifier's or a cache's bookkeeping error must not keep the news from the others.
        }
      }
    },
    clear() {
      listeners.clear();
    },
  };
}
