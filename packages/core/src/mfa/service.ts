/**
 * Second factors: TOTP authenticators and backup codes, the challenges that stand between a
 * proven first factor and a session, and step-up verification on a live session.
 *
 * Rules kept here, each with a test:
 * - A user with a confirmed factor (or anyone, when MFA is required) gets a challenge instead of
 *   a session. The challenge is `<id>.<secret>` with a 256-bit secret stored as a SHA-256 hash,
 *   bound to the user, the first-factor method and the client (transport and user agent), valid
 *   for 5 minutes, at most 5 code tries, completed once (an atomic conditional update).
 * - Every code try is counted before the code is checked, on the challenge and on the account
 *   (10 tries per 15 minutes across every challenge and step-up): atomic counters in the store,
 *   so parallel guesses cannot exceed either cap. A correct code clears the account's count.
 * - A TOTP code is accepted for the current step ±1, once: the newest step used is stored and a
 *   code of that step or an older one is refused (atomically, so two parallel uses of one code
 *   cannot both pass).
 * - TOTP secrets are encrypted at rest (AES-256-GCM, purpose `totp-secrets`); backup codes are
 *   stored as HMACs (purpose `backup-codes`). Without an encryption key there is no MFA
 *   (`not_available`), and requiring it is a configuration error.
 *
 * This service never creates a session: `AccountService` does, through the sign-in seam, once a
 * challenge here is completed.
 */
import type { SignInClient, SignInMethod } from "../accounts/service.js";
import type { EventBus } from "../events/bus.js";
import {
  InvalidChallengeError,
  InvalidCodeError,
  MFAAlreadyEnabledError,
  MFANotEnabledError,
  NotAvailableError,
  RateLimitedError,
} from "../errors/index.js";
import type { Caller } from "../http/route.js";
import { base64url, constantTimeEqual, randomBytes, randomId, sha256base64url } from "../lib/encoding.js";
import type { Encrypter, MAC } from "../lib/encryption.js";
import type { ClientDetails, SessionService } from "../sessions/service.js";
import type { MFAChallengePurpose, MFAChallengeRecord, MFAStore, UserRecord, UserStore } from "../storage/ports.js";
import { hashBackupCode, looksLikeBackupCode, newBackupCodeSet } from "./lib/backup-codes.js";
import { newTOTPSecret, qrSVG, totpStepOf, totpURL } from "./lib/totp.js";

/** How long a challenge can be completed. */
export const MFA_CHALLENGE_TTL_MS = 5 * 60 * 1000;
/** Code tries per challenge. */
export const MFA_CHALLENGE_MAX_ATTEMPTS = 5;
/** Code tries per account and window, across all challenges and step-ups. */
export const MFA_ACCOUNT_MAX_ATTEMPTS = 10;
/** The account-wide window. */
export const MFA_ACCOUNT_WINDOW_MS = 15 * 60 * 1000;

/** A factor that completes a challenge or a step-up. */
export type SecondFactorKind = "totp" | "backup_code";

/** The answer to a first step that needs a second one; carries nothing usable as a session. */
export interface PendingSecondFactor {
  /** `needs_second_factor`: complete with an enrolled factor. `needs_second_factor_enrollment`: MFA is required and the user must enrol first. */
  status: "needs_second_factor" | "needs_second_factor_enrollment";
  user: UserRecord;
  /** `<id>.<secret>`, for `POST /v1/sign-in/second-factor` (or the enrolment endpoints). */
  challenge: string;
  /** Factors that can complete it (or, for enrolment, that can be enrolled). */
  factors: SecondFactorKind[];
  expiresAt: number;
}

/** What enrolling an authenticator shows the user once. */
export interface TOTPEnrollment {
  /** The base32 secret, for typing in by hand. */
  secret: string;
  otpauthURL: string;
  /** The otpauth URL as a QR code (SVG document). */
  qrSVG: string;
}

/** A completed challenge: who proved a second factor, after which first factor. */
export interface CompletedChallenge {
  user: UserRecord;
  method: SignInMethod;
  factor: SecondFactorKind;
}

/** The user's second factors, as `GET /v1/mfa` shows them. */
export interface MFAStatus {
  totp: { enabled: boolean; confirmedAt: number | null };
  backupCodes: { remaining: number };
  /** Whether sign-in asks for a second factor. */
  enabled: boolean;
  /** Whether the engine requires every user to have one (`GATEHOUSE_REQUIRE_MFA`). */
  required: boolean;
}

/** Options of {@link createMFAService}. */
export interface MFAServiceOptions {
  store: MFAStore;
  users: UserStore;
  sessions: SessionService;
  events: EventBus;
  clock: () => number;
  /** Encrypts TOTP secrets; null when the engine has no encryption key (then MFA is not available). */
  encrypter: Encrypter | null;
  /** Keys backup-code hashes; null like `encrypter`. */
  mac: MAC | null;
  /** The issuer authenticator apps show (the app name). */
  issuer: string;
  /** Every user must have a second factor (`GATEHOUSE_REQUIRE_MFA`). */
  required: boolean;
}

