/** isoTime must write exactly what toISOString writes, for every instant the API can hold. */
import { describe, expect, it } from "vitest";
import { isoTime, isoTimeOrNull } from "./iso-time.js";

const LAST_FOUR_DIGIT_YEAR_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

describe("isoTime", () => {
  it("matches toISOString on the edges of days, months, leap years, centuries and the range", () => {
    const instants = [
      0,
      1,
      999,
      1000,
      Date.UTC(1970, 0, 1, 23, 59, 59, 999),
      Date.UTC(1972, 1, 29, 12),
      Date.UTC(1999, 11, 31, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29),
      Date.UTC(2000, 2, 1),
      Date.UTC(2100, 1, 28, 23, 59, 59, 999),
      Date.UTC(2100, 2, 1),
      Date.UTC(2024, 11, 31, 23, 59, 59, 999),
      Date.UTC(2026, 10, 27, 9, 25, 0, 7),
      LAST_FOUR_DIGIT_YEAR_MS,
    ];
    for (const ms of instants) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it("matches toISOString on 100,000 random instants from 1970 to 9999", () => {
    for (let i = 0; i < 100_000; i++) {
      const ms = Math.floor(Math.random() * LAST_FOUR_DIGIT_YEAR_MS);
      if (isoTime(ms) !== new Date(ms).toISOString()) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it("matches toISOString every day for 30 years, at the last millisecond of the day", () => {
    for (let day = Date.UTC(2000, 0, 1); day < Date.UTC(2030, 0, 1); day += 86_400_000) {
      const ms = day + 86_399_999;
      if (isoTime(ms) !== new Date(ms).toISOString()) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it("leaves what lies outside its range to toISOString: before 1970, past 9999, fractions, no time", () => {
    for (const ms of [-1, -62_198_755_200_000, LAST_FOUR_DIGIT_YEAR_MS + 1, 1.5]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });

  it("isoTimeOrNull keeps null", () => {
    expect(isoTimeOrNull(null)).toBeNull();
    expect(isoTimeOrNull(0)).toBe("1970-01-01T00:00:00.000Z");
  });
});
