/**
 * The email flows: verification, password reset, magic-link and email-code sign-in, and the
 * changes of password and address, plus the notices (password changed, new device, address
 * changed).
 *
 * Rules kept here, each with a test:
 * - Request endpoints (reset, magic link, code, address change) count the request against the
 *   per-address and per-network limits, then answer at once; finding the account, issuing the
 *   token and sending happen in the outbox's background, so the answer is the same in content
 *   and timing for addresses with and without an account, and unknown addresses get no mail.
 * - Tokens are 256-bit link secrets or six-digit codes, stored hashed, single-use (an atomic
 *   conditional update decides races), short-lived, bound to their user, purpose and address,
 *   and only the newest of a user's tokens of one purpose works.
 * - Mail goes to one recipient: the address stored on the account (or, to verify an address
 *   change, the new address), never the one typed into a request.
 * - Every sign-in goes through `accounts.completeSignIn`; a password reset signs nobody in.
 */
import { normalizeEmail } from "../accounts/schema.js";
import type { AccountService, SignInClient, SignInMethod, SignInResult } from "../accounts/service.js";
import type { EventBus, GatehouseEvent } from "../events/bus.js";
import {
  EmailAlreadyVerifiedError,
  EmailTakenError,
  GatehouseError,
  InvalidCodeError,
  InvalidTokenError,
  RateLimitedError,
} from "../errors/index.js";
import type { Caller } from "../http/route.js";
import { throttleKeyForIP } from "../http/client-ip.js";
import { constantTimeEqual, randomId } from "../lib/encoding.js";
import type { PasswordHasher } from "../passwords/hasher.js";
import { checkNewPassword } from "../passwords/policy.js";
import type { ClientDetails, SessionService } from "../sessions/service.js";
import type {
  Database,
  EmailTokenPurpose,
  EmailTokenRecord,
  RateLimiter,
  RateLimiterFactory,
  UserRecord,
} from "../storage/ports.js";
import type { ThrottleLimit } from "../config.js";
import type { Throttle } from "../throttle/throttle.js";
import type { Outbox } from "./outbox.js";
import { resolveRedirectURL } from "./redirect.js";
import { createEmailRenderer, type EmailTemplateName, type EmailTemplateOverrides } from "./templates.js";
import {
  CODE_FORMAT,
  EMAIL_TOKEN_LIFETIMES_MS,
  LINK_TOKEN_FORMAT,
  MAX_CODE_ATTEMPTS,
  describeLifetime,
  hashCode,
  hashLinkToken,
  newCode,
  newLinkToken,
} from "./tokens.js";

/** How recently a session must have signed in to change the password or address without the current password. */
export { FRESH_SESSION_MS } from "../accounts/service.js";

/** Tokens a reset or password change voids: every other way into the account by email. */
const SIGN_IN_PURPOSES: readonly EmailTokenPurpose[] = ["password_reset", "magic_link", "sign_in_code"];

const METHOD_NAMES: Record<SignInMethod, string> = {
  password: "password",
  magic_link: "magic link",
  email_code: "email code",
  passkey: "passkey",
};

/** A completed magic-link sign-in and where to send the browser next. */
export interface MagicLinkSignIn {
  /** A session, or a second-factor challenge when one is due. */
  signedIn: SignInResult;
  redirectURL: string;
}

