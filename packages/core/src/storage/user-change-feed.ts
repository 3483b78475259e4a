/**
 * The in-process {@link UserChangeFeed}: for one instance, where every change is made in this
 * process and so reaches every listener at once. Redis provides the shared one.
 */
import { createListenerSet } from "../lib/listener-set.js";
import type { UserChangeFeed, UserChangeListener } from "./ports.js";

/** A feed that reaches this process only: the default of an engine whose stores are all its database's. */
export function createLocalUserChangeFeed(): UserChangeFeed {
  const listeners = createListenerSet<UserChangeListener>();
  return {
    connected: true,
    async publish(userId) {
      listeners.each((listener) => listener.changed(userId));
    },
    subscribe: listeners.add,
    async close() {
      listeners.clear();
    },
  };
}
