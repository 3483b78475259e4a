/**
 * Builds the component harness (`harness/`) with Vite and serves it on `http://localhost:<port>`
 * — localhost, not 127.0.0.1, because a WebAuthn relying party must be a domain and localhost is
 * a secure context.
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { build } from "vite";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** The built harness, served. */
export interface Harness {
  /** `http://localhost:<port>/`. */
  url: string;
  close(): Promise<void>;
}

/** Builds the harness into `outDir` and serves it. */
export async function serveHarness(outDir: string): Promise<Harness> {
  await build({
    configFile: false,
    root: fileURLToPath(new URL("./harness/", import.meta.url)),
    base: "./",
    plugins: [react()],
    resolve: { conditions: ["source", "browser", "module", "import", "default"] },
    logLevel: "warn",
    build: { outDir, emptyOutDir: true, sourcemap: false, target: "es2022", minify: false },
  });
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const file = normalize(join(outDir, path === "/" ? "index.html" : path));
    if (!file.startsWith(outDir)) {
      response.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (content) =>
        response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(content),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the harness server has no port");
  return {
    url: `http://localhost:${address.port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
