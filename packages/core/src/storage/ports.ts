/**
 * Storage ports: the small interfaces the engine talks to. Each adapter (SQLite, PostgreSQL,
 * Redis, memory) implements some of them and is proven by the one conformance suite in
 * `conformance.test-suite.ts`.
 *
 * All timestamps are milliseconds since the Unix epoch. Records hold only hashes of
 * credentials, never a usable token or password (see DESIGN.md invariants).
 */

/** A stored account. */
export interface UserRecord {
  /** Public id, `user_…`. */
  id: string;
  /** The address as the user typed it (for display and for sending mail). */
  email: string;
  /** Lower-cased address; unique across users. */
  emailNormalized: string;
  name: string | null;
  /** PHC-format hash (algorithm and parameters included), or null for password-less accounts. */
  passwordHash: string | null;
  /** When the email address was verified, or null. */
  emailVerifiedAt: number | null;
  createdAt: number;
  updatedAt: number;
  /**
   * JSON object the application may show to the user and to its frontend; set only through the
   * admin API (never by the user). `{}` when unset.
   */
  publicMetadata: Record<string, unknown>;
  /** JSON object for the application's backend only; never sent to the user. `{}` when unset. */
  privateMetadata: Record<string, unknown>;
  /** When an admin banned the user, or null. A banned user cannot sign in or use a session. */
  bannedAt: number | null;
}

/** Fields that start empty on a new account unless given (imports and the admin API give them). */
type OptionalOnCreate = "publicMetadata" | "privateMetadata" | "bannedAt";

/**
 * Fields for a new account. Metadata defaults to `{}` and `bannedAt` to null, so a sign-up
 * needs none of the admin-only fields.
 */
export type NewUser = Omit<UserRecord, "updatedAt" | OptionalOnCreate> & Partial<Pick<UserRecord, OptionalOnCreate>>;

/** Accounts. */
export interface UserStore {
  /**
   * Inserts a user.
   * @throws EmailTakenError when another user already has the same `emailNormalized`.
   */
  createUser(user: NewUser): Promise<UserRecord>;
  getUserById(id: string): Promise<UserRecord | null>;
  getUserByEmail(emailNormalized: string): Promise<UserRecord | null>;
  /** Replaces the password hash (rehash on parameter upgrade, password change). */
  updatePasswordHash(userId: string, passwordHash: string, updatedAt: number): Promise<void>;
  /**
   * Marks the user's address verified, but only while it still is `emailNormalized` (a proof
   * of an old address must not verify a new one) and only if it was not verified yet.
   * @returns whether the record changed.
   */
  markEmailVerified(userId: string, emailNormalized: string, verifiedAt: number): Promise<boolean>;
  /**
   * Replaces the user's address (an email change, after the new address was verified). Only
   * applies while the current address is still `expectedEmailNormalized`.
   * @returns whether the record changed.
   * @throws EmailTakenError when another user already has the new `emailNormalized`.
   */
  updateEmail(
    userId: string,
    change: { expectedEmailNormalized: string; email: string; emailNormalized: string; emailVerifiedAt: number | null },
    updatedAt: number,
  ): Promise<boolean>;
}

/**
 * Filters and position of one page of {@link UserAdminStore.listUsers}. Users come newest
 * first, ordered by `(createdAt, id)` descending, so a page boundary never moves when users are
 * added.
 */
export interface UserListQuery {
  /** Case-insensitive substring of the email address or the name. */
  search?: string;
  /** Only banned (true) or only not banned (false) users. */
  banned?: boolean;
  /** Only users whose email is verified (true) or not (false). */
  verified?: boolean;
  /** Only users created at or after this instant. */
  createdFrom?: number;
  /** Only users created before this instant. */
  createdBefore?: number;
  /** Continue after this user (the last one of the previous page). */
  after?: { createdAt: number; id: string };
  /** Most users to return. */
  limit: number;
}

/** Changes an admin can make to a user; absent members stay as they are. */
export interface UserChanges {
  email?: string;
  emailNormalized?: string;
  name?: string | null;
  emailVerifiedAt?: number | null;
  publicMetadata?: Record<string, unknown>;
  privateMetadata?: Record<string, unknown>;
  bannedAt?: number | null;
}

/** What the admin API needs beyond {@link UserStore}: listing, changing and deleting users. */
export interface UserAdminStore {
  /** One page of users, newest first (see {@link UserListQuery}). */
  listUsers(query: UserListQuery): Promise<UserRecord[]>;
  /**
   * Applies `changes` and sets `updatedAt`; returns the updated user, or null when there is none.
   * @throws EmailTakenError when the new `emailNormalized` belongs to another user.
   */
  updateUser(id: string, changes: UserChanges, updatedAt: number): Promise<UserRecord | null>;
  /** Removes the user and their credentials; true when there was one. Sessions must be revoked first. */
  deleteUser(id: string): Promise<boolean>;
}

