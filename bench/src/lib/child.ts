/**
 * Child processes: every server under test runs in a process of its own, started here and
 * stopped here. A server announces itself with one line `BENCH_READY {json}` on stdout (its
 * port and, for peers, the credential it minted), or is polled on a health URL. Every child is
 * remembered so an interrupted run still stops them all.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** What a server said when it was ready. */
export interface ReadyMessage {
  port: number;
  /** Headers that authenticate a request to the benchmarked route, when the server minted them. */
  headers?: Record<string, string>;
  [key: string]: unknown;
}

/** A started child. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** The last lines of stderr, for error messages. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Child>();
let profileFlags: string[] = [];

/** Makes every child started from now on write a CPU profile into `directory` when it exits. */
export function profileChildrenInto(directory: string): void {
  profileFlags = ["--cpu-prof", `--cpu-prof-dir=${directory}`];
}

/** Path of a compiled bench script, e.g. `scriptPath("servers/ceiling-hono.js")`. */
export function scriptPath(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

/** A free TCP port on 127.0.0.1 (for servers that cannot listen on port 0 and report it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Options of {@link startChild}. */
export interface StartOptions {
  name: string;
  /** Arguments after `node`: a script path and its arguments. */
  args: string[];
  env?: Record<string, string>;
  /** Extra `node` flags (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** Called with every stdout line that is not the ready line. */
  onLine?: (line: string) => void;
}

/** Spawns `node <args>` with `env` added to this process's environment. */
export function startChild(options: StartOptions): Child {
  const child = spawn(process.execPath, [...profileFlags, ...(options.nodeFlags ?? []), ...options.args], {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr.push(chunk);
    if (stderr.length > 40) stderr.splice(0, stderr.length - 40);
  });
  let buffered = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      options.onLine?.(line);
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const handle: Child = {
    name: options.name,
    process: child,
    stderrTail: () => stderr.join("").split("\n").slice(-15).join("\n"),
    async stop(graceMs = 5000) {
      running.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(handle);
  return handle;
}

/**
 * Starts a bench server script and waits for its `BENCH_READY` line.
 * @throws Error naming the server, with its stderr, if it exits or is not ready within `timeoutMs`.
 */
export async function startServerScript(
  name: string,
  script: string,
  env: Record<string, string> = {},
  options: { timeoutMs?: number; nodeFlags?: string[] } = {},
): Promise<{ child: Child; ready: ReadyMessage }> {
  let announce: (message: ReadyMessage) => void = () => {};
  const announced = new Promise<ReadyMessage>((resolve) => (announce = resolve));
  const child = startChild({
    name,
    args: [scriptPath(script)],
    env,
    ...(options.nodeFlags ? { nodeFlags: options.nodeFlags } : {}),
    onLine(line) {
      if (line.startsWith("BENCH_READY ")) announce(JSON.parse(line.slice("BENCH_READY ".length)) as ReadyMessage);
    },
  });
  const ready = await waitFor(child, announced, options.timeoutMs ?? 30_000);
  return { child, ready };
}

/** Resolves with `promise`, unless the child exits or the time runs out first. */
export async function waitFor<T>(child: Child, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const failure = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${child.name}: not ready within ${timeoutMs} ms`)), timeoutMs);
    child.process.once("exit", (code, signal) =>
      reject(new Error(`${child.name} exited (${signal ?? code}) before it was ready:\n${child.stderrTail()}`)),
    );
  });
  try {
    return await Promise.race([promise, failure]);
  } catch (error) {
    await child.stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Stops every child still running (on exit or interruption). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop(2000)));
}

/** Sends the ready line from inside a bench server. */
export function announceReady(message: ReadyMessage): void {
  process.stdout.write(`BENCH_READY ${JSON.stringify(message)}\n`);
}

/** Exits cleanly on SIGTERM/SIGINT after `cleanup`, from inside a bench server. */
export function exitOnSignal(cleanup: () => Promise<void> | void = () => {}): void {
  const stop = (): void => {
    Promise.resolve()
      .then(cleanup)
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
