/**
 * The Gatehouse browser client: the signed-in state of a page, every account flow as one method
 * each, and — for the `jwt` and `hybrid` strategies — access tokens kept fresh without the page
 * ever touching them.
 *
 * Tokens live in HttpOnly cookies the client cannot read; the API tells it when the current
 * access token expires (`expires_in`). It refreshes ahead of that, once for all open tabs: the
 * refresh runs under a cross-tab lock, and a tab that gets the lock after another tab refreshed
 * sees the newer expiry in shared storage and refreshes nothing. Every tab hears of refreshes,
 * sign-ins and sign-outs on a BroadcastChannel, so a sign-out in one tab signs every tab out at
 * once.
 */
import {
  createAPIRequester,
  GatehouseAPIError,
  type APIRequester,
  type EnrollableFactor,
  type MFAStatus,
  type Passkey,
  type SecondFactor,
  type Session,
  type SMSCodeSent,
  type TOTPEnrollment,
  type User,
} from "./api.js";
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/browser";
import { browserWebAuthn, runCeremony, type WebAuthnCeremonies } from "./passkeys.js";
import {
  broadcastLock,
  localLock,
  sharedExpiryStore,
  webLock,
  type ChannelLike,
  type LockManagerLike,
  type SharedExpiry,
  type SharedStorage,
  type TabLock,
  type TabMessage,
} from "./tabs.js";

/** The page's view of the session. */
export type AuthState =
  | { status: "loading" }
  | { status: "signed-out" }
  | {
      status: "signed-in";
      user: User;
      session: Session;
      /**
       * When the access token expires (epoch ms), for `jwt`/`hybrid`; null under the `session`
       * strategy, whose cookie needs no refresh.
       */
      accessTokenExpiresAt: number | null;
    };

/** A finished sign-in: the user and the new session. */
export interface SignInComplete {
  status: "complete";
  user: User;
  session: Session;
}

/** A sign-in that waits for a second factor. */
export interface SecondFactorChallenge {
  status: "needs_second_factor";
  /** Pass to {@link GatehouseClient.completeSecondFactor} (and {@link GatehouseClient.sendSignInSMS}). */
  challenge: string;
  /** The factors the user can answer with, e.g. `["totp", "backup_code", "sms"]`. */
  factors: SecondFactor[];
  /** Seconds until the challenge expires. */
  expiresIn: number;
}

/** A sign-in with MFA required by an account that has no factor yet: it enrols one first. */
export interface SecondFactorEnrollmentChallenge {
  status: "needs_second_factor_enrollment";
  /** Pass to the `…SignIn…Enrollment` methods. */
  challenge: string;
  /** The factors that can be enrolled: `["totp"]`, or `["totp", "sms"]` when the server sends SMS. */
  factors: EnrollableFactor[];
  /** Seconds until the challenge expires. */
  expiresIn: number;
}

/** A sign-in's outcome: done, waiting for a second factor, or waiting for one to be enrolled. */
export type SignInResult = SignInComplete | SecondFactorChallenge | SecondFactorEnrollmentChallenge;

/** A sign-in finished by enrolling a factor: signed in, with the backup codes to show once. */
export interface EnrolledSignInResult extends SignInComplete {
  /** The new backup codes, shown only now; empty when the account already had a set. */
  backupCodes: string[];
}

/**
 * A sign-up's outcome: as a sign-in's (with MFA required, the new account enrols a second factor
 * before its first session), or the account waits for its address to be verified.
 */
export type SignUpResult = SignInResult | { status: "needs_email_verification"; user: User };

