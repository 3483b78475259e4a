/**
 * `npm run bench`: runs the benchmark suite and prints the Markdown tables on stdout (progress
 * goes to stderr), then writes every figure to bench/results/latest.json. See
 * docs/benchmarks.md for what each row measures and how to read the results.
 *
 * Everything runs on this machine against 127.0.0.1: each server under test in a child process
 * of its own, the load generator in another. Redis keys live under one prefix per run and are
 * deleted at the end, even when the run fails or is interrupted.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, freemem, loadavg, release, totalmem, type } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { parseBenchArgs, type BenchOptions } from "./lib/args.js";
import { profileChildrenInto, stopAllChildren } from "./lib/child.js";
import { transparentHugePageMode } from "./lib/huge-pages.js";
import { chooseLoader } from "./lib/load.js";
import { deleteKeys } from "./lib/redis.js";
import { evaluateTargets, markdown, ratiosOf } from "./lib/report.js";
import { runBytes, type BytesResult } from "./phases/bytes.js";
import { runRevocation, type RevocationResult } from "./phases/revocation.js";
import { runSignIn, type SignInResult } from "./phases/sign-in.js";
import { runThroughput, type RowResult } from "./phases/throughput.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Versions of everything measured, read from the installed packages. */
function packageVersions(): Record<string, string> {
  const names = [
    "@gatehouse/core",
    "@gatehouse/sdk",
    "@gatehouse/server",
    "hono",
    "@hono/node-server",
    "express",
    "jose",
    "jsonwebtoken",
    "express-session",
    "connect-redis",
    "redis",
    "ioredis",
    "better-auth",
    "@better-auth/redis-storage",
    "better-sqlite3",
    "kysely",
    "@node-rs/argon2",
    "autocannon",
  ];
  const versions: Record<string, string> = {};
  for (const name of names) {
    try {
      const pkg = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as {
        version: string;
      };
      versions[name] = pkg.version;
    } catch {
      versions[name] = "not installed";
    }
  }
  return versions;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function run(options: BenchOptions): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  const loader = await chooseLoader(options.loader);
  if (options.profileDirectory !== null) {
    const directory = resolve(options.profileDirectory);
    await mkdir(directory, { recursive: true });
    profileChildrenInto(directory);
    log(`CPU profiles of the servers under test go to ${directory}`);
  }
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const redisInfo = await redis.info("server");
  const runPrefix = `gatehouse-bench:${randomBytes(6).toString("hex")}:`;
  log(
    `Gatehouse bench${options.quick ? " (quick)" : ""}: ${loader.name} ${loader.version}, ${options.connections} connections, ` +
      `${options.rounds} × ${options.roundSeconds} s rounds after ${options.warmupSeconds} s warm-up; Redis keys under ${runPrefix}`,
  );
  if (loader.name === "autocannon") {
    log("wrk is not installed (apt-get install wrk): using autocannon, which needs more CPU per request than wrk.");
  }
  let rows: RowResult[] = [];
  let signIn: SignInResult | null = null;
  let revocation: RevocationResult | null = null;
  let bytes: BytesResult | null = null;
  const interrupted = (): void => {
    log("interrupted: stopping servers and deleting this run's Redis keys");
    void stopAllChildren()
      .then(() => deleteKeys(redis, runPrefix))
      .finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    if (options.phases.includes("throughput")) {
      log("throughput");
      rows = await runThroughput({ options, loader, redisURL: REDIS_URL, redis, runPrefix, log });
    }
    if (options.phases.includes("sign-in")) {
      log("sign-in");
      signIn = await runSignIn(options, REDIS_URL, runPrefix, log);
    }
    if (options.phases.includes("revocation")) {
      log("revocation");
      revocation = await runRevocation(options, REDIS_URL, runPrefix, log);
    }
    if (options.phases.includes("bytes")) {
      log("bytes");
      bytes = await runBytes(options, redis, REDIS_URL, runPrefix, log);
    }
  } finally {
    await stopAllChildren();
    const removed = await deleteKeys(redis, runPrefix);
    log(`deleted ${removed} Redis keys left under ${runPrefix}`);
  }

  const targets = evaluateTargets(rows, signIn, revocation);
  const cpu = cpus();
  const machine = {
    cores: cpu.length,
    cpu: cpu[0]?.model ?? "unknown",
    memoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    os: `${type()} ${release()}`,
    node: process.version,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
    redis: /redis_version:(\S+)/.exec(redisInfo)?.[1] ?? "unknown",
    transparentHugePages: transparentHugePageMode(),
  };
  const document = {
    generatedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    quick: options.quick,
    options: {
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      rounds: options.rounds,
      roundSeconds: options.roundSeconds,
      stormRounds: options.stormRounds,
      stormSeconds: options.stormSeconds,
      stormWarmupSeconds: options.stormWarmupSeconds,
      phases: options.phases,
      rows: options.rows,
    },
    machine,
    loader: { name: loader.name, version: loader.version },
    versions: packageVersions(),
    rows: rows.map((row) =>
      row.group === "gatehouse" && !row.skipped ? { ...row, ratios: ratiosOf(row, rows) } : row,
    ),
    signIn,
    revocation,
    bytes,
    targets,
  };
  const output = resolve(ROOT, options.output);
  await mkdir(dirname(output), { recursive: true });
  await writeFile(output, `${JSON.stringify(document, null, 2)}\n`);
  await redis.quit();

  const heading =
    `Gatehouse bench, ${startedAt.toISOString().slice(0, 10)}${options.quick ? " (quick)" : ""}: ${machine.cores} × ${machine.cpu}, ` +
    `Node ${process.version}, Redis ${machine.redis}, transparent huge pages ${machine.transparentHugePages ?? "unknown"}, load by ${loader.name} ${loader.version} (${options.connections} connections, ` +
    `${options.rounds} × ${options.roundSeconds} s rounds after ${options.warmupSeconds} s warm-up; medians). ` +
    `Load average ${loadBefore.map((each) => each.toFixed(1)).join("/")} before, ${machine.loadAverageAfter.map((each) => each.toFixed(1)).join("/")} after.`;
  process.stdout.write(`${markdown({ rows, signIn, revocation, bytes, targets, heading })}\n`);
  log(`wrote ${output} (${document.durationSeconds} s)`);
}

let options: BenchOptions | null;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
if (options) {
  run(options).then(
    () => process.exit(0),
    (error: unknown) => {
      log(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}
