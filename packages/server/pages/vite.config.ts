/**
 * Builds the hosted pages into `packages/server/dist/pages`: one HTML template (the server
 * fills in its configuration block) and one script and stylesheet under `_gatehouse/`, linked
 * relatively so the pages work under any path of `GATEHOUSE_URL`.
 */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  plugins: [react()],
  // Workspace packages from their sources, as the tests see them.
  resolve: { conditions: ["source", "browser", "module", "import", "default"] },
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("../dist/pages", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "_gatehouse",
    // The CSP allows only same-origin scripts: no inline module preload polyfill.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
  },
});
