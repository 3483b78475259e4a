// The public surface is deliberate: a change to these lists must be a decision, not an accident.
import { describe, expect, it } from "vitest";
import * as core from "./index.js";
import * as errors from "./errors/index.js";

describe("public exports", () => {
  it("@gatehouse/core", () => {
    expect(Object.keys(core).sort()).toEqual([
      "DEFAULTS",
      "EMAIL_TEMPLATE_NAMES",
      "EMAIL_TEMPLATE_VARIABLES",
      "EVENT_TYPES",
      "MAX_PASSWORD_LENGTH",
      "MIN_PASSWORD_LENGTH",
      "OWASP_ARGON2ID",
      "VERSION",
      "checkNewPassword",
      "createArgon2idHasher",
      "createGatehouse",
      "generateEncryptionKey",
      "parseEncryptionKey",
      "renderEmailPreview",
      "resolveConfig",
      "safeRedirect",
      "silentLogger",
    ]);
  });

  it("@gatehouse/core/errors", () => {
    expect(Object.keys(errors).sort()).toEqual([
      "ConfigurationError",
      "EmailAlreadyVerifiedError",
      "EmailNotVerifiedError",
      "EmailTakenError",
      "GatehouseError",
      "InvalidCodeError",
      "InvalidCredentialsError",
      "InvalidGrantError",
      "InvalidRedirectURLError",
      "InvalidRequestError",
      "InvalidTokenError",
      "MalformedJSONError",
      "MethodNotAllowedError",
      "NotAvailableError",
      "NotFoundError",
      "OriginForbiddenError",
      "PayloadTooLargeError",
      "RateLimitedError",
      "ReauthenticationRequiredError",
      "UnauthenticatedError",
      "UnsupportedGrantTypeError",
      "UnsupportedMediaTypeError",
      "ValidationError",
      "WeakPasswordError",
      "problemJSON",
      "toProblemResponse",
    ]);
  });
});
