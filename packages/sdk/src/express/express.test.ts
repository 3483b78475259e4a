// The Express adapter inside a real Express 5 app over HTTP (the shared adapter suite).
import type { AddressInfo } from "node:net";
import express from "express";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/index.js";
import { describeAdapter } from "../test-support/adapter-suite.js";
import type { Verifier } from "../verifier/create-verifier.js";
import { authMiddleware, requireAuth } from "./index.js";

describeAdapter("express", async (verifier) => {
  const app = express();
  if (verifier) app.use(authMiddleware(verifier));
  app.get("/whoami", (req, res) => {
    res.json(req.auth);
  });
  app.all("/private", requireAuth(), (req, res) => {
    res.json({ userId: req.auth?.status === "signed-in" ? req.auth.userId : null });
  });
  app.get("/page", requireAuth({ refreshExpired: true, signInURL: "/sign-in" }), (_req, res) => {
    res.type("text").send("page");
  });
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
});

describe("express adapter setup", () => {
  it("throws ConfigurationError without a verifier or with an unusable signInURL", () => {
    expect(() => authMiddleware(undefined as unknown as Verifier)).toThrow(ConfigurationError);
    expect(() => requireAuth({ signInURL: "javascript:alert(1)" })).toThrow(ConfigurationError);
  });
});
