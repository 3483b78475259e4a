/**
 * The security event log: every event on the bus (sign-ins and their failures with IP and user
 * agent, sessions created and revoked with the reason, admin actions with their actor, and what
 * later features announce) is persisted, queryable by the admin API, and removed after the
 * retention period by a periodic sweep.
 *
 * Recording is a bus subscriber, so it never delays or fails the request that caused the event;
 * a storage failure is logged by the bus. Types are stored as plain strings: a feature that adds
 * an event type needs no change here.
 */
import { decodeCursor, encodeCursor } from "../admin/cursor.js";
import type { EventBus, GatehouseEvent } from "../events/bus.js";
import { base64url, randomBytes } from "../lib/encoding.js";
import type { SecurityEventRecord, SecurityEventStore } from "../storage/ports.js";

/** Default retention: 90 days. */
export const DEFAULT_EVENT_RETENTION_SECONDS = 90 * 24 * 3600;

/** Filters of {@link SecurityEventLog.list}. */
export interface SecurityEventFilters {
  types?: string[];
  userId?: string;
  actorId?: string;
  /** Inclusive. */
  from?: number;
  /** Exclusive. */
  to?: number;
  limit?: number;
  cursor?: string;
}

/** The persisted log. */
export interface SecurityEventLog {
  /**
   * One page of events, newest first.
   * @throws InvalidCursorError for a cursor this list did not hand out.
   */
  list(filters: SecurityEventFilters): Promise<{ events: SecurityEventRecord[]; nextCursor: string | null }>;
  /** Removes events older than the retention period; returns how many. */
  sweep(): Promise<number>;
  /** Stops recording. */
  stop(): void;
}

/** Options of {@link createSecurityEventLog}. */
export interface SecurityEventLogOptions {
  store: SecurityEventStore;
  events: EventBus;
  clock: () => number;
  /** @default 7776000 (90 days) */
  retentionSeconds?: number;
}

/**
 * Ids that sort in recording order: the time (12 hex digits of milliseconds), then a counter of
 * this process (so events of one millisecond keep their order), then randomness (so instances
 * never collide).
 */
function idGenerator(): (occurredAt: number) => string {
  let counter = 0;
  return (occurredAt) => {
    counter = (counter + 1) % 0x1000000;
    const time = Math.max(0, Math.trunc(occurredAt)).toString(16).padStart(12, "0");
    return `evt_${time}${counter.toString(16).padStart(6, "0")}${base64url(randomBytes(8))}`;
  };
}

/** The stored form of a bus event. */
function toRecord(event: GatehouseEvent, id: string): SecurityEventRecord {
  return {
    id,
    type: event.type,
    occurredAt: event.occurredAt,
    userId: event.userId,
    sessionId: event.sessionId ?? null,
    actorType: event.actor?.type ?? null,
    actorId: event.actor?.id ?? null,
    ip: event.ip ?? null,
    userAgent: event.userAgent ?? null,
    data: event.data ?? {},
  };
}

/** Default page size of the event list. */
const DEFAULT_PAGE_SIZE = 50;

/**
 * Subscribes the log to the bus and returns it.
 *
 * @example
 * ```ts
 * const log = createSecurityEventLog({ store: database, events, clock: Date.now });
 * const { events: page } = await log.list({ types: ["sign_in.failed"], limit: 20 });
 * ```
 */
export function createSecurityEventLog(options: SecurityEventLogOptions): SecurityEventLog {
  const { store, events, clock } = options;
  const retentionMs = (options.retentionSeconds ?? DEFAULT_EVENT_RETENTION_SECONDS) * 1000;
  const nextId = idGenerator();
  const unsubscribe = events.subscribe((event) => store.appendSecurityEvent(toRecord(event, nextId(event.occurredAt))));

  return {
    async list(filters) {
      const limit = filters.limit ?? DEFAULT_PAGE_SIZE;
      const beforeId =
        filters.cursor !== undefined ? decodeCursor("events", filters.cursor, ["string"] as const)[0] : undefined;
      const page = await store.listSecurityEvents({
        limit: limit + 1,
        ...(beforeId !== undefined ? { beforeId } : {}),
        ...(filters.types !== undefined ? { types: filters.types } : {}),
        ...(filters.userId !== undefined ? { userId: filters.userId } : {}),
        ...(filters.actorId !== undefined ? { actorId: filters.actorId } : {}),
        ...(filters.from !== undefined ? { from: filters.from } : {}),
        ...(filters.to !== undefined ? { to: filters.to } : {}),
      });
      const found = page.slice(0, limit);
      const last = found[found.length - 1];
      return { events: found, nextCursor: page.length > limit && last ? encodeCursor("events", [last.id]) : null };
    },

    sweep: () => store.deleteSecurityEventsBefore(clock() - retentionMs),

    stop: () => void unsubscribe(),
  };
}
