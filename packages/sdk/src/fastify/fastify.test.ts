// The Fastify adapter inside a real Fastify 5 app over HTTP (the shared suite).
import Fastify, { type FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/index.js";
import { describeAdapter, describeStandaloneGuard } from "../test-support/adapter-suite.js";
import { createVerifier } from "../verifier/create-verifier.js";
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

describeStandaloneGuard("fastify", async (verifier) => {
  const app = Fastify({ forceCloseConnections: true });
  const userIdOf = async (request: FastifyRequest) => ({
    userId: request.auth.status === "signed-in" ? request.auth.userId : null,
  });
  app.route({ method: ["GET", "POST"], url: "/private", preHandler: requireAuth(verifier), handler: userIdOf });
  app.get(
    "/page",
    { preHandler: requireAuth(verifier, { refreshExpired: true, signInURL: "/sign-in" }) },
    async () => "page",
  );
  // The plugin only in this scope: the routes above run without it.
  await app.register(async (scope) => {
    await scope.register(authPlugin, { verifier });
    scope.get("/both", { preHandler: requireAuth(verifier) }, userIdOf);
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
    const verifier = createVerifier({ url: "https://auth.example.com" });
    expect(() => requireAuth(verifier, { signInURL: "javascript:alert(1)" })).toThrow(ConfigurationError);
  });
});
