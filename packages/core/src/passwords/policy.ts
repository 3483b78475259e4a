/**
 * Password rules after NIST SP 800-63B §3.1.1.2: a minimum length, a maximum long enough for
 * passphrases, no composition rules, Unicode normalised with NFKC, no silent truncation, and
 * refusal of passwords found in a list of common and breached ones.
 */
import { WeakPasswordError } from "../errors/index.js";
import { COMMON_PASSWORDS } from "./common-passwords.generated.js";

/** Fewest characters (Unicode code points, after NFKC) a password may have. */
export const MIN_PASSWORD_LENGTH = 8;
/**
 * Most characters accepted. Checked before hashing so a huge input cannot buy expensive work;
 * far above the 64 NIST asks us to allow.
 */
export const MAX_PASSWORD_LENGTH = 256;

let commonPasswords: Set<string> | undefined;

function isCommon(normalized: string): boolean {
  // Built on first use: a 75k-entry set costs a few milliseconds that start-up need not pay.
  commonPasswords ??= new Set(COMMON_PASSWORDS.split("\n"));
  return commonPasswords.has(normalized.toLowerCase());
}

/**
 * The form a password is hashed and compared in: NFKC, so the same passphrase typed on
 * different keyboards or platforms produces the same bytes.
 */
export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

/** Whether a password is too long to be worth hashing; sign-in rejects such input outright. */
export function exceedsPasswordCap(password: string): boolean {
  // Cheap pre-check on UTF-16 units (always >= code points) before normalising huge input.
  return password.length > MAX_PASSWORD_LENGTH * 2 || [...normalizePassword(password)].length > MAX_PASSWORD_LENGTH;
}

/**
 * Checks a new password against the policy and returns it normalised for hashing.
 *
 * @throws WeakPasswordError `password_too_short`, `password_too_long` or `password_too_common`.
 * @example
 * ```ts
 * const normalized = checkNewPassword(body.password);
 * const stored = await hasher.hash(normalized);
 * ```
 */
export function checkNewPassword(password: string): string {
  if (exceedsPasswordCap(password)) {
    throw new WeakPasswordError(
      "password_too_long",
      `Passwords can be at most ${MAX_PASSWORD_LENGTH} characters long.`,
    );
  }
  const normalized = normalizePassword(password);
  if ([...normalized].length < MIN_PASSWORD_LENGTH) {
    throw new WeakPasswordError(
      "password_too_short",
      `Passwords must be at least ${MIN_PASSWORD_LENGTH} characters long.`,
    );
  }
  if (isCommon(normalized)) {
    throw new WeakPasswordError(
      "password_too_common",
      "This password is too common or has appeared in a data breach. Choose another one.",
    );
  }
  return normalized;
}
