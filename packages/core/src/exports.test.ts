// The public surface is deliberate: a change to these lists must be a decision, not an accident.
import { describe, expect, it } from "vitest";
import * as core from "./index.js";
import * as errors from "./errors/index.js";
import * as argon2Pool from "./adapters/argon2-pool/index.js";
import * as nodeWebhooks from "./adapters/node-webhooks/index.js";

describe("public exports", () => {
  it("@gatehouse/core", () => {
    expect(Object.keys(core).sort()).toEqual([
      "DEFAULTS",
      "DEFAULT_ARGON2ID",
      "EMAIL_TEMPLATE_NAMES",
      "EMAIL_TEMPLATE_VARIABLES",
      "EVENT_TYPES",
      "IMPORT_SOURCES",
      "MAX_PASSWORD_LENGTH",
      "MIN_PASSWORD_LENGTH",
      "OWASP_ARGON2ID",
      "VERSION",
      "WebhookSendError",
      "checkNewPassword",
      "checkWebhookAddress",
      "createArgon2idHasher",
      "createGatehouse",
      "createImportAwareHasher",
      "createTwilioSMSProvider",
      "generateEncryptionKey",
      "importedHashAlgorithm",
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
      "InvalidChallengeError",
      "InvalidCodeError",
      "InvalidCredentialsError",
      "InvalidCursorError",
      "InvalidGrantError",
      "InvalidPasskeyError",
      "InvalidPhoneNumberError",
      "InvalidQueryError",
      "InvalidRedirectURLError",
      "InvalidRequestError",
      "InvalidSecretKeyError",
      "InvalidTokenError",
      "LastSecretKeyError",
      "MFAAlreadyEnabledError",
      "MFANotEnabledError",
      "MalformedJSONError",
      "MethodNotAllowedError",
      "NonCanonicalPathError",
      "NotAvailableError",
      "NotFoundError",
      "OriginForbiddenError",
      "PasskeyAlreadyRegisteredError",
      "PayloadTooLargeError",
      "RateLimitedError",
      "ReauthenticationRequiredError",
      "SMSDeliveryFailedError",
      "SecretKeyInQueryError",
      "SecretKeyRequiredError",
      "UnauthenticatedError",
      "UnsupportedGrantTypeError",
      "UnsupportedMediaTypeError",
      "UserBannedError",
      "ValidationError",
      "WeakPasswordError",
      "WebhookDisabledError",
      "problemJSON",
      "toProblemResponse",
    ]);
  });

  it("@gatehouse/core/adapters/node-webhooks", () => {
    expect(Object.keys(nodeWebhooks).sort()).toEqual(["createNodeWebhookSender"]);
  });

  it("@gatehouse/core/adapters/argon2-pool", () => {
    expect(Object.keys(argon2Pool).sort()).toEqual(["HASHING_NICENESS", "createArgon2Pool"]);
  });
});
