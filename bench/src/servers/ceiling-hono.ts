/**
 * Ceiling: bare Hono on @hono/node-server, the same route and JSON, no authentication. The
 * Gatehouse SDK rows in Hono are measured against it.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { announceReady, exitOnSignal } from "../lib/child.js";

const app = new Hono();
app.get("/api/me", (c) => c.json({ userId: "user_ceilingceilingceiling" }));

const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  announceReady({ port: info.port });
});
exitOnSignal(() => new Promise<void>((resolve) => server.close(() => resolve())));
