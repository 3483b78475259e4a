// Tests of the order in which each round measures the throughput rows (no servers, no load).
import { describe, expect, it } from "vitest";
import { defineRows, MEASUREMENT_ORDER, roundOrder, type ThroughputContext } from "./throughput.js";

// Only the rows' definitions are read: the context is used when a row starts.
const rowIds = defineRows({} as ThroughputContext).map((row) => row.id);

/** The rows each ratio target on Hono or the server compares (see evaluateTargets in report.ts). */
const COMPARED: [string, string][] = [
  ["gatehouse-hono-jwt", "ceiling-hono"],
  ["gatehouse-hono-jwt", "peer-better-auth-redis"],
  ["gatehouse-hono-hybrid", "peer-better-auth-redis"],
  ...["gatehouse-hono-session-redis", "gatehouse-server-session-redis"].flatMap((id): [string, string][] => [
    [id, "peer-express-session"],
    [id, "handwritten-node-redis"],
    [id, "peer-better-auth-redis"],
  ]),
  ["gatehouse-hono-session-sqlite", "peer-better-auth-sqlite"],
  ["gatehouse-server-session-sqlite", "peer-better-auth-sqlite"],
];

describe("the measurement order", () => {
  it("names every row once", () => {
    expect([...MEASUREMENT_ORDER].sort()).toEqual([...rowIds].sort());
  });

  it("measures the rows of each Hono and server target at most three rows apart", () => {
    for (const [row, versus] of COMPARED) {
      const [at, versusAt] = [MEASUREMENT_ORDER.indexOf(row), MEASUREMENT_ORDER.indexOf(versus)];
      expect(Math.min(at, versusAt), `${row} and ${versus} are both listed`).toBeGreaterThanOrEqual(0);
      expect(Math.abs(at - versusAt), `${row} vs ${versus}`).toBeLessThanOrEqual(3);
    }
  });

  it("runs forwards in odd rounds and backwards in even ones", () => {
    const rows = [...rowIds].reverse().map((id) => ({ id }));
    const ids = (round: number) => roundOrder(rows, round).map((row) => row.id);
    expect(ids(1)).toEqual(MEASUREMENT_ORDER);
    expect(ids(2)).toEqual([...MEASUREMENT_ORDER].reverse());
    expect(ids(3)).toEqual(MEASUREMENT_ORDER);
  });

  it("keeps the order among the rows chosen with --only, and measures an unlisted row last", () => {
    const chosen = [{ id: "peer-better-auth-sqlite" }, { id: "ceiling-hono" }, { id: "a-new-row" }];
    expect(roundOrder(chosen, 1).map((row) => row.id)).toEqual([
      "ceiling-hono",
      "peer-better-auth-sqlite",
      "a-new-row",
    ]);
    expect(roundOrder(chosen, 2).map((row) => row.id)).toEqual([
      "a-new-row",
      "peer-better-auth-sqlite",
      "ceiling-hono",
    ]);
  });
});