/** Options of {@link createGatehouseClient}. */
export interface GatehouseClientOptions {
  /**
   * Where the Gatehouse API is: its base URL (`https://auth.example.com`), or `""` when the page
   * is served from the same origin (or through a proxy that forwards `/v1`).
   * @default ""
   */
  url?: string;
  /**
   * Refresh this long before the access token expires. By default a quarter of the token's
   * lifetime, at least 1 s and at most 60 s (15 s for `hybrid`'s 60-second tokens).
   */
  refreshMarginMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Where tabs note the access token's expiry. null keeps it in memory (one tab alone).
   * @default globalThis.localStorage
   */
  storage?: SharedStorage | null;
  /**
   * The cross-tab lock. null falls back to the BroadcastChannel protocol.
   * @default globalThis.navigator.locks
   */
  locks?: LockManagerLike | null;
  /**
   * Opens the channel the tabs talk on; null for none.
   * @default (name) => new BroadcastChannel(name)
   */
  channel?: ((name: string) => ChannelLike) | null;
  /** @default Date.now */
  now?: () => number;
  /**
   * Whether to read the session as soon as the client is created.
   * @default true
   */
  load?: boolean;
  /**
   * The WebAuthn ceremonies for passkeys.
   * @default the browser's, through @simplewebauthn/browser
   */
  webAuthn?: WebAuthnCeremonies;
}

