// The CPU split of the sign-in phase: parsing /proc and telling the threads apart (no timing).
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OWASP_ARGON2ID } from "@gatehouse/core";
import { createArgon2Pool } from "@gatehouse/core/adapters/argon2-pool";
import { cpuBetween, parseMachineStat, parseThreadStat, snapshotCPU, type CPUSnapshot } from "./thread-cpu.js";

describe("parseThreadStat", () => {
  it("reads user + system ticks and nice, counting fields after the last parenthesis", () => {
    const line = "42 (node (worker) 1) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 30 10 7 0 9 0 0";
    expect(parseThreadStat(line)).toEqual({ ticks: 280, nice: 10 });
  });
  it("refuses a line that is not a stat line", () => {
    expect(() => parseThreadStat("nothing here")).toThrow(/not a \/proc stat line/);
  });
});

describe("parseMachineStat", () => {
  it("sums busy (user nice system irq softirq), idle (idle iowait) and steal", () => {
    const text = "cpu  100 5 20 1000 7 3 2 9 0 0\ncpu0 50 2 10 500 3 1 1 4 0 0\nintr 1\n";
    expect(parseMachineStat(text)).toEqual({ busy: 130, idle: 1007, steal: 9 });
  });
  it("refuses text without the aggregate cpu line", () => {
    expect(() => parseMachineStat("cpu0 1 2 3 4\n")).toThrow(/no cpu line/);
  });
});

describe("cpuBetween", () => {
  it("turns tick deltas into cores and leaves the machine's remaining busy time to the rest", () => {
    const before: CPUSnapshot = {
      at: 0,
      eventLoop: 0,
      hashing: 0,
      otherThreads: 0,
      machineBusy: 0,
      machineIdle: 0,
      machineSteal: 0,
    };
    // 2 s at 100 ticks/s: 80 ticks = 0.4 cores.
    const after: CPUSnapshot = {
      at: 2000,
      eventLoop: 80,
      hashing: 260,
      otherThreads: 20,
      machineBusy: 400,
      machineIdle: 0,
      machineSteal: 10,
    };
    const split = cpuBetween(before, after, 100);
    const expected = {
      eventLoopCores: 0.4,
      hashingCores: 1.3,
      otherThreadCores: 0.1,
      restOfMachineCores: 0.2,
      idleCores: 0,
      stealCores: 0.05,
    };
    for (const [key, cores] of Object.entries(expected))
      expect(split[key as keyof typeof expected]).toBeCloseTo(cores, 9);
  });
});

describe.skipIf(!existsSync("/proc/self/task"))("snapshotCPU (Linux)", () => {
  it("counts this process's busy main thread as the event loop and a niced Argon2 worker as hashing", async () => {
    const pool = createArgon2Pool({ size: 1 });
    try {
      const before = snapshotCPU(process.pid)!;
      // Two hashes at OWASP cost: tens of milliseconds on the niced worker.
      // Argon2id is the const enum member 2, which isolated modules cannot name.
      const options = { algorithm: 2, ...OWASP_ARGON2ID };
      await pool.hash("first password", options);
      await pool.hash("second password", options);
      const spinUntil = performance.now() + 100;
      while (performance.now() < spinUntil) {
        // Keep the event loop busy for a few clock ticks.
      }
      const after = snapshotCPU(process.pid)!;
      expect(after.hashing - before.hashing).toBeGreaterThan(0);
      expect(after.eventLoop - before.eventLoop).toBeGreaterThan(0);
      expect(after.machineBusy).toBeGreaterThan(before.machineBusy);
    } finally {
      await pool.close();
    }
  });
  it("is null for a process that does not exist", () => {
    expect(snapshotCPU(2 ** 22 + 12345)).toBeNull();
  });
});
