/**
 * Second-factor helpers for tests: enable TOTP for a signed-in user over HTTP, compute codes at
 * the engine's frozen clock, and tell a challenge answer from a signed-in one.
 */
import { expect } from "vitest";
import { totpCode } from "../mfa/lib/totp.js";
import type { TestEngine } from "./engine.js";

/** A user whose authenticator app is set up. */
export interface TOTPUser {
  secret: string;
  backupCodes: string[];
}

/** Enrols and confirms an authenticator for the user signed in with `token` (cookie transport). */
export async function enableTOTP(engine: TestEngine, token: string): Promise<TOTPUser> {
  const started = await engine.request("POST", "/v1/mfa/totp", { cookie: token });
  expect(started.status).toBe(200);
  const { secret } = (await started.json()) as { secret: string };
  const confirmed = await engine.request("POST", "/v1/mfa/totp/confirm", {
    cookie: token,
    json: { code: totpCode(secret, engine.clock.now) },
  });
  expect(confirmed.status).toBe(200);
  const { backup_codes: backupCodes } = (await confirmed.json()) as { backup_codes: string[] };
  // The code just used cannot be used again: later steps start one step on.
  engine.clock.now += 30_000;
  return { secret, backupCodes };
}

/** The current TOTP code at the engine's clock. */
export function currentCode(engine: TestEngine, secret: string): string {
  return totpCode(secret, engine.clock.now);
}

/**
 * Asserts a response is a second-factor challenge and nothing usable: no `Set-Cookie` at all, no
 * token member. Returns the challenge.
 */
export async function expectChallengeOnly(response: Response, status = "needs_second_factor"): Promise<string> {
  expect(response.status).toBeLessThan(300);
  expect(response.headers.getSetCookie()).toEqual([]);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body.status).toBe(status);
  for (const member of ["access_token", "refresh_token", "session_id", "session", "token", "user", "id_token"]) {
    expect(body).not.toHaveProperty(member);
  }
  expect(Object.keys(body).sort()).toEqual(["challenge", "expires_in", "factors", "status"]);
  expect(body.challenge).toMatch(/^mfac_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
  return body.challenge as string;
}
