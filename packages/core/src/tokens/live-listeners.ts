/**
 * A set of listeners for live revocation entries; one listener's failure never stops the
 * others. Shared by the revocation log implementations.
 */
import type { RevocationLogEntry } from "../storage/ports.js";

/** Live listeners of a revocation log. */
export interface LiveListeners {
  subscribe(listener: (entry: RevocationLogEntry) => void): () => void;
  deliver(entry: RevocationLogEntry): void;
  clear(): void;
}

/** Creates an empty listener set. */
export function createLiveListeners(): LiveListeners {
  const listeners = new Set<(entry: RevocationLogEntry) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    deliver(entry) {
      for (const listener of listeners) {
        try {
          listener(entry);
        } catch {
          // A verifier's bookkeeping error must not keep the entry from the others.
        }
      }
    },
    clear() {
      listeners.clear();
    },
  };
}
