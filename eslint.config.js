// Lint rules for every package: typescript-eslint's recommended type-aware set, plus the
// house rules that keep the engine free of edge imports.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/*.generated.ts", "coverage/**", "test-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-syntax": ["error", { selector: "ExportAllDeclaration", message: "List exports by name." }],
    },
  },
  {
    // The engine speaks web standards only; node: modules and HTTP frameworks belong to edges
    // and adapters (and to tests).
    files: ["packages/core/src/**/*.ts"],
    ignores: [
      "packages/core/src/adapters/**",
      "packages/core/src/**/*.test.ts",
      "packages/core/src/test-support/**",
      "packages/core/src/**/*.test-suite.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*"], message: "The engine uses web standards; node: modules live in adapters and edges." },
            { group: ["hono", "hono/*", "express", "fastify"], message: "The engine never imports an HTTP framework." },
          ],
        },
      ],
    },
  },
);
