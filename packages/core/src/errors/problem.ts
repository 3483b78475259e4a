/**
 * Maps errors to RFC 9457 `application/problem+json` responses. This is the only place an
 * error becomes HTTP: known errors keep their public code and message (4xx, and the 502/503 of
 * a failed SMS delivery, whose message is written to be safe), anything else becomes a generic
 * 500 whose detail goes only to the log.
 */
import {
  GatehouseError,
  InvalidQueryError,
  MethodNotAllowedError,
  RateLimitedError,
  SMSDeliveryFailedError,
  ValidationError,
  type ErrorCode,
  type FieldIssue,
} from "./errors.js";

/** The JSON body of every error response. */
export interface ProblemDetails {
  /** A URN naming the problem type, derived from `code`. */
  type: string;
  /** Short, human-readable summary. */
  title: string;
  /** The HTTP status, repeated for clients that only see the body. */
  status: number;
  /** Human-readable explanation, safe to show. */
  detail: string;
  /** Stable machine code. */
  code: ErrorCode;
  /** Field-level problems for `validation_failed` and `invalid_query`. */
  errors?: FieldIssue[];
  /** RFC 6749 §5.2 `error`, on token endpoint errors. */
  error?: string;
  /** RFC 6749 §5.2 `error_description`, on token endpoint errors. */
  error_description?: string;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/** Builds the problem body for an error Gatehouse raised on purpose. */
export function problemJSON(error: GatehouseError): ProblemDetails {
  const body: ProblemDetails = {
    type: `urn:gatehouse:error:${error.code}`,
    title: TITLES[error.status] ?? "Error",
    status: error.status,
    detail: error.message,
    code: error.code,
  };
  if (error instanceof ValidationError || error instanceof InvalidQueryError) body.errors = error.issues;
  if (error.oauthError !== undefined) {
    body.error = error.oauthError;
    body.error_description = error.message;
  }
  return body;
}

/**
 * Turns any thrown value into a problem+json `Response`. Unknown errors are reported through
 * `onUnexpected` (for the log) and answered with a generic 500 that reveals nothing.
 *
 * @example
 * ```ts
 * catch (err) { return toProblemResponse(err, (e) => logger.error({ err: e }, "request failed")); }
 * ```
 */
export function toProblemResponse(error: unknown, onUnexpected?: (error: unknown) => void): Response {
  const known =
    error instanceof GatehouseError && (error.status < 500 || error instanceof SMSDeliveryFailedError)
      ? error
      : (onUnexpected?.(error), new GatehouseError("internal_error", 500, "Something went wrong on our side."));
  const headers = new Headers({
    "content-type": "application/problem+json",
    "cache-control": "no-store",
  });
  if (known instanceof RateLimitedError) headers.set("retry-after", String(known.retryAfterSeconds));
  if (known instanceof MethodNotAllowedError) headers.set("allow", known.allow.join(", "));
  return new Response(JSON.stringify(problemJSON(known)), { status: known.status, headers });
}
