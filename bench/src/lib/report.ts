/**
 * From measurements to what the suite prints and saves: the ratios of every Gatehouse row to
 * the ceilings, the reference and each peer; the issue's targets, met or missed; the Markdown
 * tables; and the JSON document written to bench/results/latest.json.
 */
import type { BytesResult } from "../phases/bytes.js";
import type { RevocationResult } from "../phases/revocation.js";
import type { SignInResult } from "../phases/sign-in.js";
import type { RowResult } from "../phases/throughput.js";
import { formatNumber, formatRatio, ratio } from "./stats.js";

/** One target from the issue, evaluated. */
export interface TargetResult {
  target: string;
  measured: string;
  value: number | null;
  threshold: number;
  /** null when the figures it needs were not measured in this run. */
  met: boolean | null;
}

/** Ratios of a Gatehouse row's median req/s to every other measured row's. */
export function ratiosOf(row: RowResult, rows: RowResult[]): Record<string, number | null> {
  const ratios: Record<string, number | null> = {};
  for (const other of rows) {
    if (other.group === "gatehouse" || other.skipped) continue;
    ratios[other.id] = ratio(row.requestsPerSecond.median, other.requestsPerSecond.median);
  }
  return ratios;
}

function measured(rows: RowResult[], id: string): RowResult | undefined {
  const row = rows.find((each) => each.id === id);
  return row && !row.skipped ? row : undefined;
}

function ratioTarget(rows: RowResult[], id: string, versus: string, threshold: number, text: string): TargetResult {
  const row = measured(rows, id);
  const other = measured(rows, versus);
  const value = row && other ? ratio(row.requestsPerSecond.median, other.requestsPerSecond.median) : null;
  return {
    target: `${text} ≥ ${threshold}×`,
    measured: value === null ? "not measured" : formatRatio(value),
    value,
    threshold,
    met: value === null ? null : value >= threshold,
  };
}

/** Evaluates the issue's targets against this run's figures. */
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
    const row = measured(rows, id);
    const commands = row?.redis?.commandsPerRequest ?? null;
    targets.push({
      target: `${id}: Redis commands per request = 1`,
      measured: commands === null ? "not measured" : commands.toFixed(2),
      value: commands,
      threshold: 1,
      // A touch (once a minute per session) may fall in the counted window: allow for one.
      met: commands === null ? null : commands <= 1.01,
    });
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
    targets.push({
      target: "revocation p99 ≤ 100 ms",
      measured: `${revocation.p99Ms.toFixed(1)} ms`,
      value: revocation.p99Ms,
      threshold: 100,
      met: revocation.p99Ms <= 100 && revocation.missed === 0,
    });
  }
  if (signIn) {
    // Each storm against the bound measured just before it, so the machine's drift cancels out.
    const value = signIn.storm.boundRatio.median;
    targets.push({
      target: "sign-in throughput ≥ 0.8× the Argon2id bound",
      measured: formatRatio(value),
      value,
      threshold: 0.8,
      met: value === null ? null : value >= 0.8,
    });
    const p99 = ratio(signIn.probe.stormP99Ms.median, signIn.probe.idleP99Ms.median);
    targets.push({
      target: "authenticated GET p99 during the storm ≤ 2× idle",
      measured: formatRatio(p99),
      value: p99,
      threshold: 2,
      met: p99 === null ? null : p99 <= 2,
    });
  }
  return targets;
}

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
        )} | ${formatRatio(
          hono ? ratio(row.requestsPerSecond.median, hono.requestsPerSecond.median) : null,
        )} | ${formatRatio(expressSession ? ratio(row.requestsPerSecond.median, expressSession.requestsPerSecond.median) : null)} | ${
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
    lines.push("| target | measured | |", "| --- | ---: | --- |");
    // Targets whose figures this run did not measure (a partial run) are in the JSON only.
    for (const each of targets.filter((target) => target.met !== null)) {
      lines.push(
        `| ${each.target} | ${each.measured} | ${each.met === null ? "—" : each.met ? "met" : "**missed**"} |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}
