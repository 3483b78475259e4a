/**
 * The one error hierarchy of Gatehouse. Every failure a client can cause is a subclass of
 * {@link GatehouseError} with a stable machine `code` and an HTTP status; `toProblemResponse`
 * (in `problem.ts`) is the single place where errors become HTTP responses.
 *
 * Messages are written for the client and never contain a secret (password, token, cookie,
 * code or key): callers pass only what is safe to show.
 */

/** Every stable error code a Gatehouse response can carry. */
export type ErrorCode =
  | "invalid_request"
  | "malformed_json"
  | "validation_failed"
  | "unsupported_media_type"
  | "payload_too_large"
  | "invalid_credentials"
  | "unauthenticated"
  | "origin_forbidden"
  | "not_found"
  | "method_not_allowed"
  | "email_taken"
  | "password_too_short"
  | "password_too_long"
  | "password_too_common"
  | "rate_limited"
  | "invalid_token"
  | "invalid_code"
  | "invalid_passkey"
  | "passkey_already_registered"
  | "invalid_redirect_url"
  | "email_not_verified"
  | "email_already_verified"
  | "reauthentication_required"
  | "invalid_query"
  | "invalid_cursor"
  | "secret_key_required"
  | "invalid_secret_key"
  | "secret_key_in_query"
  | "non_canonical_path"
  | "user_banned"
  | "last_secret_key"
  | "webhook_disabled"
  | "configuration_error"
  | "not_available"
  | "invalid_grant"
  | "invalid_challenge"
  | "mfa_already_enabled"
  | "mfa_not_enabled"
  | "unsupported_grant_type"
  | "invalid_phone_number"
  | "sms_delivery_failed"
  | "internal_error";

/** One field-level problem inside a `validation_failed` error. */
export interface FieldIssue {
  /** JSON Pointer (RFC 6901) to the offending member, e.g. `/email`. */
  pointer: string;
  /** What is wrong, safe to show to the user. */
  detail: string;
}

/**
 * Base class of every error Gatehouse raises on purpose.
 *
 * @example
 * ```ts
 * try { await doSomething(); } catch (err) {
 *   if (err instanceof GatehouseError && err.code === "rate_limited") retryLater();
 * }
 * ```
 */
export class GatehouseError extends Error {
  /** Stable machine code; part of the public contract. */
  readonly code: ErrorCode;
  /** HTTP status the error maps to. */
  readonly status: number;
  /** RFC 6749 `error` value, on errors of the OAuth token endpoint. */
  readonly oauthError: string | undefined;

  constructor(code: ErrorCode, status: number, message: string, options?: { cause?: unknown; oauthError?: string }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.oauthError = options?.oauthError;
  }
}

/** The request is not understood (missing header, bad parameter). 400. */
export class InvalidRequestError extends GatehouseError {
  constructor(message = "The request is invalid.", options?: { cause?: unknown }) {
    super("invalid_request", 400, message, options);
  }
}

/** The body is not valid JSON. 400. */
export class MalformedJSONError extends GatehouseError {
  constructor(options?: { cause?: unknown }) {
    super("malformed_json", 400, "The request body is not valid JSON.", options);
  }
}

/** The body is JSON but its members are missing, of the wrong type or out of range. 422. */
export class ValidationError extends GatehouseError {
  /** The individual problems, one per offending member. */
  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[]) {
    super("validation_failed", 422, issues[0]?.detail ?? "The request body is invalid.");
    this.issues = issues;
  }
}

/** The body has a content type the endpoint does not take. 415. */
export class UnsupportedMediaTypeError extends GatehouseError {
  constructor(expected: string) {
    super("unsupported_media_type", 415, `The request body must be ${expected}.`);
  }
}

/** The body is larger than the configured limit. 413. */
export class PayloadTooLargeError extends GatehouseError {
  constructor(limitBytes: number) {
    super("payload_too_large", 413, `The request body is larger than ${limitBytes} bytes.`);
  }
}

/** Email or password is wrong; deliberately says which of the two it was. 401. */
export class InvalidCredentialsError extends GatehouseError {
  constructor() {
    super("invalid_credentials", 401, "The email or password is incorrect.");
  }
}

/** The request carries no valid session. 401. */
export class UnauthenticatedError extends GatehouseError {
  constructor() {
    super("unauthenticated", 401, "You are not signed in.");
  }
}

/** A cookie-authenticated write came from a foreign or opaque origin. 403. */
export class OriginForbiddenError extends GatehouseError {
  constructor() {
    super("origin_forbidden", 403, "Requests from this origin are not allowed.");
  }
}

/** The resource does not exist, or is not the caller's to see. 404. */
export class NotFoundError extends GatehouseError {
  constructor(message = "Not found.") {
    super("not_found", 404, message);
  }
}