/** The email flows. */
export interface EmailService {
  /** Counts the request, then (in the background) emails a reset link if the account exists. */
  requestPasswordReset(email: string, client: ClientDetails): Promise<void>;
  /** Sets the new password, ends every session and emails a notice. Signs nobody in. */
  confirmPasswordReset(token: string, password: string, client: ClientDetails): Promise<void>;
  /** Checks `redirectURL`, counts the request, then (in the background) emails a sign-in link. */
  requestMagicLink(email: string, redirectURL: string | undefined, client: ClientDetails): Promise<void>;
  /** Uses a magic link: verifies the address and signs in through the sign-in seam. */
  verifyMagicLink(token: string, client: SignInClient): Promise<MagicLinkSignIn>;
  /** Counts the request, then (in the background) emails a sign-in code if the account exists. */
  requestEmailCode(email: string, client: ClientDetails): Promise<void>;
  /** Checks a sign-in code (five tries per code) and signs in through the sign-in seam. */
  verifyEmailCode(email: string, code: string, client: SignInClient): Promise<SignInResult>;
  /** Emails the signed-in user a verification link and code for their address. */
  sendVerification(user: UserRecord, client: ClientDetails): Promise<void>;
  /**
   * Confirms an address with an emailed link token, or with the code while signed in. For a
   * pending address change, this is when the address changes (and the old one is notified).
   */
  confirmVerification(
    proof: { token: string } | { code: string; caller: Caller | null },
    client: ClientDetails,
  ): Promise<UserRecord>;
  /** Changes the password (current password or a fresh session), ends the other sessions, emails a notice. */
  changePassword(
    caller: Caller,
    input: { currentPassword?: string | undefined; password: string },
    client: ClientDetails,
  ): Promise<void>;
  /**
   * Starts an address change (current password or a fresh session): the new address gets a
   * verification email; the change happens when it is confirmed.
   */
  changeEmail(
    caller: Caller,
    input: { email: string; currentPassword?: string | undefined },
    client: ClientDetails,
  ): Promise<void>;
}

/** Options of {@link createEmailService}. */
export interface EmailServiceOptions {
  database: Database;
  accounts: AccountService;
  sessions: SessionService;
  hasher: PasswordHasher;
  throttle: Throttle;
  rateLimiters: RateLimiterFactory;
  events: EventBus;
  outbox: Outbox;
  clock: () => number;
  baseURL: URL;
  allowedOrigins: Set<string>;
  appName: string;
  templates: EmailTemplateOverrides;
  passwordResetPageURL: URL;
  verificationPageURL: URL;
  limits: { emailPerAddress: ThrottleLimit; emailPerIP: ThrottleLimit };
}

