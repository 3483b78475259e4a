/**
 * Step-up checks on access tokens: how long ago the session last verified a second factor, from
 * the `fva` claim, so an app can demand a recent one before a sensitive action.
 */
import type { AccessTokenClaims } from "./verify-access-token.js";

/**
 * Seconds since the token's session last verified a second factor (at sign-in or a step-up), as
 * of `now`, or null when it never did (or the token has no `fva`). Minute precision: the claim
 * counts whole minutes at `iat`.
 *
 * @example
 * ```ts
 * const state = await verifier.authenticateRequest(request);
 * const age = state.status === "signed-in" && state.claims ? secondFactorAgeSeconds(state.claims) : null;
 * if (age === null || age > 10 * 60) return new Response("Verify your second factor again", { status: 403 });
 * ```
 */
export function secondFactorAgeSeconds(
  claims: Pick<AccessTokenClaims, "fva" | "iat">,
  now: Date = new Date(),
): number | null {
  const fva = claims.fva;
  if (!Array.isArray(fva) || typeof fva[1] !== "number" || !Number.isInteger(fva[1]) || fva[1] < 0) return null;
  return fva[1] * 60 + Math.max(0, Math.floor(now.getTime() / 1000) - claims.iat);
}
