/**
 * The few cryptographic helpers the SDK and the engine share, on Web Crypto only.
 */

/**
 * base64url without padding (RFC 4648 §5).
 *
 * @example
 * ```ts
 * base64url(new Uint8Array([251, 255])); // "-_8"
 * ```
 */
export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * base64url SHA-256 of a UTF-8 string.
 *
 * @example
 * ```ts
 * const secretHash = await sha256base64url(secret); // what the store keeps instead of the secret
 * ```
 */
export async function sha256base64url(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return base64url(new Uint8Array(digest));
}

/**
 * Compares two strings in time that depends only on their length.
 *
 * @example
 * ```ts
 * constantTimeEqual(await sha256base64url(presented), stored); // true or false, without a timing oracle
 * ```
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
