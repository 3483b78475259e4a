/**
 * Password accounts: sign-up and sign-in. Sign-in answers an unknown email exactly like a
 * wrong password, in status, body and time: both paths run one Argon2id verification.
 *
 * `completeSignIn` is the one place a user becomes signed in, whatever proved who they are
 * (password, magic link, email code): it applies the sign-in policy (bans, email verification,
 * second factors), creates the session, recognises the device and announces the sign-in. When a
 * second factor is due it answers with a challenge instead, and the session is only created by
 * `completeSecondFactor` (or `completeEnrollment`) once the challenge is met. No other code
 * creates a session for a sign-in.
 */
import type { Observer } from "../config.js";
import type { EventBus } from "../events/bus.js";
import {
  ReauthenticationRequiredError,
  EmailNotVerifiedError,
  EmailTakenError,
  GatehouseError,
  InvalidCredentialsError,
  UserBannedError,
} from "../errors/index.js";
import type { Caller, Transport } from "../http/route.js";
import type { EnrollableFactor, MFAService, PendingSecondFactor, SecondFactorKind } from "../mfa/service.js";
import { randomId } from "../lib/encoding.js";
import type { PasswordHasher } from "../passwords/hasher.js";
import { checkNewPassword, exceedsPasswordCap, normalizePassword } from "../passwords/policy.js";
import type { ClientDetails, IssuedSession, SessionService } from "../sessions/service.js";
import type { DeviceRecognition, KnownDeviceStore, UserRecord, UserStore } from "../storage/ports.js";
import type { Throttle } from "../throttle/throttle.js";
import { DEVICE_MEMORY_SECONDS, deviceKeyOf } from "./devices.js";
import { normalizeEmail } from "./schema.js";

/** How the user proved who they are. */
export type SignInMethod = "password" | "magic_link" | "email_code" | "passkey";

/**
 * Methods that prove two factors at once: a passkey with user verification is something the user
 * has (the authenticator) and is or knows (biometric or PIN). They never get a second-factor
 * challenge, and their session counts as second-factor verified from the start (`fva`).
 */
const MULTI_FACTOR_METHODS: ReadonlySet<SignInMethod> = new Set(["passkey"]);

/** The client signing in: where from, how it holds credentials, and its device cookie. */
export interface SignInClient extends ClientDetails {
  transport: Transport;
  /** The device cookie the request presented (cookie transport only), or null. */
  deviceToken: string | null;
}

/** A signed-in user and the new session. */
export interface SignedIn {
  user: UserRecord;
  issued: IssuedSession;
  /** Device cookie value to set on the response (cookie transport), or null. */
  deviceToken: string | null;
}

/** What a first step yields: a session, or a second-factor challenge and nothing usable. */
export type SignInResult = SignedIn | PendingSecondFactor;

/** Whether a sign-in result is a pending second factor rather than a session. */
export function isPendingSecondFactor(result: SignInResult): result is PendingSecondFactor {
  return "challenge" in result;
}

/**
 * A new account; `issued` is null when sign-in waits for email verification or (with MFA
 * required) for enrolment, in which case `pending` holds the enrolment challenge.
 */
export interface SignedUp {
  user: UserRecord;
  issued: IssuedSession | null;
  deviceToken: string | null;
  pending: PendingSecondFactor | null;
}

/**
 * How recently a session must have signed in to make a sensitive change (password, address,
 * second factors) without the current password.
 */
export const FRESH_SESSION_MS = 10 * 60 * 1000;

