// The Hono adapter inside a real Hono app on @hono/node-server over HTTP (the shared suite).
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/index.js";
import { describeAdapter, describeStandaloneGuard, type RunningApp } from "../test-support/adapter-suite.js";
import { createVerifier, type Verifier } from "../verifier/create-verifier.js";
import { authMiddleware, requireAuth, type AuthEnv } from "./index.js";

// On @hono/node-server the adapter reads Node's headers (`c.env.incoming`); on other runtimes
// the web Request. The suite runs both ways: the second hides the Node bindings.
for (const runtime of ["node bindings", "web Request only"] as const) {
  describeAdapter(`hono (${runtime})`, (verifier) => startApp(verifier, runtime));
  describeStandaloneGuard(`hono (${runtime})`, (verifier) => startGuardedApp(verifier, runtime));
}

type Runtime = "node bindings" | "web Request only";

function userIdOf(c: Context<AuthEnv>) {
  const auth = c.get("auth");
  return c.json({ userId: auth.status === "signed-in" ? auth.userId : null });
}

function startApp(verifier: Verifier | null, runtime: Runtime) {
  const app = new Hono<AuthEnv>();
  if (verifier) app.use(authMiddleware(verifier));
  app.get("/whoami", (c) => c.json(c.get("auth")));
  app.on(["GET", "POST"], "/private", requireAuth(), userIdOf);
  app.get("/page", requireAuth({ refreshExpired: true, signInURL: "/sign-in" }), (c) => c.text("page"));
  return listen(app, runtime);
}

function startGuardedApp(verifier: Verifier, runtime: Runtime) {
  const app = new Hono<AuthEnv>();
  app.on(["GET", "POST"], "/private", requireAuth(verifier), userIdOf);
  app.get("/page", requireAuth(verifier, { refreshExpired: true, signInURL: "/sign-in" }), (c) => c.text("page"));
  app.get("/both", authMiddleware(verifier), requireAuth(verifier), userIdOf);
  return listen(app, runtime);
}

async function listen(app: Hono<AuthEnv>, runtime: Runtime): Promise<RunningApp> {
  app.onError((_error, c) => c.body(null, 500));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const fetch = runtime === "node bindings" ? app.fetch : (request: Request) => app.fetch(request);
    const started = serve({ fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(started));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        (server as Server).closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("hono adapter setup", () => {
  it("throws ConfigurationError without a verifier or with an unusable signInURL", () => {
    expect(() => authMiddleware(undefined as unknown as Verifier)).toThrow(ConfigurationError);
    expect(() => requireAuth({ signInURL: "javascript:alert(1)" })).toThrow(ConfigurationError);
    const verifier = createVerifier({ url: "https://auth.example.com" });
    expect(() => requireAuth(verifier, { signInURL: "javascript:alert(1)" })).toThrow(ConfigurationError);
  });
});
