/**
 * Public face of the error hierarchy (`@gatehouse/core/errors`).
 */
export {
  GatehouseError,
  InvalidRequestError,
  MalformedJSONError,
  ValidationError,
  UnsupportedMediaTypeError,
  PayloadTooLargeError,
  InvalidCredentialsError,
  UnauthenticatedError,
  OriginForbiddenError,
  NotFoundError,
  MethodNotAllowedError,
  EmailTakenError,
  WeakPasswordError,
  RateLimitedError,
  InvalidTokenError,
  InvalidCodeError,
  InvalidRedirectURLError,
  EmailNotVerifiedError,
  EmailAlreadyVerifiedError,
  ReauthenticationRequiredError,
  InvalidQueryError,
  InvalidCursorError,
  SecretKeyRequiredError,
  InvalidSecretKeyError,
  SecretKeyInQueryError,
  NonCanonicalPathError,
  UserBannedError,
  LastSecretKeyError,
  WebhookDisabledError,
  ConfigurationError,
  InvalidGrantError,
  UnsupportedGrantTypeError,
  NotAvailableError,
  InvalidChallengeError,
  MFAAlreadyEnabledError,
  MFANotEnabledError,
} from "./errors.js";
export { toProblemResponse, problemJSON } from "./problem.js";
export type { ErrorCode, FieldIssue } from "./errors.js";
export type { ProblemDetails } from "./problem.js";
