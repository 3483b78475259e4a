/**
 * Passkeys (WebAuthn credentials): registering one on a signed-in account, signing in with one
 * and no password (discoverable credentials), and listing, renaming and deleting the caller's own.
 * Verification is @simplewebauthn/server's; this service decides what it is checked against.
 *
 * Rules kept here, each with a test:
 * - The relying party (RP ID, name, expected origins) comes only from the configuration, never
 *   from a request's `Host` or `Origin`; a response made for another origin or RP ID is refused.
 * - A challenge is 32 random bytes, stored only as a SHA-256 hash, valid 5 minutes and used once:
 *   it is consumed by one conditional statement BEFORE the response is verified, so a replayed or
 *   parallel response finds it gone. It is bound to its purpose (a registration challenge never
 *   verifies a sign-in, nor the other way round), to the client (transport and user agent) and, for
 *   registration, to the session (and so the user) that asked for it.
 * - Registration requires user verification and a discoverable (resident) credential; a credential
 *   id already stored, for this user or any other, is refused (a check, and the unique constraint).
 * - Sign-in requires user verification; the credential's owner must be the user the response's
 *   user handle names (a random per-user handle, not the internal user id); the signature is
 *   checked against the stored public key; the counter must move forward unless the authenticator
 *   keeps none (both 0). A counter that did not, on a valid signature, is refused and announced as
 *   `passkey.counter_regressed` (a possibly cloned authenticator).
 * - Every sign-in failure is the same `invalid_passkey`. A verified passkey signs in through
 *   `accounts.completeSignIn` (bans and email verification apply as on every path) as a
 *   multi-factor method: no second-factor challenge, and the session is second-factor verified.
 */
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  VerifiedAuthenticationResponse,
  VerifiedRegistrationResponse,
} from "@simplewebauthn/server";
import type * as WebAuthnServer from "@simplewebauthn/server";
import type * as WebAuthnHelpers from "@simplewebauthn/server/helpers";
import type { AccountService, SignInClient, SignInResult } from "../accounts/service.js";
import type { ThrottleLimit } from "../config.js";
import {
  GatehouseError,
  InvalidPasskeyError,
  NotAvailableError,
  NotFoundError,
  PasskeyAlreadyRegisteredError,
  RateLimitedError,
} from "../errors/index.js";
import type { EventBus } from "../events/bus.js";
import { throttleKeyForIP } from "../http/client-ip.js";
import type { Caller } from "../http/route.js";
import { base64url, constantTimeEqual, randomBytes, randomId, sha256base64url } from "../lib/encoding.js";
import type {
  PasskeyChallengePurpose,
  PasskeyRecord,
  PasskeyStore,
  RateLimiterFactory,
  UserRecord,
  UserStore,
} from "../storage/ports.js";

/** How long a registration or sign-in challenge can be answered. */
export const PASSKEY_CHALLENGE_TTL_MS = 5 * 60 * 1000;
/** The name a passkey gets when the user gives none. */
export const DEFAULT_PASSKEY_NAME = "Passkey";

