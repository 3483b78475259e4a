/**
 * Gatehouse in an app: Express with `@gatehouse/sdk/express` protecting the benchmarked route,
 * as the SDK README shows. The strategy and store come from the environment (see
 * gatehouse-verifier.ts).
 */
import express from "express";
import type { AddressInfo } from "node:net";
import { requireAuth } from "@gatehouse/sdk/express";
import { announceReady, exitOnSignal } from "../lib/child.js";
import { verifierFromEnvironment } from "./gatehouse-verifier.js";

const { verifier, close } = await verifierFromEnvironment();

const app = express();
app.get("/api/me", requireAuth(verifier), (req, res) => {
  res.json({ userId: req.auth?.status === "signed-in" ? req.auth.userId : null });
});

const server = app.listen(0, "127.0.0.1", () => {
  announceReady({ port: (server.address() as AddressInfo).port });
});
exitOnSignal(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await close();
});
