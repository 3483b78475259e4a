/**
 * Argon2 on a pool of worker threads that run at a lower CPU priority than the event loop
 * (`@gatehouse/core/adapters/argon2-pool`), for `createArgon2idHasher(parameters, { runner })`.
 * The standalone server hashes on it.
 *
 * Why not libuv's thread pool (what `@node-rs/argon2`'s async functions use): its threads run
 * at the same priority as the thread answering requests, so during a sign-in storm every core
 * is busy hashing and an ordinary authenticated GET waits its turn for the CPU (the bench's
 * storm phase measured GET p99 many times its idle value on two cores). Here each worker lowers
 * its own thread's priority (Linux `setpriority` on the thread id): hashing still uses every
 * idle cycle, so sign-in throughput stays at the Argon2id bound, but the event loop is
 * scheduled first whenever it has work. Elsewhere than Linux the priority stays as it is.
 *
 * Workers start on first use, one per core, and do not keep the process alive while idle. Each
 * holds its next job while it hashes, so it never waits for a busy event loop to be handed one
 * (the bench's sign-in phase: 0.55–0.64× the Argon2id bound with one job per worker, 0.66–0.72×
 * with two, in alternating runs).
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Argon2Runner } from "../../passwords/hasher.js";

/** How much lower than the event loop the hashing threads run (`nice` steps added, capped at 19). */
export const HASHING_NICENESS = 10;

/** A job for a worker. */
type Job =
  { op: "hash"; password: string; options: Record<string, number> } | { op: "verify"; hash: string; password: string };

interface Pending {
  job: Job;
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  /** Jobs posted to this worker, oldest first: it answers them in order. */
  jobs: Pending[];
}

/**
 * Jobs each worker holds at most: the one it hashes and the next. A worker with its next job
 * already in its inbox starts on it the moment it finishes; one that waits for the event loop
 * to hand it the next job sits idle for as long as the loop is busy elsewhere, and during a
 * sign-in storm the loop is never idle.
 */
const JOBS_PER_WORKER = 2;

// CommonJS, evaluated: the pool must also start from the TypeScript sources under test, where
// there is no compiled worker file to point at. The module path and niceness come as data.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { readlinkSync } = require("node:fs");
const { getPriority, setPriority } = require("node:os");
const argon2 = require(workerData.argon2Path);
try {
  // /proc/thread-self -> /proc/<pid>/task/<tid>; setpriority on a tid applies to that thread only.
  const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + workerData.niceness));
} catch {}
parentPort.on("message", (job) => {
  try {
    const value =
      job.op === "hash"
        ? argon2.hashSync(job.password, job.options)
        : (() => { try { return argon2.verifySync(job.hash, job.password); } catch { return false; } })();
    parentPort.postMessage({ ok: true, value });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
`;

/** Hashes and verifies with Argon2 off the event loop, at a lower priority. */
export interface Argon2Pool extends Argon2Runner {
  /** Workers started so far. */
  readonly size: number;
  /** Jobs not handed to a worker yet: every worker already holds its hash and the next one. */
  readonly waiting: number;
  /** Stops every worker; jobs queued or in a worker's hands are refused. */
  close(): Promise<void>;
}

/**
 * Creates a pool of `size` workers (default: one per core), started on first use.
 *
 * @example
 * ```ts
 * import { createArgon2idHasher, createGatehouse } from "@gatehouse/core";
 * import { createArgon2Pool } from "@gatehouse/core/adapters/argon2-pool";
 *
 * const passwordHasher = createArgon2idHasher(undefined, { runner: createArgon2Pool() });
 * const engine = await createGatehouse({ ...config, passwordHasher });
 * ```
 */
export function createArgon2Pool(options: { size?: number; niceness?: number } = {}): Argon2Pool {
  const size = Math.max(1, options.size ?? availableParallelism());
  const workerData = {
    argon2Path: createRequire(import.meta.url).resolve("@node-rs/argon2"),
    niceness: options.niceness ?? HASHING_NICENESS,
  };
  const workers: PoolWorker[] = [];
  const queue: Pending[] = [];
  let closed = false;

  function start(): PoolWorker {
    const entry: PoolWorker = { worker: new Worker(WORKER_SOURCE, { eval: true, workerData }), jobs: [] };
    entry.worker.unref();
    entry.worker.on("message", (reply: { ok: true; value: string | boolean } | { ok: false; message: string }) => {
      const pending = entry.jobs.shift()!;
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(new Error(`Argon2 failed: ${reply.message}`));
      dispatch();
    });
    entry.worker.on("error", (error) => fail(entry, error));
    entry.worker.on("exit", (code) => {
      if (!closed) fail(entry, new Error(`An Argon2 worker stopped (exit code ${code}).`));
    });
    workers.push(entry);
    return entry;
  }

  /** A worker that died takes the jobs it held with it; the pool starts another on the next dispatch. */
  function fail(entry: PoolWorker, error: Error): void {
    const index = workers.indexOf(entry);
    if (index >= 0) workers.splice(index, 1);
    for (const pending of entry.jobs.splice(0)) pending.reject(error);
    dispatch();
  }

  /**
   * Who takes the next job: an idle worker, else a new one while the pool is not full, else the
   * least loaded one with room.
   */
  function nextWorker(): PoolWorker | null {
    const idle = workers.find((each) => each.jobs.length === 0);
    if (idle) return idle;
    if (workers.length < size) return start();
    let least: PoolWorker | null = null;
    for (const each of workers) {
      if (each.jobs.length < JOBS_PER_WORKER && (least === null || each.jobs.length < least.jobs.length)) least = each;
    }
    return least;
  }

  function dispatch(): void {
    while (queue.length > 0) {
      const target = nextWorker();
      if (!target) break;
      const pending = queue.shift()!;
      target.jobs.push(pending);
      // Referenced while it works, so a pending hash keeps a short-lived process (a CLI) alive.
      target.worker.ref();
      target.worker.postMessage(pending.job);
    }
    for (const each of workers) if (each.jobs.length === 0) each.worker.unref();
  }

  function run(job: Job): Promise<string | boolean> {
    if (closed) return Promise.reject(new Error("The Argon2 pool is closed."));
    return new Promise((resolve, reject) => {
      queue.push({ job, resolve, reject });
      dispatch();
    });
  }

  return {
    hash: (password, hashOptions) => run({ op: "hash", password, options: hashOptions }) as Promise<string>,
    verify: (hash, password) => run({ op: "verify", hash, password }) as Promise<boolean>,
    get size() {
      return workers.length;
    },
    get waiting() {
      return queue.length;
    },
    async close() {
      closed = true;
      const stopping = workers.splice(0);
      const refused = [...queue.splice(0), ...stopping.flatMap((each) => each.jobs.splice(0))];
      for (const pending of refused) pending.reject(new Error("The Argon2 pool is closed."));
      await Promise.all(stopping.map((each) => each.worker.terminate()));
    },
  };
}