/** A stored session. The client holds `<id>.<secret>`; the store only `secretHash`. */
export interface SessionRecord {
  /** Public id, `sess_…`; safe to show and to use in URLs. */
  id: string;
  userId: string;
  /** base64url SHA-256 of the secret half of the session token. */
  secretHash: string;
  createdAt: number;
  lastActiveAt: number;
  /** lastActiveAt + idle timeout: the session dies here unless touched. */
  idleExpiresAt: number;
  /** Absolute end of the session; never extended. */
  expiresAt: number;
  /** Client IP at creation, for the user's session list. */
  ip: string | null;
  /** User-Agent at creation, for the user's session list. */
  userAgent: string | null;
  /** How many times the refresh token was rotated (jwt and hybrid strategies); 0 otherwise. */
  generation: number;
  /** Hash of the secret before the last rotation, honoured within the grace window. */
  previousSecretHash: string | null;
  /** When the secret was last rotated. */
  rotatedAt: number | null;
  /**
   * When a second factor was last verified in this session (at sign-in, or a later step-up), or
   * null if never. Access tokens carry its age as the `fva` claim.
   */
  secondFactorVerifiedAt: number | null;
}

/** The fields a refresh-token rotation changes. */
export type SessionRotation = Pick<
  SessionRecord,
  "secretHash" | "previousSecretHash" | "rotatedAt" | "generation" | "lastActiveAt" | "idleExpiresAt"
>;

/** Sessions: in the database by default, in Redis when configured. */
export interface SessionStore {
  createSession(session: SessionRecord): Promise<void>;
  /** The session, or null if it does not exist. Expired records may be returned; callers check. */
  getSession(id: string): Promise<SessionRecord | null>;
  /**
   * Records activity. Must never bring back a session that was deleted meanwhile (a sign-out on
   * another instance wins over a concurrent touch).
   */
  touchSession(id: string, lastActiveAt: number, idleExpiresAt: number): Promise<void>;
  /**
   * Applies a refresh-token rotation only if the session's `secretHash` is still
   * `expectedSecretHash`, atomically: of several concurrent rotations exactly one wins.
   * @returns whether this call applied it (false: another rotation won, or the session is gone).
   */
  rotateSessionSecret(id: string, expectedSecretHash: string, rotation: SessionRotation): Promise<boolean>;
  /**
   * Records a second-factor verification (step-up) on the session. Like a touch, it never brings
   * back a session deleted meanwhile.
   */
  markSecondFactorVerified(id: string, verifiedAt: number): Promise<void>;
  deleteSession(id: string): Promise<void>;
  /** Every stored session of the user, expired ones possibly included. */
  listSessionsByUser(userId: string): Promise<SessionRecord[]>;
  deleteSessionsByUser(userId: string): Promise<void>;
  /** Removes sessions past either expiry; returns how many were removed (0 if the store expires them itself). */
  deleteExpiredSessions(now: number): Promise<number>;
  /** Throws if the store cannot be reached. */
  ping(): Promise<void>;
  /** Releases connections the store opened itself. */
  close(): Promise<void>;
}

/** A stored admin secret key (`gh_sk_…`); only its hash is kept. */
export interface SecretKeyRecord {
  id: string;
  /** base64url SHA-256 of the whole key. */
  keyHash: string;
  createdAt: number;
  revokedAt: number | null;
  /** A label chosen at creation (e.g. "billing backend"), or null. */
  name: string | null;
  /** The key's last four characters, so operators can tell keys apart; never enough to use it. */
  hint: string | null;
  /** Last time the key opened the admin API (written at most once a minute), or null. */
  lastUsedAt: number | null;
}

/** Fields for a new key; the label, hint and last use are optional. */
export type NewSecretKey = Omit<SecretKeyRecord, "name" | "hint" | "lastUsedAt"> &
  Partial<Pick<SecretKeyRecord, "name" | "hint" | "lastUsedAt">>;

/** Admin secret keys. */
export interface SecretKeyStore {
  createSecretKey(key: NewSecretKey): Promise<void>;
  /** The key with this hash if it exists and is not revoked. */
  findActiveSecretKey(keyHash: string): Promise<SecretKeyRecord | null>;
  /** The key with this hash, revoked or not. */
  findSecretKeyByHash(keyHash: string): Promise<SecretKeyRecord | null>;
  countActiveSecretKeys(): Promise<number>;
  /** Every key, revoked ones included, oldest first. */
  listSecretKeys(): Promise<SecretKeyRecord[]>;
  /**
   * Marks the key revoked at `revokedAt` unless it already is; returns the key as stored
   * afterwards (with the earlier revocation time if it was revoked before), or null if unknown.
   */
  revokeSecretKey(id: string, revokedAt: number): Promise<SecretKeyRecord | null>;
  /** Records a use of the key. */
  touchSecretKey(id: string, lastUsedAt: number): Promise<void>;
}

