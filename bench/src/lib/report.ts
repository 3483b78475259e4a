/**
 * From measurements to what the suite prints and saves: the ratios of every Gatehouse row to
 * the ceilings, the reference and each peer; the issue's targets, met, missed or undecided
 * over the rounds; the Markdown tables; and the JSON document written to
 * bench/results/latest.json.
 */
import type { BytesResult } from "../phases/bytes.js";
import type { RevocationResult } from "../phases/revocation.js";
import type { SignInResult } from "../phases/sign-in.js";
import type { RowResult } from "../phases/throughput.js";
import { formatNumber, formatRatio, pairedRatios, summarize, verdictOf, type Summary, type Verdict } from "./stats.js";

/** One target from the issue, evaluated. */
export interface TargetResult {
  target: string;
  /** The median and its range over rounds, as the table shows them. */
  measured: string;
  /** The median over rounds (the figure itself, for a figure measured once). */
  value: number | null;
  threshold: number;
  /** Each round's figure, in run order (one entry for a figure measured once). */
  rounds: number[];
  /** How many of `rounds` meet the target. */
  roundsMeeting: number;
  /** Over the rounds (see {@link Verdict}); null when the figures it needs were not measured in this run. */
  verdict: Verdict | null;
}

/**
 * A Gatehouse row's requests per second over another row's, round by round: the median of the
 * per-round ratios, with their range (see {@link pairedRatios}).
 */
function rowRatio(row: RowResult | undefined, other: RowResult | undefined): Summary | null {
  return row && other ? pairedRatios(row.requestsPerSecond.values, other.requestsPerSecond.values) : null;
}

/** Ratios of a Gatehouse row's req/s to every other measured row's: medians of per-round ratios. */
export function ratiosOf(row: RowResult, rows: RowResult[]): Record<string, number | null> {
  const ratios: Record<string, number | null> = {};
  for (const other of rows) {
    if (other.group === "gatehouse" || other.skipped) continue;
    ratios[other.id] = rowRatio(row, other)?.median ?? null;
  }
  return ratios;
}

function measured(rows: RowResult[], id: string): RowResult | undefined {
  const row = rows.find((each) => each.id === id);
  return row && !row.skipped ? row : undefined;
}

/**
 * A target over per-round figures. `describe` formats one figure (a ratio, a duration). A
 * target whose figures were not measured has no verdict.
 */
function targetOver(
  text: string,
  threshold: number,
  figures: Summary | null,
  meets: (value: number) => boolean,
  describe: (value: number) => string,
): TargetResult {
  if (!figures) {
    return {
      target: text,
      measured: "not measured",
      value: null,
      threshold,
      rounds: [],
      roundsMeeting: 0,
      verdict: null,
    };
  }
  const { verdict, meeting } = verdictOf(figures.values, meets);
  const spread = figures.values.length > 1 ? ` (${describe(figures.min)}–${describe(figures.max)})` : "";
  return {
    target: text,
    measured: `${describe(figures.median)}${spread}`,
    value: figures.median,
    threshold,
    rounds: figures.values,
    roundsMeeting: meeting,
    verdict,
  };
}

function ratioTarget(rows: RowResult[], id: string, versus: string, threshold: number, text: string): TargetResult {
  return targetOver(
    `${text} ≥ ${threshold}×`,
    threshold,
    rowRatio(measured(rows, id), measured(rows, versus)),
    (value) => value >= threshold,
    formatRatio,
  );
}