/** The browser client. Create one per page (the React provider does it for you). */
export interface GatehouseClient {
  /** The current state; `loading` until the first answer. */
  getState(): AuthState;
  /** Calls `listener` after every state change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Reads the session from the server (refreshing once if the access token has expired). */
  load(): Promise<AuthState>;
  /** Creates an account; signed in at once unless the server requires a verified address first. */
  signUp(input: { email: string; password: string; name?: string }): Promise<SignUpResult>;
  /** Signs in with email and password. */
  signInWithPassword(input: { email: string; password: string }): Promise<SignInResult>;
  /**
   * Answers a sign-in's second-factor challenge.
   * @throws GatehouseAPIError `invalid_code` (wrong code; the challenge stays usable),
   * `invalid_challenge` (expired or used up: sign in again), `rate_limited`.
   */
  completeSecondFactor(input: { challenge: string; factor: SecondFactor; code: string }): Promise<SignInResult>;
  /**
   * Texts a code for a sign-in's challenge to the account's phone; answer it with
   * `completeSecondFactor({ challenge, factor: "sms", code })`.
   * @throws GatehouseAPIError `invalid_challenge`, `rate_limited` (with `retryAfterSeconds`).
   */
  sendSignInSMS(input: { challenge: string }): Promise<SMSCodeSent>;
  /**
   * MFA required, no factor yet: starts enrolling an authenticator app on the enrolment
   * challenge. Show `qr_svg` as an image and `secret` for typing in by hand.
   */
  startSignInTOTPEnrollment(input: { challenge: string }): Promise<TOTPEnrollment>;
  /** Confirms the authenticator with a code from it: signed in, with the backup codes to show once. */
  confirmSignInTOTPEnrollment(input: { challenge: string; code: string }): Promise<EnrolledSignInResult>;
  /**
   * MFA required, no factor yet: texts a code to `phoneNumber` (E.164, e.g. `+447700900123`).
   * @throws GatehouseAPIError `invalid_phone_number`, `invalid_challenge`, `rate_limited`.
   */
  startSignInSMSEnrollment(input: { challenge: string; phoneNumber: string }): Promise<SMSCodeSent>;
  /** Confirms the phone with the texted code: signed in, with the backup codes to show once. */
  confirmSignInSMSEnrollment(input: { challenge: string; code: string }): Promise<EnrolledSignInResult>;
  /**
   * Signs in with a passkey: the browser asks the user to pick one (discoverable credentials, so
   * no email is needed) and verify. A passkey sign-in never asks for a second factor.
   * @throws GatehouseAPIError `passkey_cancelled` (the user closed the prompt: not a fault),
   * `passkey_not_supported`, `passkey_failed`, `invalid_passkey` (the server refused it).
   */
  signInWithPasskey(): Promise<SignInResult>;
  /** Whether this browser can use passkeys (WebAuthn). */
  passkeysSupported(): boolean;
  /** Emails a sign-in link; after following it the browser lands on `redirectURL`. */
  requestMagicLink(input: { email: string; redirectURL?: string }): Promise<void>;
  /** Emails a 6-digit sign-in code. */
  requestEmailCode(input: { email: string }): Promise<void>;
  /** Signs in with an emailed code. */
  signInWithEmailCode(input: { email: string; code: string }): Promise<SignInResult>;
  /** Ends this session, in every tab. */
  signOut(): Promise<void>;
  /**
   * Refreshes the access token now (`jwt`/`hybrid`), once for all tabs. Resolves false when the
   * session has ended (the state is then `signed-out`) or the server could not be reached (a
   * retry is scheduled).
   */
  refresh(): Promise<boolean>;
  /** The signed-in user's live sessions, most recently active first. */
  listSessions(): Promise<Session[]>;
  /** Ends one of the user's sessions; ending the current one signs out. */
  revokeSession(id: string): Promise<void>;
  /** Emails a password-reset link (the same answer whether or not the account exists). */
  requestPasswordReset(input: { email: string }): Promise<void>;
  /** Sets a new password with a reset link's token; signs nobody in. */
  confirmPasswordReset(input: { token: string; password: string }): Promise<void>;
  /** Emails the signed-in user a verification link and code. */
  requestEmailVerification(): Promise<void>;
  /** Verifies an address with the emailed link's token, or the code while signed in. */
  confirmEmailVerification(input: { token: string } | { code: string }): Promise<User>;
  /** Changes the password (the current one, unless the session signed in within 10 minutes). */
  changePassword(input: { currentPassword?: string; password: string }): Promise<void>;
  /** Starts an address change: the new address gets a verification email. */
  changeEmail(input: { email: string; currentPassword?: string }): Promise<void>;
  /** The signed-in user's second factors and remaining backup codes. */
  getMFAStatus(): Promise<MFAStatus>;
  /**
   * Starts enrolling an authenticator app (replacing an unconfirmed one). Show `qr_svg` as an
   * image, never as markup, and `secret` for typing in by hand.
   * @throws GatehouseAPIError `mfa_already_enabled`, `not_available`.
   */
  startTOTPEnrollment(): Promise<TOTPEnrollment>;
  /**
   * Confirms the authenticator with a code from it; sign-in asks for a second factor from now on.
   * @returns the new backup codes, shown only now (empty when the account already had a set).
   * @throws GatehouseAPIError `invalid_code`, `rate_limited`.
   */
  confirmTOTPEnrollment(input: { code: string }): Promise<string[]>;
  /**
   * Turns the authenticator app off.
   * @throws GatehouseAPIError `reauthentication_required` (403) unless the session signed in within
   * 10 minutes or `currentPassword` is right: ask for the password and call again.
   */
  disableTOTP(input?: { currentPassword?: string }): Promise<void>;
  /**
   * Replaces the backup codes with a new set (the old ones stop working).
   * @returns the new codes, shown only now.
   * @throws GatehouseAPIError `reauthentication_required`, as {@link GatehouseClient.disableTOTP}.
   */
  regenerateBackupCodes(input?: { currentPassword?: string }): Promise<string[]>;
  /**
   * Step-up: verifies a second factor again on the current session (for an app that wants a
   * recent one before a sensitive action). Under `jwt`/`hybrid` the access token is refreshed at
   * once, so the app's next request carries the new `fva` claim.
   * @returns the session, with `second_factor_verified_at` now.
   */
  verifySecondFactor(input: { factor: SecondFactor; code: string }): Promise<Session>;
  /** Texts a step-up code to the account's phone; answer it with `verifySecondFactor({ factor: "sms", code })`. */
  sendStepUpSMS(): Promise<SMSCodeSent>;
  /**
   * Starts adding SMS codes: texts a code to `phoneNumber` (E.164, e.g. `+447700900123`),
   * replacing an unconfirmed number.
   * @throws GatehouseAPIError `invalid_phone_number`, `mfa_already_enabled`, `not_available`, `rate_limited`.
   */
  startSMSEnrollment(input: { phoneNumber: string }): Promise<SMSCodeSent>;
  /**
   * Confirms the phone with the texted code.
   * @returns the new backup codes when SMS is the account's first factor, else `[]`.
   */
  confirmSMSEnrollment(input: { code: string }): Promise<string[]>;
  /** Turns SMS codes off; re-authentication as {@link GatehouseClient.disableTOTP}. */
  disableSMS(input?: { currentPassword?: string }): Promise<void>;
  /**
   * Adds a passkey: asks the server for options (which needs a fresh session or
   * `currentPassword`: 403 `reauthentication_required` otherwise), runs the browser's prompt and
   * registers the result.
   * @throws GatehouseAPIError `passkey_cancelled`, `passkey_already_registered`, `invalid_passkey`, …
   */
  registerPasskey(input?: { name?: string; currentPassword?: string }): Promise<Passkey>;
  /** The signed-in user's passkeys. */
  listPasskeys(): Promise<Passkey[]>;
  /** Renames a passkey. @throws GatehouseAPIError `not_found`. */
  renamePasskey(id: string, name: string): Promise<Passkey>;
  /** Deletes a passkey; it no longer signs in. @throws GatehouseAPIError `not_found`. */
  deletePasskey(id: string): Promise<void>;
  /**
   * `fetch` for the app's own API, with the session's cookies and a fresh access token: refreshes
   * first when the token is due, and once more after a 401.
   * @example
   * ```ts
   * const response = await client.fetch("/api/projects");
   * ```
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Stops timers and listeners. */
  close(): void;
}

