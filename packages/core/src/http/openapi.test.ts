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
          "/v1/account/email",
          "/v1/account/password",
          "/v1/email-verification",
          "/v1/email-verification/confirm",
          "/v1/password-reset",
          "/v1/password-reset/confirm",
          "/v1/sign-in/email-code",
          "/v1/sign-in/email-code/verify",
          "/v1/sign-in/magic-link",
          "/v1/sign-in/magic-link/verify",
          "/v1/sign-in/passkey",
          "/v1/sign-in/passkey/options",
          "/v1/passkeys",
          "/v1/passkeys/registration",
          "/v1/passkeys/registration/options",
          "/v1/passkeys/{id}",
          "/v1/session",
          "/v1/sessions",
          "/v1/sessions/{id}",
          "/v1/sign-in/password",
          "/v1/sign-out",
          "/v1/sign-up",
          "/v1/admin/users",
          "/v1/admin/users/export",
          "/v1/admin/users/import",
          "/v1/admin/users/{id}",
          "/v1/admin/users/{id}/ban",
          "/v1/admin/users/{id}/unban",
          "/v1/admin/users/{id}/sessions",
          "/v1/admin/users/{id}/sessions/{sessionId}",
          "/v1/admin/secret-keys",
          "/v1/admin/secret-keys/{id}/revoke",
          "/v1/admin/events",
          "/v1/sign-in/second-factor",
          "/v1/sign-in/second-factor/enroll/totp",
          "/v1/sign-in/second-factor/enroll/totp/confirm",
          "/v1/sign-in/second-factor/sms",
          "/v1/sign-in/second-factor/enroll/sms",
          "/v1/sign-in/second-factor/enroll/sms/confirm",
          "/v1/mfa",
          "/v1/mfa/totp",
          "/v1/mfa/totp/confirm",
          "/v1/mfa/totp/disable",
          "/v1/mfa/sms",
          "/v1/mfa/sms/confirm",
          "/v1/mfa/sms/disable",
          "/v1/mfa/sms/send",
          "/v1/mfa/backup-codes",
          "/v1/mfa/verify",
        ].sort(),
      );
      const signUp = document.paths["/v1/sign-up"].post;
      expect(signUp.requestBody.content["application/json"].schema.required).toEqual(["email", "password"]);
      expect(signUp.responses["409"].content["application/problem+json"]).toBeDefined();
      expect(document.paths["/v1/sessions/{id}"].delete.parameters[0]).toMatchObject({ name: "id", in: "path" });
      expect(document.paths["/v1/session"].get.security).toBeDefined();
      // Both the landing GET and the POST for apps that open the link themselves.
      expect(Object.keys(document.paths["/v1/sign-in/magic-link/verify"]).sort()).toEqual(["get", "post"]);
      // The pages the links open are served, but are not API.
      expect(document.paths["/reset-password"]).toBeUndefined();
      expect(document.paths["/verify-email"]).toBeUndefined();
      // Every admin operation is documented as secret-key only.
      for (const [path, operations] of Object.entries<Record<string, { security?: unknown }>>(document.paths)) {
        if (!path.startsWith("/v1/admin/")) continue;
        for (const operation of Object.values(operations)) expect(operation.security).toEqual([{ secretKey: [] }]);
      }
      expect(document.components.securitySchemes.secretKey).toMatchObject({ type: "http", scheme: "bearer" });
      const listUsers = document.paths["/v1/admin/users"].get;
      expect(
        listUsers.parameters.map((parameter: { name: string; in: string }) => `${parameter.in}:${parameter.name}`),
      ).toEqual([
        "query:limit",
        "query:cursor",
        "query:search",
        "query:banned",
        "query:verified",
        "query:created_after",
        "query:created_before",
      ]);
      expect(listUsers.parameters.find((parameter: { name: string }) => parameter.name === "limit").required).toBe(
        false,
      );
      // Query parameters are documented from the route's query schema.
      const deliveries = document.paths["/v1/admin/webhooks/{id}/deliveries"].get;
      expect(
        deliveries.parameters.map((parameter: { name: string; in: string }) => `${parameter.in}:${parameter.name}`),
      ).toEqual(["path:id", "query:status", "query:limit", "query:cursor"]);
    } finally {
      await engine.close();
    }
  });

  it("reports the package version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(VERSION).toBe(pkg.version);
  });
});
