/**
 * The wire side of the browser client: the JSON shapes the Gatehouse API answers with (member
 * names as the API spells them) and one request helper that sends cookies, reads RFC 9457
 * problem answers and turns them into {@link GatehouseAPIError}s with the API's stable `code`.
 */

/** The public user object, as `GET /v1/session` returns it. */
export interface User {
  id: string;
  email: string;
  name: string | null;
  email_verified: boolean;
  /** ISO 8601. */
  created_at: string;
  /** ISO 8601. */
  updated_at: string;
}

/** A session, as `GET /v1/session` and `GET /v1/sessions` return it. */
export interface Session {
  id: string;
  user_id: string;
  /** ISO 8601. */
  created_at: string;
  /** ISO 8601. */
  last_active_at: string;
  /** ISO 8601: the session ends here unless used. */
  idle_expires_at: string;
  /** ISO 8601: absolute end. */
  expires_at: string;
  /** The address the session signed in from, when known. */
  ip: string | null;
  /** The browser or app that signed in, when known. */
  user_agent: string | null;
  /** Whether this is the session of the request that listed it. */
  current: boolean;
  /** ISO 8601: when a second factor was last verified in this session, or null. */
  second_factor_verified_at?: string | null;
}

/** A second factor that can answer a sign-in challenge or a step-up. */
export type SecondFactor = "totp" | "backup_code" | "sms";

/** A factor that can be enrolled during a sign-in with MFA required. */
export type EnrollableFactor = "totp" | "sms";

/** The signed-in user's second factors, as `GET /v1/mfa` returns them. */
export interface MFAStatus {
  /** Whether sign-in asks this user for a second factor. */
  enabled: boolean;
  /** Whether every user must have one (the server's `GATEHOUSE_REQUIRE_MFA`). */
  required: boolean;
  totp: { enabled: boolean; /** ISO 8601. */ confirmed_at: string | null };
  /** SMS codes; absent from servers without SMS support. */
  sms?: {
    /** Whether the server can send texts; without it, a number cannot be set up. */
    available?: boolean;
    enabled: boolean;
    /** E.g. `+44 •••• ••• 678`. */ phone_number_hint: string | null;
    confirmed_at: string | null;
  };
  backup_codes: { remaining: number };
}

/** A new authenticator-app secret, shown once, as `POST /v1/mfa/totp` returns it. */
export interface TOTPEnrollment {
  /** Base32 secret, for typing into an authenticator app by hand. */
  secret: string;
  /** `otpauth://totp/…` URL. */
  otpauth_url: string;
  /** The otpauth URL as a QR code: an SVG document (show it as an image, never as markup). */
  qr_svg: string;
}

/** An SMS code on its way: where (masked) and for how long it works. */
export interface SMSCodeSent {
  /** The number with all but the country code and last digits masked. */
  phone_number_hint: string;
  /** Seconds the code stays valid. */
  expires_in: number;
}

/** A registered passkey, as `GET /v1/passkeys` lists it. */
export interface Passkey {
  id: string;
  name: string;
  /** ISO 8601. */
  created_at: string;
  /** ISO 8601, or null when never used to sign in. */
  last_used_at: string | null;
  /** Whether the credential lives on one device or syncs between devices. */
  device_type: "singleDevice" | "multiDevice";
  /** Whether the credential is backed up (synced). */
  backed_up: boolean;
  /** How the browser reaches the authenticator (`internal`, `usb`, `hybrid`, …). */
  transports: string[];
}

/** One member of a `validation_failed` problem: which field, and what is wrong with it. */
export interface FieldProblem {
  /** JSON pointer into the request body, e.g. `/email`. */
  pointer: string;
  detail: string;
}