interface BackupCodesAnswer {
  backup_codes: string[];
}

/** The name of the lock and channel every tab of the app shares. */
const CHANNEL_PREFIX = "gatehouse";
/** After a failed refresh that was not a refusal (offline, 5xx), try again after these delays. */
const RETRY_DELAYS_MS = [1_000, 3_000, 10_000, 30_000];

function defaultMargin(lifetimeMs: number): number {
  return Math.min(60_000, Math.max(1_000, Math.floor(lifetimeMs / 4)));
}

function defaultChannel(name: string): ChannelLike | null {
  return typeof BroadcastChannel === "function" ? new BroadcastChannel(name) : null;
}

function defaultStorage(): SharedStorage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    // Reading `localStorage` throws where the page may not use it.
    return null;
  }
}

function defaultLocks(): LockManagerLike | null {
  const locks = (globalThis.navigator as (Navigator & { locks?: LockManager }) | undefined)?.locks;
  if (!locks) return null;
  return {
    // The DOM typing widens the callback's result; the lock resolves with exactly what it returns.
    request: <T>(name: string, callback: () => Promise<T>): Promise<T> =>
      locks.request(name, callback) as unknown as Promise<T>,
  };
}

interface SignedInAnswer {
  user: User;
  session: Session;
  expires_in?: number;
}

interface ChallengeAnswer {
  status: "needs_second_factor" | "needs_second_factor_enrollment";
  challenge: string;
  factors: string[];
  expires_in: number;
}

/** A body with `current_password` only when one was given (an empty field means "none"). */
function reauthentication(input: { currentPassword?: string } | undefined): { current_password?: string } {
  return input?.currentPassword ? { current_password: input.currentPassword } : {};
}

/**
 * Creates the browser client.
 *
 * @example
 * ```ts
 * import { createGatehouseClient } from "@gatehouse/react/browser";
 *
 * const client = createGatehouseClient({ url: "https://auth.example.com" });
 * client.subscribe(() => render(client.getState()));
 * await client.signInWithPassword({ email, password });
 * ```
 */
