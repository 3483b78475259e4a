// The Express adapter inside a real Express 5 app over HTTP (the shared adapter suite).
import type { AddressInfo } from "node:net";
import express from "express";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/index.js";
import { describeAdapter, describeStandaloneGuard, type RunningApp } from "../test-support/adapter-suite.js";
import { createVerifier, type Verifier } from "../verifier/create-verifier.js";
import { authMiddleware, requireAuth } from "./index.js";

describeAdapter("express", (verifier) => {
  const app = express();
  if (verifier) app.use(authMiddleware(verifier));
  app.get("/whoami", (req, res) => {
    res.json(req.auth);
  });
  app.all("/private", requireAuth(), userIdOf);
  app.get("/page", requireAuth({ refreshExpired: true, signInURL: "/sign-in" }), sendPage);
  return listen(app);
});

describeStandaloneGuard("express", (verifier) => {
  const app = express();
  app.all("/private", requireAuth(verifier), userIdOf);
  app.get("/page", requireAuth(verifier, { refreshExpired: true, signInURL: "/sign-in" }), sendPage);
  app.get("/both", authMiddleware(verifier), requireAuth(verifier), userIdOf);
  return listen(app);
});

function userIdOf(req: express.Request, res: express.Response): void {
  res.json({ userId: req.auth?.status === "signed-in" ? req.auth.userId : null });
}

function sendPage(_req: express.Request, res: express.Response): void {
  res.type("text").send("page");
}

async function listen(app: express.Express): Promise<RunningApp> {
  // Express's default error handler would print the stack; the suite only needs the status.
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).end();
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("express adapter setup", () => {
  it("throws ConfigurationError without a verifier or with an unusable signInURL", () => {
    expect(() => authMiddleware(undefined as unknown as Verifier)).toThrow(ConfigurationError);
    expect(() => requireAuth({ signInURL: "javascript:alert(1)" })).toThrow(ConfigurationError);
    const verifier = createVerifier({ url: "https://auth.example.com" });
    expect(() => requireAuth(verifier, { signInURL: "javascript:alert(1)" })).toThrow(ConfigurationError);
  });
});
