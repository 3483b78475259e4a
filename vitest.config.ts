import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources through the "source" export
// condition, so tests never run against a stale build.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "packages/*/src/**/*.test.tsx",
      "packages/*/test/**/*.test.ts",
      "examples/*/test/**/*.test.ts",
      "bench/src/**/*.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for something to become true, such as a page rendering after a reload;
    // with both cores busy running test files that can take longer than Vitest's 1 s default
    // (a CI run once saw an account page's session list still empty after it).
    expect: { poll: { timeout: 5_000 } },
    // Argon2id at full cost and real services: keep parallelism at the machine's two cores.
    maxWorkers: 2,
  },
});
