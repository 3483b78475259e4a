/**
 * WAL checkpoints on a worker thread for the SQLite adapter (internal to it).
 *
 * In WAL mode a commit only appends pages to the `-wal` file; a checkpoint copies them back into
 * the database file and is the only step that waits for the disk (`fsync` of both files: on the
 * bench machine up to 6 ms each). SQLite runs it by itself after the commit that takes the WAL
 * past 1000 pages, on the connection that committed, and better-sqlite3 is synchronous, so that
 * wait lands on the event loop: during the bench's sign-in storm about once a second, each time
 * stalling every request in flight (strace showed the `fsync`s on the main thread).
 *
 * Here the application's connection has automatic checkpoints off, and a second connection on a
 * worker thread checkpoints every {@link CHECKPOINT_INTERVAL_MS} (`PASSIVE`: it never blocks a
 * reader or the writer). With `synchronous = NORMAL`, better-sqlite3's default in WAL mode, a
 * commit is durable once the next checkpoint has synced the WAL, so this also bounds what a power
 * loss can take to that interval, where automatic checkpoints on a quiet server could leave
 * commits unsynced for hours. If the worker cannot start or dies, the application's connection
 * goes back to SQLite's automatic checkpoints, so the WAL never grows without bound.
 */
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { Worker } from "node:worker_threads";
import type SQLite from "better-sqlite3";

/** How often the worker checkpoints: the longest a commit waits to be synced to disk. */
export const CHECKPOINT_INTERVAL_MS = 500;

/** SQLite's own default for `wal_autocheckpoint` (pages), restored when the worker is gone. */
const AUTOMATIC_CHECKPOINT_PAGES = 1000;

// CommonJS, evaluated: the worker must also start from the TypeScript sources under test, where
// there is no compiled worker file to point at. The module path and file name come as data.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const SQLite = require(workerData.betterSqlitePath);
const connection = new SQLite(workerData.filename, { fileMustExist: true });
connection.pragma("busy_timeout = " + workerData.busyTimeoutMs);
const checkpoint = connection.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const timer = setInterval(() => checkpoint.run(), workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  connection.close();
  parentPort.close();
});
parentPort.postMessage("ready");
`;

/** A running background checkpointer. */
export interface BackgroundCheckpointer {
  /** Resolves once the worker has its connection open and automatic checkpoints are off. */
  readonly ready: Promise<void>;
  /** Stops the worker and closes its connection; safe to call more than once. */
  stop(): Promise<void>;
  /** The worker thread (for tests: what happens when it dies). */
  readonly worker: Worker;
}

/**
 * Starts checkpointing `filename` (already opened by `connection`, in WAL mode) on a worker
 * thread, and turns `connection`'s automatic checkpoints off once the worker is ready. The worker
 * never keeps the process alive.
 */
export function startBackgroundCheckpointer(
  connection: SQLite.Database,
  filename: string,
  options: { intervalMs?: number; busyTimeoutMs: number },
): BackgroundCheckpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      betterSqlitePath: createRequire(import.meta.url).resolve("better-sqlite3"),
      filename: resolve(filename),
      intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS,
      busyTimeoutMs: options.busyTimeoutMs,
    },
  });
  worker.unref();
  let stopping = false;

  function restoreAutomaticCheckpoints(): void {
    if (connection.open) connection.pragma(`wal_autocheckpoint = ${AUTOMATIC_CHECKPOINT_PAGES}`);
  }

  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  // Unless it was asked to stop, a worker that exits (or never got its connection) failed.
  void exited.then(() => {
    if (!stopping) restoreAutomaticCheckpoints();
  });
  worker.on("error", () => {
    // The exit that follows restores automatic checkpoints; the error itself is not fatal to
    // the application, which keeps working as if it had never had the worker.
  });

  const ready = new Promise<void>((resolve) => {
    worker.once("message", () => {
      if (!stopping && connection.open) connection.pragma("wal_autocheckpoint = 0");
      resolve();
    });
    void exited.then(() => resolve());
  });

  return {
    ready,
    worker,
    stop() {
      if (!stopping) {
        stopping = true;
        restoreAutomaticCheckpoints();
        // Referenced until it has exited: a process whose last work is awaiting this (a CLI
        // command closing its database) would otherwise end with the promise unsettled.
        worker.ref();
        worker.postMessage("stop");
      }
      return exited;
    },
  };
}
