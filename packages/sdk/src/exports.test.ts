// The public surface is deliberate: a change to these lists must be a decision, not an accident.
import { describe, expect, it } from "vitest";
import * as root from "./index.js";
import * as express from "./express/index.js";
import * as fastify from "./fastify/index.js";
import * as hono from "./hono/index.js";
import * as next from "./next/index.js";

describe("public exports", () => {
  it("@gatehouse/sdk", () => {
    expect(Object.keys(root).sort()).toEqual([
      "ConfigurationError",
      "GatehouseSDKError",
      "base64url",
      "constantTimeEqual",
      "createVerifier",
      "isSessionLive",
      "parseSessionToken",
      "secondFactorAgeSeconds",
      "sessionSecretMatches",
      "sha256base64url",
      "verifyAccessToken",
      "verifyWebhook",
    ]);
  });

  it("@gatehouse/sdk/express", () => {
    expect(Object.keys(express).sort()).toEqual(["authMiddleware", "requireAuth"]);
  });

  it("@gatehouse/sdk/hono", () => {
    expect(Object.keys(hono).sort()).toEqual(["authMiddleware", "requireAuth"]);
  });

  it("@gatehouse/sdk/fastify", () => {
    expect(Object.keys(fastify).sort()).toEqual(["authPlugin", "requireAuth"]);
  });

  it("@gatehouse/sdk/next", () => {
    expect(Object.keys(next).sort()).toEqual(["createNextAuth"]);
  });
});
