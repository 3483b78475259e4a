// The transparent huge page mode recorded with each bench run, read from sysfs.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseSelectedMode, transparentHugePageMode } from "./huge-pages.js";

describe("transparent huge page mode", () => {
  it("is the bracketed choice of the sysfs list", () => {
    expect(parseSelectedMode("always [madvise] never\n")).toBe("madvise");
    expect(parseSelectedMode("[always] madvise never")).toBe("always");
    expect(parseSelectedMode("always madvise [never]")).toBe("never");
  });

  it("is null when nothing is selected", () => {
    expect(parseSelectedMode("always madvise never")).toBeNull();
    expect(parseSelectedMode("")).toBeNull();
  });

  it("reads this machine's setting: one of the three modes where there is one, else null", () => {
    const mode = transparentHugePageMode();
    if (existsSync("/sys/kernel/mm/transparent_hugepage/enabled")) {
      expect(["always", "madvise", "never"]).toContain(mode);
    } else {
      expect(mode).toBeNull();
    }
  });
});