/** A stored JWT signing key. The private half is encrypted at rest. */
export interface SigningKeyRecord {
  /** The `kid`. */
  id: string;
  algorithm: "EdDSA" | "ES256";
  /** Public JWK as JSON. */
  publicJWK: string;
  /** Private JWK as JSON, encrypted with the configured encryption key (`lib/encryption.ts`). */
  encryptedPrivateJWK: string;
  createdAt: number;
  /** When the key stopped signing; null while it is the signing key. */
  retiredAt: number | null;
  /** Until when a retired key stays published, so tokens it signed can still be verified. */
  publishUntil: number | null;
}

/** JWT signing keys. */
export interface SigningKeyStore {
  createSigningKey(key: SigningKeyRecord): Promise<void>;
  /** Keys to publish at `now`: every unretired key, and retired ones whose `publishUntil` is later. */
  listSigningKeys(now: number): Promise<SigningKeyRecord[]>;
  /** Retires every unretired key except `keepId`. */
  retireSigningKeys(keepId: string, retiredAt: number, publishUntil: number): Promise<void>;
}

/** One revoked session, as the revocation feed announces it. */
export interface RevocationEntry {
  sessionId: string;
  userId: string;
  revokedAt: number;
  /** After this instant no access token of the session can still be valid; the entry can go. */
  until: number;
}

/** A revocation with its position in the log. */
export interface RevocationLogEntry extends RevocationEntry {
  /** Opaque, increasing position; verifiers resume after it (SSE `Last-Event-ID`). */
  cursor: string;
}

/**
 * The ordered log behind the revocation feed: what verifiers replay after a reconnect, and the
 * live stream every instance sharing the log sees.
 */
export interface RevocationLog {
  append(entry: RevocationEntry): Promise<RevocationLogEntry>;
  /** Entries after `cursor` (from the oldest retained when null), oldest first, at most `limit`. */
  readAfter(cursor: string | null, limit: number): Promise<RevocationLogEntry[]>;
  /** Calls `listener` for every entry appended from now on by any instance sharing the log. */
  subscribe(listener: (entry: RevocationLogEntry) => void): () => void;
  /** Removes entries whose `until` has passed; they can no longer matter to any verifier. */
  prune(now: number): Promise<number>;
  /** Stops live delivery and releases what the log opened itself. */
  close(): Promise<void>;
}

/** What a {@link UserChangeFeed} tells its listeners. */
export interface UserChangeListener {
  /** The user's record changed (any field, or it was deleted). */
  changed(userId: string): void;
  /** Delivery stopped (the connection was lost): changes may be missed until `connected` again. */
  interrupted(): void;
}

/**
 * Tells every instance sharing a database that a user record changed, so that what an instance
 * keeps of the user (the session check's user cache) is dropped everywhere, not only where the
 * change was made. In-process for one instance; Redis publish/subscribe for many.
 */
export interface UserChangeFeed {
  /**
   * True while every change published by any instance reaches this feed's listeners. A cache
   * keeps nothing while it is false.
   */
  readonly connected: boolean;
  /** Announces a change of the user to the listeners of every instance, this one included. */
  publish(userId: string): Promise<void>;
  /** Listens from now on; returns the function that stops listening. */
  subscribe(listener: UserChangeListener): () => void;
  /** Stops delivery and releases what the feed opened itself. */
  close(): Promise<void>;
}

/** What an emailed token is for; a token is only ever accepted for its own purpose. */
export type EmailTokenPurpose = "password_reset" | "magic_link" | "sign_in_code" | "verify_email";

/**
 * A single-use token sent by email: a link secret, a code, or both. Only hashes are stored.
 * At most one token per user and purpose is usable: the newest.
 */
export interface EmailTokenRecord {
  /** `etok_…`. */
  id: string;
  userId: string;
  purpose: EmailTokenPurpose;
  /** The address it was sent to, as the message was addressed (for an address change: the new one). */
  email: string;
  /**
   * The account's normalized address when the token was issued. The token is void once the
   * account has another address, however that happened.
   */
  accountEmail: string;
  /** base64url SHA-256 of the link secret, or null for code-only tokens. Unique. */
  secretHash: string | null;
  /** base64url SHA-256 of the token id and the code, or null for link-only tokens. */
  codeHash: string | null;
  /** Code tries made so far (right or wrong). */
  attempts: number;
  /** Where a magic link sends the browser after signing in; null for the default. */
  redirectURL: string | null;
  createdAt: number;
  expiresAt: number;
  /** When it was used or voided; null while usable. */
  usedAt: number | null;
}

