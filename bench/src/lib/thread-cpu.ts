/**
 * Where the CPU went during a measured window, from Linux's `/proc`: the server's event loop,
 * its hashing threads, its other threads (libuv's pool, V8's helpers), the rest of the machine
 * (load generator, probe, Redis, kernel) and what stayed idle. The sign-in phase reports it
 * because on a small machine the Argon2id bound is measured with every core hashing, while the
 * storm shares those cores with everything else; the split says how much of the gap is hashing
 * that had no core to run on, and what each sign-in cost the event loop.
 *
 * Hashing threads are recognised by their raised `nice` value: the Argon2 pool lowers its
 * workers' priority, and nothing else in the server does. Elsewhere than Linux there is no
 * `/proc`, and the snapshot is null.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/** CPU time consumed so far, in clock ticks, by role. */
export interface CPUSnapshot {
  /** `performance.now()` when taken. */
  at: number;
  eventLoop: number;
  hashing: number;
  otherThreads: number;
  /** Whole machine, from `/proc/stat`'s `cpu` line. */
  machineBusy: number;
  machineIdle: number;
  machineSteal: number;
}

/** CPU use over a window, in cores (1 = one core busy for the whole window). */
export interface CPUSplit {
  eventLoopCores: number;
  hashingCores: number;
  otherThreadCores: number;
  /** Busy time of the machine not spent by the server: load generator, probe, Redis, kernel. */
  restOfMachineCores: number;
  idleCores: number;
  /** Time the hypervisor gave to other guests. */
  stealCores: number;
}

/** One thread's line of `/proc/<pid>/task/<tid>/stat`, the fields used here. */
export interface ThreadStat {
  /** User plus system time, in clock ticks. */
  ticks: number;
  nice: number;
}

/**
 * Parses a `stat` line. The command name (field 2) is in parentheses and may itself hold spaces
 * and parentheses, so fields are counted from the last `)`.
 *
 * @example
 * ```ts
 * parseThreadStat("42 (node) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 10 7 0 9 0 0"); // { ticks: 280, nice: 10 }
 * ```
 * @throws Error on a line that is not a `stat` line.
 */
export function parseThreadStat(line: string): ThreadStat {
  const end = line.lastIndexOf(")");
  // After the name: state (field 3) first, so field n is at index n - 3.
  const fields = line
    .slice(end + 2)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  const nice = Number(fields[19 - 3]);
  if (end < 0 || ![utime, stime, nice].every(Number.isInteger)) throw new Error(`not a /proc stat line: ${line}`);
  return { ticks: utime + stime, nice };
}

/**
 * Parses `/proc/stat`'s aggregate `cpu` line into busy, idle and steal ticks. Busy counts user,
 * nice, system, irq and softirq; idle counts idle and iowait; guest time is already in user.
 * @throws Error when there is no `cpu` line.
 */
export function parseMachineStat(text: string): { busy: number; idle: number; steal: number } {
  const line = text.split("\n").find((each) => each.startsWith("cpu "));
  if (!line) throw new Error("/proc/stat has no cpu line");
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return {
    busy: user! + nice! + system! + irq! + softirq!,
    idle: idle! + iowait!,
    steal: steal ?? 0,
  };
}

let clockTicksPerSecond: number | null = null;

/** `sysconf(_SC_CLK_TCK)`, which `/proc` counts in: 100 on every common Linux. */
function ticksPerSecond(): number {
  if (clockTicksPerSecond === null) {
    try {
      clockTicksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  return clockTicksPerSecond;
}

/** Snapshots the CPU time of process `pid`'s threads by role, and of the machine; null without `/proc`. */
export function snapshotCPU(pid: number): CPUSnapshot | null {
  let tasks: string[];
  let machine: ReturnType<typeof parseMachineStat>;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
    machine = parseMachineStat(readFileSync("/proc/stat", "utf8"));
  } catch {
    return null;
  }
  const snapshot: CPUSnapshot = {
    at: performance.now(),
    eventLoop: 0,
    hashing: 0,
    otherThreads: 0,
    machineBusy: machine.busy,
    machineIdle: machine.idle,
    machineSteal: machine.steal,
  };
  const stats = new Map<number, ThreadStat>();
  for (const tid of tasks) {
    try {
      stats.set(Number(tid), parseThreadStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8")));
    } catch {
      // The thread ended between listing and reading.
    }
  }
  const baseNice = stats.get(pid)?.nice ?? 0;
  for (const [tid, stat] of stats) {
    if (tid === pid) snapshot.eventLoop += stat.ticks;
    else if (stat.nice > baseNice) snapshot.hashing += stat.ticks;
    else snapshot.otherThreads += stat.ticks;
  }
  return snapshot;
}

/** The CPU split between two snapshots of the same process, in cores. */
export function cpuBetween(before: CPUSnapshot, after: CPUSnapshot, ticks = ticksPerSecond()): CPUSplit {
  const seconds = (after.at - before.at) / 1000;
  const cores = (delta: number): number => delta / ticks / seconds;
  const eventLoopCores = cores(after.eventLoop - before.eventLoop);
  const hashingCores = cores(after.hashing - before.hashing);
  const otherThreadCores = cores(after.otherThreads - before.otherThreads);
  const machineBusyCores = cores(after.machineBusy - before.machineBusy);
  return {
    eventLoopCores,
    hashingCores,
    otherThreadCores,
    restOfMachineCores: Math.max(0, machineBusyCores - eventLoopCores - hashingCores - otherThreadCores),
    idleCores: cores(after.machineIdle - before.machineIdle),
    stealCores: cores(after.machineSteal - before.machineSteal),
  };
}
