/**
 * Command-line options of `npm run bench`: `--quick` for a short sanity run, `--only` to run
 * some rows or phases, and overrides of the load shape. Parsed with `node:util`'s parseArgs so
 * a typo stops the run instead of silently running the full suite.
 */
import { parseArgs } from "node:util";

/** The phases of a run, in the order they run. */
export const PHASES = ["throughput", "sign-in", "revocation", "bytes"] as const;
export type Phase = (typeof PHASES)[number];

/** What one run does. */
export interface BenchOptions {
  quick: boolean;
  /** Connections kept open by the load generator for throughput rows. */
  connections: number;
  /** Seconds of load before the measured rounds of each row. */
  warmupSeconds: number;
  /** Measured rounds per throughput row. */
  rounds: number;
  /** Seconds per measured round. */
  roundSeconds: number;
  /** Sign-in storm: rounds and seconds per round. */
  stormRounds: number;
  stormSeconds: number;
  /**
   * Seconds of storm before the measured rounds. Longer than the throughput rows' warm-up: at a
   * hundred sign-ins a second, the sign-in path takes seconds to be optimized by V8 (its first
   * seconds cost the event loop about a tenth more per sign-in).
   */
  stormWarmupSeconds: number;
  /** Sign-outs timed for the revocation latency (at least 200 for the target). */
  signOuts: number;
  /** Sessions created for the Redis memory figure. */
  memorySessions: number;
  /** Phases to run. */
  phases: Phase[];
  /** Only throughput rows whose id contains one of these; empty = every row. */
  rows: string[];
  /** Where the JSON goes. */
  output: string;
  /** Force the load generator instead of preferring wrk when it is installed. */
  loader: "auto" | "wrk" | "autocannon";
  /** Directory for a CPU profile of every server under test (`node --cpu-prof`), or null. */
  profileDirectory: string | null;
}

const USAGE = `Usage: npm run bench -- [options]

  --quick                 a sanity run (< 3 min): 2 rounds of 1 s per row, one storm round,
                          1,000 sessions for the memory figure; rough figures
  --only=LIST             comma-separated phases (${PHASES.join(", ")}) and/or row ids to run
  --connections=N         open connections for throughput rows (default 50)
  --rounds=N              measured rounds per throughput row (default 5, quick 2)
  --duration=SECONDS      seconds per measured round (default 5, quick 1)
  --loader=wrk|autocannon load generator (default: wrk if installed, else autocannon)
  --output=FILE           JSON output (default bench/results/latest.json)
  --profile=DIR           write a CPU profile (node --cpu-prof) of every server under test
                          to DIR; open them in Chrome DevTools (combine with --only)
  --help                  this text`;

function positiveInteger(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive whole number.`);
  return parsed;
}

/**
 * Parses the command line. Returns null for `--help` (after printing the usage).
 *
 * @example
 * ```ts
 * parseBenchArgs(["--quick", "--only=throughput"]).rounds; // 2
 * ```
 * @throws Error with a one-line message on an unknown option or a bad value.
 */
export function parseBenchArgs(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      connections: { type: "string" },
      rounds: { type: "string" },
      duration: { type: "string" },
      loader: { type: "string" },
      output: { type: "string" },
      profile: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return null;
  }
  const quick = values.quick ?? false;
  const only = (values.only ?? "")
    .split(",")
    .map((each) => each.trim())
    .filter((each) => each !== "");
  const phases = only.filter((each): each is Phase => (PHASES as readonly string[]).includes(each));
  const rows = only.filter((each) => !(PHASES as readonly string[]).includes(each));
  const loader = values.loader ?? "auto";
  if (loader !== "auto" && loader !== "wrk" && loader !== "autocannon") {
    throw new Error("--loader must be wrk or autocannon.");
  }
  return {
    quick,
    connections: positiveInteger(values.connections, 50, "connections"),
    warmupSeconds: quick ? 1 : 3,
    rounds: positiveInteger(values.rounds, quick ? 2 : 5, "rounds"),
    roundSeconds: positiveInteger(values.duration, quick ? 1 : 5, "duration"),
    stormRounds: quick ? 1 : 3,
    stormSeconds: quick ? 4 : 8,
    stormWarmupSeconds: quick ? 2 : 15,
    signOuts: 200,
    memorySessions: quick ? 1000 : 10_000,
    // Row ids alone imply the throughput phase.
    phases: phases.length > 0 ? phases : rows.length > 0 ? ["throughput"] : [...PHASES],
    rows,
    output: values.output ?? "bench/results/latest.json",
    loader,
    profileDirectory: values.profile ?? null,
  };
}
