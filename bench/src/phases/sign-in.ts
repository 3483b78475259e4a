/**
 * Sign-in under load, on one Gatehouse server (session strategy, SQLite + Redis as in
 * production). After an untimed warm-up storm, each round measures, in this order:
 * - the Argon2id bound, in a process of its own: hashes per second at Gatehouse's parameters
 *   with every core hashing, the most sign-ins per second any server could manage here.
 *   Measured again before every storm and compared with that storm only, because this
 *   machine's speed drifts by tens of percent over a run;
 * - a latency probe alone: authenticated `GET /v1/session` at a fixed, modest rate (the idle
 *   figure);
 * - the storm: autocannon posting password sign-ins for many accounts, each account from a
 *   network of its own and each sign-in from another address in it, so the per-IP throttle
 *   counts users as it would in production and devices are recognised as they would be, with
 *   the same probe running. The event loop must not starve while Argon2id runs off it. Where the
 *   CPU went meanwhile is read from `/proc` (Linux only; see `thread-cpu.ts`).
 */
import { DEFAULT_ARGON2ID } from "@gatehouse/core";
import type { BenchOptions } from "../lib/args.js";
import { scriptPath } from "../lib/child.js";
import {
  mapConcurrently,
  reserveClientIPs,
  signUp,
  startGatehouse,
  BENCH_PASSWORD,
  type Credential,
} from "../lib/gatehouse.js";
import { reserveNetworks } from "../lib/client-ips.js";
import { runForResult } from "../lib/load.js";
import { summarize, type Summary } from "../lib/stats.js";
import { cpuBetween, snapshotCPU, type CPUSplit } from "../lib/thread-cpu.js";

/** Measured figures of the phase. */
export interface SignInResult {
  argon2: { hashesPerSecond: Summary; cores: number; parameters: string };
  storm: {
    connections: number;
    accounts: number;
    signInsPerSecond: Summary;
    /** Each round's sign-ins per second over the bound measured just before it. */
    boundRatio: Summary;
    p50Ms: Summary;
    p99Ms: Summary;
    non2xx: number;
    errors: number;
    /**
     * Where the CPU went during the storm, in cores (medians over rounds), and the event
     * loop's CPU time per sign-in (the probe's few GETs included); null without `/proc`.
     */
    cpu: (Record<keyof CPUSplit, Summary> & { eventLoopMsPerSignIn: Summary }) | null;
  };
  probe: {
    ratePerSecond: number;
    idleP50Ms: Summary;
    idleP99Ms: Summary;
    stormP50Ms: Summary;
    stormP99Ms: Summary;
    failures: number;
  };
}

/** The parameters the server and the bound hash with, as the report names them. */
const ARGON2_PARAMETERS = `Argon2id m=${DEFAULT_ARGON2ID.memoryCost} KiB, t=${DEFAULT_ARGON2ID.timeCost}, p=${DEFAULT_ARGON2ID.parallelism}`;
/** Concurrent sign-ins in the storm: enough to keep every core hashing, few enough to show latency. */
const STORM_CONNECTIONS = 16;
const ACCOUNTS = 64;
/** The probe's rate: light next to the server's capacity, so it measures latency, not load. */
const PROBE_RATE = 100;

interface ProbeResult {
  requests: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
}

function probe(url: string, credential: Credential, seconds: number): Promise<ProbeResult> {
  return runForResult(
    process.execPath,
    [
      scriptPath("tools/latency-probe.js"),
      JSON.stringify({ url, headers: credential.headers, rate: PROBE_RATE, seconds }),
    ],
    (seconds + 30) * 1000,
  ) as unknown as Promise<ProbeResult>;
}

/** Measures the Argon2id bound in a process of its own: hashes per second and cores. */
async function measureBound(seconds: number): Promise<{ hashesPerSecond: number; cores: number }> {
  const bound = await runForResult(
    process.execPath,
    [scriptPath("tools/argon2-bound.js"), String(seconds)],
    (seconds + 30) * 1000,
  );
  return { hashesPerSecond: bound.hashesPerSecond!, cores: bound.cores! };
}

/** Medians over rounds of each figure of the CPU splits, or null when any round had none. */
function summarizeCPU(
  splits: (CPUSplit | null)[],
  signIns: number[],
): NonNullable<SignInResult["storm"]["cpu"]> | null {
  if (splits.length === 0 || splits.some((each) => each === null)) return null;
  const rounds = splits as CPUSplit[];
  const of = (key: keyof CPUSplit): Summary => summarize(rounds.map((each) => each[key]));
  return {
    eventLoopCores: of("eventLoopCores"),
    hashingCores: of("hashingCores"),
    otherThreadCores: of("otherThreadCores"),
    restOfMachineCores: of("restOfMachineCores"),
    idleCores: of("idleCores"),
    stealCores: of("stealCores"),
    eventLoopMsPerSignIn: summarize(rounds.map((each, index) => (each.eventLoopCores * 1000) / signIns[index]!)),
  };
}

