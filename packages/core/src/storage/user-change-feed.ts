/**
 * The in-process {@link UserChangeFeed}: for one instance, where every change is made in this
 * process and so reaches every listener at once. Redis provides the shared one.
 */
import type { UserChangeFeed, UserChangeListener } from "./ports.js";

/** Listeners of a feed; a failing listener never keeps a change from the others. */
export interface UserChangeListeners {
  /** Adds a listener; returns the function that removes it. */
  add(listener: UserChangeListener): () => void;
  /** Tells every listener that the user changed. */
  changed(userId: string): void;
  /** Tells every listener that changes may have been missed. */
  interrupted(): void;
  /** Removes every listener. */
  clear(): void;
}

/** The listener set every feed delivers through. */
export function createUserChangeListeners(): UserChangeListeners {
  const listeners = new Set<UserChangeListener>();
  function each(call: (listener: UserChangeListener) => void): void {
    for (const listener of listeners) {
      try {
        call(listener);
      } catch {
        // One cache's bookkeeping error must not keep the change from the others.
      }
    }
  }
  return {
    add(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    changed: (userId) => each((listener) => listener.changed(userId)),
    interrupted: () => each((listener) => listener.interrupted()),
    clear: () => listeners.clear(),
  };
}

/** A feed that reaches this process only: the default of an engine whose stores are all its database's. */
export function createLocalUserChangeFeed(): UserChangeFeed {
  const listeners = createUserChangeListeners();
  return {
    connected: true,
    async publish(userId) {
      listeners.changed(userId);
    },
    subscribe(listener) {
      const remove = listeners.add(listener);
      return () => void remove();
    },
    async close() {
      listeners.clear();
    },
  };
}