/** Sign-up and sign-in. */
export interface AccountService {
  signUp(
    input: { email: string; password: string; name?: string | undefined },
    client: SignInClient,
  ): Promise<SignedUp>;
  signIn(input: { email: string; password: string }, client: SignInClient): Promise<SignInResult>;
  /**
   * The one sign-in seam: every way of proving identity ends here. Refuses a banned user
   * (`user_banned`), and with `email_not_verified` while verification is required and missing;
   * answers a second-factor challenge (and creates nothing usable) when the user has a second
   * factor or MFA is required, unless the method proved two factors itself (a passkey: then the
   * session is second-factor verified now); otherwise creates the session, recognises the device
   * and emits `sign_in.succeeded` (with `new_device`).
   */
  completeSignIn(user: UserRecord, client: SignInClient, method: SignInMethod): Promise<SignInResult>;
  /** Completes a `needs_second_factor` challenge with a code and signs in with a fresh session. */
  completeSecondFactor(
    input: { challenge: string; factor: SecondFactorKind; code: string },
    client: SignInClient,
  ): Promise<SignedIn>;
  /**
   * Completes a `needs_second_factor_enrollment` challenge: confirms the factor (authenticator
   * or phone number) enrolled with it and signs in with a fresh session; returns the backup codes to show once.
   */
  completeEnrollment(
    input: { challenge: string; code: string; factor: EnrollableFactor },
    client: SignInClient,
  ): Promise<SignedIn & { backupCodes: string[] }>;
  /**
   * Passes when `currentPassword` is the caller's password (a counted guess, like a sign-in), or,
   * without one, when the session signed in within {@link FRESH_SESSION_MS}.
   * @throws ReauthenticationRequiredError
   */
  requireReauthentication(caller: Caller, currentPassword: string | undefined, client: ClientDetails): Promise<void>;
  /**
   * Whether `password` is the user's password, at the cost of one Argon2id verification either
   * way (also for users without one). Upgrades an outdated hash on success.
   */
  checkPassword(user: UserRecord, password: string): Promise<boolean>;
}

/** Options of {@link createAccountService}. */
export interface AccountServiceOptions {
  users: UserStore & KnownDeviceStore;
  sessions: SessionService;
  hasher: PasswordHasher;
  throttle: Throttle;
  events: EventBus;
  observer: Observer;
  clock: () => number;
  /**
   * A real hash of a random password with the current parameters, verified against when the
   * account does not exist so both answers cost the same.
   */
  dummyHash: string;
  /** Sign-in waits until the address is verified (`GATEHOUSE_REQUIRE_EMAIL_VERIFICATION`). */
  requireEmailVerification: boolean;
  /** Decides and checks second factors. */
  mfa: MFAService;
}