/** Runs the sign-in phase. */
export async function runSignIn(
  options: BenchOptions,
  redisURL: string,
  runPrefix: string,
  log: (message: string) => void,
): Promise<SignInResult> {
  const server = await startGatehouse({
    name: "gatehouse (sign-in storm)",
    strategy: "session",
    redisURL,
    redisPrefix: `${runPrefix}gh-storm:`,
  });
  try {
    const emails = Array.from({ length: ACCOUNTS }, (_, index) => `storm-${index}@example.com`);
    log(`  signing up ${ACCOUNTS} accounts`);
    const credentials = await mapConcurrently(emails, 4, (email) => signUp(server, email, "bearer"));
    const prober = credentials[0]!;
    const sessionURL = `${server.url}/v1/session`;
    // Every account signs in from a network of its own, in every storm (see networkClientIP).
    const firstNetwork = reserveNetworks(ACCOUNTS, reserveClientIPs);
    const storm = (seconds: number): Promise<Record<string, number>> => {
      const spec = {
        mode: "sign-in",
        url: server.url,
        emails,
        password: BENCH_PASSWORD,
        connections: STORM_CONNECTIONS,
        seconds,
        firstNetwork,
      };
      return runForResult(
        process.execPath,
        [scriptPath("tools/autocannon-run.js"), JSON.stringify(spec)],
        (seconds + 60) * 1000,
      );
    };
    log(`  warming up: ${options.stormWarmupSeconds} s of sign-ins`);
    await storm(options.stormWarmupSeconds);
    const bounds: number[] = [];
    let cores = 0;
    const storms: Record<string, number>[] = [];
    const splits: (CPUSplit | null)[] = [];
    const idle: ProbeResult[] = [];
    const during: ProbeResult[] = [];
    for (let round = 1; round <= options.stormRounds; round++) {
      const bound = await measureBound(options.stormSeconds / 2);
      bounds.push(bound.hashesPerSecond);
      cores = bound.cores;
      idle.push(await probe(sessionURL, prober, options.stormSeconds));
      const before = snapshotCPU(server.child.process.pid!);
      const [measured, probed] = await Promise.all([
        storm(options.stormSeconds),
        // The probe starts with the storm and ends before it, so it never sees an idle tail.
        new Promise<ProbeResult>((resolve, reject) =>
          setTimeout(() => probe(sessionURL, prober, options.stormSeconds - 1).then(resolve, reject), 500),
        ),
      ]);
      const after = snapshotCPU(server.child.process.pid!);
      const split = before && after ? cpuBetween(before, after) : null;
      storms.push(measured);
      splits.push(split);
      during.push(probed);
      log(
        `  round ${round}: Argon2id bound ${bound.hashesPerSecond.toFixed(1)} hashes/s; ${measured.requestsPerSecond!.toFixed(1)} sign-ins/s (${(measured.requestsPerSecond! / bound.hashesPerSecond).toFixed(2)}×), p99 ${measured.p99Ms} ms, ${measured.non2xx} non-2xx; GET p99 idle ${idle.at(-1)!.p99Ms.toFixed(2)} ms, during ${probed.p99Ms.toFixed(2)} ms` +
          (split
            ? `; cores: event loop ${split.eventLoopCores.toFixed(2)}, hashing ${split.hashingCores.toFixed(2)}, other threads ${split.otherThreadCores.toFixed(2)}, rest of machine ${split.restOfMachineCores.toFixed(2)}, idle ${split.idleCores.toFixed(2)}`
            : ""),
      );
    }
    const signInsPerSecond = storms.map((each) => each.requestsPerSecond!);
    return {
      argon2: { hashesPerSecond: summarize(bounds), cores, parameters: ARGON2_PARAMETERS },
      storm: {
        connections: STORM_CONNECTIONS,
        accounts: ACCOUNTS,
        signInsPerSecond: summarize(signInsPerSecond),
        boundRatio: summarize(signInsPerSecond.map((each, index) => each / bounds[index]!)),
        p50Ms: summarize(storms.map((each) => each.p50Ms!)),
        p99Ms: summarize(storms.map((each) => each.p99Ms!)),
        non2xx: storms.reduce((sum, each) => sum + each.non2xx!, 0),
        errors: storms.reduce((sum, each) => sum + each.errors!, 0),
        cpu: summarizeCPU(splits, signInsPerSecond),
      },
      probe: {
        ratePerSecond: PROBE_RATE,
        idleP50Ms: summarize(idle.map((each) => each.p50Ms)),
        idleP99Ms: summarize(idle.map((each) => each.p99Ms)),
        stormP50Ms: summarize(during.map((each) => each.p50Ms)),
        stormP99Ms: summarize(during.map((each) => each.p99Ms)),
        failures: [...idle, ...during].reduce((sum, each) => sum + each.failures, 0),
      },
    };
  } finally {
    await server.stop();
  }
}