/** Evaluates the issue's targets against this run's figures, round by round. */
export function evaluateTargets(
  rows: RowResult[],
  signIn: SignInResult | null,
  revocation: RevocationResult | null,
): TargetResult[] {
  const targets: TargetResult[] = [
    ratioTarget(rows, "gatehouse-hono-jwt", "ceiling-hono", 0.8, "jwt via SDK in Hono vs bare Hono"),
  ];
  for (const id of [
    "gatehouse-hono-session-redis",
    "gatehouse-express-session-redis",
    "gatehouse-server-session-redis",
  ]) {
    targets.push(ratioTarget(rows, id, "peer-express-session", 5, `${id} vs express-session + connect-redis`));
    targets.push(
      ratioTarget(rows, id, "handwritten-node-redis", 0.85, `${id} vs hand-written node:http + ioredis GET`),
    );
    const commands = measured(rows, id)?.redis?.commandsPerRequest ?? null;
    targets.push(
      targetOver(
        `${id}: Redis commands per request = 1`,
        1,
        commands === null ? null : summarize([commands]),
        // A touch (once a minute per session) may fall in the counted window: allow for one.
        (value) => value <= 1.01,
        (value) => value.toFixed(2),
      ),
    );
  }
  for (const row of rows.filter((each) => each.group === "gatehouse" && !each.skipped)) {
    const versus =
      row.store === "sqlite"
        ? ["peer-better-auth-sqlite"]
        : row.store === "redis"
          ? ["peer-better-auth-redis"]
          : ["peer-better-auth-sqlite", "peer-better-auth-redis"];
    // For jwt and hybrid, which read no store, against the faster of better-auth's two.
    const fastest = versus
      .map((id) => measured(rows, id))
      .filter((each): each is RowResult => each !== undefined)
      .sort((a, b) => b.requestsPerSecond.median - a.requestsPerSecond.median)[0];
    if (!fastest) continue;
    targets.push(ratioTarget(rows, row.id, fastest.id, 10, `${row.id} vs ${fastest.id}`));
  }
  if (revocation) {
    const p99 = targetOver(
      "revocation p99 ≤ 100 ms",
      100,
      summarize([revocation.p99Ms]),
      (value) => value <= 100,
      (value) => `${value.toFixed(1)} ms`,
    );
    // A sign-out the verifier never saw refused is a miss whatever the percentiles say.
    targets.push(
      revocation.missed === 0
        ? p99
        : {
            ...p99,
            measured: `${p99.measured}, ${revocation.missed} never refused`,
            roundsMeeting: 0,
            verdict: "missed",
          },
    );
  }
  if (signIn) {
    // Each storm against the bound measured just before it, so the machine's drift cancels out.
    targets.push(
      targetOver(
        "sign-in throughput ≥ 0.8× the Argon2id bound",
        0.8,
        signIn.storm.boundRatio,
        (value) => value >= 0.8,
        formatRatio,
      ),
    );
    // Each round's storm p99 against the idle p99 measured just before it.
    targets.push(
      targetOver(
        "authenticated GET p99 during the storm ≤ 2× idle",
        2,
        pairedRatios(signIn.probe.stormP99Ms.values, signIn.probe.idleP99Ms.values),
        (value) => value <= 2,
        formatRatio,
      ),
    );
  }
  return targets;
}

const VERDICT_TEXT: Record<Verdict, string> = { met: "met", missed: "**missed**", undecided: "undecided" };

function range(summary: { median: number; min: number; max: number }, digits = 0): string {
  return `${formatNumber(summary.median, digits)} (${formatNumber(summary.min, digits)}–${formatNumber(summary.max, digits)})`;
}

/** Table rows for where the CPU went during the storm, when it was measured. */
function cpuLines(cpu: SignInResult["storm"]["cpu"]): string[] {
  if (!cpu) return [];
  return [
    `| during the storm, cores: the server's event loop | ${range(cpu.eventLoopCores, 2)} |`,
    `| … its Argon2id workers | ${range(cpu.hashingCores, 2)} |`,
    `| … its other threads | ${range(cpu.otherThreadCores, 2)} |`,
    `| … the rest of the machine (load generator, probe, Redis, kernel) | ${range(cpu.restOfMachineCores, 2)} |`,
    `| … idle | ${range(cpu.idleCores, 2)} |`,
    `| … taken by the hypervisor (steal) | ${range(cpu.stealCores, 2)} |`,
    `| event-loop CPU per sign-in, ms | ${range(cpu.eventLoopMsPerSignIn, 2)} |`,
  ];
}

