/**
 * `npm start`: runs Gatehouse (session strategy, data in ./.gatehouse, mail to the development
 * mailbox) and this app side by side; Ctrl-C stops both.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createApp } from "./app.js";

const gatehousePort = Number(process.env.GATEHOUSE_PORT ?? 4000);
const appPort = Number(process.env.PORT ?? 3000);
const gatehouseURL = `http://localhost:${gatehousePort}`;
const appURL = `http://localhost:${appPort}`;

// The `gatehouse` CLI of the workspace's @gatehouse/server.
const serverEntry = createRequire(import.meta.url).resolve("@gatehouse/server");
const cli = join(dirname(serverEntry), "..", "bin", "gatehouse.js");
const gatehouse = spawn(process.execPath, [cli, "start"], {
  stdio: ["ignore", "pipe", "inherit"],
  env: {
    ...process.env,
    PORT: String(gatehousePort),
    GATEHOUSE_URL: gatehouseURL,
    GATEHOUSE_STRATEGY: "session",
    GATEHOUSE_ALLOWED_ORIGINS: appURL,
    GATEHOUSE_APP_NAME: "Express example",
    GATEHOUSE_DATA_DIR: process.env.GATEHOUSE_DATA_DIR ?? ".gatehouse",
  },
});
gatehouse.stdout.pipe(process.stdout);
gatehouse.on("exit", (code) => {
  console.error(`gatehouse exited (${code})`);
  process.exit(code ?? 1);
});

// Listen once Gatehouse is up, so the first page load can already verify sessions.
gatehouse.stdout.on("data", function waitForListening(chunk) {
  if (!String(chunk).includes("Gatehouse listening on")) return;
  gatehouse.stdout.off("data", waitForListening);
  const { app } = createApp({ gatehouseURL, appURL });
  app.listen(appPort, () => console.log(`Express example on ${appURL} (Gatehouse on ${gatehouseURL})`));
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    gatehouse.kill("SIGTERM");
    process.exit(0);
  });
}
