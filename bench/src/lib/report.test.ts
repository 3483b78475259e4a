// The targets' verdicts and the report's ratios from synthetic figures (no load, no timing).
import { describe, expect, it } from "vitest";
import type { RevocationResult } from "../phases/revocation.js";
import type { SignInResult } from "../phases/sign-in.js";
import type { RowGroup, RowResult } from "../phases/throughput.js";
import { evaluateTargets, markdown, ratiosOf, type TargetResult } from "./report.js";
import { summarize } from "./stats.js";

/** A measured row whose rounds answered `perRound` requests per second. */
function row(id: string, group: RowGroup, perRound: number[]): RowResult {
  const figure = summarize(perRound);
  return {
    id,
    label: id,
    group,
    framework: "Hono",
    strategy: null,
    store: null,
    measures: "",
    requestsPerSecond: figure,
    p50Ms: summarize([1]),
    p99Ms: summarize([2]),
    cpuMicrosPerRequest: summarize([30]),
    non2xx: 0,
    errors: 0,
    rounds: [],
    credentialHeaderBytes: 0,
    redis: null,
    skipped: null,
  };
}

function target(targets: TargetResult[], text: string): TargetResult {
  const found = targets.find((each) => each.target.startsWith(text));
  if (!found) throw new Error(`no target "${text}"`);
  return found;
}

describe("evaluateTargets", () => {
  it("divides each round by the same round of the other row", () => {
    // Per round 0.9×, 1.5×, 0.775×: median 0.9×. Median over median would say 30,000 / 20,000 = 1.5×,
    // setting one row's fast minute against the other's slow one.
    const rows = [
      row("gatehouse-hono-jwt", "gatehouse", [9_000, 30_000, 31_000]),
      row("ceiling-hono", "ceiling", [10_000, 20_000, 40_000]),
    ];
    const jwt = target(evaluateTargets(rows, null, null), "jwt via SDK in Hono");
    expect(jwt.rounds).toEqual([0.9, 1.5, 0.775]);
    expect(jwt.value).toBeCloseTo(0.9);
    expect(jwt).toMatchObject({ verdict: "undecided", roundsMeeting: 2, threshold: 0.8 });
    expect(ratiosOf(rows[0]!, rows)["ceiling-hono"]).toBeCloseTo(0.9);
  });

  it("calls a target undecided when only some rounds meet it, and missed when none does", () => {
    const hono = row("ceiling-hono", "ceiling", [30_000, 30_000, 30_000]);
    const straddling = row("gatehouse-hono-jwt", "gatehouse", [21_000, 25_000, 27_000]);
    const jwt = target(evaluateTargets([straddling, hono], null, null), "jwt via SDK in Hono");
    expect(jwt).toMatchObject({ verdict: "undecided", roundsMeeting: 2 });
    expect(jwt.measured).toBe("0.83× (0.70×–0.90×)");
    const slow = row("gatehouse-hono-jwt", "gatehouse", [21_000, 22_000, 23_000]);
    expect(target(evaluateTargets([slow, hono], null, null), "jwt via SDK in Hono")).toMatchObject({
      verdict: "missed",
      roundsMeeting: 0,
    });
  });

  it("has no verdict for a target whose rows were not measured", () => {
    const jwt = target(evaluateTargets([row("ceiling-hono", "ceiling", [30_000])], null, null), "jwt via SDK in Hono");
    expect(jwt).toMatchObject({ verdict: null, value: null, measured: "not measured" });
  });

  it("sets each storm's GET p99 against the idle p99 of its own round", () => {
    const signIn = {
      storm: { boundRatio: summarize([0.81, 0.85]) },
      probe: { idleP99Ms: summarize([2, 10]), stormP99Ms: summarize([3, 30]) },
    } as unknown as SignInResult;
    const targets = evaluateTargets([], signIn, null);
    // Per round 1.5× and 3×; medians (16.5 over 6) would say 2.75×.
    expect(target(targets, "authenticated GET p99").rounds).toEqual([1.5, 3]);
    expect(target(targets, "authenticated GET p99")).toMatchObject({ verdict: "undecided", roundsMeeting: 1 });
    expect(target(targets, "sign-in throughput")).toMatchObject({ verdict: "met", roundsMeeting: 2 });
    expect(target(targets, "sign-in throughput").value).toBeCloseTo(0.83);
  });

  it("counts a sign-out never refused as a missed revocation target whatever the percentiles", () => {
    const revocation: RevocationResult = {
      signOuts: 200,
      missed: 0,
      p50Ms: 3,
      p99Ms: 9,
      maxMs: 20,
      signOutResponseMs: summarize([2]),
    };
    expect(target(evaluateTargets([], null, revocation), "revocation p99")).toMatchObject({ verdict: "met" });
    const lost = target(evaluateTargets([], null, { ...revocation, missed: 1 }), "revocation p99");
    expect(lost).toMatchObject({ verdict: "missed", roundsMeeting: 0, measured: "9.0 ms, 1 never refused" });
  });
});

describe("markdown", () => {
  it("prints each measured target with its range, the rounds meeting it and the verdict", () => {
    const rows = [
      row("gatehouse-hono-jwt", "gatehouse", [21_000, 25_000, 27_000]),
      row("ceiling-hono", "ceiling", [30_000, 30_000, 30_000]),
    ];
    const text = markdown({
      rows,
      signIn: null,
      revocation: null,
      bytes: null,
      targets: evaluateTargets(rows, null, null),
      heading: "bench",
    });
    expect(text).toContain("| jwt via SDK in Hono vs bare Hono ≥ 0.8× | 0.83× (0.70×–0.90×) | 2 of 3 | undecided |");
    // Targets this partial run did not measure are left out of the table.
    expect(text).not.toContain("express-session + connect-redis ≥ 5×");
  });
});
