/**
 * The errors the SDK throws. There are few on purpose: a request that is not signed in is a
 * state ({@link AuthState}), never an exception, so these only report code that cannot work
 * as written (a missing option, a URL that is not one) with a hint on how to fix it.
 */

/** Stable machine codes of {@link GatehouseSDKError}. */
export type SDKErrorCode = "invalid_configuration";

/**
 * Base class of every error the SDK throws; `switch (error.code)` narrows.
 *
 * @example
 * ```ts
 * try {
 *   createVerifier({ url: process.env.GATEHOUSE_URL! });
 * } catch (error) {
 *   if (error instanceof GatehouseSDKError) console.error(error.code, error.message);
 * }
 * ```
 */
export class GatehouseSDKError extends Error {
  readonly code: SDKErrorCode;

  constructor(code: SDKErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GatehouseSDKError";
    this.code = code;
  }
}

/**
 * The verifier (or an adapter) was set up in a way that cannot work. The message says what to
 * change; it never contains a secret, not even the rejected value of `secretKey`.
 *
 * @example
 * ```ts
 * // Throws ConfigurationError: followRevocations needs secretKey …
 * createVerifier({ url: "https://auth.example.com", followRevocations: true });
 * ```
 */
export class ConfigurationError extends GatehouseSDKError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("invalid_configuration", message, options);
    this.name = "ConfigurationError";
  }
}
