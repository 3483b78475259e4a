/**
 * Ceiling for the Express rows: bare Express answering the same route and JSON with no
 * authentication, so the Express rows can be read as "Express, plus what authentication adds".
 */
import type { AddressInfo } from "node:net";
import express from "express";
import { announceReady, exitOnSignal } from "../lib/child.js";

const app = express();
app.get("/api/me", (_req, res) => {
  res.json({ userId: "user_ceilingceilingceiling" });
});

const server = app.listen(0, "127.0.0.1", () => {
  announceReady({ port: (server.address() as AddressInfo).port });
});
exitOnSignal(() => new Promise<void>((resolve) => server.close(() => resolve())));