/** Transports WebAuthn defines; anything else a client reports is not stored. */
const KNOWN_TRANSPORTS = new Set(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"]);

/** The WebAuthn relying party, from the configuration only. */
export interface RelyingParty {
  /** The domain passkeys are bound to. */
  rpID: string;
  /** What the browser shows when creating a passkey. */
  rpName: string;
  /** Origins whose pages may answer a challenge. */
  origins: string[];
}

/** Options of {@link createPasskeyService}. */
export interface PasskeyServiceOptions {
  store: PasskeyStore;
  users: UserStore;
  /** Signs a verified user in (the one sign-in seam). */
  accounts: Pick<AccountService, "completeSignIn">;
  events: EventBus;
  clock: () => number;
  /** Null when passkeys are off (no usable RP ID): every passkey route then answers `not_available`. */
  relyingParty: RelyingParty | null;
  /** Backend of the per-network limit on sign-in challenges. */
  rateLimiters: RateLimiterFactory;
  /** Sign-in challenges one client network may ask for per window (the password sign-in's per-IP limit). */
  signInPerIP: ThrottleLimit;
}

/** Registering, using and managing passkeys. */
export interface PasskeyService {
  /** Options for `navigator.credentials.create`; re-authentication is the caller's job. @throws NotAvailableError */
  registrationOptions(caller: Caller, client: SignInClient): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /**
   * Verifies a registration answered to this session's challenge and stores the passkey.
   * @throws InvalidPasskeyError, PasskeyAlreadyRegisteredError, NotAvailableError
   */
  register(
    caller: Caller,
    input: { response: RegistrationResponseJSON; name?: string | undefined },
    client: SignInClient,
  ): Promise<PasskeyRecord>;
  /** The user's passkeys, oldest first. */
  list(user: UserRecord): Promise<PasskeyRecord[]>;
  /** @throws NotFoundError when the user has no passkey `id` */
  rename(user: UserRecord, id: string, name: string, client: SignInClient): Promise<PasskeyRecord>;
  /** @throws NotFoundError when the user has no passkey `id` */
  remove(user: UserRecord, id: string, client: SignInClient): Promise<void>;
  /** Options for `navigator.credentials.get` (discoverable: no credential list). @throws RateLimitedError, NotAvailableError */
  signInOptions(client: SignInClient): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /**
   * Verifies a sign-in response and signs its owner in with a fresh, second-factor-verified session.
   * @throws InvalidPasskeyError for every verification failure; UserBannedError, EmailNotVerifiedError
   */
  signIn(response: AuthenticationResponseJSON, client: SignInClient): Promise<SignInResult>;
  /** Removes expired challenges. */
  sweep(): Promise<void>;
}

type WebAuthnLibrary = typeof WebAuthnServer & typeof WebAuthnHelpers;
let library: Promise<WebAuthnLibrary> | undefined;

/**
 * @simplewebauthn/server, loaded on the first passkey request: with its ASN.1 and X.509
 * dependencies it takes longer to load than the rest of the engine's, and most processes (CLI
 * commands, instances that never see a passkey) would pay that at every start for nothing.
 */
function webauthn(): Promise<WebAuthnLibrary> {
  library ??= Promise.all([import("@simplewebauthn/server"), import("@simplewebauthn/server/helpers")]).then(
    ([server, helpers]) => ({ ...server, ...helpers }),
  );
  return library;
}

/** The challenge a response echoes in its client data, or an {@link InvalidPasskeyError}. */
async function echoedChallenge(clientDataJSON: string): Promise<string> {
  const { decodeClientDataJSON } = await webauthn();
  try {
    const { challenge } = decodeClientDataJSON(clientDataJSON);
    if (typeof challenge === "string" && challenge.length > 0 && challenge.length <= 512) return challenge;
  } catch {
    // Not base64url, not JSON: the same answer as any other failure.
  }
  throw new InvalidPasskeyError();
}

/** Creates the passkey service. */
export function createPasskeyService(options: PasskeyServiceOptions): PasskeyService {
  const { store, users, accounts, events, clock, relyingParty } = options;
  const signInLimiter = options.rateLimiters({ name: "passkey-sign-in-ip", ...options.signInPerIP });

  function rp(): RelyingParty {
    if (!relyingParty) {
      throw new NotAvailableError(
        "Passkeys need a domain name as RP ID: set GATEHOUSE_WEBAUTHN_RP_ID (the base URL's host is an IP address).",
      );
    }
    return relyingParty;
  }

  const clientHashOf = (client: SignInClient): Promise<string> =>
    sha256base64url(`passkey-client.${client.transport}.${client.userAgent ?? ""}`);

  /** Stores a new challenge for `purpose`; returns its random bytes for the options. */
  async function issueChallenge(
    purpose: PasskeyChallengePurpose,
    client: SignInClient,
    caller: Caller | null,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = randomBytes(32);
    const now = clock();
    await store.createPasskeyChallenge({
      id: randomId("pkc"),
      // The browser echoes the challenge base64url-encoded; that string is what is looked up.
      challengeHash: await sha256base64url(base64url(bytes)),
      purpose,
      userId: caller?.user.id ?? null,
      sessionId: caller?.session.id ?? null,
      clientHash: await clientHashOf(client),
      createdAt: now,
      expiresAt: now + PASSKEY_CHALLENGE_TTL_MS,
      usedAt: null,
    });
    return bytes;
  }

  /**
   * Uses up the challenge a response echoes, for `purpose`, if this client (and, for registration,
   * this session) was given it; returns the challenge string to verify the response against.
   */
  async function consumeChallenge(
    clientDataJSON: string,
    purpose: PasskeyChallengePurpose,
    client: SignInClient,
    caller: Caller | null,
  ): Promise<string> {
    const challenge = await echoedChallenge(clientDataJSON);
    const record = await store.consumePasskeyChallenge(
      {
        challengeHash: await sha256base64url(challenge),
        purpose,
        clientHash: await clientHashOf(client),
        sessionId: caller?.session.id ?? null,
      },
      clock(),
    );
    if (!record || record.userId !== (caller?.user.id ?? null)) throw new InvalidPasskeyError();
    return challenge;
  }

  async function ownPasskey(user: UserRecord, id: string): Promise<PasskeyRecord> {
    const passkey = (await store.listPasskeys(user.id)).find((each) => each.id === id);
    if (!passkey) throw new NotFoundError("No such passkey.");
    return passkey;
  }

  async function verifiedSignIn(response: AuthenticationResponseJSON, client: SignInClient): Promise<UserRecord> {
    const party = rp();
    const challenge = await consumeChallenge(response.response.clientDataJSON, "authentication", client, null);
    const passkey = await store.getPasskeyByCredentialId(response.id);
    if (!passkey) throw new InvalidPasskeyError();
    // A discoverable credential names its user; it must be the credential's owner, so a credential
    // cannot be presented as (or on behalf of) another account.
    const handle = await store.getPasskeyUserHandle(passkey.userId);
    const presented = response.response.userHandle;
    if (handle === null || typeof presented !== "string" || !constantTimeEqual(presented, handle)) {
      throw new InvalidPasskeyError();
    }
    const { isoBase64URL, verifyAuthenticationResponse } = await webauthn();
    let verification: VerifiedAuthenticationResponse;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: party.origins,
        expectedRPID: party.rpID,
        // The counter is checked below, after the signature, by the store in one statement: the
        // library's own check would refuse a regression before knowing the response is genuine,
        // and could not decide a race between two sign-ins.
        credential: {
          id: passkey.credentialId,
          publicKey: isoBase64URL.toBuffer(passkey.publicKey),
          counter: 0,
          transports: passkey.transports,
        },
        requireUserVerification: true,
      });
    } catch {
      throw new InvalidPasskeyError();
    }
    if (!verification.verified) throw new InvalidPasskeyError();
    const { newCounter, credentialBackedUp } = verification.authenticationInfo;
    const now = clock();
    if (
      !(await store.recordPasskeyUse(passkey.id, { counter: newCounter, backedUp: credentialBackedUp, usedAt: now }))
    ) {
      events.emit({
        type: "passkey.counter_regressed",
        userId: passkey.userId,
        ip: client.ip,
        userAgent: client.userAgent,
        data: { passkeyId: passkey.id, storedCounter: passkey.counter, presentedCounter: newCounter },
      });
      throw new InvalidPasskeyError();
    }
    const user = await users.getUserById(passkey.userId);
    if (!user) throw new InvalidPasskeyError();
    return user;
  }

  return {
    async registrationOptions(caller, client) {
      const party = rp();
      const { generateRegistrationOptions, isoBase64URL } = await webauthn();
      const { user } = caller;
      const handle = await store.ensurePasskeyUserHandle(user.id, base64url(randomBytes(32)), clock());
      const existing = await store.listPasskeys(user.id);
      const challenge = await issueChallenge("registration", client, caller);
      return generateRegistrationOptions({
        rpName: party.rpName,
        rpID: party.rpID,
        userName: user.email,
        userDisplayName: user.name ?? user.email,
        userID: isoBase64URL.toBuffer(handle),
        challenge,
        timeout: PASSKEY_CHALLENGE_TTL_MS,
        attestationType: "none",
        // The browser refuses to make a second passkey on an authenticator that has one already.
        excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
        // Required, not preferred: a passkey sign-in counts as two factors only with user
        // verification, and a discoverable credential is what signing in without an email needs.
        // Asking for "required" makes an unsuitable authenticator fail in the browser, with the
        // browser's own message, instead of after the fact here.
        authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
      });
    },

    async register(caller, input, client) {
      const party = rp();
      const { response } = input;
      const challenge = await consumeChallenge(response.response.clientDataJSON, "registration", client, caller);
      const { isoBase64URL, verifyRegistrationResponse } = await webauthn();
      let verification: VerifiedRegistrationResponse;
      try {
        verification = await verifyRegistrationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin: party.origins,
          expectedRPID: party.rpID,
          requireUserVerification: true,
        });
      } catch {
        throw new InvalidPasskeyError();
      }
      if (!verification.verified) throw new InvalidPasskeyError();
      const info = verification.registrationInfo;
      // The id the browser reports must be the one the authenticator attested to.
      if (info.credential.id !== response.id) throw new InvalidPasskeyError();
      if (await store.getPasskeyByCredentialId(info.credential.id)) throw new PasskeyAlreadyRegisteredError();
      const now = clock();
      const passkey: PasskeyRecord = {
        id: randomId("pk"),
        userId: caller.user.id,
        credentialId: info.credential.id,
        publicKey: isoBase64URL.fromBuffer(info.credential.publicKey),
        counter: info.credential.counter,
        transports: [...new Set(response.response.transports ?? [])].filter((each) => KNOWN_TRANSPORTS.has(each)),
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        name: input.name ?? DEFAULT_PASSKEY_NAME,
        createdAt: now,
        lastUsedAt: null,
      };
      // The check above answers clearly; the unique constraint decides a race between two accounts.
      if (!(await store.createPasskey(passkey))) throw new PasskeyAlreadyRegisteredError();
      events.emit({
        type: "passkey.created",
        userId: caller.user.id,
        sessionId: caller.session.id,
        ip: client.ip,
        userAgent: client.userAgent,
        data: { passkeyId: passkey.id, passkeyName: passkey.name, deviceType: passkey.deviceType },
      });
      return passkey;
    },

    list: (user) => store.listPasskeys(user.id),

    async rename(user, id, name, client) {
      const renamed = await store.renamePasskey(user.id, id, name);
      if (!renamed) throw new NotFoundError("No such passkey.");
      events.emit({
        type: "passkey.renamed",
        userId: user.id,
        ip: client.ip,
        userAgent: client.userAgent,
        data: { passkeyId: id, passkeyName: name },
      });
      return renamed;
    },

    async remove(user, id, client) {
      const passkey = await ownPasskey(user, id);
      if (!(await store.deletePasskey(user.id, id))) throw new NotFoundError("No such passkey.");
      events.emit({
        type: "passkey.deleted",
        userId: user.id,
        ip: client.ip,
        userAgent: client.userAgent,
        data: { passkeyId: id, passkeyName: passkey.name },
      });
    },

    async signInOptions(client) {
      const party = rp();
      // Each options call stores a challenge and each sign-in needs one, so this one limit bounds
      // both what an anonymous client can store and how often it can try.
      if (client.ip !== null) {
        const allowed = await signInLimiter.consume(throttleKeyForIP(client.ip));
        if (!allowed.allowed) throw new RateLimitedError(allowed.retryAfterSeconds);
      }
      const challenge = await issueChallenge("authentication", client, null);
      const { generateAuthenticationOptions } = await webauthn();
      return generateAuthenticationOptions({
        rpID: party.rpID,
        challenge,
        timeout: PASSKEY_CHALLENGE_TTL_MS,
        // Empty: the authenticator offers the passkeys it holds for this RP ID, and the one chosen
        // says whose it is.
        allowCredentials: [],
        userVerification: "required",
      });
    },

    async signIn(response, client) {
      let userId: string | null = null;
      try {
        const user = await verifiedSignIn(response, client);
        userId = user.id;
        return await accounts.completeSignIn(user, client, "passkey");
      } catch (error) {
        if (
          error instanceof GatehouseError &&
          ["invalid_passkey", "user_banned", "email_not_verified"].includes(error.code)
        ) {
          events.emit({
            type: "sign_in.failed",
            userId,
            ip: client.ip,
            userAgent: client.userAgent,
            data: { method: "passkey", reason: error.code },
          });
        }
        throw error;
      }
    },

    async sweep() {
      await store.deleteExpiredPasskeyChallenges(clock());
    },
  };
}
