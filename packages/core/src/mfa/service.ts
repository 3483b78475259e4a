/**
 * Second factors: TOTP authenticators, text-message codes and backup codes, the challenges that
 * stand between a proven first factor and a session, and step-up verification on a live session.
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
 * - An SMS code is good for what it was sent for only: confirming the number from that session or
 *   enrolment challenge, that one sign-in challenge, or a step-up of that session (`sms.ts`).
 * - TOTP secrets and phone numbers are encrypted at rest (AES-256-GCM, purposes `totp-secrets`
 *   and `sms-phone-numbers`); backup codes and SMS codes are stored as HMACs. Without an
 *   encryption key there is no MFA (`not_available`), and requiring it is a configuration error.
 * - Backup codes come with the first factor (its confirmation answers 10 codes; a further
 *   factor's answers none and keeps them), work while any factor is on, and go with the last.
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
import type { SentSMSCode, SMSCodes } from "./sms.js";

/** How long a challenge can be completed. */
export const MFA_CHALLENGE_TTL_MS = 5 * 60 * 1000;
/** Code tries per challenge. */
export const MFA_CHALLENGE_MAX_ATTEMPTS = 5;
/** Code tries per account and window, across all challenges and step-ups. */
export const MFA_ACCOUNT_MAX_ATTEMPTS = 10;
/** The account-wide window. */
export const MFA_ACCOUNT_WINDOW_MS = 15 * 60 * 1000;

/** A factor that completes a challenge or a step-up. */
export type SecondFactorKind = "totp" | "backup_code" | "sms";

/** A factor that can be enrolled (backup codes come with the first one). */
export type EnrollableFactor = "totp" | "sms";

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
  /** `available`: an SMS provider is configured, so a number can be set up. */
  sms: { available: boolean; enabled: boolean; phoneNumberHint: string | null; confirmedAt: number | null };
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
  /** The text-message factor (available only with a provider). */
  sms: SMSCodes;
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
  /** Sends a code for a `needs_second_factor` challenge to the user's number. */
  sendSignInSMS(challenge: string, client: SignInClient): Promise<SentSMSCode>;
  /** With MFA required: stores the number of an enrolment challenge's user and sends a code to it. */
  startSMSEnrollmentForChallenge(challenge: string, phoneNumber: string, client: SignInClient): Promise<SentSMSCode>;
  /** With MFA required: confirms the number with its code and completes the enrolment challenge. */
  confirmSMSEnrollmentForChallenge(
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
  /** Removes the authenticator (and the backup codes if it was the last factor). Re-authentication is the caller's job. */
  disableTOTP(user: UserRecord, client: ClientDetails): Promise<void>;
  /**
   * Starts (or restarts) enrolling a phone number from the caller's session: sends a code.
   * @throws InvalidPhoneNumberError, MFAAlreadyEnabledError, NotAvailableError, RateLimitedError
   */
  startSMSEnrollment(caller: Caller, phoneNumber: string, client: ClientDetails): Promise<SentSMSCode>;
  /** Confirms the pending number with its code (also verifies the session); returns backup codes (empty unless first factor). */
  confirmSMSEnrollment(caller: Caller, code: string, client: ClientDetails): Promise<string[]>;
  /** Removes the number (and the backup codes if it was the last factor). Re-authentication is the caller's job. */
  disableSMS(user: UserRecord, client: ClientDetails): Promise<void>;
  /** Sends a code for a step-up of the caller's session. */
  sendStepUpSMS(caller: Caller, client: ClientDetails): Promise<SentSMSCode>;
  /** A new set of backup codes; the old set stops working. Re-authentication is the caller's job. */
  regenerateBackupCodes(user: UserRecord, client: ClientDetails): Promise<string[]>;
  /** Verifies a factor again on a live session and records it there (the `fva` claim). */
  stepUp(caller: Caller, input: { factor: SecondFactorKind; code: string }, client: ClientDetails): Promise<void>;
  /** Removes expired challenges. */
  sweep(): Promise<void>;
}

