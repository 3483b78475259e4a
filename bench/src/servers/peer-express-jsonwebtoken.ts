/**
 * Peer: Express + jsonwebtoken, HS256, verifying the token on every request as its README
 * shows. `BENCH_SECRET=string` passes the secret as a string (the common spelling, which makes
 * Node import the key on every verification); `BENCH_SECRET=keyobject` passes a KeyObject.
 * The server mints its own token at start and announces it.
 */
import { createSecretKey, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import express from "express";
import jwt from "jsonwebtoken";
import { announceReady, exitOnSignal } from "../lib/child.js";

const secretText = randomBytes(32).toString("base64url");
const secret = process.env.BENCH_SECRET === "keyobject" ? createSecretKey(Buffer.from(secretText)) : secretText;
const token = jwt.sign({ sub: "user_jsonwebtokenjsonwebtok" }, secret, { algorithm: "HS256", expiresIn: "2h" });

const app = express();
app.get("/api/me", (req, res) => {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
  if (!match) {
    res.status(401).json({ code: "unauthenticated" });
    return;
  }
  try {
    const claims = jwt.verify(match[1]!, secret, { algorithms: ["HS256"] }) as jwt.JwtPayload;
    res.json({ userId: claims.sub });
  } catch {
    res.status(401).json({ code: "unauthenticated" });
  }
});

const server = app.listen(0, "127.0.0.1", () => {
  announceReady({ port: (server.address() as AddressInfo).port, headers: { authorization: `Bearer ${token}` } });
});
exitOnSignal(() => new Promise<void>((resolve) => server.close(() => resolve())));
