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
}

/** Fields for a new account. */
export type NewUser = Omit<UserRecord, "updatedAt">;

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
}

/** Admin secret keys. */
export interface SecretKeyStore {
  createSecretKey(key: SecretKeyRecord): Promise<void>;
  /** The key with this hash if it exists and is not revoked. */
  findActiveSecretKey(keyHash: string): Promise<SecretKeyRecord | null>;
  countActiveSecretKeys(): Promise<number>;
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

/**
 * The primary database: accounts, secret keys and (unless Redis takes them) sessions.
 * Created by `createSQLiteDatabase`, `createPostgresDatabase` or `createMemoryDatabase`.
 */
export interface Database extends UserStore, SecretKeyStore, SigningKeyStore {
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
