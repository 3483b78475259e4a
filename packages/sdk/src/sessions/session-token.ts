/**
 * Server-side session tokens: `<session id>.<secret>`, where the store keeps only the secret's
 * SHA-256. Shared by the engine and by apps that verify sessions against the store directly.
 */
import { constantTimeEqual, sha256base64url } from "../lib/crypto.js";

const SESSION_TOKEN = /^(sess_[A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/**
 * The parts of a session token of the right shape, or null.
 *
 * @example
 * ```ts
 * parseSessionToken("sess_AAAAAAAAAAAAAAAAAAAAAA.<43 base64url characters>"); // { sessionId, secret }
 * parseSessionToken("garbage"); // null
 * ```
 */
export function parseSessionToken(token: string): { sessionId: string; secret: string } | null {
  const match = SESSION_TOKEN.exec(token);
  return match ? { sessionId: match[1]!, secret: match[2]! } : null;
}

/** The fields of a stored session that decide whether a presented token is good. */
export interface SessionValidity {
  secretHash: string;
  expiresAt: number;
  idleExpiresAt: number;
}

/**
 * Whether the session is within both its absolute and idle lifetimes at `now` (ms).
 *
 * @example
 * ```ts
 * if (!isSessionLive(record, Date.now())) return null;
 * ```
 */
export function isSessionLive(session: Pick<SessionValidity, "expiresAt" | "idleExpiresAt">, now: number): boolean {
  return now < session.expiresAt && now < session.idleExpiresAt;
}

/**
 * Whether `secret` hashes to the stored `secretHash` (constant-time comparison).
 *
 * @example
 * ```ts
 * const ok = await sessionSecretMatches(parsed.secret, record.secretHash);
 * ```
 */
export async function sessionSecretMatches(secret: string, secretHash: string): Promise<boolean> {
  return constantTimeEqual(await sha256base64url(secret), secretHash);
}