/** Creates the accounts service. */
export function createAccountService(options: AccountServiceOptions): AccountService {
  const { users, sessions, hasher, throttle, events, observer, clock, dummyHash, requireEmailVerification, mfa } =
    options;

  async function verifyPassword(user: UserRecord | null, password: string): Promise<boolean> {
    if (exceedsPasswordCap(password)) return false;
    const normalized = normalizePassword(password);
    // Hashes imported from other systems were made from the password as typed, not NFKC-normalised;
    // when the two differ both are tried, on the dummy path too, so timing still says nothing.
    const candidates = normalized === password ? [normalized] : [normalized, password];
    if (!user?.passwordHash) {
      for (const candidate of candidates) await hasher.verify(dummyHash, candidate);
      return false;
    }
    let matched = false;
    for (const candidate of candidates) {
      if (await hasher.verify(user.passwordHash, candidate)) {
        matched = true;
        break;
      }
    }
    if (!matched) return false;
    // Upgraded hashes are made from the normalised form, as every Gatehouse hash is.
    if (hasher.needsRehash(user.passwordHash)) {
      await users.updatePasswordHash(user.id, await hasher.hash(normalized), clock());
    }
    return true;
  }

  async function recogniseDevice(
    userId: string,
    client: SignInClient,
  ): Promise<{ recognition: DeviceRecognition; cookieToken: string | null }> {
    const key = await deviceKeyOf(client);
    const now = clock();
    const recognition = await users.recordDeviceSignIn(userId, key.hash, now, now - DEVICE_MEMORY_SECONDS * 1000);
    return { recognition, cookieToken: key.cookieToken };
  }

  /** Creates the session of a sign-in whose every required factor was proven. */
  async function startSession(
    user: UserRecord,
    client: SignInClient,
    method: SignInMethod,
    secondFactor: SecondFactorKind | "passkey" | null,
  ): Promise<SignedIn> {
    // Checked again after a second step: the user may have been banned in between.
    if (user.bannedAt !== null) throw new UserBannedError();
    const issued = await sessions.create(
      user.id,
      client,
      secondFactor === null ? {} : { secondFactorVerifiedAt: clock() },
    );
    const device = await recogniseDevice(user.id, client);
    events.emit({
      type: "sign_in.succeeded",
      userId: user.id,
      sessionId: issued.session.id,
      ip: client.ip,
      userAgent: client.userAgent,
      // A user's very first device is not "new": there is nothing to compare it with, and an
      // account created by an admin or an import would otherwise get a notice at once.
      data: {
        method,
        new_device: device.recognition === "new",
        ...(secondFactor === null ? {} : { second_factor: secondFactor }),
      },
    });
    return { user, issued, deviceToken: device.cookieToken };
  }

  async function completeSignIn(user: UserRecord, client: SignInClient, method: SignInMethod): Promise<SignInResult> {
    // Here, after the credential was proven, so the answer tells nothing to someone guessing, and
    // for every way of signing in. Clerk answers the same (403 user_banned): a banned person
    // learns why, instead of retrying.
    if (user.bannedAt !== null) throw new UserBannedError();
    if (requireEmailVerification && user.emailVerifiedAt === null) throw new EmailNotVerifiedError();
    if (MULTI_FACTOR_METHODS.has(method)) return startSession(user, client, method, "passkey");
    const pending = await mfa.challengeFor(user, client, method);
    if (pending) return pending;
    return startSession(user, client, method, null);
  }

  return {
    completeSignIn,
    checkPassword: (user, password) => verifyPassword(user, password),

    async completeSecondFactor(input, client) {
      const { user, method, factor } = await mfa.completeChallenge(input, client);
      return startSession(user, client, method, factor);
    },

    async completeEnrollment(input, client) {
      const { completed, backupCodes } =
        input.factor === "sms"
          ? await mfa.confirmSMSEnrollmentForChallenge(input, client)
          : await mfa.confirmEnrollmentForChallenge(input, client);
      const signedIn = await startSession(completed.user, client, completed.method, completed.factor);
      return { ...signedIn, backupCodes };
    },

    async requireReauthentication(caller, currentPassword, client) {
      const { user, session } = caller;
      if (currentPassword !== undefined) {
        // Guesses at the current password count against the same budget as sign-in guesses.
        await throttle.signInAttempt(client.ip, user.emailNormalized);
        // Against the stored hash, not the session check's cached copy of the user: a password
        // just changed on another instance must not be accepted while its announcement travels.
        if (!(await verifyPassword(await users.getUserById(user.id), currentPassword))) {
          throw new ReauthenticationRequiredError("The current password is incorrect.");
        }
        await throttle.signInSucceeded(user.emailNormalized);
        return;
      }
      if (clock() - session.createdAt <= FRESH_SESSION_MS) return;
      throw new ReauthenticationRequiredError();
    },

    async signUp(input, client) {
      await throttle.signUpAttempt(client.ip);
      const normalizedPassword = checkNewPassword(input.password);
      const emailNormalized = normalizeEmail(input.email);
      // Checked before the expensive hash; the unique index still decides races.
      if (await users.getUserByEmail(emailNormalized)) throw new EmailTakenError();
      const now = clock();
      const user = await users.createUser({
        id: randomId("user"),
        email: input.email,
        emailNormalized,
        name: input.name ?? null,
        passwordHash: await hasher.hash(normalizedPassword),
        emailVerifiedAt: null,
        createdAt: now,
      });
      events.emit({ type: "user.created", userId: user.id, ip: client.ip, userAgent: client.userAgent });
      // The device the account was made on is its first known device.
      const device = await recogniseDevice(user.id, client);
      if (requireEmailVerification) return { user, issued: null, deviceToken: device.cookieToken, pending: null };
      // With MFA required, even a brand-new account enrols a factor before it gets a session.
      const pending = await mfa.challengeFor(user, client, "password");
      if (pending) return { user, issued: null, deviceToken: device.cookieToken, pending };
      return { user, issued: await sessions.create(user.id, client), deviceToken: device.cookieToken, pending: null };
    },

    async signIn(input, client) {
      const emailNormalized = normalizeEmail(input.email);
      let user: UserRecord | null = null;
      try {
        await throttle.signInAttempt(client.ip, emailNormalized);
        user = await users.getUserByEmail(emailNormalized);
        if (!(await verifyPassword(user, input.password)) || !user) throw new InvalidCredentialsError();
        await throttle.signInSucceeded(emailNormalized);
        const signedIn = await completeSignIn(user, client, "password");
        observer.onSignIn?.("success");
        return signedIn;
      } catch (error) {
        if (
          error instanceof GatehouseError &&
          (error.code === "invalid_credentials" ||
            error.code === "rate_limited" ||
            error.code === "user_banned" ||
            error.code === "email_not_verified")
        ) {
          if (error.code === "invalid_credentials" || error.code === "rate_limited") observer.onSignIn?.(error.code);
          events.emit({
            type: "sign_in.failed",
            userId: user?.id ?? null,
            ip: client.ip,
            userAgent: client.userAgent,
            data: { method: "password", reason: error.code, email: emailNormalized },
          });
        }
        throw error;
      }
    },
  };
}
