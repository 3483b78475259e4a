/**
 * The load generator for throughput rows, always in a process of its own: Debian's `wrk`
 * (C, one thread, so it leaves the other core to the server) when it is installed, otherwise
 * autocannon from npm run in a child process. Both report requests, latency percentiles and
 * failures the same way.
 */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { scriptPath } from "./child.js";

/** One fixed-length load run against one URL with fixed headers. */
export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
}

/** What a load run measured. */
export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses other than 2xx (wrk counts >= 400). */
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
}

export type LoaderName = "wrk" | "autocannon";

/** The load generator to use, and its version, for the results. */
export interface Loader {
  name: LoaderName;
  version: string;
  run(spec: LoadSpec): Promise<LoadResult>;
}

const REPORT_SCRIPT = fileURLToPath(new URL("../../lua/report.lua", import.meta.url));

/** wrk's version, or null when it is not on the PATH. */
function wrkVersion(): string | null {
  const probe = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  if (probe.error) return null;
  const match = /wrk\s+(\S+)/.exec(`${probe.stdout}${probe.stderr}`);
  return match ? match[1]! : "unknown";
}

/** Runs a command, bounded in time, and returns the `BENCH_RESULT` JSON it printed. */
export function runForResult(command: string, args: string[], timeoutMs: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((each) => each.startsWith("BENCH_RESULT "));
      if (!line) {
        reject(new Error(`${command} exited (${code}) without a result: ${stderr.slice(-500) || stdout.slice(-500)}`));
        return;
      }
      resolve(JSON.parse(line.slice("BENCH_RESULT ".length)) as Record<string, number>);
    });
  });
}

function wrkLoader(version: string): Loader {
  return {
    name: "wrk",
    version,
    async run(spec) {
      const headerArgs = Object.entries(spec.headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]);
      const raw = await runForResult(
        "wrk",
        [
          "-t1",
          `-c${spec.connections}`,
          `-d${spec.seconds}s`,
          "--timeout",
          "5s",
          "-s",
          REPORT_SCRIPT,
          ...headerArgs,
          spec.url,
        ],
        (spec.seconds + 20) * 1000,
      );
      const seconds = raw.durationMicros! / 1e6;
      return {
        requests: raw.requests!,
        seconds,
        requestsPerSecond: raw.requests! / seconds,
        p50Ms: raw.p50Micros! / 1000,
        p99Ms: raw.p99Micros! / 1000,
        maxMs: raw.maxMicros! / 1000,
        non2xx: raw.non2xx!,
        errors: raw.connectErrors! + raw.readErrors! + raw.writeErrors! + raw.timeouts!,
      };
    },
  };
}

function autocannonLoader(version: string): Loader {
  return {
    name: "autocannon",
    version,
    async run(spec) {
      const raw = await runForResult(
        process.execPath,
        [scriptPath("tools/autocannon-run.js"), JSON.stringify({ mode: "get", ...spec })],
        (spec.seconds + 20) * 1000,
      );
      return raw as unknown as LoadResult;
    },
  };
}

/**
 * Picks the load generator: `wrk` if installed (or asked for), else autocannon.
 * @throws Error when wrk is asked for and missing, saying how to install it.
 */
export async function chooseLoader(preference: "auto" | LoaderName): Promise<Loader> {
  const wrk = preference === "autocannon" ? null : wrkVersion();
  if (wrk) return wrkLoader(wrk);
  if (preference === "wrk") {
    throw new Error("wrk is not installed: `apt-get install wrk` (Debian), or run with --loader=autocannon.");
  }
  const { createRequire } = await import("node:module");
  const pkg = createRequire(import.meta.url)("autocannon/package.json") as { version: string };
  return autocannonLoader(pkg.version);
}