/** The API's error codes, plus the client's own `network_error` for an unreachable server. */
export type ErrorCode =
  | "invalid_credentials"
  | "unauthenticated"
  | "origin_forbidden"
  | "email_not_verified"
  | "reauthentication_required"
  | "email_taken"
  | "email_already_verified"
  | "not_available"
  | "validation_failed"
  | "password_too_short"
  | "password_too_long"
  | "password_too_common"
  | "invalid_token"
  | "invalid_code"
  | "invalid_redirect_url"
  | "invalid_grant"
  | "invalid_request"
  | "unsupported_grant_type"
  | "rate_limited"
  | "not_found"
  | "internal_error"
  | "network_error"
  | "invalid_challenge"
  | "mfa_already_enabled"
  | "mfa_not_enabled"
  | "invalid_phone_number"
  | "invalid_passkey"
  | "passkey_already_registered"
  | "user_banned"
  // The client's own codes for a passkey prompt: dismissed by the user, not offered by the
  // browser, or failed in the authenticator.
  | "passkey_cancelled"
  | "passkey_not_supported"
  | "passkey_failed"
  // Codes added by later versions of the API still arrive intact.
  | (string & {});

/**
 * An API call that did not succeed. `code` is the problem's stable machine code (switch on it),
 * `detail` the API's English explanation (show the message catalogue's text instead).
 *
 * @example
 * ```ts
 * try {
 *   await client.signInWithPassword({ email, password });
 * } catch (error) {
 *   if (error instanceof GatehouseAPIError && error.code === "invalid_credentials") showWrongPassword();
 * }
 * ```
 */
export class GatehouseAPIError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** Stable machine code from the problem body (`internal_error` when the body had none). */
  readonly code: ErrorCode;
  /** The problem's `detail`, when there was one. */
  readonly detail: string | null;
  /** Field problems of a `validation_failed` answer. */
  readonly fieldErrors: readonly FieldProblem[];
  /** Seconds to wait, from `Retry-After` on `rate_limited`. */
  readonly retryAfterSeconds: number | null;

  constructor(init: {
    status: number;
    code: ErrorCode;
    detail?: string | null;
    fieldErrors?: readonly FieldProblem[];
    retryAfterSeconds?: number | null;
    cause?: unknown;
  }) {
    super(init.detail ?? init.code, { cause: init.cause });
    this.name = "GatehouseAPIError";
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail ?? null;
    this.fieldErrors = init.fieldErrors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }
}

/** The methods the API uses. */
export type HTTPMethod = "GET" | "POST" | "PATCH" | "DELETE";

/** How the client reaches the API. */
export interface APIRequester {
  /**
   * Sends a request and returns the parsed JSON body (null for 204).
   * @throws GatehouseAPIError for any answer outside 2xx, or `network_error`.
   */
  request<T>(method: HTTPMethod, path: string, body?: unknown): Promise<T>;
}

function parseRetryAfter(value: string | null): number | null {
  if (value === null) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

/**
 * Creates the request helper for an API at `baseURL` ("" for the page's own origin). Every
 * request carries cookies (`credentials: "include"`): the session lives in HttpOnly cookies the
 * page's scripts can never read.
 */
export function createAPIRequester(baseURL: string, fetchImpl: typeof fetch): APIRequester {
  const root = baseURL.replace(/\/+$/, "");
  return {
    async request<T>(method: HTTPMethod, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { accept: "application/json" };
      if (body !== undefined) headers["content-type"] = "application/json";
      let response: Response;
      try {
        response = await fetchImpl(`${root}${path}`, {
          method,
          headers,
          credentials: "include",
          // Answers about the session must never come from a cache.
          cache: "no-store",
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (cause) {
        throw new GatehouseAPIError({ status: 0, code: "network_error", detail: null, cause });
      }
      if (response.ok) {
        if (response.status === 204) return null as T;
        const text = await response.text();
        return (text === "" ? null : JSON.parse(text)) as T;
      }
      let problem: { code?: unknown; detail?: unknown; errors?: unknown } = {};
      try {
        problem = (await response.json()) as typeof problem;
      } catch {
        // A proxy's HTML error page, say: the status is all there is.
      }
      const fieldErrors = Array.isArray(problem.errors)
        ? problem.errors.filter(
            (each): each is FieldProblem =>
              typeof each === "object" && each !== null && typeof (each as FieldProblem).pointer === "string",
          )
        : [];
      throw new GatehouseAPIError({
        status: response.status,
        code: typeof problem.code === "string" ? problem.code : "internal_error",
        detail: typeof problem.detail === "string" ? problem.detail : null,
        fieldErrors,
        retryAfterSeconds: parseRetryAfter(response.headers.get("retry-after")),
      });
    },
  };
}