/** The path exists but not for this method. 405. */
export class MethodNotAllowedError extends GatehouseError {
  /** Methods the path does accept, for the `Allow` header. */
  readonly allow: string[];

  constructor(allow: string[]) {
    super("method_not_allowed", 405, "This method is not allowed on this path.");
    this.allow = allow;
  }
}

/** Another account already uses this email address (compared case-insensitively). 409. */
export class EmailTakenError extends GatehouseError {
  constructor(options?: { cause?: unknown }) {
    super("email_taken", 409, "An account with this email address already exists.", options);
  }
}

/** Password policy failures (NIST SP 800-63B). 422. */
export class WeakPasswordError extends GatehouseError {
  constructor(code: "password_too_short" | "password_too_long" | "password_too_common", message: string) {
    super(code, 422, message);
  }
}

/** Too many attempts; retry after `retryAfterSeconds`. 429. */
export class RateLimitedError extends GatehouseError {
  /** Whole seconds until a retry may succeed, for the `Retry-After` header. */
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super("rate_limited", 429, "Too many attempts. Try again later.");
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** A query parameter is unknown, repeated, or of the wrong type or range. 400. */
export class InvalidQueryError extends GatehouseError {
  /** The individual problems; `pointer` names the parameter, e.g. `limit`. */
  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[]) {
    super("invalid_query", 400, issues[0]?.detail ?? "The query string is invalid.");
    this.issues = issues;
  }
}

/** A pagination cursor was not one this server handed out (or was altered). 400. */
export class InvalidCursorError extends GatehouseError {
  constructor() {
    super("invalid_cursor", 400, "The cursor is not valid; start again without one.");
  }
}

/**
 * An admin route was called without `Authorization: Bearer <secret key>`: no credential, a
 * user's session cookie or token, or another kind of bearer token. 401.
 */
export class SecretKeyRequiredError extends GatehouseError {
  constructor() {
    super(
      "secret_key_required",
      401,
      "The admin API requires Authorization: Bearer <secret key>; user sessions are not accepted.",
    );
  }
}

/** The presented secret key is unknown or revoked. 401. */
export class InvalidSecretKeyError extends GatehouseError {
  constructor() {
    super("invalid_secret_key", 401, "The secret key is not valid or has been revoked.");
  }
}

/**
 * A secret key was put in a URL, where logs, proxies and browser histories keep it; the
 * request is refused even if a valid header is present, so the mistake is noticed. 403.
 */
export class SecretKeyInQueryError extends GatehouseError {
  constructor() {
    super(
      "secret_key_in_query",
      403,
      "Secret keys are accepted only in the Authorization header. A key sent in a URL should be revoked.",
    );
  }
}

/**
 * A path that leads to the admin API only after decoding or normalisation (`//`, `..`,
 * percent-encoding, `;` parameters, trailing dots, other case). 403.
 */
export class NonCanonicalPathError extends GatehouseError {
  constructor() {
    super("non_canonical_path", 403, "Admin paths must be sent in canonical form.");
  }
}

/** The account is banned. Answered only after the right password, so it reveals nothing to others. 403. */
export class UserBannedError extends GatehouseError {
  constructor() {
    super("user_banned", 403, "This account has been banned.");
  }
}

/** Revoking this key would leave no active secret key, locking every admin out of the API. 409. */
export class LastSecretKeyError extends GatehouseError {
  constructor() {
    super("last_secret_key", 409, "This is the last active secret key; create another one before revoking it.");
  }
}

/** The webhook endpoint is disabled, so nothing can be sent to it. 409. */
export class WebhookDisabledError extends GatehouseError {
  constructor() {
    super("webhook_disabled", 409, "This webhook endpoint is disabled; enable it first.");
  }
}

/**
 * An emailed link's token is unknown, expired, already used, voided by a newer request, or was
 * issued for another purpose or address. One answer for all of these, so a token reveals nothing
 * about why it failed. 400.
 */
export class InvalidTokenError extends GatehouseError {
  constructor() {
    super("invalid_token", 400, "This link is invalid or has expired. Request a new one.");
  }
}

/**
 * An emailed code is wrong, expired, used up (too many wrong tries) or was issued for another
 * purpose; also the answer for an address without an account. 400.
 */
export class InvalidCodeError extends GatehouseError {
  constructor() {
    super("invalid_code", 400, "The code is incorrect or has expired.");
  }
}

/**
 * A passkey response did not verify: unknown credential, wrong signature, origin or RP ID, a
 * used, expired or foreign challenge, a counter that went backwards. One answer for all, so it
 * tells nothing about which check failed. 400.
 */
export class InvalidPasskeyError extends GatehouseError {
  constructor() {
    super("invalid_passkey", 400, "The passkey could not be verified. Try again.");
  }
}

