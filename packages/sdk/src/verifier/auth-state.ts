/**
 * What `authenticateRequest` answers. "Not signed in" is a state with a stable reason, never
 * an exception: an app branches on it, and a framework adapter turns it into a 401.
 */
import type { AccessTokenClaims, TokenFailureReason } from "../tokens/verify-access-token.js";

/**
 * Why a request is not signed in. Stable; safe to log and to show to the client.
 * - `no-credential`: no `Authorization: Bearer` header and no Gatehouse cookie (an
 *   `Authorization` header of another scheme counts as none, and rules out cookies).
 * - `invalid`: a credential that is not one Gatehouse issued for this app: malformed, forged,
 *   wrong `typ`/`iss`/`aud`, a refused algorithm or header, an unknown key; see `detail`.
 * - `expired`: an access token past its `exp`. From a cookie, on GET/HEAD, `refreshURL` is set.
 * - `revoked`: the token's session was revoked (sign-out, revoke, reuse detection), as the
 *   revocation feed announced.
 * - `feed-unavailable`: the revocation feed has been out of sync for longer than
 *   `maxFeedOutageSeconds` and the policy is `fail-closed`.
 * - `session-ended`: a session token whose session is unknown, expired or deleted.
 * - `unavailable`: the verifier could not ask what it needed (the JWKS, the session store or
 *   the server's `/v1/session`); not the user's fault, and worth a retry.
 */
export type SignedOutReason =
  "no-credential" | "invalid" | "expired" | "revoked" | "feed-unavailable" | "session-ended" | "unavailable";

/** A request that carries a valid access token (`jwt` and `hybrid` strategies). */
export interface SignedInWithAccessToken {
  status: "signed-in";
  /** `sub`: the user's id, `user_…`. */
  userId: string;
  /** `sid`: the session the token belongs to, `sess_…`. */
  sessionId: string;
  credential: "access-token";
  /** The verified claims, frozen (they are shared by every request presenting the same token). */
  claims: Readonly<AccessTokenClaims>;
}

/** A request that carries a valid session token (`session` strategy). */
export interface SignedInWithSession {
  status: "signed-in";
  userId: string;
  sessionId: string;
  credential: "session";
  /** Session tokens are opaque: there are no claims. */
  claims: null;
}

/** A request that is not signed in, and why. */
export interface SignedOutState {
  status: "signed-out";
  reason: SignedOutReason;
  /** With `invalid`: which rule the token broke (for logs and debugging). */
  detail?: TokenFailureReason;
  /**
   * With `expired`, for a GET or HEAD request that presented the access cookie: where to
   * redirect the browser for a fresh token (`{url}/v1/token/refresh?redirect_url=…`). The
   * server refreshes with the browser's refresh cookie and redirects back to this page. Other
   * methods get none: a redirect would turn them into a GET and drop their body.
   */
  refreshURL?: string;
}

/** A signed-in request. */
export type SignedInState = SignedInWithAccessToken | SignedInWithSession;

/** The answer of `authenticateRequest`. */
export type AuthState = SignedInState | SignedOutState;
