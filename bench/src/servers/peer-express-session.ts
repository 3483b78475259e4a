/**
 * Peer: Express + express-session + connect-redis (node-redis client), configured as their
 * READMEs show (resave: false, saveUninitialized: false, a 7-day cookie). `POST /login` puts a
 * user id in the session, as an app's sign-in route would after checking a password; the
 * server signs itself in once at start and announces the session cookie.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import express from "express";
import session from "express-session";
import { RedisStore } from "connect-redis";
import { createClient } from "redis";
import { announceReady, exitOnSignal } from "../lib/child.js";

declare module "express-session" {
  interface SessionData {
    userId: string;
  }
}

const client = createClient({ url: process.env.REDIS_URL! });
await client.connect();

const app = express();
app.use(
  session({
    store: new RedisStore({ client, prefix: process.env.BENCH_REDIS_PREFIX! }),
    secret: randomBytes(32).toString("base64url"),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax", maxAge: 7 * 24 * 3600 * 1000 },
  }),
);
let users = 0;
app.post("/login", (req, res) => {
  req.session.userId = `user_${String(++users).padStart(22, "0")}`;
  res.json({ userId: req.session.userId });
});
app.get("/api/me", (req, res) => {
  if (!req.session.userId) {
    res.status(401).json({ code: "unauthenticated" });
    return;
  }
  res.json({ userId: req.session.userId });
});

const server = app.listen(0, "127.0.0.1", () => {
  const port = (server.address() as AddressInfo).port;
  fetch(`http://127.0.0.1:${port}/login`, { method: "POST" })
    .then((response) => {
      const cookie = response.headers.getSetCookie()[0]!.split(";")[0]!;
      announceReady({ port, headers: { cookie } });
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
});
exitOnSignal(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await client.quit();
});
