/**
 * Random values, hashing and encodings on Web Crypto only, so the engine runs wherever
 * `crypto.getRandomValues` and `crypto.subtle` exist. Hashing and comparison are the SDK's, so
 * the engine and app-side verifiers agree byte for byte.
 */
import { base64url } from "@gatehouse/sdk";

export { base64url, constantTimeEqual, sha256base64url } from "@gatehouse/sdk";

/** Cryptographically secure random bytes. */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** A random identifier with a type prefix, e.g. `user_3q2+…`: 128 bits of entropy. */
export function randomId(prefix: string): string {
  return `${prefix}_${base64url(randomBytes(16))}`;
}