/** The Markdown report printed on stdout and pasted into docs/benchmarks.md. */
export function markdown(input: {
  rows: RowResult[];
  signIn: SignInResult | null;
  revocation: RevocationResult | null;
  bytes: BytesResult | null;
  targets: TargetResult[];
  heading: string;
}): string {
  const { rows, signIn, revocation, bytes, targets } = input;
  const lines: string[] = [input.heading, ""];
  if (rows.length > 0) {
    const hono = measured(rows, "ceiling-hono");
    const expressSession = measured(rows, "peer-express-session");
    lines.push(
      "| row | req/s median (min–max) | p99 ms | server CPU µs/req | × bare Hono | × express-session | credential header B |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const row of rows) {
      if (row.skipped) {
        lines.push(`| ${row.label} | not run: ${row.skipped.split("\n")[0]} | | | | | |`);
        continue;
      }
      const errors = row.non2xx + row.errors > 0 ? ` ⚠ ${row.non2xx} non-2xx, ${row.errors} errors` : "";
      lines.push(
        `| ${row.label} | ${range(row.requestsPerSecond)}${errors} | ${row.p99Ms.median.toFixed(2)} | ${row.cpuMicrosPerRequest.median.toFixed(
          1,
        )} | ${formatRatio(rowRatio(row, hono)?.median ?? null)} | ${formatRatio(rowRatio(row, expressSession)?.median ?? null)} | ${
          row.credentialHeaderBytes || "—"
        } |`,
      );
    }
    lines.push("");
  }
  if (signIn) {
    lines.push(
      "| sign-in | median (min–max) |",
      "| --- | ---: |",
      `| Argon2id bound (${signIn.argon2.parameters}, ${signIn.argon2.cores} cores), hashes/s | ${range(signIn.argon2.hashesPerSecond, 1)} |`,
      `| sign-ins/s (${signIn.storm.connections} connections, ${signIn.storm.accounts} accounts) | ${range(signIn.storm.signInsPerSecond, 1)}${
        signIn.storm.non2xx + signIn.storm.errors > 0
          ? ` ⚠ ${signIn.storm.non2xx} non-2xx, ${signIn.storm.errors} errors`
          : ""
      } |`,
      `| sign-ins/s over the bound measured just before, per round | ${range(signIn.storm.boundRatio, 2)} |`,
      `| sign-in p99, ms | ${range(signIn.storm.p99Ms)} |`,
      `| GET /v1/session p99 at ${signIn.probe.ratePerSecond} req/s, idle, ms | ${range(signIn.probe.idleP99Ms, 2)} |`,
      `| GET /v1/session p99 at ${signIn.probe.ratePerSecond} req/s, during the storm, ms | ${range(signIn.probe.stormP99Ms, 2)} |`,
      ...cpuLines(signIn.storm.cpu),
      "",
    );
  }
  if (revocation) {
    lines.push(
      "| revocation: sign-out → refused at a feed-following verifier | ms |",
      "| --- | ---: |",
      `| p50 (${revocation.signOuts} sign-outs${revocation.missed ? `, ${revocation.missed} missed` : ""}) | ${revocation.p50Ms.toFixed(1)} |`,
      `| p99 | ${revocation.p99Ms.toFixed(1)} |`,
      `| max | ${revocation.maxMs.toFixed(1)} |`,
      "",
    );
  }
  if (bytes) {
    lines.push("| bytes | B |", "| --- | ---: |");
    lines.push(`| access token (jwt, EdDSA) | ${bytes.accessTokenBytes} |`);
    lines.push(`| refresh token | ${bytes.refreshTokenBytes} |`);
    lines.push(`| session token | ${bytes.sessionTokenBytes} |`);
    for (const each of bytes.gatehouseHeaders)
      lines.push(`| ${each.label}: \`${each.header}\` header per request | ${each.headerBytes} |`);
    for (const row of rows.filter((each) => each.group === "peer" && !each.skipped)) {
      lines.push(`| ${row.label}: credential header per request | ${row.credentialHeaderBytes} |`);
    }
    for (const each of bytes.redis) {
      lines.push(
        `| Redis memory per session, ${each.label} (INFO used_memory delta over ${formatNumber(each.sessions)}; MEMORY USAGE sum) | ${Math.round(
          each.usedMemoryPerSession,
        )}; ${Math.round(each.memoryUsagePerSession)} |`,
      );
    }
    lines.push("");
  }
  if (targets.length > 0) {
    lines.push("| target | median (min–max) | rounds meeting it | |", "| --- | ---: | ---: | --- |");
    // Targets whose figures this run did not measure (a partial run) are in the JSON only.
    for (const each of targets) {
      if (each.verdict === null) continue;
      lines.push(
        `| ${each.target} | ${each.measured} | ${each.roundsMeeting} of ${each.rounds.length} | ${VERDICT_TEXT[each.verdict]} |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}
