// Tests of the harness's own arithmetic and argument parsing (no load, no timing).
import { describe, expect, it } from "vitest";
import { parseBenchArgs } from "./args.js";
import { formatRatio, percentile, ratio, summarize } from "./stats.js";

describe("summarize", () => {
  it("takes the middle value of an odd count and the mean of the two middle ones of an even count", () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, values: [3, 1, 2] });
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
  });
  it("refuses an empty list", () => {
    expect(() => summarize([])).toThrow(/no values/);
  });
});

describe("percentile", () => {
  it("uses the nearest rank", () => {
    const samples = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([5], 99)).toBe(5);
  });
  it("refuses no samples and a p outside 0-100", () => {
    expect(() => percentile([], 50)).toThrow();
    expect(() => percentile([1], 101)).toThrow();
  });
});

describe("ratio", () => {
  it("is null when the denominator is not positive", () => {
    expect(ratio(10, 0)).toBeNull();
    expect(ratio(10, 4)).toBe(2.5);
    expect(formatRatio(null)).toBe("n/a");
    expect(formatRatio(12.345)).toBe("12.3×");
    expect(formatRatio(0.8123)).toBe("0.81×");
  });
});

describe("parseBenchArgs", () => {
  it("runs every phase by default and shortens everything with --quick", () => {
    const full = parseBenchArgs([])!;
    const quick = parseBenchArgs(["--quick"])!;
    expect(full.phases).toEqual(["throughput", "sign-in", "revocation", "bytes"]);
    expect(quick.rounds).toBeLessThan(full.rounds);
    expect(quick.roundSeconds).toBeLessThan(full.roundSeconds);
    expect(quick.signOuts).toBeGreaterThanOrEqual(200);
  });
  it("splits --only into phases and row ids; row ids alone mean the throughput phase", () => {
    expect(parseBenchArgs(["--only=revocation,bytes"])!.phases).toEqual(["revocation", "bytes"]);
    const rows = parseBenchArgs(["--only=ceiling-hono"])!;
    expect(rows.phases).toEqual(["throughput"]);
    expect(rows.rows).toEqual(["ceiling-hono"]);
  });
  it("refuses unknown options and bad values", () => {
    expect(() => parseBenchArgs(["--fast"])).toThrow();
    expect(() => parseBenchArgs(["--rounds=0"])).toThrow(/positive/);
    expect(() => parseBenchArgs(["--loader=ab"])).toThrow(/loader/);
  });
});
