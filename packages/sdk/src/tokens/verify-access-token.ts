/**
 * Verification of Gatehouse access tokens (RFC 9068 JWTs), shared by the engine and the SDK.
 * Only the configured algorithms and the issuer's own keys are accepted: keys carried in the
 * token (`jwk`, `jku`, `x5u`, `x5c`) are refused outright, `alg: none` and HMAC are never
 * configured, and every failure is a reason, never an exception.
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";

/** The claims of a verified access token. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  /** The session the token belongs to. */
  sid: string;
  /**
   * Factor-verification age: `[first, second]`, the whole minutes between each factor's last
   * verification in the session and `iat`; `second` is `-1` when no second factor was verified in
   * the session. Read it with {@link secondFactorAgeSeconds}.
   */
  fva?: [number, number];
}

/** Why a token was refused. Stable; safe to log (never contains the token). */
export type TokenFailureReason =
  | "malformed"
  | "untrusted-header"
  | "algorithm-not-allowed"
  | "unknown-key"
  | "invalid-signature"
  | "wrong-type"
  | "wrong-issuer"
  | "wrong-audience"
  | "expired"
  | "not-yet-valid";

/** Options of {@link verifyAccessToken}. */
export interface VerifyAccessTokenOptions {
  /** Resolves the verification key from the header (a local key set, or jose's remote JWKS). */
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  /** Accepted `alg` values, e.g. `["EdDSA"]`. */
  algorithms: string[];
  /** Seconds a token's `iat`/`nbf` may lie in the future (clock skew). @default 60 */
  maxClockSkewSeconds?: number;
  /** @default new Date() */
  now?: Date;
  /**
   * Accept a token past its `exp` (everything else is still checked). Only for actions that
   * end a session, such as sign-out: an expired but authentic token still names its session.
   * @default false
   */
  acceptExpired?: boolean;
}

/** The result of {@link verifyAccessToken}. */
export type AccessTokenResult = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: TokenFailureReason };

/** Header parameters that would let a token choose its own key. */
const KEY_CARRYING_HEADERS = ["jwk", "jku", "x5u", "x5c"] as const;
/** Longest token worth parsing; Gatehouse's are well under 1 KiB. */
const MAX_TOKEN_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The `exp` claim read without verification, only to choose the verification instant. */
function expiryOf(token: string): number {
  try {
    const exp = (decodeJwt(token) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp : 0;
  } catch {
    return 0;
  }
}

function failure(reason: TokenFailureReason): AccessTokenResult {
  return { ok: false, reason };
}

function reasonFor(error: unknown): TokenFailureReason {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return "wrong-issuer";
    if (error.claim === "aud") return "wrong-audience";
    if (error.claim === "typ") return "wrong-type";
    if (error.claim === "nbf" || error.claim === "iat") return "not-yet-valid";
    return "malformed";
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "invalid-signature";
  if (error instanceof errors.JWKSNoMatchingKey) return "unknown-key";
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm-not-allowed";
  return "malformed";
}

/**
 * Verifies an access token and returns its claims, or why it was refused.
 *
 * @example
 * ```ts
 * const keys = createRemoteJWKSet(new URL("https://auth.example.com/.well-known/jwks.json"));
 * const result = await verifyAccessToken(token, {
 *   keys, issuer: "https://auth.example.com", audience: "https://auth.example.com", algorithms: ["EdDSA"],
 * });
 * if (result.ok) console.log(result.claims.sub);
 * ```
 */
export async function verifyAccessToken(token: string, options: VerifyAccessTokenOptions): Promise<AccessTokenResult> {
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return failure("malformed");
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    return failure("malformed");
  }
  if (KEY_CARRYING_HEADERS.some((name) => name in header)) return failure("untrusted-header");
  // Checked before any key is resolved, so `none`, HMAC or a downgrade never reaches a key.
  if (typeof header.alg !== "string" || !options.algorithms.includes(header.alg)) {
    return failure("algorithm-not-allowed");
  }
  const now = options.now ?? new Date();
  try {
    const { payload } = await jwtVerify(token, options.keys, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: options.algorithms,
      typ: "at+jwt",
      // An expired token is checked as of just before its expiry, so every other rule still holds.
      currentDate: options.acceptExpired ? new Date(Math.min(now.getTime(), expiryOf(token) * 1000 - 1000)) : now,
      // Skew is tolerated for "not yet valid" only; expiry is checked strictly below.
      clockTolerance: options.maxClockSkewSeconds ?? 60,
      requiredClaims: ["iss", "sub", "aud", "exp", "iat", "jti"],
    });
    const nowSeconds = Math.floor(now.getTime() / 1000);
    if (!options.acceptExpired && (payload.exp as number) <= nowSeconds) return failure("expired");
    if ((payload.iat as number) > nowSeconds + (options.maxClockSkewSeconds ?? 60)) return failure("not-yet-valid");
    if (typeof payload.sid !== "string" || typeof payload.sub !== "string" || typeof payload.jti !== "string") {
      return failure("malformed");
    }
    return { ok: true, claims: payload as AccessTokenClaims };
  } catch (error) {
    return failure(reasonFor(error));
  }
}
