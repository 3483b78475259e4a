/**
 * TOTP (RFC 6238) on otpauth: secrets, `otpauth://` URLs, the QR code as SVG, and code checks
 * that return the time step a code belongs to, so the caller can refuse a step used before.
 * SHA-1, 6 digits and 30 s: what every authenticator app understands.
 */
import encodeQR from "@paulmillr/qr";
import { Secret, TOTP } from "otpauth";

/** Seconds per time step. */
export const TOTP_PERIOD_SECONDS = 30;
/** Steps accepted either side of the current one (clock drift between phone and server). */
export const TOTP_WINDOW = 1;
/** Bytes of a new secret (160 bits, RFC 4226's recommendation). */
const SECRET_BYTES = 20;

function totpOf(secretBase32: string, options: { issuer?: string; label?: string } = {}): TOTP {
  return new TOTP({
    issuer: options.issuer ?? "",
    label: options.label ?? "",
    secret: Secret.fromBase32(secretBase32),
    algorithm: "SHA1",
    digits: 6,
    period: TOTP_PERIOD_SECONDS,
  });
}

/** A fresh random secret, base32 (otpauth draws it from the platform's CSPRNG). */
export function newTOTPSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The `otpauth://totp/…` URL authenticator apps scan. */
export function totpURL(secretBase32: string, issuer: string, label: string): string {
  return totpOf(secretBase32, { issuer, label }).toString();
}

/** The URL as a QR code, an SVG document (made offline, nothing leaves the process). */
export function qrSVG(text: string): string {
  return encodeQR(text, "svg", { ecc: "medium" });
}

/** The code for `timestamp` (ms); for tests and tools. */
export function totpCode(secretBase32: string, timestamp: number): string {
  return totpOf(secretBase32).generate({ timestamp });
}

/**
 * The time step `code` is valid for at `timestamp` (ms), within ±{@link TOTP_WINDOW} steps, or
 * null when it matches none. Only 6 digits are ever compared.
 */
export function totpStepOf(secretBase32: string, code: string, timestamp: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpOf(secretBase32).validate({ token: code, timestamp, window: TOTP_WINDOW });
  if (delta === null) return null;
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp }) + delta;
}
