/**
 * What the tabs of one app share so they act as one: a note of the current access token's
 * expiry (in `localStorage`, read synchronously inside the lock), a lock so only one tab
 * refreshes at a time (the Web Locks API, or a BroadcastChannel protocol where it is missing),
 * and a channel that tells every tab about refreshes, sign-ins and sign-outs at once.
 *
 * The credential itself is never shared this way: it is an HttpOnly cookie, which every tab of
 * the browser already shares. Only timestamps travel here.
 */

/** The part of `Storage` the client uses. */
export type SharedStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/** The part of `LockManager` (Web Locks API) the client uses. */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** The part of `BroadcastChannel` the client uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  close(): void;
}

/** What one tab tells the others. */
export type TabMessage =
  | { type: "refreshed"; expiresAt: number; lifetimeMs: number }
  | { type: "signed-in" }
  | { type: "signed-out" }
  | { type: "changed" };

/** The expiry note every tab reads before refreshing. */
export interface SharedExpiry {
  /** When the access token in the cookie expires (epoch ms). */
  expiresAt: number;
  /** How long that token was issued for, to place the next refresh. */
  lifetimeMs: number;
}

/** A mutual exclusion across the tabs of one origin. */
export interface TabLock {
  /** Runs `task` while no other tab runs a task under the same lock. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Releases listeners; a pending `run` still completes. */
  close(): void;
}

/** Reads and writes the expiry note; a storage that throws (private modes) behaves as empty. */
export function sharedExpiryStore(
  storage: SharedStorage | null,
  key: string,
): {
  read(): SharedExpiry | null;
  write(value: SharedExpiry | null): void;
} {
  let memory: SharedExpiry | null = null;
  return {
    read() {
      if (!storage) return memory;
      try {
        const raw = storage.getItem(key);
        if (raw === null) return null;
        const parsed = JSON.parse(raw) as Partial<SharedExpiry>;
        return typeof parsed.expiresAt === "number" && typeof parsed.lifetimeMs === "number"
          ? { expiresAt: parsed.expiresAt, lifetimeMs: parsed.lifetimeMs }
          : null;
      } catch {
        return memory;
      }
    },
    write(value) {
      memory = value;
      if (!storage) return;
      try {
        if (value === null) storage.removeItem(key);
        else storage.setItem(key, JSON.stringify(value));
      } catch {
        // Storage full or forbidden: this tab still knows; the others ask the server.
      }
    },
  };
}

/** The lock from the Web Locks API: exact, and released by the browser if a tab dies holding it. */
export function webLock(locks: LockManagerLike, name: string): TabLock {
  return { run: (task) => locks.request(name, task), close: () => {} };
}

/** How long a tab listens for competing claims before taking the BroadcastChannel lock. */
const CLAIM_WINDOW_MS = 60;
/** A holder that never says "released" (its tab was closed mid-refresh) is presumed gone after this. */
const HOLD_TIMEOUT_MS = 10_000;

type LockMessage =
  | { type: "claim"; id: string }
  | { type: "held"; id: string }
  | { type: "released"; id: string }
  | { type: "withdrawn"; id: string };

/** Digits of a claim id's time: ids then sort by time as strings, then by the tie-breaker. */
const CLAIM_TIME_DIGITS = 15;

/** A claim's id: when it was made (epoch ms, zero-padded) and a random tie-breaker. Exported for tests. */
export function claimId(at: number, tieBreaker: string): string {
  return `${String(at).padStart(CLAIM_TIME_DIGITS, "0")}-${tieBreaker}`;
}

/** When a claim was made (epoch ms), from its id; NaN for an id that is not a claim's. */
function claimedAt(id: string): number {
  return Number(id.slice(0, CLAIM_TIME_DIGITS));
}

/**
 * A lock over a BroadcastChannel, for browsers without Web Locks. A tab that wants it announces a
 * claim and listens for {@link CLAIM_WINDOW_MS}: if another tab holds it, or has a live claim with
 * a smaller id, it withdraws its claim, waits for the release and tries again. Claims are ordered
 * by time then a random tie-breaker, so simultaneous claimants agree on one winner without a
 * server. A claim stays live until its tab releases or withdraws it (or for
 * {@link HOLD_TIMEOUT_MS}, when its tab went away without saying so), including a claim that
 * arrived before this tab began its own: that one came first. Best effort by nature (the refresh
 * endpoint's grace window covers a rare double refresh), and only a fallback.
 */
export function broadcastLock(channel: ChannelLike, options: { now: () => number; random: () => string }): TabLock {
  const ownClaims = new Set<string>();
  let heldBy: string | null = null;
  let holding: string | null = null;
  const competing = new Set<string>();
  const waiters = new Set<() => void>();
  let queue: Promise<unknown> = Promise.resolve();

  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  const onMessage = (event: MessageEvent): void => {
    const message = event.data as Partial<LockMessage> | null;
    if (!message || typeof message.id !== "string" || typeof message.type !== "string") return;
    if (message.type === "claim") {
      competing.add(message.id);
      // Tell a newcomer the lock is taken, so it does not win its claim window.
      if (holding !== null) channel.postMessage({ type: "held", id: holding } satisfies LockMessage);
    } else if (message.type === "held") {
      heldBy = message.id;
    } else if (message.type === "released") {
      competing.delete(message.id);
      if (heldBy === message.id) heldBy = null;
      wake();
    } else if (message.type === "withdrawn") {
      competing.delete(message.id);
    }
  };
  channel.addEventListener("message", onMessage);

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });

  async function acquire(): Promise<string> {
    for (;;) {
      const now = options.now();
      const id = claimId(now, options.random());
      // Claims of tabs that went away mid-claim, without withdrawing, stop counting after a while
      // (as does an id that names no time: no tab of ours sent it).
      for (const other of competing) {
        const at = claimedAt(other);
        if (Number.isNaN(at) || at < now - HOLD_TIMEOUT_MS) competing.delete(other);
      }
      ownClaims.add(id);
      channel.postMessage({ type: "claim", id } satisfies LockMessage);
      await new Promise((resolve) => setTimeout(resolve, CLAIM_WINDOW_MS));
      // A stalled event loop (a starved machine, a long task) runs this timer with other tabs'
      // claims, posted within the window, still undelivered: one more turn lets them arrive.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const beaten = heldBy !== null || [...competing].some((other) => !ownClaims.has(other) && other < id);
      ownClaims.delete(id);
      if (!beaten) {
        holding = id;
        channel.postMessage({ type: "held", id } satisfies LockMessage);
        return id;
      }
      channel.postMessage({ type: "withdrawn", id } satisfies LockMessage);
      // Wait for the holder's release (or presume it gone), then claim again.
      await sleep(HOLD_TIMEOUT_MS);
      heldBy = null;
    }
  }

  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      // Within one tab, tasks queue locally; the channel arbitrates between tabs.
      const result = queue.then(async () => {
        const id = await acquire();
        try {
          return await task();
        } finally {
          holding = null;
          channel.postMessage({ type: "released", id } satisfies LockMessage);
        }
      });
      queue = result.catch(() => {});
      return result;
    },
    close() {
      channel.removeEventListener("message", onMessage);
      wake();
    },
  };
}

/** A lock for a lone tab (no Web Locks, no BroadcastChannel): tasks only queue locally. */
export function localLock(): TabLock {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      const result = queue.then(task);
      queue = result.catch(() => {});
      return result;
    },
    close: () => {},
  };
}