/** Second factors and their challenges. */
export interface MFAService {
  /**
   * The second step a sign-in needs, or null when it can complete now. Called by the sign-in seam
   * after the first factor was proven.
   */
  challengeFor(user: UserRecord, client: SignInClient, method: SignInMethod): Promise<PendingSecondFactor | null>;
  /**
   * Checks a `needs_second_factor` challenge and a code of one of the user's factors.
   * @throws InvalidChallengeError, InvalidCodeError, RateLimitedError
   */
  completeChallenge(
    input: { challenge: string; factor: SecondFactorKind; code: string },
    client: SignInClient,
  ): Promise<CompletedChallenge>;
  /** With MFA required: starts enrolling an authenticator for the user of an enrolment challenge. */
  startEnrollmentForChallenge(challenge: string, client: SignInClient): Promise<TOTPEnrollment>;
  /**
   * With MFA required: confirms the authenticator with a code and completes the enrolment
   * challenge; returns the new backup codes with the user to sign in.
   */
  confirmEnrollmentForChallenge(
    input: { challenge: string; code: string },
    client: SignInClient,
  ): Promise<{ completed: CompletedChallenge; backupCodes: string[] }>;
  status(user: UserRecord): Promise<MFAStatus>;
  /** Starts (or restarts) enrolling an authenticator. @throws MFAAlreadyEnabledError, NotAvailableError */
  startTOTPEnrollment(user: UserRecord): Promise<TOTPEnrollment>;
  /**
   * Confirms the caller's pending authenticator (the code also counts as a second-factor
   * verification of the caller's session); returns the backup codes (shown once).
   */
  confirmTOTPEnrollment(caller: Caller, code: string, client: ClientDetails): Promise<string[]>;
  /** Removes the authenticator and the backup codes. Re-authentication is the caller's job. */
  disableTOTP(user: UserRecord, client: ClientDetails): Promise<void>;
  /** A new set of backup codes; the old set stops working. Re-authentication is the caller's job. */
  regenerateBackupCodes(user: UserRecord, client: ClientDetails): Promise<string[]>;
  /** Verifies a factor again on a live session and records it there (the `fva` claim). */
  stepUp(caller: Caller, input: { factor: SecondFactorKind; code: string }, client: ClientDetails): Promise<void>;
  /** Removes expired challenges. */
  sweep(): Promise<void>;
}

