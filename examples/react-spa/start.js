/**
 * `npm start`: runs Gatehouse (hybrid strategy, data in ./.gatehouse, mail to the development
 * mailbox), the API on port 3001 and the Vite dev server for the SPA on port 5173. Ctrl-C
 * stops all three.
 *
 * The API follows Gatehouse's revocation feed with an admin secret key this script creates once
 * in `.gatehouse/example-secret-key` and hands to Gatehouse as `GATEHOUSE_SECRET_KEY`.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { createServer } from "vite";
import { createAPI } from "./api.js";

const here = dirname(fileURLToPath(import.meta.url));
const gatehousePort = Number(process.env.GATEHOUSE_PORT ?? 4000);
const apiPort = Number(process.env.API_PORT ?? 3001);
const appPort = Number(process.env.PORT ?? 5173);
const gatehouseURL = `http://localhost:${gatehousePort}`;
const apiURL = `http://localhost:${apiPort}`;
const appOrigin = `http://localhost:${appPort}`;
const dataDir = process.env.GATEHOUSE_DATA_DIR ?? join(here, ".gatehouse");

function exampleSecretKey() {
  const file = join(dataDir, "example-secret-key");
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const key = `gh_sk_${randomBytes(32).toString("base64url")}`;
    writeFileSync(file, key, { mode: 0o600 });
    return key;
  }
}
const secretKey = exampleSecretKey();

const serverEntry = createRequire(import.meta.url).resolve("@gatehouse/server");
const cli = join(dirname(serverEntry), "..", "bin", "gatehouse.js");
const gatehouse = spawn(process.execPath, [cli, "start"], {
  stdio: ["ignore", "pipe", "inherit"],
  env: {
    ...process.env,
    PORT: String(gatehousePort),
    GATEHOUSE_URL: gatehouseURL,
    GATEHOUSE_STRATEGY: "hybrid",
    GATEHOUSE_ALLOWED_ORIGINS: appOrigin,
    GATEHOUSE_APP_NAME: "Notes",
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_SECRET_KEY: secretKey,
  },
});
gatehouse.stdout.pipe(process.stdout);
gatehouse.on("exit", (code) => {
  console.error(`gatehouse exited (${code})`);
  process.exit(code ?? 1);
});

let api;
let vite;
gatehouse.stdout.on("data", async function whenListening(chunk) {
  if (!String(chunk).includes("Gatehouse listening on")) return;
  gatehouse.stdout.off("data", whenListening);
  const created = createAPI({ gatehouseURL, appOrigin, secretKey });
  api = serve({ fetch: created.app.fetch, port: apiPort });
  // Vite hands VITE_* variables to the SPA as import.meta.env.
  process.env.VITE_GATEHOUSE_URL = gatehouseURL;
  process.env.VITE_API_URL = apiURL;
  vite = await createServer({ configFile: join(here, "vite.config.js"), server: { port: appPort, strictPort: true } });
  await vite.listen();
  console.log(`React SPA on ${appOrigin} (API on ${apiURL}, Gatehouse on ${gatehouseURL})`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    gatehouse.kill("SIGTERM");
    api?.close();
    await vite?.close();
    process.exit(0);
  });
}
