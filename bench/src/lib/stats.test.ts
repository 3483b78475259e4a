// Tests of the harness's own arithmetic, argument parsing and client addresses (no load, no timing).
import { describe, expect, it } from "vitest";
import { parseBenchArgs } from "./args.js";
import { ADDRESSES_PER_NETWORK, networkClientIP, reserveNetworks } from "./client-ips.js";
import { formatRatio, pairedRatios, percentile, ratio, summarize, verdictOf } from "./stats.js";

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

describe("pairedRatios", () => {
  it("divides round by round, not median by median", () => {
    // Medians 20 and 10 would say 2×; every round says 1×.
    expect(pairedRatios([10, 20, 30], [10, 20, 30])).toEqual({ median: 1, min: 1, max: 1, values: [1, 1, 1] });
    expect(pairedRatios([10, 20, 30], [5, 10, 10])!.values).toEqual([2, 2, 3]);
  });
  it("pairs only the rounds both have and leaves out a round with nothing to divide by", () => {
    expect(pairedRatios([10, 20, 30], [5, 0])!.values).toEqual([2]);
    expect(pairedRatios([10], [0])).toBeNull();
    expect(pairedRatios([], [1])).toBeNull();
  });
});

describe("verdictOf", () => {
  const atLeast = (value: number): boolean => value >= 0.8;
  it("is met only when every round meets the target and missed only when none does", () => {
    expect(verdictOf([0.8, 0.9], atLeast)).toEqual({ verdict: "met", meeting: 2 });
    expect(verdictOf([0.5, 0.79], atLeast)).toEqual({ verdict: "missed", meeting: 0 });
    expect(verdictOf([0.79, 0.83, 0.81], atLeast)).toEqual({ verdict: "undecided", meeting: 2 });
  });
  it("refuses no values", () => {
    expect(() => verdictOf([], atLeast)).toThrow(/no values/);
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

describe("networkClientIP", () => {
  const network = (ip: string): string => ip.split(".").slice(0, 3).join(".");
  it("keeps each account in a /24 of its own and gives each attempt another address in it", () => {
    const first = reserveNetworks(3, () => 1000);
    expect(first % ADDRESSES_PER_NETWORK).toBe(0);
    expect(first).toBeGreaterThanOrEqual(1000);
    const account0 = [0, 1, 2, 300].map((attempt) => networkClientIP(first, 0, attempt));
    const account1 = [0, 1].map((attempt) => networkClientIP(first, 1, attempt));
    expect(new Set(account0.map(network)).size).toBe(1);
    expect(new Set(account0.slice(0, 3)).size).toBe(3);
    expect(network(account1[0]!)).toBe(network(account1[1]!));
    expect(network(account1[0]!)).not.toBe(network(account0[0]!));
    expect(networkClientIP(0, 1, 0)).toBe("198.18.1.1");
  });

  it("reserves whole networks past what was handed out before", () => {
    let next = 5;
    const reserve = (count: number): number => {
      const start = next;
      next += count;
      return start;
    };
    const first = reserveNetworks(2, reserve);
    expect(first).toBe(ADDRESSES_PER_NETWORK);
    // The two networks end before the next reservation starts.
    expect(first + 2 * ADDRESSES_PER_NETWORK).toBeLessThanOrEqual(next);
  });
});
