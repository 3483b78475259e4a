/**
 * Password accounts: sign-up and sign-in. Sign-in answers an unknown email exactly like a
 * wrong password, in status, body and time: both paths run one Argon2id verification.
 */
import type { Observer } from "../config.js";
import type { EventBus } from "../events/bus.js";
import { EmailTakenError, GatehouseError, InvalidCredentialsError } from "../errors/index.js";
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
    if (!user?.passwordHash) {
      await hasher.verify(dummyHash, normalized);
      return false;
    }
    if (!(await hasher.verify(user.passwordHash, normalized))) return false;
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
          (error.code === "invalid_credentials" || error.code === "rate_limited")
        ) {
          observer.onSignIn?.(error.code);
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
