// The BroadcastChannel lock between "tabs" (two channels of one name in this process), when the
// event loop stalls: the claim windows' timers then come due before the other tab's claim has
// been delivered, and each tab must still see the other's claim before it takes the lock.
import { describe, expect, it } from "vitest";
import { broadcastLock } from "./tabs.js";

function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // A stalled event loop: a starved machine, a long task.
  }
}

describe("broadcastLock", () => {
  it("lets one tab in at a time even when the loop stalls through the claim window", async () => {
    const name = `gatehouse-lock-test-${Math.random()}`;
    const channels = [new BroadcastChannel(name), new BroadcastChannel(name)];
    let random = 0;
    const locks = channels.map((channel) => broadcastLock(channel, { now: Date.now, random: () => String(random++) }));
    let inside = 0;
    let overlapped = false;
    const task = async (): Promise<void> => {
      inside++;
      if (inside > 1) overlapped = true;
      await new Promise((resolve) => setTimeout(resolve, 20));
      inside--;
    };
    const runs = locks.map((lock) => lock.run(task));
    // Both claims are posted a few microtasks later; the stall comes before either is delivered.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    busy(150);
    await Promise.all(runs);
    expect(overlapped).toBe(false);
    for (const lock of locks) lock.close();
    for (const channel of channels) channel.close();
  });
});