/** Emailed tokens. Every method that changes a token is atomic, so parallel requests cannot both use one. */
export interface EmailTokenStore {
  /**
   * Inserts a token and voids (sets `usedAt` on) the user's other unused tokens of the same
   * purpose: a newer request voids an older one.
   */
  createEmailToken(token: EmailTokenRecord): Promise<void>;
  /** The token with this secret hash, in any state, or null. */
  getEmailTokenBySecretHash(secretHash: string): Promise<EmailTokenRecord | null>;
  /** The user's newest token of the purpose (by `createdAt`, then `id`), in any state, or null. */
  getLatestEmailToken(userId: string, purpose: EmailTokenPurpose): Promise<EmailTokenRecord | null>;
  /**
   * Uses the token: sets `usedAt` only if it is unused, not expired at `now`, and the newest of its
   * user and purpose. Atomic: of several concurrent calls, at most one returns true.
   */
  consumeEmailToken(id: string, now: number): Promise<boolean>;
  /**
   * Counts one code try before the code is compared: increments `attempts` only if the token is
   * unused, not expired and has had fewer than `maxAttempts` tries. Atomic, so parallel guesses
   * can never make more than `maxAttempts` comparisons.
   * @returns whether the try may go ahead.
   */
  reserveEmailCodeAttempt(id: string, maxAttempts: number, now: number): Promise<boolean>;
  /** Voids the token if it has used up its `maxAttempts` tries. */
  voidExhaustedEmailToken(id: string, maxAttempts: number, now: number): Promise<void>;
  /** Voids every unused token of the user with one of the purposes. */
  voidEmailTokens(userId: string, purposes: readonly EmailTokenPurpose[], now: number): Promise<void>;
  /** Removes tokens expired at `now`; returns how many. */
  deleteExpiredEmailTokens(now: number): Promise<number>;
}

/** How a sign-in's device relates to the user's known devices. */
export type DeviceRecognition = "known" | "new" | "first";

/** Devices (browsers, apps) a user has signed in from, by a hash of their device key. */
export interface KnownDeviceStore {
  /**
   * Records a sign-in from the device and says whether it was `known` (seen since `knownSince`),
   * `new` (the user has other known devices, not this one) or the user's `first`. Forgets the
   * user's devices not seen since `knownSince`. Concurrent calls for one device never fail.
   */
  recordDeviceSignIn(userId: string, deviceHash: string, now: number, knownSince: number): Promise<DeviceRecognition>;
}

