// The BroadcastChannel lock between "tabs" (channels of one name in this process): when the
// event loop stalls, the claim windows' timers come due before other tabs' messages have been
// delivered, and each tab must still count every live claim before it takes the lock; a claim
// that lost is withdrawn, and one whose tab went away stops counting after the hold timeout.
import { afterEach, describe, expect, it } from "vitest";
import { sleep, until } from "../test-support/waiting.js";
import { broadcastLock, claimId, type TabLock } from "./tabs.js";

function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // A stalled event loop: a starved machine, a long task.
  }
}

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const each of opened.splice(0)) each.close();
});

/** A fresh channel name, so tests never hear each other. */
const channelName = () => `gatehouse-lock-test-${Math.random()}`;

/** `count` tabs, each with its own channel of one name and its own lock. */
function tabs(count: number): TabLock[] {
  const name = channelName();
  let random = 0;
  return Array.from({ length: count }, () => {
    const channel = new BroadcastChannel(name);
    const lock = broadcastLock(channel, { now: Date.now, random: () => String(random++) });
    // Locks first: closing one stops its listener before its channel goes.
    opened.push(channel);
    opened.unshift(lock);
    return lock;
  });
}

/** Tasks that record which tab entered, in order, and whether two were ever inside at once. */
function recorder() {
  const entered: number[] = [];
  let inside = 0;
  let overlapped = false;
  return {
    entered,
    overlapped: () => overlapped,
    task: (tab: number, ms: number) => async (): Promise<void> => {
      entered.push(tab);
      if (++inside > 1) overlapped = true;
      await sleep(ms);
      inside--;
    },
  };
}

describe("broadcastLock", () => {
  it("lets one tab in at a time even when the loop stalls through the claim window", async () => {
    const locks = tabs(2);
    const record = recorder();
    const runs = locks.map((lock, tab) => lock.run(record.task(tab, 20)));
    // Both claims are posted a few microtasks later; the stall comes before either is delivered.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    busy(150);
    await Promise.all(runs);
    expect(record.overlapped()).toBe(false);
    expect(record.entered).toHaveLength(2);
  });

  it("counts a claim that arrived before this tab began its own, when the loop then stalls", async () => {
    const [first, second] = tabs(2);
    const record = recorder();
    const runs = [first!.run(record.task(0, 20))];
    // The first tab's claim is delivered to the second before the second wants the lock...
    await sleep(5);
    runs.push(second!.run(record.task(1, 20)));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    // ...and both claim windows end in one stalled turn, before the first tab's "held" can
    // reach the second: only the earlier claim tells the second tab it lost.
    busy(150);
    await Promise.all(runs);
    expect(record.overlapped()).toBe(false);
    expect(record.entered).toEqual([0, 1]);
  });

  it("a tab that lost its claim withdraws it, so the claim does not hold up later tabs", async () => {
    const locks = tabs(3);
    const record = recorder();
    const started = Date.now();
    const runs = [locks[0]!.run(record.task(0, 150))];
    // The second tab claims while the first holds, loses, and takes the lock after the release.
    await sleep(100);
    runs.push(locks[1]!.run(record.task(1, 10)));
    await until(() => record.entered.length === 2);
    // The third claims later: the second's lost claim, earlier than its own, must not count.
    runs.push(locks[2]!.run(record.task(2, 10)));
    await Promise.all(runs);
    expect(record.entered).toEqual([0, 1, 2]);
    // Counting the withdrawn claim would have kept the third tab waiting for the hold timeout (10 s).
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("stops counting a claim whose tab went away without withdrawing it", async () => {
    const name = channelName();
    const gone = new BroadcastChannel(name);
    const channel = new BroadcastChannel(name);
    let clock = Date.now();
    const lock = broadcastLock(channel, { now: () => clock, random: () => "b" });
    opened.push(lock, channel);
    // A tab claims, then is closed before it could take the lock or withdraw.
    gone.postMessage({ type: "claim", id: claimId(clock - 1, "a") });
    await sleep(5);
    gone.close();
    // Past the hold timeout the stale claim no longer beats a new one.
    clock += 10_001;
    const started = Date.now();
    expect(await lock.run(async () => "in")).toBe("in");
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
