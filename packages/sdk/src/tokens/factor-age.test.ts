import { describe, expect, it } from "vitest";
import { secondFactorAgeSeconds } from "./factor-age.js";

describe("secondFactorAgeSeconds", () => {
  const iat = 1_800_000_000;
  const at = (seconds: number): Date => new Date(seconds * 1000);

  it("adds the time since iat to the claim's minutes", () => {
    expect(secondFactorAgeSeconds({ iat, fva: [3, 2] }, at(iat + 30))).toBe(150);
    expect(secondFactorAgeSeconds({ iat, fva: [0, 0] }, at(iat))).toBe(0);
  });

  it("is null for a session that never verified a second factor, a missing claim or a malformed one", () => {
    expect(secondFactorAgeSeconds({ iat, fva: [5, -1] }, at(iat))).toBeNull();
    expect(secondFactorAgeSeconds({ iat }, at(iat))).toBeNull();
    for (const fva of [[1], [1, "2"], [1, 1.5], "0,0", null] as unknown[]) {
      expect(secondFactorAgeSeconds({ iat, fva: fva as [number, number] }, at(iat))).toBeNull();
    }
  });
});