/** A webhook endpoint: where events of the subscribed types are delivered. */
export interface WebhookEndpointRecord {
  /** Public id, `wh_…`. */
  id: string;
  /** Validated at creation and update; checked again, after DNS resolution, at every delivery. */
  url: string;
  description: string | null;
  /** The event types delivered to it, in the order given. */
  eventTypes: string[];
  /**
   * The signing secret (`whsec_…`), encrypted with the engine's encryption key. Stored usable
   * only through that key because signing needs the secret itself, not a hash of it.
   */
  secretCiphertext: string;
  /** The secret before the last rotation, still signing alongside until `previousSecretExpiresAt`. */
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: number | null;
  /** When it was disabled (nothing is delivered to it meanwhile), or null while enabled. */
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Fields of a webhook endpoint that can change. */
export type WebhookEndpointChanges = Partial<
  Pick<
    WebhookEndpointRecord,
    | "url"
    | "description"
    | "eventTypes"
    | "secretCiphertext"
    | "previousSecretCiphertext"
    | "previousSecretExpiresAt"
    | "disabledAt"
  >
> & { updatedAt: number };

/** Where a delivery stands: `pending` until it succeeds or runs out of attempts. */
export type WebhookDeliveryStatus = "pending" | "succeeded" | "failed";

/** One message to one endpoint, retried until it succeeds or its attempts run out. */
export interface WebhookDeliveryRecord {
  /** `msg_…`; sent as `webhook-id`, the same on every attempt so receivers can deduplicate. */
  id: string;
  endpointId: string;
  eventType: string;
  /** The exact JSON body that is signed and sent, identical on every attempt. */
  payload: string;
  status: WebhookDeliveryStatus;
  /** Attempts started so far. */
  attemptCount: number;
  /** After this many failed attempts the delivery is `failed`. */
  maxAttempts: number;
  /** When the next attempt is due; null once finished. */
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  /** HTTP status of the last attempt's answer, or null (none yet, or no answer). */
  lastResponseStatus: number | null;
  /** Why the last attempt failed, or null. Never contains a secret. */
  lastError: string | null;
  createdAt: number;
  /** When it succeeded or finally failed; null while pending. */
  completedAt: number | null;
}

/** Fields of a new delivery: pending, no attempt yet. */
export type NewWebhookDelivery = Pick<
  WebhookDeliveryRecord,
  "id" | "endpointId" | "eventType" | "payload" | "maxAttempts" | "createdAt"
> & { nextAttemptAt: number };

/** A delivery claimed by one worker, with the token that proves the claim when finishing it. */
export interface ClaimedWebhookDelivery {
  delivery: WebhookDeliveryRecord;
  claimToken: string;
}

/** One attempt of a delivery, for the delivery log. */
export interface WebhookAttemptRecord {
  deliveryId: string;
  /** 1 for the first attempt. */
  attempt: number;
  startedAt: number;
  durationMs: number;
  /** The receiver's HTTP status, or null when there was no answer (refused, timed out…). */
  responseStatus: number | null;
  /** The start of the receiver's answer, for debugging; capped in length. */
  responseBody: string | null;
  error: string | null;
}

/** How a finished attempt leaves its delivery. */
export interface WebhookAttemptOutcome {
  status: WebhookDeliveryStatus;
  nextAttemptAt: number | null;
  completedAt: number | null;
}

/** Webhook endpoints, their deliveries and the delivery log. */
export interface WebhookStore {
  createWebhookEndpoint(endpoint: WebhookEndpointRecord): Promise<void>;
  getWebhookEndpoint(id: string): Promise<WebhookEndpointRecord | null>;
  /** Every endpoint, oldest first. */
  listWebhookEndpoints(): Promise<WebhookEndpointRecord[]>;
  /** Applies `changes` and returns the updated endpoint, or null if there is none with this id. */
  updateWebhookEndpoint(id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpointRecord | null>;
  /** Deletes the endpoint with its deliveries and their attempts; false if there was none. */
  deleteWebhookEndpoint(id: string): Promise<boolean>;

  /** Inserts pending deliveries (all or none). */
  createWebhookDeliveries(deliveries: NewWebhookDelivery[]): Promise<void>;
  getWebhookDelivery(id: string): Promise<WebhookDeliveryRecord | null>;
  /**
   * An endpoint's deliveries, newest first (by `createdAt`, then `id`), optionally of one status,
   * starting after `after` (the last delivery of the previous page).
   */
  listWebhookDeliveries(
    endpointId: string,
    options: { limit: number; status?: WebhookDeliveryStatus; after?: { createdAt: number; id: string } },
  ): Promise<WebhookDeliveryRecord[]>;
  /** The attempts of a delivery, first attempt first. */
  listWebhookAttempts(deliveryId: string): Promise<WebhookAttemptRecord[]>;

  /**
   * Atomically claims up to `limit` pending deliveries due at `now` (earliest first) whose
   * endpoint is enabled and which no live claim holds, for one attempt each: counts the attempt,
   * sets `lastAttemptAt = now` and holds the claim until `leaseUntil`. Concurrent callers, in this
   * process or another on the same database, never receive the same delivery while a claim on
   * it is live.
   */
  claimDueWebhookDeliveries(options: {
    now: number;
    limit: number;
    leaseUntil: number;
  }): Promise<ClaimedWebhookDelivery[]>;
  /**
   * Records an attempt in the log and, if `claimToken` still holds the claim, applies `outcome`
   * and releases the claim. Returns whether the claim was still held (false: the lease ran out
   * and the delivery may have been claimed again; its state is then left to the new holder).
   */
  finishWebhookAttempt(input: {
    claimToken: string;
    attempt: WebhookAttemptRecord;
    outcome: WebhookAttemptOutcome & { lastResponseStatus: number | null; lastError: string | null };
  }): Promise<boolean>;
  /** Gives a claimed delivery back without counting its attempt (e.g. at shutdown). */
  releaseWebhookDelivery(deliveryId: string, claimToken: string): Promise<void>;
  /**
   * Makes a delivery due at `now`: a pending one keeps its remaining attempts; a finished one
   * becomes pending again for exactly one more attempt. Returns it, or null if there is none.
   */
  retryWebhookDelivery(id: string, now: number): Promise<WebhookDeliveryRecord | null>;
  /** Deletes finished deliveries completed before `before`, with their attempts; returns how many. */
  deleteFinishedWebhookDeliveries(before: number): Promise<number>;
}

/**
 * A persisted security event (see `events/bus.ts`). `type` is a plain string so later features
 * add event types without a schema change.
 */
export interface SecurityEventRecord {
  /** `evt_…`; sorts in the order the events were recorded (time first). */
  id: string;
  type: string;
  occurredAt: number;
  userId: string | null;
  sessionId: string | null;
  /** `user`, `admin` or `system`, or null when the event names no actor. */
  actorType: string | null;
  /** User id or secret key id of the actor. */
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** Type-specific details; never a secret. */
  data: Record<string, unknown>;
}

/** Filters and position of one page of {@link SecurityEventStore.listSecurityEvents}, newest first. */
export interface SecurityEventQuery {
  /** Only these types (any of them). */
  types?: string[];
  userId?: string;
  actorId?: string;
  /** Only events at or after this instant. */
  from?: number;
  /** Only events before this instant. */
  to?: number;
  /** Continue with events older than this id (the last one of the previous page). */
  beforeId?: string;
  limit: number;
}

/** Security events, kept for the configured retention. */
export interface SecurityEventStore {
  appendSecurityEvent(event: SecurityEventRecord): Promise<void>;
  /** One page of events, newest first (by id). */
  listSecurityEvents(query: SecurityEventQuery): Promise<SecurityEventRecord[]>;
  /** Removes events that occurred before `cutoff`; returns how many. */
  deleteSecurityEventsBefore(cutoff: number): Promise<number>;
}

/** A user's TOTP authenticator (at most one per user). */
export interface TOTPFactorRecord {
  userId: string;
  /** The base32 secret, encrypted with the engine's encryption key (purpose `totp-secrets`). */
  encryptedSecret: string;
  createdAt: number;
  /** When the user proved the authenticator works; null while enrolment is pending. */
  confirmedAt: number | null;
  /** The newest time step a code was accepted for; codes of that step or older are refused. */
  lastUsedStep: number | null;
}

/** One backup code; only its hash is stored. */
export interface BackupCodeRecord {
  /** `bkc_…`. */
  id: string;
  userId: string;
  /** base64url SHA-256 of the normalised code. */
  codeHash: string;
  createdAt: number;
  /** When it was used; null while usable. */
  usedAt: number | null;
}

/**
 * What a second-factor challenge is for: completing a sign-in with an enrolled factor, or (with
 * MFA required for everyone) enrolling a first factor before the sign-in completes.
 */
export type MFAChallengePurpose = "sign_in" | "enrollment";

/**
 * A pending second step of one sign-in. The client holds `<id>.<secret>`; only the secret's hash
 * is stored. Bound to the user, the first-factor method and the client that started it.
 */
export interface MFAChallengeRecord {
  /** `mfac_…`. */
  id: string;
  userId: string;
  purpose: MFAChallengePurpose;
  /** base64url SHA-256 of the secret half of the challenge. */
  secretHash: string;
  /** How the first factor was proven (`password`, `magic_link`, `email_code`, …). */
  method: string;
  /** base64url SHA-256 of what identifies the client (transport and user agent). */
  clientHash: string;
  /** Codes tried against this challenge so far (right or wrong). */
  attempts: number;
  createdAt: number;
  expiresAt: number;
  /** When it was completed; null while pending. */
  usedAt: number | null;
}

/** A user's phone number for SMS codes (at most one per user). */
export interface SMSFactorRecord {
  userId: string;
  /** The E.164 number, encrypted with the engine's encryption key (purpose `sms-phone-numbers`). */
  encryptedPhoneNumber: string;
  /** A keyed hash (MAC) of the E.164 number: the per-number throttle key, never the number itself. */
  phoneNumberHash: string;
  createdAt: number;
  /** When the user proved the number receives codes; null while enrolment is pending. */
  confirmedAt: number | null;
}

/**
 * What an SMS code is for: confirming the number (`enrollment`), completing one sign-in
 * challenge (`sign_in`) or a step-up on one session (`step_up`).
 */
export type SMSCodePurpose = "enrollment" | "sign_in" | "step_up";

/** The one live SMS code of a user; a new send replaces it. Only its keyed hash is stored. */
export interface SMSCodeRecord {
  userId: string;
  purpose: SMSCodePurpose;
  /** What the code is bound to: `challenge:<id>` or `session:<id>`. */
  boundTo: string;
  /** Keyed hash (MAC) of the code, its purpose, binding and number. */
  codeHash: string;
  createdAt: number;
  expiresAt: number;
  /** When it was used; null while usable. */
  usedAt: number | null;
}

/**
 * Second factors: TOTP authenticators, phone numbers and SMS codes, backup codes, challenges and
 * the account-wide attempt counter. Every method that decides a race is atomic (one conditional statement), so parallel
 * requests can neither use one code or challenge twice nor exceed an attempt cap.
 */
export interface MFAStore {
  /**
   * Stores a new, unconfirmed authenticator for the user, replacing an unconfirmed one.
   * @returns false (and changes nothing) when the user already has a confirmed one.
   */
  savePendingTOTP(factor: TOTPFactorRecord): Promise<boolean>;
  getTOTP(userId: string): Promise<TOTPFactorRecord | null>;
  /**
   * Confirms the pending authenticator with the step of the code that proved it.
   * @returns whether it was pending and is now confirmed.
   */
  confirmTOTP(userId: string, step: number, confirmedAt: number): Promise<boolean>;
  /**
   * Records that a code of `step` was used, only if no code of that step or a later one was:
   * of parallel uses of one code, exactly one returns true.
   */
  useTOTPStep(userId: string, step: number): Promise<boolean>;
  deleteTOTP(userId: string): Promise<void>;
  /** Replaces every backup code of the user with `codes` (old ones, used or not, are gone). */
  replaceBackupCodes(userId: string, codes: BackupCodeRecord[]): Promise<void>;
  /** Uses the user's unused code with this hash; of parallel uses, exactly one returns true. */
  useBackupCode(userId: string, codeHash: string, usedAt: number): Promise<boolean>;
  /** How many unused backup codes the user has. */
  countUnusedBackupCodes(userId: string): Promise<number>;
  deleteBackupCodes(userId: string): Promise<void>;
  createMFAChallenge(challenge: MFAChallengeRecord): Promise<void>;
  getMFAChallenge(id: string): Promise<MFAChallengeRecord | null>;
  /**
   * Counts one code try on the challenge before the code is checked: only while it is unused,
   * unexpired and has had fewer than `maxAttempts` tries. @returns whether the try may go ahead.
   */
  reserveMFAChallengeAttempt(id: string, maxAttempts: number, now: number): Promise<boolean>;
  /** Completes the challenge if it is unused and unexpired; of parallel calls, at most one returns true. */
  consumeMFAChallenge(id: string, now: number): Promise<boolean>;
  /**
   * Counts one second-factor try against the account, across all its challenges and step-ups: at
   * most `maxAttempts` per window of `windowMs` (a window starts with its first try).
   * @returns whether the try may go ahead, and when the current window ends.
   */
  reserveMFAAttempt(
    userId: string,
    maxAttempts: number,
    windowMs: number,
    now: number,
  ): Promise<{ allowed: boolean; windowEndsAt: number }>;
  /** Forgets the account's tries (after a correct code). */
  resetMFAAttempts(userId: string): Promise<void>;
  /** Removes challenges expired at `now`; returns how many. */
  deleteExpiredMFAChallenges(now: number): Promise<number>;
  /**
   * Stores a new, unconfirmed phone number for the user, replacing an unconfirmed one.
   * @returns false (and changes nothing) when the user already has a confirmed one.
   */
  savePendingSMS(factor: SMSFactorRecord): Promise<boolean>;
  getSMS(userId: string): Promise<SMSFactorRecord | null>;
  /**
   * Confirms the pending number, only if it is still the one with `phoneNumberHash` (a number
   * replaced in the meantime stays unconfirmed). @returns whether it was confirmed now.
   */
  confirmSMS(userId: string, phoneNumberHash: string, confirmedAt: number): Promise<boolean>;
  /** Removes the user's number and any SMS code. */
  deleteSMS(userId: string): Promise<void>;
  /** Stores the user's live SMS code, replacing the previous one whatever it was for. */
  saveSMSCode(code: SMSCodeRecord): Promise<void>;
  /**
   * Uses the user's code if it matches `codeHash`, `purpose` and `boundTo`, is unused and
   * unexpired at `now`: of parallel uses, exactly one returns true.
   */
  useSMSCode(userId: string, purpose: SMSCodePurpose, boundTo: string, codeHash: string, now: number): Promise<boolean>;
  /** Removes SMS codes expired at `now`; returns how many. */
  deleteExpiredSMSCodes(now: number): Promise<number>;
}

/**
 * The primary database: accounts, secret keys, security events, signing keys, emailed tokens,
 * known devices, webhooks and (unless Redis takes them) sessions. Created by `createSQLiteDatabase`,
 * `createPostgresDatabase` or `createMemoryDatabase`.
 */
export interface Database
  extends
    UserStore,
    UserAdminStore,
    SecretKeyStore,
    SecurityEventStore,
    SigningKeyStore,
    EmailTokenStore,
    KnownDeviceStore,
    WebhookStore,
    MFAStore,
    PasskeyStore {
  /** Short name for logs and readiness reports: `sqlite`, `postgres`, `memory`. */
  readonly kind: string;
  /** The database-backed session store. */
  readonly sessions: SessionStore;
  /** The database-backed revocation log (one instance; Redis provides the shared one). */
  readonly revocations: RevocationLog;
  /** Applies pending schema migrations; safe to call from several instances at once. */
  migrate(): Promise<void>;
  /** Throws if the database cannot be reached. */
  ping(): Promise<void>;
  /** Closes the connection or pool. */
  close(): Promise<void>;
}

/** A fixed-window limiter: `points` attempts per `durationSeconds` per key. */
export interface RateLimiter {
  /**
   * Counts one attempt for `key`.
   * @returns `allowed: false` and the wait when the key is over its limit.
   */
  consume(key: string): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
  /** Forgets the key's attempts (e.g. after a successful sign-in). */
  reset(key: string): Promise<void>;
}

/** Options for one named limiter. */
export interface RateLimiterOptions {
  /** Distinguishes limiters sharing a backend, e.g. `sign-in-ip`. */
  name: string;
  points: number;
  durationSeconds: number;
}

/** Creates limiters on one backend (memory for one instance, Redis for many). */
export type RateLimiterFactory = (options: RateLimiterOptions) => RateLimiter;

/** Whether a passkey lives on one device only or can be synced (WebAuthn's backup eligibility). */
export type PasskeyDeviceType = "singleDevice" | "multiDevice";

/** A registered passkey (WebAuthn credential). Only its public key is stored. */
export interface PasskeyRecord {
  /** Public id, `pk_…`; what the API shows and takes in URLs. */
  id: string;
  userId: string;
  /** The WebAuthn credential id, base64url. Unique across all users. */
  credentialId: string;
  /** The credential's COSE public key, base64url. */
  publicKey: string;
  /** The signature counter last seen (0 for authenticators that keep none). */
  counter: number;
  /** How the browser can reach the authenticator (`internal`, `hybrid`, `usb`, …), as it reported. */
  transports: string[];
  deviceType: PasskeyDeviceType;
  /** Whether the authenticator said the credential is backed up (synced). */
  backedUp: boolean;
  /** A label the user chose, 1–64 characters. */
  name: string;
  createdAt: number;
  /** The last sign-in with it, or null. */
  lastUsedAt: number | null;
}

/** What a WebAuthn challenge was issued for; one never verifies the other. */
export type PasskeyChallengePurpose = "registration" | "authentication";

/**
 * A WebAuthn challenge handed to a browser, stored as a hash. A registration challenge is bound
 * to the user and session that asked for it; both kinds to the client (transport and user agent).
 */
export interface PasskeyChallengeRecord {
  /** `pkc_…`. */
  id: string;
  /** base64url SHA-256 of the challenge as the browser echoes it (base64url). Unique. */
  challengeHash: string;
  purpose: PasskeyChallengePurpose;
  /** The registering user; null for sign-in (the user is not known until the passkey says so). */
  userId: string | null;
  /** The session that asked for a registration; null for sign-in. */
  sessionId: string | null;
  /** base64url SHA-256 of what identifies the client (transport and user agent). */
  clientHash: string;
  createdAt: number;
  expiresAt: number;
  /** When it was used; null while unused. */
  usedAt: number | null;
}

/** The binding a challenge must match to be used: all of it, in one conditional statement. */
export interface PasskeyChallengeMatch {
  challengeHash: string;
  purpose: PasskeyChallengePurpose;
  clientHash: string;
  /** The presenting session (registration), or null (sign-in). */
  sessionId: string | null;
}

/**
 * Passkeys: credentials, the per-user WebAuthn user handle and challenges. Every method that
 * decides a race is one conditional statement, so parallel requests cannot use a challenge twice,
 * store one credential id twice, or move a counter backwards.
 */
export interface PasskeyStore {
  /**
   * The user's WebAuthn user handle: the stored one, or `candidate` stored now when there is none
   * (of parallel calls, all get the one that was stored).
   */
  ensurePasskeyUserHandle(userId: string, candidate: string, createdAt: number): Promise<string>;
  /** The user's WebAuthn user handle, or null when they never registered a passkey. */
  getPasskeyUserHandle(userId: string): Promise<string | null>;
  /** Stores a passkey; false (and nothing stored) when its credential id is already stored, for any user. */
  createPasskey(passkey: PasskeyRecord): Promise<boolean>;
  getPasskeyByCredentialId(credentialId: string): Promise<PasskeyRecord | null>;
  /** The user's passkeys, oldest first. */
  listPasskeys(userId: string): Promise<PasskeyRecord[]>;
  /** Renames the user's passkey `id`; null when the user has no such passkey. */
  renamePasskey(userId: string, id: string, name: string): Promise<PasskeyRecord | null>;
  /** Deletes the user's passkey `id`; false when the user has no such passkey. */
  deletePasskey(userId: string, id: string): Promise<boolean>;
  /**
   * Records a sign-in with passkey `id`: the new counter, backup state and `lastUsedAt`, only if the
   * counter moves forward (or both it and the stored one are 0: authenticators without a counter).
   * @returns false (and nothing changed) when the counter did not move forward: a possible clone.
   */
  recordPasskeyUse(id: string, use: { counter: number; backedUp: boolean; usedAt: number }): Promise<boolean>;
  createPasskeyChallenge(challenge: PasskeyChallengeRecord): Promise<void>;
  /**
   * Uses the challenge that matches all of `match`, unused and unexpired at `now`, and returns it;
   * null when there is none. Of parallel calls, at most one gets it.
   */
  consumePasskeyChallenge(match: PasskeyChallengeMatch, now: number): Promise<PasskeyChallengeRecord | null>;
  /** Removes challenges expired at `now`; returns how many. */
  deleteExpiredPasskeyChallenges(now: number): Promise<number>;
}