const CHALLENGE_FORMAT = /^(mfac_[A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** Creates the second-factor service. */
export function createMFAService(options: MFAServiceOptions): MFAService {
  const { store, users, sessions, events, clock, encrypter, mac, issuer, required } = options;

  function keys(): { encrypter: Encrypter; mac: MAC } {
    if (!encrypter || !mac) {
      throw new NotAvailableError(
        "Second factors need the engine's encryption key (GATEHOUSE_ENCRYPTION_KEY) to protect their secrets.",
      );
    }
    return { encrypter, mac };
  }

  const clientHashOf = (client: SignInClient): Promise<string> =>
    sha256base64url(`mfa-client.${client.transport}.${client.userAgent ?? ""}`);

  async function factorsOf(userId: string): Promise<SecondFactorKind[]> {
    const totp = await store.getTOTP(userId);
    if (totp?.confirmedAt == null) return [];
    const factors: SecondFactorKind[] = ["totp"];
    if ((await store.countUnusedBackupCodes(userId)) > 0) factors.push("backup_code");
    return factors;
  }

  async function issueChallenge(
    user: UserRecord,
    client: SignInClient,
    method: SignInMethod,
    purpose: MFAChallengePurpose,
  ): Promise<{ challenge: string; expiresAt: number }> {
    const secret = base64url(randomBytes(32));
    const now = clock();
    const record: MFAChallengeRecord = {
      id: randomId("mfac"),
      userId: user.id,
      purpose,
      secretHash: await sha256base64url(secret),
      method,
      clientHash: await clientHashOf(client),
      attempts: 0,
      createdAt: now,
      expiresAt: now + MFA_CHALLENGE_TTL_MS,
      usedAt: null,
    };
    await store.createMFAChallenge(record);
    return { challenge: `${record.id}.${secret}`, expiresAt: record.expiresAt };
  }

  /** The live challenge a client presents, for the expected purpose; the same error for every failure. */
  async function presentedChallenge(
    value: string,
    purpose: MFAChallengePurpose,
    client: SignInClient,
  ): Promise<{ record: MFAChallengeRecord; user: UserRecord }> {
    const match = CHALLENGE_FORMAT.exec(value);
    if (!match) throw new InvalidChallengeError();
    const [, id, secret] = match as unknown as [string, string, string];
    const record = await store.getMFAChallenge(id);
    if (
      !record ||
      !constantTimeEqual(await sha256base64url(secret), record.secretHash) ||
      record.purpose !== purpose ||
      record.usedAt !== null ||
      record.expiresAt <= clock() ||
      !constantTimeEqual(await clientHashOf(client), record.clientHash)
    ) {
      throw new InvalidChallengeError();
    }
    const user = await users.getUserById(record.userId);
    if (!user) throw new InvalidChallengeError();
    return { record, user };
  }

  /** Counts one try against the account; refuses over the cap. */
  async function reserveAccountAttempt(userId: string): Promise<void> {
    const now = clock();
    const reserved = await store.reserveMFAAttempt(userId, MFA_ACCOUNT_MAX_ATTEMPTS, MFA_ACCOUNT_WINDOW_MS, now);
    if (!reserved.allowed) throw new RateLimitedError((reserved.windowEndsAt - now) / 1000);
  }

  async function decryptedSecret(userId: string, options: { confirmed: boolean }): Promise<string | null> {
    const totp = await store.getTOTP(userId);
    if (!totp || (totp.confirmedAt !== null) !== options.confirmed) return null;
    return keys().encrypter.decrypt(totp.encryptedSecret);
  }

  /** Checks a code of a confirmed factor and uses it up. Counted tries are the caller's job. */
  async function verifyFactor(user: UserRecord, factor: SecondFactorKind, code: string): Promise<boolean> {
    if (factor === "totp") {
      const secret = await decryptedSecret(user.id, { confirmed: true });
      if (secret === null) return false;
      const step = totpStepOf(secret, code.replace(/\s/g, ""), clock());
      return step !== null && (await store.useTOTPStep(user.id, step));
    }
    // Backup codes only count while an authenticator is set up: disabling removes both.
    if (!looksLikeBackupCode(code) || (await store.getTOTP(user.id))?.confirmedAt == null) return false;
    return store.useBackupCode(user.id, await hashBackupCode(keys().mac, user.id, code), clock());
  }

  function failed(user: UserRecord, client: ClientDetails, data: Record<string, unknown>): void {
    events.emit({ type: "mfa.challenge_failed", userId: user.id, ip: client.ip, userAgent: client.userAgent, data });
  }

  async function newBackupCodes(user: UserRecord): Promise<string[]> {
    const { codes, records } = await newBackupCodeSet(keys().mac, user.id, clock());
    await store.replaceBackupCodes(user.id, records);
    return codes;
  }

  async function enrollment(user: UserRecord): Promise<TOTPEnrollment> {
    const { encrypter: secrets } = keys();
    const existing = await store.getTOTP(user.id);
    if (existing?.confirmedAt != null) throw new MFAAlreadyEnabledError();
    const secret = newTOTPSecret();
    const saved = await store.savePendingTOTP({
      userId: user.id,
      encryptedSecret: await secrets.encrypt(secret),
      createdAt: clock(),
      confirmedAt: null,
      lastUsedStep: null,
    });
    if (!saved) throw new MFAAlreadyEnabledError();
    const otpauthURL = totpURL(secret, issuer, user.email);
    return { secret, otpauthURL, qrSVG: qrSVG(otpauthURL) };
  }

  /** The time step of a code of the user's pending authenticator (a counted try), or an error. */
  async function pendingStep(user: UserRecord, code: string, client: ClientDetails): Promise<number> {
    keys();
    const secret = await decryptedSecret(user.id, { confirmed: false });
    if (secret === null) {
      if ((await store.getTOTP(user.id))?.confirmedAt != null) throw new MFAAlreadyEnabledError();
      throw new MFANotEnabledError("Start setting up an authenticator app first.");
    }
    await reserveAccountAttempt(user.id);
    const step = totpStepOf(secret, code.replace(/\s/g, ""), clock());
    if (step === null) {
      failed(user, client, { factor: "totp", reason: "invalid_code", enrollment: true });
      throw new InvalidCodeError();
    }
    return step;
  }

  /** Confirms the pending authenticator with a proven step; returns the backup codes. */
  async function confirm(user: UserRecord, step: number, client: ClientDetails): Promise<string[]> {
    if (!(await store.confirmTOTP(user.id, step, clock()))) throw new MFAAlreadyEnabledError();
    await store.resetMFAAttempts(user.id);
    const backupCodes = await newBackupCodes(user);
    events.emit({
      type: "mfa.enabled",
      userId: user.id,
      ip: client.ip,
      userAgent: client.userAgent,
      data: { factor: "totp" },
    });
    return backupCodes;
  }

  return {
    async challengeFor(user, client, method) {
      const factors = await factorsOf(user.id);
      if (factors.length > 0) {
        const { challenge, expiresAt } = await issueChallenge(user, client, method, "sign_in");
        return { status: "needs_second_factor", user, challenge, factors, expiresAt };
      }
      if (!required) return null;
      const { challenge, expiresAt } = await issueChallenge(user, client, method, "enrollment");
      return { status: "needs_second_factor_enrollment", user, challenge, factors: ["totp"], expiresAt };
    },

    async completeChallenge(input, client) {
      const { record, user } = await presentedChallenge(input.challenge, "sign_in", client);
      // Both caps are counted before the code is looked at, so parallel guesses cannot overrun them.
      if (!(await store.reserveMFAChallengeAttempt(record.id, MFA_CHALLENGE_MAX_ATTEMPTS, clock()))) {
        failed(user, client, { factor: input.factor, reason: "too_many_attempts" });
        throw new InvalidChallengeError();
      }
      try {
        await reserveAccountAttempt(user.id);
      } catch (error) {
        failed(user, client, { factor: input.factor, reason: "rate_limited" });
        throw error;
      }
      if (!(await verifyFactor(user, input.factor, input.code))) {
        failed(user, client, { factor: input.factor, reason: "invalid_code" });
        throw new InvalidCodeError();
      }
      // Right code: the challenge is completed at most once, whoever else holds it.
      if (!(await store.consumeMFAChallenge(record.id, clock()))) throw new InvalidChallengeError();
      await store.resetMFAAttempts(user.id);
      return { user, method: record.method as SignInMethod, factor: input.factor };
    },

    async startEnrollmentForChallenge(challenge, client) {
      keys();
      const { user } = await presentedChallenge(challenge, "enrollment", client);
      return enrollment(user);
    },

    async confirmEnrollmentForChallenge(input, client) {
      keys();
      const { record, user } = await presentedChallenge(input.challenge, "enrollment", client);
      if (!(await store.reserveMFAChallengeAttempt(record.id, MFA_CHALLENGE_MAX_ATTEMPTS, clock()))) {
        throw new InvalidChallengeError();
      }
      const step = await pendingStep(user, input.code, client);
      // Completed before the factor is confirmed: of parallel confirmations only one signs in.
      if (!(await store.consumeMFAChallenge(record.id, clock()))) throw new InvalidChallengeError();
      const backupCodes = await confirm(user, step, client);
      return { completed: { user, method: record.method as SignInMethod, factor: "totp" }, backupCodes };
    },

    async status(user) {
      const totp = await store.getTOTP(user.id);
      const confirmedAt = totp?.confirmedAt ?? null;
      return {
        totp: { enabled: confirmedAt !== null, confirmedAt },
        backupCodes: { remaining: confirmedAt === null ? 0 : await store.countUnusedBackupCodes(user.id) },
        enabled: confirmedAt !== null,
        required,
      };
    },

    startTOTPEnrollment: enrollment,
    async confirmTOTPEnrollment({ user, session }, code, client) {
      const codes = await confirm(user, await pendingStep(user, code, client), client);
      await sessions.markSecondFactorVerified(session, clock());
      return codes;
    },

    async disableTOTP(user, client) {
      keys();
      if ((await store.getTOTP(user.id))?.confirmedAt == null) throw new MFANotEnabledError();
      await store.deleteTOTP(user.id);
      await store.deleteBackupCodes(user.id);
      events.emit({
        type: "mfa.disabled",
        userId: user.id,
        ip: client.ip,
        userAgent: client.userAgent,
        data: { factor: "totp" },
      });
    },

    async regenerateBackupCodes(user, client) {
      keys();
      if ((await store.getTOTP(user.id))?.confirmedAt == null) throw new MFANotEnabledError();
      const codes = await newBackupCodes(user);
      events.emit({
        type: "mfa.backup_codes_regenerated",
        userId: user.id,
        ip: client.ip,
        userAgent: client.userAgent,
      });
      return codes;
    },

    async stepUp(caller, input, client) {
      keys();
      const { user, session } = caller;
      if ((await factorsOf(user.id)).length === 0) throw new MFANotEnabledError();
      await reserveAccountAttempt(user.id);
      if (!(await verifyFactor(user, input.factor, input.code))) {
        failed(user, client, { factor: input.factor, reason: "invalid_code", step_up: true });
        throw new InvalidCodeError();
      }
      await store.resetMFAAttempts(user.id);
      await sessions.markSecondFactorVerified(session, clock());
      events.emit({
        type: "mfa.step_up",
        userId: user.id,
        sessionId: session.id,
        ip: client.ip,
        userAgent: client.userAgent,
        data: { factor: input.factor },
      });
    },

    async sweep() {
      await store.deleteExpiredMFAChallenges(clock());
    },
  };
}
