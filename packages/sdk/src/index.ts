/**
 * `@gatehouse/sdk`: verify Gatehouse sessions and access tokens inside your app.
 * `createVerifier` is the entry point; the lower-level pieces below it are exported for the
 * engine, which shares them, and for apps with needs of their own. Framework adapters live in
 * the subpaths `/express`, `/hono`, `/fastify` and `/next`.
 */
export { createVerifier } from "./verifier/create-verifier.js";
export { verifyAccessToken } from "./tokens/verify-access-token.js";
export { verifyWebhook } from "./webhooks.js";
export { secondFactorAgeSeconds } from "./tokens/factor-age.js";
export { parseSessionToken } from "./sessions/session-token.js";
export { isSessionLive } from "./sessions/session-token.js";
export { sessionSecretMatches } from "./sessions/session-token.js";
export { sha256base64url } from "./lib/crypto.js";
export { base64url } from "./lib/crypto.js";
export { constantTimeEqual } from "./lib/crypto.js";
export { GatehouseSDKError } from "./errors/index.js";
export { ConfigurationError } from "./errors/index.js";

export type {
  AuthState,
  SignedInState,
  SignedInWithAccessToken,
  SignedInWithSession,
  SignedOutReason,
  SignedOutState,
} from "./verifier/auth-state.js";
export type {
  FeedOptions,
  FeedOutagePolicy,
  RequestLike,
  Verifier,
  VerifierOptions,
} from "./verifier/create-verifier.js";
export type { HeaderReader } from "./verifier/credentials.js";
export type { FeedState, FeedStatus } from "./revocations/follower.js";
export type { RevocationRecord, RevocationSource } from "./revocations/connection.js";
export type { SessionSource, StoredSession } from "./sessions/session-check.js";
export type { LogMethod, VerifierLogger } from "./lib/logger.js";
export type { SDKErrorCode } from "./errors/index.js";
export type {
  AccessTokenClaims,
  AccessTokenResult,
  TokenFailureReason,
  VerifyAccessTokenOptions,
} from "./tokens/verify-access-token.js";
export type { SessionValidity } from "./sessions/session-token.js";
export type {
  RawWebhookRequest,
  VerifiedWebhook,
  VerifyWebhookOptions,
  WebhookFailureReason,
  WebhookHeaders,
  WebhookPayload,
  WebhookVerificationResult,
} from "./webhooks.js";
