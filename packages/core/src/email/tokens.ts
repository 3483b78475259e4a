/**
 * The secrets sent by email: link tokens (256 random bits, base64url) and six-digit codes, both
 * from the platform CSPRNG, and how they are hashed for storage. Lifetimes are fixed and
 * documented rather than configurable: each is the shortest a real user comfortably needs.
 */
import { base64url, randomBytes, sha256base64url } from "../lib/encoding.js";
import type { EmailTokenPurpose } from "../storage/ports.js";

/** How long each kind of token is valid, in milliseconds. */
export const EMAIL_TOKEN_LIFETIMES_MS: Readonly<Record<EmailTokenPurpose, number>> = Object.freeze({
  password_reset: 60 * 60 * 1000,
  magic_link: 15 * 60 * 1000,
  sign_in_code: 10 * 60 * 1000,
  verify_email: 24 * 60 * 60 * 1000,
});

/** Tries a code gets (right or wrong) before it is void. */
export const MAX_CODE_ATTEMPTS = 5;

/** The shape of a link token: 32 random bytes in base64url. */
export const LINK_TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** The shape of a code. */
export const CODE_FORMAT = /^\d{6}$/;

/** A new link token: 256 bits from the CSPRNG. */
export function newLinkToken(): string {
  return base64url(randomBytes(32));
}

/**
 * A new six-digit code, uniformly distributed: 32 random bits, redrawn when they fall in the
 * incomplete last block of a million (a plain modulo would favour low codes).
 */
export function newCode(): string {
  const limit = Math.floor(0x1_0000_0000 / 1_000_000) * 1_000_000;
  for (;;) {
    const [value] = crypto.getRandomValues(new Uint32Array(1));
    if (value! < limit) return String(value! % 1_000_000).padStart(6, "0");
  }
}

/** The stored form of a link token. */
export function hashLinkToken(token: string): Promise<string> {
  return sha256base64url(`link:${token}`);
}

/**
 * The stored form of a code, bound to its token record. A six-digit code has too few values for
 * a hash to hide it from someone holding the database; what protects it is its ten-minute life
 * and the five tries, so the hash only keeps it out of plain sight.
 */
export function hashCode(tokenId: string, code: string): Promise<string> {
  return sha256base64url(`code:${tokenId}:${code}`);
}

/** "1 hour", "15 minutes", "24 hours": a lifetime as the templates' `{{expires_in}}`. */
export function describeLifetime(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes % 60 !== 0) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = minutes / 60;
  return `${hours} hour${hours === 1 ? "" : "s"}`;
}
