// The committed docs are generated from, or must agree with, the code: these tests fail when
// they drift.
import { readFileSync } from "node:fs";
import { createGatehouse } from "@gatehouse/core";
import { createMemoryDatabase } from "@gatehouse/core/adapters/memory";
import { describe, expect, it } from "vitest";
import { SETTINGS } from "./config.js";

const doc = (name: string): string => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), "utf8");

describe("docs", () => {
  it("docs/openapi.json is the document the engine serves (npm run openapi regenerates it)", async () => {
    const engine = await createGatehouse({
      baseURL: "http://localhost:4000",
      database: createMemoryDatabase({ warn: () => {} }),
    });
    try {
      expect(JSON.parse(doc("openapi.json"))).toEqual(engine.openAPIDocument());
    } finally {
      await engine.close();
    }
  });

  it("docs/configuration.md lists every setting the server reads, with its flag", () => {
    const configuration = doc("configuration.md");
    for (const setting of SETTINGS) {
      const row = configuration.split("\n").find((line) => new RegExp(`^\\|\\s*\`${setting.env}\`\\s*\\|`).test(line));
      expect(row, setting.env).toBeDefined();
      if (setting.flag) expect(row).toContain(`\`${setting.flag}\``);
    }
  });
});
