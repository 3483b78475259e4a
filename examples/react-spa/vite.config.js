/** Vite for the SPA: React, and the workspace's @gatehouse/react from its sources. */
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  resolve: { conditions: ["source", "browser", "module", "import", "default"] },
});
