/**
 * The browser half of passkeys: the WebAuthn ceremonies (through @simplewebauthn/browser, whose
 * JSON shapes the API speaks) and the translation of the browser's ceremony errors into the
 * client's error codes. A user closing the browser's prompt is an ordinary outcome, not a fault:
 * it becomes `passkey_cancelled`, which the components say calmly.
 */
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  WebAuthnError,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/browser";
import { GatehouseAPIError } from "./api.js";

/** The WebAuthn ceremonies the client runs; replaceable where there is no browser (tests). */
export interface WebAuthnCeremonies {
  /** Whether the browser can run WebAuthn at all. */
  supported(): boolean;
  /** Creates a credential (the browser's "create a passkey" prompt). */
  register(optionsJSON: PublicKeyCredentialCreationOptionsJSON): Promise<RegistrationResponseJSON>;
  /** Asserts with a credential (the browser's "use a passkey" prompt). */
  authenticate(optionsJSON: PublicKeyCredentialRequestOptionsJSON): Promise<AuthenticationResponseJSON>;
}

/** The ceremonies of the browser the page runs in. */
export const browserWebAuthn: WebAuthnCeremonies = {
  supported: () => browserSupportsWebAuthn(),
  register: (optionsJSON) => startRegistration({ optionsJSON }),
  authenticate: (optionsJSON) => startAuthentication({ optionsJSON }),
};

function errorName(error: unknown): string | null {
  return typeof error === "object" && error !== null && typeof (error as { name?: unknown }).name === "string"
    ? (error as { name: string }).name
    : null;
}

/**
 * Turns what a ceremony threw into a {@link GatehouseAPIError} with status 0 and a client code:
 * `passkey_cancelled` (the prompt was dismissed, timed out or was aborted — browsers report all
 * of these as `NotAllowedError`/`AbortError` on purpose, so a page cannot tell them apart),
 * `passkey_already_registered` (the authenticator already holds a passkey for this account) or
 * `passkey_failed`.
 */
export function ceremonyError(error: unknown): GatehouseAPIError {
  if (error instanceof GatehouseAPIError) return error;
  const cause = error instanceof WebAuthnError ? error.cause : error;
  const code = error instanceof WebAuthnError ? error.code : null;
  const name = errorName(cause);
  if (code === "ERROR_CEREMONY_ABORTED" || name === "NotAllowedError" || name === "AbortError") {
    return new GatehouseAPIError({ status: 0, code: "passkey_cancelled", cause: error });
  }
  if (code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED" || name === "InvalidStateError") {
    return new GatehouseAPIError({ status: 0, code: "passkey_already_registered", cause: error });
  }
  return new GatehouseAPIError({ status: 0, code: "passkey_failed", cause: error });
}

/** Runs a ceremony, refusing early where WebAuthn is missing and translating its errors. */
export async function runCeremony<T>(webAuthn: WebAuthnCeremonies, ceremony: () => Promise<T>): Promise<T> {
  if (!webAuthn.supported()) throw new GatehouseAPIError({ status: 0, code: "passkey_not_supported" });
  try {
    return await ceremony();
  } catch (error) {
    throw ceremonyError(error);
  }
}
