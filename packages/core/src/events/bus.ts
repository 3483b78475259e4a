/**
 * The engine's event bus. Features announce what happened (a user signed up, a session was
 * revoked, a sign-in failed); subscribers turn that into security-event records, webhooks,
 * metrics or the revocation feed, without the feature knowing about any of them.
 *
 * `emit` never waits for subscribers and never fails the request that caused the event: a
 * subscriber's error is logged. `flush` waits for everything already emitted, for shutdown and
 * for tests.
 */
import type { Logger } from "../lib/logger.js";

/** Every event type the engine emits. Wire names follow the webhook convention `noun.verb`. */
export const EVENT_TYPES = [
  "user.created",
  "session.created",
  "session.revoked",
  "sign_in.succeeded",
  "sign_in.failed",
  "refresh_token.reused",
  "signing_key.rotated",
  "password.reset",
  "password.changed",
  "email.verified",
  "email.changed",
  // Admin actions; `actor` names the secret key, or `system` for the CLI.
  "user.updated",
  "user.deleted",
  "user.banned",
  "user.unbanned",
  "users.imported",
  "secret_key.created",
  "secret_key.revoked",
  // Second factors; `data.factor` names the factor (`totp`, `sms`, `backup_code`), never a code or number.
  "mfa.enabled",
  "mfa.disabled",
  "mfa.challenge_failed",
  "mfa.backup_codes_regenerated",
  "mfa.step_up",
  // Passkeys; `data.passkey_id` names the passkey (`pk_…`), never its key or credential id.
  "passkey.created",
  "passkey.renamed",
  "passkey.deleted",
  // A sign-in with a valid signature whose counter did not move forward: possibly a cloned authenticator.
  "passkey.counter_regressed",
] as const;

/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/** Who caused an event. */
export interface EventActor {
  type: "user" | "admin" | "system";
  /** User id for `user`, secret key id for `admin`, null for `system`. */
  id: string | null;
}

/** One thing that happened. Never carries a secret (password, token, code or key). */
export interface GatehouseEvent {
  type: EventType;
  /** Milliseconds since the epoch, from the engine's clock. */
  occurredAt: number;
  /** The user the event is about, when known. */
  userId: string | null;
  sessionId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  actor?: EventActor;
  /** Type-specific details, e.g. `{ reason: "sign_out" }` on `session.revoked`. */
  data?: Record<string, unknown>;
}

/** A subscriber; may be async. */
export type EventListener = (event: GatehouseEvent) => void | Promise<void>;

/** Publish and subscribe. */
export interface EventBus {
  /** Announces an event; returns at once. */
  emit(event: Omit<GatehouseEvent, "occurredAt">): void;
  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: EventListener): () => void;
  /** Resolves when every listener call for events emitted so far has settled. */
  flush(): Promise<void>;
}

/**
 * Creates an event bus.
 *
 * @example
 * ```ts
 * const bus = createEventBus({ clock: Date.now, logger });
 * bus.subscribe((event) => console.log(event.type));
 * bus.emit({ type: "user.created", userId: "user_…" });
 * ```
 */
export function createEventBus(options: { clock: () => number; logger: Logger }): EventBus {
  const listeners = new Set<EventListener>();
  const pending = new Set<Promise<void>>();

  return {
    emit(partial) {
      const event: GatehouseEvent = { ...partial, occurredAt: options.clock() };
      for (const listener of listeners) {
        const call = Promise.resolve()
          .then(() => listener(event))
          .catch((err: unknown) => options.logger.error({ err, eventType: event.type }, "event listener failed"))
          .finally(() => pending.delete(call));
        pending.add(call);
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
