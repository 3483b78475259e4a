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
}

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

/**
 * The primary database: accounts, secret keys and (unless Redis takes them) sessions.
 * Created by `createSQLiteDatabase`, `createPostgresDatabase` or `createMemoryDatabase`.
 */
export interface Database extends UserStore, SecretKeyStore {
  /** Short name for logs and readiness reports: `sqlite`, `postgres`, `memory`. */
  readonly kind: string;
  /** The database-backed session store. */
  readonly sessions: SessionStore;
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