/** The credential of a new passkey is already registered, to this account or another one. 409. */
export class PasskeyAlreadyRegisteredError extends GatehouseError {
  constructor() {
    super("passkey_already_registered", 409, "This passkey is already registered.");
  }
}

/** A `redirect_url` is not on one of the configured allowed origins. 400. */
export class InvalidRedirectURLError extends GatehouseError {
  constructor() {
    super(
      "invalid_redirect_url",
      400,
      "redirect_url must be a path on this site or an absolute URL on an allowed origin.",
    );
  }
}

/**
 * Sign-in waits for email verification (`GATEHOUSE_REQUIRE_EMAIL_VERIFICATION`) and this
 * account's address is not verified yet. Only answered after the credential was proven. 403.
 */
export class EmailNotVerifiedError extends GatehouseError {
  constructor() {
    super("email_not_verified", 403, "Verify your email address first: we sent you a link. Then sign in again.");
  }
}

/** The signed-in user's address is already verified; nothing to send. 409. */
export class EmailAlreadyVerifiedError extends GatehouseError {
  constructor() {
    super("email_already_verified", 409, "This email address is already verified.");
  }
}

/**
 * A sensitive change (password, email address) needs the current password or a session that
 * signed in recently; the message says which was wrong. 403.
 */
export class ReauthenticationRequiredError extends GatehouseError {
  constructor(message = "Confirm your current password, or sign in again, to make this change.") {
    super("reauthentication_required", 403, message);
  }
}

/**
 * The refresh token is unknown, forged, expired, already used past its grace window, or its
 * session has ended. 400 with RFC 6749 `error: "invalid_grant"`.
 */
export class InvalidGrantError extends GatehouseError {
  constructor(message = "The refresh token is invalid or has expired.") {
    super("invalid_grant", 400, message, { oauthError: "invalid_grant" });
  }
}

/** `grant_type` other than `refresh_token`. 400 with RFC 6749 `error: "unsupported_grant_type"`. */
export class UnsupportedGrantTypeError extends GatehouseError {
  constructor(message = "Only the refresh_token grant is supported.") {
    super("unsupported_grant_type", 400, message, { oauthError: "unsupported_grant_type" });
  }
}

/**
 * A second-factor challenge is unknown, expired, already completed, used up (too many wrong
 * codes), or presented by another client or for another step: start the sign-in again. 400.
 */
export class InvalidChallengeError extends GatehouseError {
  constructor(message = "The sign-in challenge is invalid or has expired. Sign in again.") {
    super("invalid_challenge", 400, message);
  }
}

/** The user already has a confirmed authenticator; disable it before enrolling another. 409. */
export class MFAAlreadyEnabledError extends GatehouseError {
  constructor(message = "An authenticator app is already set up for this account.") {
    super("mfa_already_enabled", 409, message);
  }
}

/** The action needs a second factor the user has not set up (or no pending enrolment). 409. */
export class MFANotEnabledError extends GatehouseError {
  constructor(message = "No authenticator app is set up for this account.") {
    super("mfa_not_enabled", 409, message);
  }
}

/** The feature is not available with this configuration. 409. */
export class NotAvailableError extends GatehouseError {
  constructor(message: string) {
    super("not_available", 409, message);
  }
}

/** A phone number is not a valid E.164 number that can receive text messages. 422. */
export class InvalidPhoneNumberError extends GatehouseError {
  constructor(
    message = "phone_number must be a mobile number in international format, starting with + and the country code.",
  ) {
    super("invalid_phone_number", 422, message);
  }
}

/**
 * The SMS provider did not take a message: it refused it (502) or could not be reached in time
 * (503). The message names the provider's status and error code, never the number, the text or
 * a credential. Unlike other 5xx errors it reaches the client as is: the request was fine and a
 * retry later may work.
 */
export class SMSDeliveryFailedError extends GatehouseError {
  /** The provider's HTTP status, or null when it was not reached. */
  readonly providerStatus: number | null;
  /** The provider's own error code (e.g. Twilio's `21614`), when it gave one. */
  readonly providerCode: string | null;

  constructor(options: {
    status: 502 | 503;
    providerStatus: number | null;
    providerCode: string | null;
    cause?: unknown;
  }) {
    const what =
      options.providerStatus === null
        ? "could not be reached"
        : `refused the message (HTTP ${options.providerStatus}${options.providerCode === null ? "" : `, error ${options.providerCode}`})`;
    super("sms_delivery_failed", options.status, `The text message could not be sent: the SMS provider ${what}.`, {
      cause: options.cause,
    });
    this.providerStatus = options.providerStatus;
    this.providerCode = options.providerCode;
  }
}

/**
 * Gatehouse was configured wrongly. Thrown at start-up, never for a request; the message says
 * how to fix it.
 */
export class ConfigurationError extends GatehouseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("configuration_error", 500, message, options);
  }
}