const NO_FACTOR = "No second factor is set up for this account.";
const CHALLENGE_FORMAT = /^(mfac_[A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** Creates the second-factor service. */
export function createMFAService(options: MFAServiceOptions): MFAService {
  const { store, users, sessions, events, clock, encrypter, mac, issuer, required, sms } = options;

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

  /** The user's confirmed factors (not backup codes). */
  async function enabledFactors(userId: string): Promise<EnrollableFactor[]> {
    const [totp, phone] = await Promise.all([store.getTOTP(userId), store.getSMS(userId)]);
    const factors: EnrollableFactor[] = [];
    if (totp?.confirmedAt != null) factors.push("totp");
    if (phone?.confirmedAt != null) factors.push("sms");
    return factors;
  }

  async function factorsOf(userId: string): Promise<SecondFactorKind[]> {
    const factors: SecondFactorKind[] = await enabledFactors(userId);
    if (factors.length > 0 && (await store.countUnusedBackupCodes(userId)) > 0) factors.push("backup_code");
    return factors;
  }

  /** The user's confirmed number, or an error that says there is none. */
  async function confirmedPhone(userId: string) {
    const factor = await store.getSMS(userId);
    if (factor?.confirmedAt == null) throw new MFANotEnabledError("No phone number is set up for this account.");
    return factor;
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

  /**
   * Checks a code of a confirmed factor and uses it up; an SMS code only if it was sent for
   * `smsPurpose`. Counted tries are the caller's job.
   */
  async function verifyFactor(
    user: UserRecord,
    factor: SecondFactorKind,
    code: string,
    smsPurpose: { purpose: "sign_in" | "step_up"; boundTo: string },
  ): Promise<boolean> {
    if (factor === "totp") {
      const secret = await decryptedSecret(user.id, { confirmed: true });
      if (secret === null) return false;
      const step = totpStepOf(secret, code.replace(/\s/g, ""), clock());
      return step !== null && (await store.useTOTPStep(user.id, step));
    }
    if (factor === "sms") {
      const phone = await store.getSMS(user.id);
      if (phone?.confirmedAt == null || !sms.available) return false;
      return sms.use(user, phone, smsPurpose.purpose, smsPurpose.boundTo, code);
    }
    // Backup codes only count while a factor is on: disabling the last one removes them.
    if (!looksLikeBackupCode(code) || (await enabledFactors(user.id)).length === 0) return false;
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

  /**
   * After a factor was confirmed: the backup codes (a new set when it is the first factor, none
   * otherwise: the set made with the first stays valid) and the event.
   */
  async function enabled(user: UserRecord, factor: EnrollableFactor, client: ClientDetails): Promise<string[]> {
    await store.resetMFAAttempts(user.id);
    const others = (await enabledFactors(user.id)).filter((other) => other !== factor);
    const backupCodes = others.length === 0 ? await newBackupCodes(user) : [];
    events.emit({
      type: "mfa.enabled",
      userId: user.id,
      ip: client.ip,
      userAgent: client.userAgent,
      data: { factor },
    });
    return backupCodes;
  }

  /** Confirms the pending authenticator with a proven step; returns the backup codes. */
  async function confirm(user: UserRecord, step: number, client: ClientDetails): Promise<string[]> {
    if (!(await store.confirmTOTP(user.id, step, clock()))) throw new MFAAlreadyEnabledError();
    return enabled(user, "totp", client);
  }

  /** Removes a factor: the backup codes go with the last one; a notice follows the event. */
  async function disabled(user: UserRecord, factor: EnrollableFactor, client: ClientDetails): Promise<void> {
    if ((await enabledFactors(user.id)).length === 0) await store.deleteBackupCodes(user.id);
    events.emit({
      type: "mfa.disabled",
      userId: user.id,
      ip: client.ip,
      userAgent: client.userAgent,
      data: { factor },
    });
  }

  /** The user's pending number and a counted try of its enrolment code, or an error. */
  async function pendingPhoneCode(
    user: UserRecord,
    code: string,
    boundTo: string,
    client: ClientDetails,
  ): Promise<string> {
    const phone = await store.getSMS(user.id);
    if (phone == null) throw new MFANotEnabledError("Send a code to a phone number first.");
    if (phone.confirmedAt !== null)
      throw new MFAAlreadyEnabledError("A phone number is already set up for this account.");
    await reserveAccountAttempt(user.id);
    if (!(await sms.use(user, phone, "enrollment", boundTo, code))) {
      failed(user, client, { factor: "sms", reason: "invalid_code", enrollment: true });
      throw new InvalidCodeError();
    }
    return phone.phoneNumberHash;
  }

  /** Confirms the pending number proven by a code; returns the backup codes. */
  async function confirmPhone(user: UserRecord, phoneNumberHash: string, client: ClientDetails): Promise<string[]> {
    if (!(await store.confirmSMS(user.id, phoneNumberHash, clock()))) {
      throw new MFAAlreadyEnabledError("A phone number is already set up for this account.");
    }
    return enabled(user, "sms", client);
  }

  function smsAvailable(): void {
    keys();
    if (!sms.available)
      throw new NotAvailableError("Text-message codes are not available: no SMS provider is configured.");
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
      const enrollable: SecondFactorKind[] = sms.available ? ["totp", "sms"] : ["totp"];
      return { status: "needs_second_factor_enrollment", user, challenge, factors: enrollable, expiresAt };
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
      const boundTo = `challenge:${record.id}`;
      if (!(await verifyFactor(user, input.factor, input.code, { purpose: "sign_in", boundTo }))) {
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

    async sendSignInSMS(challenge, client) {
      smsAvailable();
      const { record, user } = await presentedChallenge(challenge, "sign_in", client);
      return sms.send(user, await confirmedPhone(user.id), "sign_in", `challenge:${record.id}`, client);
    },

    async startSMSEnrollmentForChallenge(challenge, phoneNumber, client) {
      smsAvailable();
      const { record, user } = await presentedChallenge(challenge, "enrollment", client);
      const sent = await sms.startEnrollment(user, phoneNumber, `challenge:${record.id}`, client);
      if (sent === null) throw new MFAAlreadyEnabledError("A phone number is already set up for this account.");
      return sent;
    },

    async confirmSMSEnrollmentForChallenge(input, client) {
      smsAvailable();
      const { record, user } = await presentedChallenge(input.challenge, "enrollment", client);
      if (!(await store.reserveMFAChallengeAttempt(record.id, MFA_CHALLENGE_MAX_ATTEMPTS, clock()))) {
        throw new InvalidChallengeError();
      }
      const phoneNumberHash = await pendingPhoneCode(user, input.code, `challenge:${record.id}`, client);
      // Completed before the number is confirmed: of parallel confirmations only one signs in.
      if (!(await store.consumeMFAChallenge(record.id, clock()))) throw new InvalidChallengeError();
      const backupCodes = await confirmPhone(user, phoneNumberHash, client);
      return { completed: { user, method: record.method as SignInMethod, factor: "sms" }, backupCodes };
    },

    async status(user) {
      const [totp, phone] = await Promise.all([store.getTOTP(user.id), store.getSMS(user.id)]);
      const totpConfirmedAt = totp?.confirmedAt ?? null;
      const smsConfirmedAt = phone?.confirmedAt ?? null;
      const enabledAny = totpConfirmedAt !== null || smsConfirmedAt !== null;
      return {
        totp: { enabled: totpConfirmedAt !== null, confirmedAt: totpConfirmedAt },
        sms: {
          available: sms.available,
          enabled: smsConfirmedAt !== null,
          phoneNumberHint: phone && smsConfirmedAt !== null ? await sms.hint(phone) : null,
          confirmedAt: smsConfirmedAt,
        },
        backupCodes: { remaining: enabledAny ? await store.countUnusedBackupCodes(user.id) : 0 },
        enabled: enabledAny,
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
      await disabled(user, "totp", client);
    },

    async startSMSEnrollment({ user, session }, phoneNumber, client) {
      smsAvailable();
      const alreadyOn = new MFAAlreadyEnabledError("A phone number is already set up for this account.");
      if ((await store.getSMS(user.id))?.confirmedAt != null) throw alreadyOn;
      const sent = await sms.startEnrollment(user, phoneNumber, `session:${session.id}`, client);
      if (sent === null) throw alreadyOn;
      return sent;
    },

    async confirmSMSEnrollment({ user, session }, code, client) {
      smsAvailable();
      const phoneNumberHash = await pendingPhoneCode(user, code, `session:${session.id}`, client);
      const codes = await confirmPhone(user, phoneNumberHash, client);
      await sessions.markSecondFactorVerified(session, clock());
      return codes;
    },

    async disableSMS(user, client) {
      keys();
      await confirmedPhone(user.id);
      await store.deleteSMS(user.id);
      await disabled(user, "sms", client);
    },

    async sendStepUpSMS({ user, session }, client) {
      smsAvailable();
      return sms.send(user, await confirmedPhone(user.id), "step_up", `session:${session.id}`, client);
    },

    async regenerateBackupCodes(user, client) {
      keys();
      if ((await enabledFactors(user.id)).length === 0) throw new MFANotEnabledError(NO_FACTOR);
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
      if ((await factorsOf(user.id)).length === 0) throw new MFANotEnabledError(NO_FACTOR);
      await reserveAccountAttempt(user.id);
      const boundTo = `session:${session.id}`;
      if (!(await verifyFactor(user, input.factor, input.code, { purpose: "step_up", boundTo }))) {
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
      await store.deleteExpiredSMSCodes(clock());
    },
  };
}
