// The Fastify adapter inside a real Fastify 5 app over HTTP (the shared suite).
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/index.js";
import { describeAdapter } from "../test-support/adapter-suite.js";
import { authPlugin, requireAuth, type AuthPluginOptions } from "./index.js";

describeAdapter("fastify", async (verifier) => {
  const app = Fastify({ forceCloseConnections: true });
  if (verifier) await app.register(authPlugin, { verifier });
  // Routes in a child plugin: the auth hook must reach into encapsulated contexts too.
  await app.register(async (child) => {
    child.get("/whoami", async (request) => request.auth);
    child.route({
      method: ["GET", "POST"],
      url: "/private",
      preHandler: requireAuth(),
      handler: async (request) => ({ userId: request.auth.status === "signed-in" ? request.auth.userId : null }),
    });
    child.get(
      "/page",
      { preHandler: requireAuth({ refreshExpired: true, signInURL: "/sign-in" }) },
      async () => "page",
    );
  });
  app.setErrorHandler((_error, _request, reply) => reply.code(500).send());
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url, close: () => app.close() };
});

describe("fastify adapter setup", () => {
  it("refuses to register without a verifier, and throws on an unusable signInURL", async () => {
    const app = Fastify();
    await expect(app.register(authPlugin, {} as AuthPluginOptions).ready()).rejects.toThrow(ConfigurationError);
    await app.close();
    expect(() => requireAuth({ signInURL: "javascript:alert(1)" })).toThrow(ConfigurationError);
  });
});
