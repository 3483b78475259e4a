import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createTestEngine } from "../test-support/engine.js";
import { VERSION } from "../version.js";

describe("GET /v1/openapi.json", () => {
  it("documents every route the engine serves, generated from the route table", async () => {
    const engine = await createTestEngine();
    try {
      const response = await engine.request("GET", "/v1/openapi.json");
      expect(response.status).toBe(200);
      const document = await response.json();
      expect(document.openapi).toBe("3.1.0");
      expect(Object.keys(document.paths).sort()).toEqual(
        [
          "/.well-known/jwks.json",
          "/.well-known/openid-configuration",
          "/v1/admin/signing-keys/rotate",
          "/v1/revocations/stream",
          "/v1/token",
          "/v1/token/refresh",
          "/v1/admin/webhooks",
          "/v1/admin/webhooks/{id}",
          "/v1/admin/webhooks/{id}/deliveries",
          "/v1/admin/webhooks/{id}/deliveries/{delivery_id}",
          "/v1/admin/webhooks/{id}/deliveries/{delivery_id}/retry",
          "/v1/admin/webhooks/{id}/rotate-secret",
          "/v1/admin/webhooks/{id}/test",
          "/v1/openapi.json",
          "/v1/session",
          "/v1/sessions",
          "/v1/sessions/{id}",
          "/v1/sign-in/password",
          "/v1/sign-out",
          "/v1/sign-up",
        ].sort(),
      );
      const signUp = document.paths["/v1/sign-up"].post;
      expect(signUp.requestBody.content["application/json"].schema.required).toEqual(["email", "password"]);
      expect(signUp.responses["409"].content["application/problem+json"]).toBeDefined();
      expect(document.paths["/v1/sessions/{id}"].delete.parameters[0]).toMatchObject({ name: "id", in: "path" });
      expect(document.paths["/v1/session"].get.security).toBeDefined();
      expect(document.paths["/v1/admin/webhooks"].get.security).toEqual([{ secretKey: [] }]);
      expect(document.components.securitySchemes.secretKey).toMatchObject({ type: "http", scheme: "bearer" });
      // Query parameters are documented from the route's query schema.
      expect(document.paths["/v1/admin/webhooks/{id}/deliveries"].get.parameters).toEqual([
        { name: "id", in: "path", required: true, schema: { type: "string" } },
        { name: "status", in: "query", required: false, schema: expect.objectContaining({ enum: expect.any(Array) }) },
        { name: "limit", in: "query", required: false, description: "Default 20.", schema: expect.any(Object) },
        { name: "cursor", in: "query", required: false, description: expect.any(String), schema: expect.any(Object) },
      ]);
    } finally {
      await engine.close();
    }
  });

  it("reports the package version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(VERSION).toBe(pkg.version);
  });
});
