/**
 * The few cryptographic helpers the SDK and the engine share, on Web Crypto, except that SHA-256
 * uses Node's synchronous hash where there is one (see {@link sha256base64url}).
 */

/** The part of `node:crypto` used here. */
export interface NodeHashing {
  /** One-shot digest (Node 20.12 and 21.7 on); runtimes that mimic node:crypto may lack it. */
  hash?(algorithm: "sha256", data: string, encoding: "base64url"): string;
  createHash(algorithm: "sha256"): { update(data: string): { digest(encoding: "base64url"): string } };
}

// Looked up at run time, not imported, so the SDK still loads where there is no node:crypto
// (edge runtimes); `process.getBuiltinModule` exists from Node 20.16.
const nodeHashing = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.("node:crypto") as NodeHashing | undefined;

/**
 * SHA-256 in base64url with the given node:crypto, or undefined without one. The one-shot `hash`
 * builds no `Hash` object: about 250 ns against 650 ns for `createHash(…).update(…).digest(…)` on
 * a session token's secret (Node 20), and every session check hashes one. Exported for tests.
 *
 * @example
 * ```ts
 * nodeSHA256Of(process.getBuiltinModule("node:crypto"))?.("abc"); // "ungWv48B…"
 * ```
 */
export function nodeSHA256Of(hashing: NodeHashing | undefined): ((value: string) => string) | undefined {
  if (!hashing) return undefined;
  const { hash } = hashing;
  if (typeof hash === "function") return (value) => hash.call(hashing, "sha256", value, "base64url");
  return (value) => hashing.createHash("sha256").update(value).digest("base64url");
}
const nodeSHA256 = nodeSHA256Of(nodeHashing);

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
 * On Node the digest is computed synchronously with `node:crypto`. Web Crypto's `digest` runs on
 * libuv's thread pool: every session check paid a thread hop, and during a sign-in storm, when
 * Argon2id keeps every pool thread busy, session checks queued behind the hashes (the bench's
 * authenticated GET p99 went from milliseconds to a second). Elsewhere, Web Crypto.
 *
 * @example
 * ```ts
 * const secretHash = await sha256base64url(secret); // what the store keeps instead of the secret
 * ```
 */
export async function sha256base64url(value: string): Promise<string> {
  if (nodeSHA256) return nodeSHA256(value);
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
