/**
 * Password accounts: sign-up and sign-in. Sign-in answers an unknown email exactly like a
 * wrong password, in status, body and time: both paths run one Argon2id verification.
 */
import type { Observer } from "../config.js";
import type { EventBus } from "../events/bus.js";
import { EmailTakenError, GatehouseError, InvalidCredentialsError, UserBannedError } from "../errors/index.js";
import { randomId } from "../lib/encoding.js";
import type { PasswordHasher } from "../passwords/hasher.js";
import { checkNewPassword, exceedsPasswordCap, normalizePassword } from "../passwords/policy.js";
import type { ClientDetails, IssuedSession, SessionService } from "../sessions/service.js";
import type { UserRecord, UserStore } from "../storage/ports.js";
import type { Throttle } from "../throttle/throttle.js";
import { normalizeEmail } from "./schema.js";

/** A signed-in user and the new session. */
export interface SignedIn {
  user: UserRecord;
  issued: IssuedSession;
}

/** Sign-up and sign-in. */
export interface AccountService {
  signUp(
    input: { email: string; password: string; name?: string | undefined },
    client: ClientDetails,
  ): Promise<SignedIn>;
  signIn(input: { email: string; password: string }, client: ClientDetails): Promise<SignedIn>;
}

/** Options of {@link createAccountService}. */
export interface AccountServiceOptions {
  users: UserStore;
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
}

/** Creates the accounts service. */
export function createAccountService(options: AccountServiceOptions): AccountService {
  const { users, sessions, hasher, throttle, events, observer, clock, dummyHash } = options;

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

  return {
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
      return { user, issued: await sessions.create(user.id, client) };
    },

    async signIn(input, client) {
      const emailNormalized = normalizeEmail(input.email);
      let user: UserRecord | null = null;
      try {
        await throttle.signInAttempt(client.ip, emailNormalized);
        user = await users.getUserByEmail(emailNormalized);
        if (!(await verifyPassword(user, input.password)) || !user) throw new InvalidCredentialsError();
        // Only after the right password, so the answer tells nothing to someone guessing. Clerk
        // answers the same (403 user_banned): a banned person learns why, instead of retrying.
        if (user.bannedAt !== null) throw new UserBannedError();
        await throttle.signInSucceeded(emailNormalized);
        const issued = await sessions.create(user.id, client);
        observer.onSignIn?.("success");
        events.emit({
          type: "sign_in.succeeded",
          userId: user.id,
          sessionId: issued.session.id,
          ip: client.ip,
          userAgent: client.userAgent,
          data: { method: "password" },
        });
        return { user, issued };
      } catch (error) {
        if (
          error instanceof GatehouseError &&
          (error.code === "invalid_credentials" || error.code === "rate_limited" || error.code === "user_banned")
        ) {
          if (error.code !== "user_banned") observer.onSignIn?.(error.code);
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