export function createGatehouseClient(options: GatehouseClientOptions = {}): GatehouseClient {
  const url = options.url ?? "";
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const now = options.now ?? Date.now;
  const api: APIRequester = createAPIRequester(url, fetchImpl);
  const webAuthn = options.webAuthn ?? browserWebAuthn;
  // Tabs of different Gatehouse deployments (or apps on one origin talking to two) never mix.
  const scope = `${CHANNEL_PREFIX}:${/^https?:\/\//i.test(url) ? new URL(url).origin : "same-origin"}`;
  const shared = sharedExpiryStore(
    options.storage === undefined ? defaultStorage() : options.storage,
    `${scope}:expiry`,
  );
  const channel = options.channel === undefined ? defaultChannel(scope) : (options.channel?.(scope) ?? null);
  const locks = options.locks === undefined ? defaultLocks() : options.locks;
  const lock: TabLock = locks
    ? webLock(locks, `${scope}:refresh`)
    : channel
      ? broadcastLock(channel, { now, random: () => Math.random().toString(36).slice(2) })
      : localLock();

  let state: AuthState = { status: "loading" };
  let lifetimeMs = 0;
  const listeners = new Set<() => void>();
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let retryIndex = 0;
  let inFlight: Promise<boolean> | null = null;
  let closed = false;

  const margin = (lifetime: number): number => options.refreshMarginMs ?? defaultMargin(lifetime);

  function setState(next: AuthState): void {
    state = next;
    for (const listener of [...listeners]) listener();
  }

  function post(message: TabMessage): void {
    try {
      channel?.postMessage(message);
    } catch {
      // A closed channel: this tab is going away.
    }
  }

  function schedule(): void {
    clearTimeout(refreshTimer);
    refreshTimer = undefined;
    if (closed || state.status !== "signed-in" || state.accessTokenExpiresAt === null) return;
    const delay = Math.max(0, state.accessTokenExpiresAt - margin(lifetimeMs) - now());
    refreshTimer = setTimeout(() => void refresh(), delay);
  }

  function isDue(expiresAt: number | null, lifetime: number): boolean {
    return expiresAt !== null && now() >= expiresAt - margin(lifetime);
  }

  /** Adopts a token expiry learned from the server or another tab. */
  function adoptExpiry(expiry: SharedExpiry): void {
    lifetimeMs = expiry.lifetimeMs;
    if (state.status === "signed-in") setState({ ...state, accessTokenExpiresAt: expiry.expiresAt });
    retryIndex = 0;
    schedule();
  }

  function signedIn(answer: SignedInAnswer): void {
    let expiresAt: number | null = null;
    if (typeof answer.expires_in === "number") {
      expiresAt = now() + answer.expires_in * 1000;
      const note = shared.read();
      // The server reports whole seconds left; the note, when it is about the same token, has
      // the exact expiry and the lifetime the token was issued with (to place the refresh).
      if (note && Math.abs(note.expiresAt - expiresAt) <= 1_500) {
        expiresAt = note.expiresAt;
        lifetimeMs = note.lifetimeMs;
      } else if (lifetimeMs === 0) {
        lifetimeMs = answer.expires_in * 1000;
      }
    }
    setState({ status: "signed-in", user: answer.user, session: answer.session, accessTokenExpiresAt: expiresAt });
    schedule();
  }

  function signedOut(options: { tell: boolean }): void {
    clearTimeout(refreshTimer);
    refreshTimer = undefined;
    shared.write(null);
    if (state.status !== "signed-out") setState({ status: "signed-out" });
    if (options.tell) post({ type: "signed-out" });
  }

  /** A sign-in or sign-up just answered with a session: record it and tell the other tabs. */
  function completed(answer: SignedInAnswer): SignInComplete {
    if (typeof answer.expires_in === "number") {
      lifetimeMs = answer.expires_in * 1000;
      shared.write({ expiresAt: now() + lifetimeMs, lifetimeMs });
    }
    signedIn(answer);
    post({ type: "signed-in" });
    return { status: "complete", user: answer.user, session: answer.session };
  }

  function challengeOf(
    answer: SignedInAnswer | ChallengeAnswer,
  ): SecondFactorChallenge | SecondFactorEnrollmentChallenge | null {
    if (!("status" in answer)) return null;
    const { challenge, expires_in: expiresIn } = answer;
    if (answer.status === "needs_second_factor") {
      return { status: answer.status, challenge, factors: answer.factors as SecondFactor[], expiresIn };
    }
    if (answer.status === "needs_second_factor_enrollment") {
      return { status: answer.status, challenge, factors: answer.factors as EnrollableFactor[], expiresIn };
    }
    return null;
  }

  function signInResult(answer: SignedInAnswer | ChallengeAnswer): SignInResult {
    return challengeOf(answer) ?? completed(answer as SignedInAnswer);
  }

  function enrolledResult(answer: SignedInAnswer & { backup_codes: string[] }): EnrolledSignInResult {
    return { ...completed(answer), backupCodes: answer.backup_codes };
  }

  async function refreshUnderLock(force: boolean, knownExpiry: number | null): Promise<boolean> {
    return lock.run(async () => {
      const note = shared.read();
      // Another tab refreshed while this one waited for the lock: the cookie already holds the
      // new token, so adopt its expiry instead of spending the refresh token a second time.
      const othersRefreshed = note !== null && (!force || note.expiresAt !== knownExpiry);
      if (othersRefreshed && !isDue(note.expiresAt, note.lifetimeMs)) {
        adoptExpiry(note);
        return true;
      }
      const answer = await api.request<{ expires_in: number }>("POST", "/v1/token", { grant_type: "refresh_token" });
      const expiry = { expiresAt: now() + answer.expires_in * 1000, lifetimeMs: answer.expires_in * 1000 };
      shared.write(expiry);
      post({ type: "refreshed", ...expiry });
      adoptExpiry(expiry);
      return true;
    });
  }

  /** The expiry of the access token this tab holds (null when none or signed out). */
  function heldExpiry(): number | null {
    return state.status === "signed-in" ? state.accessTokenExpiresAt : null;
  }

  /**
   * Refreshes once for this tab (joining a refresh already in flight). `force` refreshes even
   * when the token looks fresh: after a 401, `knownExpiry` is the expiry of the token the refused
   * request carried, so a token another tab (or this tab's timer) obtained while that request was
   * in flight is adopted rather than refreshed again.
   */
  function refreshOnce(force: boolean, knownExpiry = heldExpiry()): Promise<boolean> {
    inFlight ??= (async () => {
      try {
        return await refreshUnderLock(force, knownExpiry);
      } catch (error) {
        if (error instanceof GatehouseAPIError && (error.status === 400 || error.status === 401)) {
          // invalid_grant (session ended, token reused), no refresh token at all, or a strategy
          // without refresh tokens: there is no session to keep.
          if (state.status !== "signed-out") signedOut({ tell: true });
          return false;
        }
        // Offline or a server fault: the session may well be alive. Try again shortly.
        const delay = RETRY_DELAYS_MS[Math.min(retryIndex++, RETRY_DELAYS_MS.length - 1)]!;
        clearTimeout(refreshTimer);
        if (!closed) refreshTimer = setTimeout(() => void refresh(), delay);
        throw error;
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  function refresh(): Promise<boolean> {
    return refreshOnce(false).catch(() => false);
  }

  async function load(): Promise<AuthState> {
    const sentWith = heldExpiry();
    try {
      signedIn(await api.request<SignedInAnswer>("GET", "/v1/session"));
    } catch (error) {
      if (!(error instanceof GatehouseAPIError) || error.status !== 401) throw error;
      // Under jwt/hybrid an expired access cookie also answers 401: one refresh tells.
      const refreshed = await refreshOnce(true, sentWith).catch(() => false);
      if (!refreshed) {
        signedOut({ tell: false });
        return state;
      }
      try {
        signedIn(await api.request<SignedInAnswer>("GET", "/v1/session"));
      } catch (again) {
        if (!(again instanceof GatehouseAPIError) || again.status !== 401) throw again;
        signedOut({ tell: false });
      }
    }
    return state;
  }

  /** Runs an authenticated call with a fresh token, refreshing once after a 401. */
  async function authenticated<T>(call: () => Promise<T>): Promise<T> {
    if (state.status === "signed-in" && isDue(state.accessTokenExpiresAt, lifetimeMs)) await refresh();
    const sentWith = heldExpiry();
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof GatehouseAPIError) || error.status !== 401) throw error;
      if (state.status !== "signed-in" || state.accessTokenExpiresAt === null) {
        signedOut({ tell: true });
        throw error;
      }
      if (!(await refreshOnce(true, sentWith).catch(() => false))) throw error;
      return call();
    }
  }

  async function reloadAndTell(): Promise<void> {
    await load().catch(() => {});
    post({ type: "changed" });
  }

  function onTabMessage(event: MessageEvent): void {
    const message = event.data as TabMessage | null;
    if (!message || typeof message !== "object") return;
    switch (message.type) {
      case "refreshed":
        if (typeof message.expiresAt === "number" && typeof message.lifetimeMs === "number") adoptExpiry(message);
        break;
      case "signed-out":
        signedOut({ tell: false });
        break;
      case "signed-in":
      case "changed":
        void load().catch(() => {});
        break;
    }
  }
  channel?.addEventListener("message", onTabMessage);

  // Timers in hidden tabs are throttled, so a tab coming back checks the token at once.
  const onVisible = (): void => {
    if (typeof document !== "undefined" && document.visibilityState !== "visible") return;
    if (state.status === "signed-in" && isDue(state.accessTokenExpiresAt, lifetimeMs)) void refresh();
  };
  if (typeof document !== "undefined") document.addEventListener("visibilitychange", onVisible);
  if (typeof window !== "undefined") window.addEventListener("online", onVisible);

  const client: GatehouseClient = {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    load,
    async signUp(input) {
      const answer = await api.request<
        SignedInAnswer | ChallengeAnswer | { status: "needs_email_verification"; user: User }
      >("POST", "/v1/sign-up", input);
      if ("status" in answer && answer.status === "needs_email_verification") {
        return { status: "needs_email_verification", user: answer.user };
      }
      return signInResult(answer as SignedInAnswer | ChallengeAnswer);
    },
    async signInWithPassword(input) {
      return signInResult(await api.request("POST", "/v1/sign-in/password", input));
    },
    async completeSecondFactor(input) {
      return signInResult(await api.request("POST", "/v1/sign-in/second-factor", input));
    },
    sendSignInSMS: ({ challenge }) => api.request("POST", "/v1/sign-in/second-factor/sms", { challenge }),
    startSignInTOTPEnrollment: ({ challenge }) =>
      api.request("POST", "/v1/sign-in/second-factor/enroll/totp", { challenge }),
    async confirmSignInTOTPEnrollment(input) {
      return enrolledResult(await api.request("POST", "/v1/sign-in/second-factor/enroll/totp/confirm", input));
    },
    startSignInSMSEnrollment: ({ challenge, phoneNumber }) =>
      api.request("POST", "/v1/sign-in/second-factor/enroll/sms", { challenge, phone_number: phoneNumber }),
    async confirmSignInSMSEnrollment(input) {
      return enrolledResult(await api.request("POST", "/v1/sign-in/second-factor/enroll/sms/confirm", input));
    },
    async signInWithPasskey() {
      const { options: optionsJSON } = await api.request<{ options: PublicKeyCredentialRequestOptionsJSON }>(
        "POST",
        "/v1/sign-in/passkey/options",
        {},
      );
      const response = await runCeremony(webAuthn, () => webAuthn.authenticate(optionsJSON));
      return signInResult(await api.request("POST", "/v1/sign-in/passkey", { response }));
    },
    passkeysSupported: () => webAuthn.supported(),
    async requestMagicLink({ email, redirectURL }) {
      await api.request(
        "POST",
        "/v1/sign-in/magic-link",
        redirectURL ? { email, redirect_url: redirectURL } : { email },
      );
    },
    async requestEmailCode({ email }) {
      await api.request("POST", "/v1/sign-in/email-code", { email });
    },
    async signInWithEmailCode(input) {
      return signInResult(await api.request("POST", "/v1/sign-in/email-code/verify", input));
    },
    async signOut() {
      try {
        await api.request("POST", "/v1/sign-out");
      } finally {
        // Even when the server could not be told, this browser forgets the session everywhere.
        signedOut({ tell: true });
      }
    },
    refresh,
    async listSessions() {
      return (await authenticated(() => api.request<{ data: Session[] }>("GET", "/v1/sessions"))).data;
    },
    async revokeSession(id) {
      const current = state.status === "signed-in" && state.session.id === id;
      await authenticated(() => api.request("DELETE", `/v1/sessions/${encodeURIComponent(id)}`));
      if (current) signedOut({ tell: true });
    },
    async requestPasswordReset({ email }) {
      await api.request("POST", "/v1/password-reset", { email });
    },
    async confirmPasswordReset(input) {
      await api.request("POST", "/v1/password-reset/confirm", input);
    },
    async requestEmailVerification() {
      await authenticated(() => api.request("POST", "/v1/email-verification"));
    },
    async confirmEmailVerification(input) {
      // A code needs the session of its account; a token works signed out too.
      const call = () => api.request<{ user: User }>("POST", "/v1/email-verification/confirm", input);
      const { user } = "code" in input ? await authenticated(call) : await call();
      if (state.status === "signed-in" && state.user.id === user.id) await reloadAndTell();
      return user;
    },
    async changePassword({ currentPassword, password }) {
      await authenticated(() =>
        api.request(
          "POST",
          "/v1/account/password",
          currentPassword ? { current_password: currentPassword, password } : { password },
        ),
      );
    },
    async changeEmail({ email, currentPassword }) {
      await authenticated(() =>
        api.request(
          "POST",
          "/v1/account/email",
          currentPassword ? { email, current_password: currentPassword } : { email },
        ),
      );
    },
    getMFAStatus: () => authenticated(() => api.request<MFAStatus>("GET", "/v1/mfa")),
    startTOTPEnrollment: () => authenticated(() => api.request<TOTPEnrollment>("POST", "/v1/mfa/totp")),
    async confirmTOTPEnrollment({ code }) {
      return (await authenticated(() => api.request<BackupCodesAnswer>("POST", "/v1/mfa/totp/confirm", { code })))
        .backup_codes;
    },
    async disableTOTP(input) {
      await authenticated(() => api.request("POST", "/v1/mfa/totp/disable", reauthentication(input)));
    },
    async regenerateBackupCodes(input) {
      return (
        await authenticated(() =>
          api.request<BackupCodesAnswer>("POST", "/v1/mfa/backup-codes", reauthentication(input)),
        )
      ).backup_codes;
    },
    async verifySecondFactor(input) {
      const { session } = await authenticated(() => api.request<{ session: Session }>("POST", "/v1/mfa/verify", input));
      // Access tokens carry the second factor's age (`fva`) as of their issue: a new one at once,
      // so the app's next request shows the step-up.
      if (state.status === "signed-in" && state.accessTokenExpiresAt !== null)
        await refreshOnce(true).catch(() => false);
      await reloadAndTell();
      return session;
    },
    sendStepUpSMS: () => authenticated(() => api.request<SMSCodeSent>("POST", "/v1/mfa/sms/send", {})),
    startSMSEnrollment: ({ phoneNumber }) =>
      authenticated(() => api.request<SMSCodeSent>("POST", "/v1/mfa/sms", { phone_number: phoneNumber })),
    async confirmSMSEnrollment({ code }) {
      return (await authenticated(() => api.request<BackupCodesAnswer>("POST", "/v1/mfa/sms/confirm", { code })))
        .backup_codes;
    },
    async disableSMS(input) {
      await authenticated(() => api.request("POST", "/v1/mfa/sms/disable", reauthentication(input)));
    },
    async registerPasskey(input = {}) {
      const { options: optionsJSON } = await authenticated(() =>
        api.request<{ options: PublicKeyCredentialCreationOptionsJSON }>(
          "POST",
          "/v1/passkeys/registration/options",
          reauthentication(input),
        ),
      );
      const response = await runCeremony(webAuthn, () => webAuthn.register(optionsJSON));
      const name = input.name?.trim();
      const { passkey } = await authenticated(() =>
        api.request<{ passkey: Passkey }>(
          "POST",
          "/v1/passkeys/registration",
          name ? { response, name } : { response },
        ),
      );
      return passkey;
    },
    async listPasskeys() {
      return (await authenticated(() => api.request<{ passkeys: Passkey[] }>("GET", "/v1/passkeys"))).passkeys;
    },
    async renamePasskey(id, name) {
      const path = `/v1/passkeys/${encodeURIComponent(id)}`;
      return (await authenticated(() => api.request<{ passkey: Passkey }>("PATCH", path, { name }))).passkey;
    },
    async deletePasskey(id) {
      await authenticated(() => api.request("DELETE", `/v1/passkeys/${encodeURIComponent(id)}`));
    },
    async fetch(input, init = {}) {
      const send = (): Promise<Response> => fetchImpl(input, { credentials: "include", ...init });
      if (state.status === "signed-in" && isDue(state.accessTokenExpiresAt, lifetimeMs)) await refresh();
      const sentWith = heldExpiry();
      const response = await send();
      if (response.status !== 401 || state.status !== "signed-in" || state.accessTokenExpiresAt === null)
        return response;
      return (await refreshOnce(true, sentWith).catch(() => false)) ? send() : response;
    },
    close() {
      closed = true;
      clearTimeout(refreshTimer);
      channel?.removeEventListener("message", onTabMessage);
      channel?.close();
      lock.close();
      if (typeof document !== "undefined") document.removeEventListener("visibilitychange", onVisible);
      if (typeof window !== "undefined") window.removeEventListener("online", onVisible);
      listeners.clear();
    },
  };

  if (options.load ?? true) void load().catch(() => setState({ status: "signed-out" }));
  return client;
}
