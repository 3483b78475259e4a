/**
 * `@gatehouse/sdk`: verify Gatehouse sessions and access tokens inside your app.
 */
export { verifyAccessToken } from "./tokens/verify-access-token.js";
export { parseSessionToken } from "./sessions/session-token.js";
export { isSessionLive } from "./sessions/session-token.js";
export { sessionSecretMatches } from "./sessions/session-token.js";
export { sha256base64url } from "./lib/crypto.js";
export { base64url } from "./lib/crypto.js";
export { constantTimeEqual } from "./lib/crypto.js";

export type {
  AccessTokenClaims,
  AccessTokenResult,
  TokenFailureReason,
  VerifyAccessTokenOptions,
} from "./tokens/verify-access-token.js";
export type { SessionValidity } from "./sessions/session-token.js";
