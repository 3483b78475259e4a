/**
 * Gatehouse in an app: Hono with `@gatehouse/sdk/hono` protecting the benchmarked route, as
 * the SDK README shows. The strategy and store come from the environment (see
 * gatehouse-verifier.ts).
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { requireAuth, type AuthEnv } from "@gatehouse/sdk/hono";
import { announceReady, exitOnSignal } from "../lib/child.js";
import { verifierFromEnvironment } from "./gatehouse-verifier.js";

const { verifier, close } = await verifierFromEnvironment();

const app = new Hono<AuthEnv>();
app.use("/api/*", requireAuth(verifier));
app.get("/api/me", (c) => {
  const auth = c.get("auth");
  return c.json({ userId: auth.status === "signed-in" ? auth.userId : null });
});

const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  announceReady({ port: info.port });
});
exitOnSignal(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await close();
});