/** Creates the email flows and subscribes the notices to the event bus. */
export function createEmailService(options: EmailServiceOptions): EmailService {
  const { database, accounts, sessions, hasher, throttle, events, outbox, clock, baseURL, allowedOrigins } = options;
  const render = createEmailRenderer(options.templates);
  const perAddress = options.rateLimiters({ name: "email-address", ...options.limits.emailPerAddress });
  const perIP = options.rateLimiters({ name: "email-ip", ...options.limits.emailPerIP });
  const root = baseURL.href.replace(/\/?$/, "/");

  async function consume(limiter: RateLimiter, key: string): Promise<void> {
    const result = await limiter.consume(key);
    if (!result.allowed) throw new RateLimitedError(result.retryAfterSeconds);
  }

  /** Counted before anything else, identically for every address, so a 429 reveals nothing. */
  async function limitRequest(kind: EmailTokenPurpose, emailNormalized: string, ip: string | null): Promise<void> {
    if (ip !== null) await consume(perIP, throttleKeyForIP(ip));
    await consume(perAddress, `${kind}:${emailNormalized}`);
  }

  function linkWithToken(page: URL, token: string): string {
    const url = new URL(page.href);
    url.searchParams.set("token", token);
    return url.href;
  }

  function formatTime(ms: number): string {
    return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  }

  /** Renders and queues one message to one address. */
  function send(template: EmailTemplateName, to: string, user: UserRecord, values: Record<string, string>): void {
    const message = render(template, {
      app_name: options.appName,
      base_url: baseURL.origin,
      email: to,
      name: user.name ?? to,
      ...values,
    });
    outbox.send({ to, template, ...message });
  }

  /** Emails a notice about the account to its stored address. */
  function notify(
    template: "password-changed" | "new-sign-in" | "mfa-disabled" | "passkey-added",
    user: UserRecord,
    client: ClientDetails,
    extra: Record<string, string> = {},
  ): void {
    send(template, user.email, user, {
      time: formatTime(clock()),
      ip: client.ip ?? "unknown",
      user_agent: client.userAgent ?? "unknown",
      reset_link: options.passwordResetPageURL.href,
      ...extra,
    });
  }

  /** Issues a token of `purpose` for `user`, sent to `parts.email` (default: the stored address). */
  async function issue(
    user: UserRecord,
    purpose: EmailTokenPurpose,
    parts: { email: string; link: boolean; code: boolean; redirectURL?: string | null },
  ): Promise<{ link: string | null; code: string | null; expiresIn: string }> {
    const id = randomId("etok");
    const link = parts.link ? newLinkToken() : null;
    const code = parts.code ? newCode() : null;
    // Strictly after the previous token of this purpose, even within one millisecond: "newest"
    // must mean "issued last", or a token issued after another was used could lose a tie to it.
    // Only truly concurrent requests can still tie, and then exactly one of them works.
    const previous = await database.getLatestEmailToken(user.id, purpose);
    const now = Math.max(clock(), (previous?.createdAt ?? 0) + 1);
    await database.createEmailToken({
      id,
      userId: user.id,
      purpose,
      email: parts.email,
      accountEmail: user.emailNormalized,
      secretHash: link === null ? null : await hashLinkToken(link),
      codeHash: code === null ? null : await hashCode(id, code),
      attempts: 0,
      redirectURL: parts.redirectURL ?? null,
      createdAt: now,
      expiresAt: now + EMAIL_TOKEN_LIFETIMES_MS[purpose],
      usedAt: null,
    });
    return { link, code, expiresIn: describeLifetime(EMAIL_TOKEN_LIFETIMES_MS[purpose]) };
  }

  /** Issues a verification token for `address` (the current one, or the one it changes to) and emails it there. */
  async function issueVerification(user: UserRecord, address: string): Promise<void> {
    const { link, code, expiresIn } = await issue(user, "verify_email", { email: address, link: true, code: true });
    send("verify-email", address, user, {
      link: linkWithToken(options.verificationPageURL, link!),
      code: code!,
      expires_in: expiresIn,
    });
  }

  /** A usable-looking link token of the purpose: well-formed, known, unused, unexpired. */
  async function findLinkToken(value: string, purpose: EmailTokenPurpose): Promise<EmailTokenRecord> {
    if (!LINK_TOKEN_FORMAT.test(value)) throw new InvalidTokenError();
    const token = await database.getEmailTokenBySecretHash(await hashLinkToken(value));
    if (!token || token.purpose !== purpose || token.usedAt !== null || token.expiresAt <= clock()) {
      throw new InvalidTokenError();
    }
    return token;
  }

  /** The token's user, as long as the account still has the address it had when the token was issued. */
  async function boundUser(token: EmailTokenRecord): Promise<UserRecord> {
    const user = await database.getUserById(token.userId);
    if (!user || token.accountEmail !== user.emailNormalized) throw new InvalidTokenError();
    return user;
  }

  /**
   * One code try: reserved before comparing, so however many guesses arrive at once, at most
   * five are compared; the fifth wrong one voids the code. The right one still has to win the
   * atomic use.
   */
  async function tryCode(token: EmailTokenRecord | null, code: string): Promise<boolean> {
    const now = clock();
    if (!token || token.codeHash === null || token.usedAt !== null || token.expiresAt <= now) return false;
    if (!CODE_FORMAT.test(code)) return false;
    if (!(await database.reserveEmailCodeAttempt(token.id, MAX_CODE_ATTEMPTS, now))) return false;
    if (!constantTimeEqual(await hashCode(token.id, code), token.codeHash)) {
      await database.voidExhaustedEmailToken(token.id, MAX_CODE_ATTEMPTS, now);
      return false;
    }
    return database.consumeEmailToken(token.id, now);
  }

  /** Proving the mailbox (magic link, code, reset link) also verifies the address. */
  async function verifiedUser(user: UserRecord): Promise<UserRecord> {
    if (user.emailVerifiedAt !== null) return user;
    if (await database.markEmailVerified(user.id, user.emailNormalized, clock())) {
      events.emit({ type: "email.verified", userId: user.id, data: { email: user.email } });
    }
    return (await database.getUserById(user.id)) ?? user;
  }

  // One notion of re-authentication for every sensitive change: the accounts service's.
  const requireReauthentication = (
    caller: Caller,
    currentPassword: string | undefined,
    client: ClientDetails,
  ): Promise<void> => accounts.requireReauthentication(caller, currentPassword, client);

  function failedSignIn(method: SignInMethod, error: unknown, client: ClientDetails, details: Record<string, unknown>) {
    if (
      error instanceof GatehouseError &&
      ["invalid_code", "invalid_token", "rate_limited", "user_banned"].includes(error.code)
    ) {
      events.emit({
        type: "sign_in.failed",
        userId: (details.userId as string | undefined) ?? null,
        ip: client.ip,
        userAgent: client.userAgent,
        data: { method, reason: error.code, ...(details.email ? { email: details.email } : {}) },
      });
    }
  }

  // Notices and automatic verification mails follow what happened, wherever it happened.
  events.subscribe(async (event: GatehouseEvent) => {
    if (event.userId === null) return;
    if (event.type === "user.created") {
      // Only accounts people made themselves: an administrator creating a user, or an import of
      // thousands, must not mail anyone unasked.
      if (event.actor !== undefined) return;
      const user = await database.getUserById(event.userId);
      if (user && user.emailVerifiedAt === null) await issueVerification(user, user.email);
    } else if (event.type === "sign_in.failed" && event.data?.reason === "email_not_verified") {
      const user = await database.getUserById(event.userId);
      if (!user || user.emailVerifiedAt !== null) return;
      // Each refused sign-in would otherwise mail a new link; over the limit, the last one stands.
      const allowed = await perAddress.consume(`verify_email:${user.emailNormalized}`);
      if (allowed.allowed) await issueVerification(user, user.email);
    } else if (event.type === "sign_in.succeeded" && event.data?.new_device === true) {
      const user = await database.getUserById(event.userId);
      if (!user) return;
      const method = METHOD_NAMES[event.data.method as SignInMethod] ?? String(event.data.method);
      notify("new-sign-in", user, { ip: event.ip ?? null, userAgent: event.userAgent ?? null }, { method });
    } else if (event.type === "mfa.disabled") {
      const user = await database.getUserById(event.userId);
      const factor = event.data?.factor === "sms" ? "text-message codes" : "authenticator app";
      if (user) notify("mfa-disabled", user, { ip: event.ip ?? null, userAgent: event.userAgent ?? null }, { factor });
    } else if (event.type === "passkey.created") {
      const user = await database.getUserById(event.userId);
      const client = { ip: event.ip ?? null, userAgent: event.userAgent ?? null };
      if (user) notify("passkey-added", user, client, { passkey_name: String(event.data?.passkeyName ?? "") });
    }
  });

  return {
    async requestPasswordReset(email, client) {
      const emailNormalized = normalizeEmail(email);
      await limitRequest("password_reset", emailNormalized, client.ip);
      outbox.run(async () => {
        const user = await database.getUserByEmail(emailNormalized);
        // A banned account could not use the link or code; it gets nothing, like an unknown one.
        if (!user || user.bannedAt !== null) return;
        const { link, expiresIn } = await issue(user, "password_reset", { email: user.email, link: true, code: false });
        send("password-reset", user.email, user, {
          link: linkWithToken(options.passwordResetPageURL, link!),
          expires_in: expiresIn,
        });
      });
    },

    async confirmPasswordReset(value, password, client) {
      const token = await findLinkToken(value, "password_reset");
      const user = await boundUser(token);
      // Policy first: a refused password leaves the link usable for a better one.
      const normalized = checkNewPassword(password);
      const passwordHash = await hasher.hash(normalized);
      if (!(await database.consumeEmailToken(token.id, clock()))) throw new InvalidTokenError();
      const now = clock();
      await database.updatePasswordHash(user.id, passwordHash, now);
      await database.voidEmailTokens(user.id, SIGN_IN_PURPOSES, now);
      const updated = await verifiedUser(user);
      await sessions.revokeAllForUser(user.id, "password_reset");
      // A user locked out by wrong guesses has just proven the mailbox; let them sign in.
      await throttle.signInSucceeded(user.emailNormalized);
      events.emit({ type: "password.reset", userId: user.id, ip: client.ip, userAgent: client.userAgent });
      notify("password-changed", updated, client);
    },

    async requestMagicLink(email, redirectURL, client) {
      const redirect = redirectURL === undefined ? null : resolveRedirectURL(redirectURL, { baseURL, allowedOrigins });
      const emailNormalized = normalizeEmail(email);
      await limitRequest("magic_link", emailNormalized, client.ip);
      outbox.run(async () => {
        const user = await database.getUserByEmail(emailNormalized);
        // A banned account could not use the link or code; it gets nothing, like an unknown one.
        if (!user || user.bannedAt !== null) return;
        const { link, expiresIn } = await issue(user, "magic_link", {
          email: user.email,
          link: true,
          code: false,
          redirectURL: redirect,
        });
        const url = new URL("v1/sign-in/magic-link/verify", root);
        url.searchParams.set("token", link!);
        send("magic-link", user.email, user, { link: url.href, expires_in: expiresIn });
      });
    },

    async verifyMagicLink(value, client) {
      let userId: string | undefined;
      try {
        const token = await findLinkToken(value, "magic_link");
        userId = token.userId;
        const user = await boundUser(token);
        if (!(await database.consumeEmailToken(token.id, clock()))) throw new InvalidTokenError();
        const signedIn = await accounts.completeSignIn(await verifiedUser(user), client, "magic_link");
        let redirectURL = baseURL.href;
        if (token.redirectURL !== null) {
          // Checked again: the allowed origins may have changed since the link was sent.
          try {
            redirectURL = resolveRedirectURL(token.redirectURL, { baseURL, allowedOrigins });
          } catch {
            redirectURL = baseURL.href;
          }
        }
        return { signedIn, redirectURL };
      } catch (error) {
        failedSignIn("magic_link", error, client, { userId });
        throw error;
      }
    },

    async requestEmailCode(email, client) {
      const emailNormalized = normalizeEmail(email);
      await limitRequest("sign_in_code", emailNormalized, client.ip);
      outbox.run(async () => {
        const user = await database.getUserByEmail(emailNormalized);
        // A banned account could not use the link or code; it gets nothing, like an unknown one.
        if (!user || user.bannedAt !== null) return;
        const { code, expiresIn } = await issue(user, "sign_in_code", { email: user.email, link: false, code: true });
        send("email-code", user.email, user, { code: code!, expires_in: expiresIn });
      });
    },

    async verifyEmailCode(email, code, client) {
      const emailNormalized = normalizeEmail(email);
      let user: UserRecord | null = null;
      try {
        await throttle.signInAttempt(client.ip, emailNormalized);
        user = await database.getUserByEmail(emailNormalized);
        const token = user ? await database.getLatestEmailToken(user.id, "sign_in_code") : null;
        const bound = token !== null && user !== null && token.accountEmail === user.emailNormalized;
        if (!user || !bound || !(await tryCode(token, code))) throw new InvalidCodeError();
        await throttle.signInSucceeded(emailNormalized);
        return await accounts.completeSignIn(await verifiedUser(user), client, "email_code");
      } catch (error) {
        failedSignIn("email_code", error, client, { userId: user?.id, email: emailNormalized });
        throw error;
      }
    },

    async sendVerification(user, client) {
      if (user.emailVerifiedAt !== null) throw new EmailAlreadyVerifiedError();
      await limitRequest("verify_email", user.emailNormalized, client.ip);
      await issueVerification(user, user.email);
    },

    async confirmVerification(proof, _client) {
      let token: EmailTokenRecord;
      if ("token" in proof) {
        token = await findLinkToken(proof.token, "verify_email");
      } else {
        // A code proves the mailbox only together with the account it was sent for.
        if (!proof.caller) throw new InvalidCodeError();
        const latest = await database.getLatestEmailToken(proof.caller.user.id, "verify_email");
        if (!latest) throw new InvalidCodeError();
        token = latest;
      }
      // Bound to the address the account had when it was sent: a link from before any change of
      // address (made here or by an administrator) can neither verify nor undo it.
      const user = await boundUser(token).catch((error: unknown) => {
        if ("code" in proof) throw new InvalidCodeError();
        throw error;
      });
      const target = normalizeEmail(token.email);
      const isChange = target !== user.emailNormalized;
      if (isChange) {
        const owner = await database.getUserByEmail(target);
        if (owner && owner.id !== user.id) throw new EmailTakenError();
      }
      if ("token" in proof) {
        if (!(await database.consumeEmailToken(token.id, clock()))) throw new InvalidTokenError();
      } else if (!(await tryCode(token, proof.code))) {
        throw new InvalidCodeError();
      }
      const now = clock();
      if (!isChange) return verifiedUser(user);

      const changed = await database.updateEmail(
        user.id,
        {
          expectedEmailNormalized: user.emailNormalized,
          email: token.email,
          emailNormalized: target,
          emailVerifiedAt: now,
        },
        now,
      );
      if (!changed) throw new InvalidTokenError();
      // Links and codes sent to the old address are bound to it and already void; say so anyway.
      await database.voidEmailTokens(user.id, SIGN_IN_PURPOSES, now);
      const updated = (await database.getUserById(user.id))!;
      events.emit({
        type: "email.changed",
        userId: user.id,
        data: { previous_email: user.email, email: updated.email },
      });
      events.emit({ type: "email.verified", userId: user.id, data: { email: updated.email } });
      // To the old address: if this was not its owner, they learn at once where the account went.
      send("email-changed", user.email, user, { new_email: updated.email, time: formatTime(now) });
      return updated;
    },

    async changePassword(caller, input, client) {
      await requireReauthentication(caller, input.currentPassword, client);
      const passwordHash = await hasher.hash(checkNewPassword(input.password));
      const now = clock();
      const { user, session } = caller;
      await database.updatePasswordHash(user.id, passwordHash, now);
      // A reset link requested earlier must not undo the change.
      await database.voidEmailTokens(user.id, SIGN_IN_PURPOSES, now);
      await sessions.revokeAllForUser(user.id, "password_changed", { exceptSessionId: session.id });
      events.emit({
        type: "password.changed",
        userId: user.id,
        sessionId: session.id,
        ip: client.ip,
        userAgent: client.userAgent,
      });
      notify("password-changed", user, client);
    },

    async changeEmail(caller, input, client) {
      await requireReauthentication(caller, input.currentPassword, client);
      const { user } = caller;
      const target = normalizeEmail(input.email);
      await limitRequest("verify_email", target, client.ip);
      if (target === user.emailNormalized) {
        if (user.emailVerifiedAt === null) outbox.run(() => issueVerification(user, user.email));
        return;
      }
      // Whether another account has the address is not revealed: the answer is the same, and
      // nothing is sent to an address that is taken.
      outbox.run(async () => {
        if (await database.getUserByEmail(target)) return;
        await issueVerification(user, input.email);
      });
    },
  };
}
