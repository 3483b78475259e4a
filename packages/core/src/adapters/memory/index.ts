/**
 * In-memory adapter (`@gatehouse/core/adapters/memory`): a database and rate limiters that live
 * in the process, for tests and quick experiments. Nothing survives a restart and nothing is
 * shared between instances, so it warns when started in production.
 *
 * It keeps the same rules as the SQL stores (unique email, unique ids) so code developed against
 * it behaves the same on SQLite or PostgreSQL, and it hands out copies so a caller mutating a
 * record cannot change what is stored.
 */
import { RateLimiterMemory } from "rate-limiter-flexible";
import type { EmailMessage, EmailTransport } from "../../email/transport.js";
import { EmailTakenError } from "../../errors/index.js";
import { fromFlexibleRateLimiter } from "../../storage/rate-limiter.js";
import { createMemoryWebhookStore } from "./webhook-store.js";
import { createMemoryPasskeyStore } from "./passkey-store.js";
import type {
  BackupCodeRecord,
  Database,
  MFAChallengeRecord,
  MFAStore,
  SMSCodeRecord,
  SMSFactorRecord,
  TOTPFactorRecord,
  DeviceRecognition,
  EmailTokenRecord,
  EmailTokenStore,
  KnownDeviceStore,
  NewSecretKey,
  NewUser,
  RateLimiterFactory,
  RateLimiterOptions,
  RateLimiter,
  SecretKeyRecord,
  RevocationLog,
  RevocationLogEntry,
  SecurityEventRecord,
  SessionRecord,
  SessionRotation,
  SessionStore,
  SigningKeyRecord,
  UserRecord,
} from "../../storage/ports.js";
import { createListenerSet } from "../../lib/listener-set.js";

export type { Database, RateLimiterFactory } from "../../storage/ports.js";
export type { EmailMessage, EmailTransport } from "../../email/transport.js";

/** Options of {@link createMemoryDatabase}. */
export interface MemoryDatabaseOptions {
  /**
   * Receives the one-time warning given when `NODE_ENV` is `production`.
   * @default console.warn
   */
  warn?: (message: string) => void;
}

const MEMORY_DATABASE_PRODUCTION_WARNING =
  "Gatehouse is using the in-memory database in production: all accounts and sessions are lost " +
  "on restart and are not shared between instances. Use SQLite or PostgreSQL instead.";

/** Deep copy of a record holding JSON members (metadata, event data), so callers never share them. */
function copy<T>(value: T): T {
  return structuredClone(value);
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function createMemorySessionStore(): SessionStore {
  const sessions = new Map<string, SessionRecord>();

  return {
    async createSession(session: SessionRecord): Promise<void> {
      if (sessions.has(session.id)) throw new Error(`A session with id ${session.id} already exists.`);
      sessions.set(session.id, { ...session });
    },

    async getSession(id: string): Promise<SessionRecord | null> {
      const session = sessions.get(id);
      return session ? { ...session } : null;
    },

    async touchSession(id: string, lastActiveAt: number, idleExpiresAt: number): Promise<void> {
      const session = sessions.get(id);
      if (session) sessions.set(id, { ...session, lastActiveAt, idleExpiresAt });
    },

    async rotateSessionSecret(id: string, expectedSecretHash: string, rotation: SessionRotation): Promise<boolean> {
      const session = sessions.get(id);
      if (!session || session.secretHash !== expectedSecretHash) return false;
      sessions.set(id, { ...session, ...rotation });
      return true;
    },

    async markSecondFactorVerified(id: string, verifiedAt: number): Promise<void> {
      const session = sessions.get(id);
      if (session) sessions.set(id, { ...session, secondFactorVerifiedAt: verifiedAt });
    },

    async deleteSession(id: string): Promise<void> {
      sessions.delete(id);
    },

    async listSessionsByUser(userId: string): Promise<SessionRecord[]> {
      return [...sessions.values()]
        .filter((session) => session.userId === userId)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((session) => ({ ...session }));
    },

    async deleteSessionsByUser(userId: string): Promise<void> {
      for (const [id, session] of sessions) {
        if (session.userId === userId) sessions.delete(id);
      }
    },

    async deleteExpiredSessions(now: number): Promise<number> {
      let removed = 0;
      for (const [id, session] of sessions) {
        if (session.expiresAt <= now || session.idleExpiresAt <= now) {
          sessions.delete(id);
          removed++;
        }
      }
      return removed;
    },

    async ping(): Promise<void> {},

    async close(): Promise<void> {},
  };
}

function createMemoryRevocationLog(): RevocationLog {
  let entries: RevocationLogEntry[] = [];
  let nextSeq = 1;
  const live = createListenerSet<(entry: RevocationLogEntry) => void>();
  return {
    async append(entry) {
      const logged = { ...entry, cursor: String(nextSeq++) };
      entries.push(logged);
      live.each((listener) => listener({ ...logged }));
      return { ...logged };
    },
    async readAfter(cursor, limit) {
      // A cursor that is not ours replays from the start. Fix: only the decimal form we write
      // counts as ours; Number() also read "1.0", "+1", " 1" or "1e0" as 1 and skipped entries
      // (conformance: "readAfter of a cursor that is not one of ours replays from the start").
      const ours = cursor !== null && /^[1-9]\d*$/.test(cursor) && Number.isSafeInteger(Number(cursor));
      const from = ours ? Number(cursor) : 0;
      return entries
        .filter((entry) => Number(entry.cursor) > from)
        .slice(0, limit)
        .map((entry) => ({ ...entry }));
    },
    subscribe: live.add,
    async prune(now) {
      const before = entries.length;
      entries = entries.filter((entry) => entry.until > now);
      return before - entries.length;
    },
    async close() {
      live.clear();
    },
  };
}

/**
 * Emailed tokens. Every method runs to completion without awaiting in between, so on Node's
 * single thread each is atomic, like the SQL stores' conditional UPDATEs.
 */
function createMemoryEmailTokenStore(): EmailTokenStore {
  const tokens = new Map<string, EmailTokenRecord>();
  const isNewer = (a: EmailTokenRecord, b: EmailTokenRecord): boolean =>
    a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);
  const newestOf = (userId: string, purpose: string): EmailTokenRecord | undefined => {
    let newest: EmailTokenRecord | undefined;
    for (const token of tokens.values()) {
      if (token.userId === userId && token.purpose === purpose && (!newest || isNewer(token, newest))) newest = token;
    }
    return newest;
  };

  return {
    async createEmailToken(token) {
      if (tokens.has(token.id)) throw new Error(`An email token with id ${token.id} already exists.`);
      for (const existing of tokens.values()) {
        if (token.secretHash !== null && existing.secretHash === token.secretHash) {
          throw new Error("An email token with this secret hash already exists.");
        }
      }
      for (const [id, existing] of tokens) {
        if (existing.userId === token.userId && existing.purpose === token.purpose && existing.usedAt === null) {
          tokens.set(id, { ...existing, usedAt: token.createdAt });
        }
      }
      tokens.set(token.id, { ...token });
    },

    async getEmailTokenBySecretHash(secretHash) {
      for (const token of tokens.values()) if (token.secretHash === secretHash) return { ...token };
      return null;
    },

    async getLatestEmailToken(userId, purpose) {
      const newest = newestOf(userId, purpose);
      return newest ? { ...newest } : null;
    },

    async consumeEmailToken(id, now) {
      const token = tokens.get(id);
      if (!token || token.usedAt !== null || token.expiresAt <= now) return false;
      if (newestOf(token.userId, token.purpose)?.id !== id) return false;
      tokens.set(id, { ...token, usedAt: now });
      return true;
    },

    async reserveEmailCodeAttempt(id, maxAttempts, now) {
      const token = tokens.get(id);
      if (!token || token.usedAt !== null || token.expiresAt <= now || token.attempts >= maxAttempts) return false;
      tokens.set(id, { ...token, attempts: token.attempts + 1 });
      return true;
    },

    async voidExhaustedEmailToken(id, maxAttempts, now) {
      const token = tokens.get(id);
      if (token && token.usedAt === null && token.attempts >= maxAttempts) tokens.set(id, { ...token, usedAt: now });
    },

    async voidEmailTokens(userId, purposes, now) {
      for (const [id, token] of tokens) {
        if (token.userId === userId && purposes.includes(token.purpose) && token.usedAt === null) {
          tokens.set(id, { ...token, usedAt: now });
        }
      }
    },

    async deleteExpiredEmailTokens(now) {
      let removed = 0;
      for (const [id, token] of tokens) {
        if (token.expiresAt <= now) {
          tokens.delete(id);
          removed++;
        }
      }
      return removed;
    },
  };
}

function createMemoryKnownDeviceStore(): KnownDeviceStore {
  // user id -> device hash -> last seen
  const devices = new Map<string, Map<string, number>>();
  return {
    async recordDeviceSignIn(userId, deviceHash, now, knownSince): Promise<DeviceRecognition> {
      const known = devices.get(userId) ?? new Map<string, number>();
      for (const [hash, lastSeen] of known) if (lastSeen < knownSince) known.delete(hash);
      const recognition: DeviceRecognition = known.size === 0 ? "first" : known.has(deviceHash) ? "known" : "new";
      known.set(deviceHash, now);
      devices.set(userId, known);
      return recognition;
    },
  };
}

/**
 * Second factors. Like the email tokens, every method runs without awaiting in between, so each
 * is atomic on Node's single thread. `forgetUser` stands in for the SQL stores' cascades.
 */
function createMemoryMFAStore(): MFAStore & { forgetUser(userId: string): void } {
  const totp = new Map<string, TOTPFactorRecord>();
  const backupCodes = new Map<string, BackupCodeRecord>();
  const challenges = new Map<string, MFAChallengeRecord>();
  const attempts = new Map<string, { attempts: number; windowStartedAt: number }>();
  const sms = new Map<string, SMSFactorRecord>();
  const smsCodes = new Map<string, SMSCodeRecord>();

  return {
    forgetUser(userId) {
      totp.delete(userId);
      sms.delete(userId);
      smsCodes.delete(userId);
      attempts.delete(userId);
      for (const [id, code] of backupCodes) if (code.userId === userId) backupCodes.delete(id);
      for (const [id, challenge] of challenges) if (challenge.userId === userId) challenges.delete(id);
    },

    async savePendingTOTP(factor) {
      if (totp.get(factor.userId)?.confirmedAt != null) return false;
      totp.set(factor.userId, { ...factor, confirmedAt: null, lastUsedStep: null });
      return true;
    },

    async getTOTP(userId) {
      const factor = totp.get(userId);
      return factor ? { ...factor } : null;
    },

    async confirmTOTP(userId, step, confirmedAt) {
      const factor = totp.get(userId);
      if (!factor || factor.confirmedAt !== null) return false;
      totp.set(userId, { ...factor, confirmedAt, lastUsedStep: step });
      return true;
    },

    async useTOTPStep(userId, step) {
      const factor = totp.get(userId);
      if (!factor || (factor.lastUsedStep !== null && factor.lastUsedStep >= step)) return false;
      totp.set(userId, { ...factor, lastUsedStep: step });
      return true;
    },

    async deleteTOTP(userId) {
      totp.delete(userId);
    },

    async replaceBackupCodes(userId, codes) {
      for (const [id, code] of backupCodes) if (code.userId === userId) backupCodes.delete(id);
      for (const code of codes) backupCodes.set(code.id, { ...code });
    },

    async useBackupCode(userId, codeHash, usedAt) {
      for (const [id, code] of backupCodes) {
        if (code.userId === userId && code.codeHash === codeHash && code.usedAt === null) {
          backupCodes.set(id, { ...code, usedAt });
          return true;
        }
      }
      return false;
    },

    async countUnusedBackupCodes(userId) {
      let count = 0;
      for (const code of backupCodes.values()) if (code.userId === userId && code.usedAt === null) count++;
      return count;
    },

    async deleteBackupCodes(userId) {
      for (const [id, code] of backupCodes) if (code.userId === userId) backupCodes.delete(id);
    },

    async createMFAChallenge(challenge) {
      if (challenges.has(challenge.id)) throw new Error(`A challenge with id ${challenge.id} already exists.`);
      challenges.set(challenge.id, { ...challenge });
    },

    async getMFAChallenge(id) {
      const challenge = challenges.get(id);
      return challenge ? { ...challenge } : null;
    },

    async reserveMFAChallengeAttempt(id, maxAttempts, now) {
      const challenge = challenges.get(id);
      if (!challenge || challenge.usedAt !== null || challenge.expiresAt <= now || challenge.attempts >= maxAttempts) {
        return false;
      }
      challenges.set(id, { ...challenge, attempts: challenge.attempts + 1 });
      return true;
    },

    async consumeMFAChallenge(id, now) {
      const challenge = challenges.get(id);
      if (!challenge || challenge.usedAt !== null || challenge.expiresAt <= now) return false;
      challenges.set(id, { ...challenge, usedAt: now });
      return true;
    },

    async reserveMFAAttempt(userId, maxAttempts, windowMs, now) {
      const current = attempts.get(userId);
      if (!current || current.windowStartedAt <= now - windowMs) {
        attempts.set(userId, { attempts: 1, windowStartedAt: now });
        return { allowed: true, windowEndsAt: now + windowMs };
      }
      const windowEndsAt = current.windowStartedAt + windowMs;
      if (current.attempts >= maxAttempts) return { allowed: false, windowEndsAt };
      attempts.set(userId, { ...current, attempts: current.attempts + 1 });
      return { allowed: true, windowEndsAt };
    },

    async resetMFAAttempts(userId) {
      attempts.delete(userId);
    },

    async deleteExpiredMFAChallenges(now) {
      let removed = 0;
      for (const [id, challenge] of challenges) {
        if (challenge.expiresAt <= now) {
          challenges.delete(id);
          removed++;
        }
      }
      return removed;
    },

    async savePendingSMS(factor) {
      if (sms.get(factor.userId)?.confirmedAt != null) return false;
      sms.set(factor.userId, { ...factor, confirmedAt: null });
      return true;
    },

    async getSMS(userId) {
      const factor = sms.get(userId);
      return factor ? { ...factor } : null;
    },

    async confirmSMS(userId, phoneNumberHash, confirmedAt) {
      const factor = sms.get(userId);
      if (!factor || factor.confirmedAt !== null || factor.phoneNumberHash !== phoneNumberHash) return false;
      sms.set(userId, { ...factor, confirmedAt });
      return true;
    },

    async deleteSMS(userId) {
      sms.delete(userId);
      smsCodes.delete(userId);
    },

    async saveSMSCode(code) {
      smsCodes.set(code.userId, { ...code });
    },

    async useSMSCode(userId, purpose, boundTo, codeHash, now) {
      const code = smsCodes.get(userId);
      if (
        !code ||
        code.purpose !== purpose ||
        code.boundTo !== boundTo ||
        code.codeHash !== codeHash ||
        code.usedAt !== null ||
        code.expiresAt <= now
      ) {
        return false;
      }
      smsCodes.set(userId, { ...code, usedAt: now });
      return true;
    },

    async deleteExpiredSMSCodes(now) {
      let removed = 0;
      for (const [userId, code] of smsCodes) {
        if (code.expiresAt <= now) {
          smsCodes.delete(userId);
          removed++;
        }
      }
      return removed;
    },
  };
}

/**
 * Creates an empty in-memory {@link Database}, sessions included. When `NODE_ENV` is
 * `production` it warns once that the data is lost on restart and not shared between instances.
 *
 * @example
 * ```ts
 * import { createMemoryDatabase } from "@gatehouse/core/adapters/memory";
 *
 * const database = createMemoryDatabase();
 * await database.migrate(); // nothing to do, kept for symmetry with the SQL databases
 * ```
 */
export function createMemoryDatabase(options: MemoryDatabaseOptions = {}): Database {
  if (globalThis.process?.env?.NODE_ENV === "production") {
    const warn = options.warn ?? ((message: string) => console.warn(message));
    warn(MEMORY_DATABASE_PRODUCTION_WARNING);
  }

  const usersById = new Map<string, UserRecord>();
  const userIdsByEmail = new Map<string, string>();
  const secretKeysById = new Map<string, SecretKeyRecord>();
  const signingKeys = new Map<string, SigningKeyRecord>();
  const securityEvents: SecurityEventRecord[] = [];
  const { forgetUser, ...mfa } = createMemoryMFAStore();
  const { forgetUser: forgetPasskeyUser, ...passkeys } = createMemoryPasskeyStore();

  function findSecretKeyByHash(keyHash: string): SecretKeyRecord | undefined {
    for (const key of secretKeysById.values()) if (key.keyHash === keyHash) return key;
    return undefined;
  }

  return {
    kind: "memory",
    sessions: createMemorySessionStore(),
    ...createMemoryWebhookStore(),
    ...passkeys,
    revocations: createMemoryRevocationLog(),

    async createUser(user: NewUser): Promise<UserRecord> {
      if (userIdsByEmail.has(user.emailNormalized)) throw new EmailTakenError();
      if (usersById.has(user.id)) throw new Error(`A user with id ${user.id} already exists.`);
      const record: UserRecord = copy({
        ...user,
        publicMetadata: user.publicMetadata ?? {},
        privateMetadata: user.privateMetadata ?? {},
        bannedAt: user.bannedAt ?? null,
        updatedAt: user.createdAt,
      });
      usersById.set(record.id, record);
      userIdsByEmail.set(record.emailNormalized, record.id);
      return copy(record);
    },

    async getUserById(id: string): Promise<UserRecord | null> {
      const user = usersById.get(id);
      return user ? copy(user) : null;
    },

    async getUserByEmail(emailNormalized: string): Promise<UserRecord | null> {
      const id = userIdsByEmail.get(emailNormalized);
      const user = id === undefined ? undefined : usersById.get(id);
      return user ? copy(user) : null;
    },

    async listUsers(query) {
      const search = query.search?.toLowerCase();
      return [...usersById.values()]
        .filter(
          (user) =>
            (!search || user.emailNormalized.includes(search) || (user.name ?? "").toLowerCase().includes(search)) &&
            (query.banned === undefined || (user.bannedAt !== null) === query.banned) &&
            (query.verified === undefined || (user.emailVerifiedAt !== null) === query.verified) &&
            (query.createdFrom === undefined || user.createdAt >= query.createdFrom) &&
            (query.createdBefore === undefined || user.createdAt < query.createdBefore) &&
            (query.after === undefined ||
              user.createdAt < query.after.createdAt ||
              (user.createdAt === query.after.createdAt && user.id < query.after.id)),
        )
        .sort((a, b) => b.createdAt - a.createdAt || compareIds(b.id, a.id))
        .slice(0, query.limit)
        .map(copy);
    },

    async updateUser(id, changes, updatedAt) {
      const user = usersById.get(id);
      if (!user) return null;
      const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
      const updated: UserRecord = copy({ ...user, ...defined, updatedAt });
      if (updated.emailNormalized !== user.emailNormalized) {
        if (userIdsByEmail.has(updated.emailNormalized)) throw new EmailTakenError();
        userIdsByEmail.delete(user.emailNormalized);
        userIdsByEmail.set(updated.emailNormalized, id);
      }
      usersById.set(id, updated);
      return copy(updated);
    },

    async deleteUser(id) {
      const user = usersById.get(id);
      if (!user) return false;
      usersById.delete(id);
      userIdsByEmail.delete(user.emailNormalized);
      forgetUser(id);
      forgetPasskeyUser(id);
      return true;
    },

    async updatePasswordHash(userId: string, passwordHash: string, updatedAt: number): Promise<void> {
      const user = usersById.get(userId);
      if (user) usersById.set(userId, { ...user, passwordHash, updatedAt });
    },

    async markEmailVerified(userId: string, emailNormalized: string, verifiedAt: number): Promise<boolean> {
      const user = usersById.get(userId);
      if (!user || user.emailNormalized !== emailNormalized || user.emailVerifiedAt !== null) return false;
      usersById.set(userId, { ...user, emailVerifiedAt: verifiedAt, updatedAt: verifiedAt });
      return true;
    },

    async updateEmail(userId, change, updatedAt): Promise<boolean> {
      const user = usersById.get(userId);
      if (!user || user.emailNormalized !== change.expectedEmailNormalized) return false;
      const owner = userIdsByEmail.get(change.emailNormalized);
      if (owner !== undefined && owner !== userId) throw new EmailTakenError();
      userIdsByEmail.delete(user.emailNormalized);
      userIdsByEmail.set(change.emailNormalized, userId);
      usersById.set(userId, {
        ...user,
        email: change.email,
        emailNormalized: change.emailNormalized,
        emailVerifiedAt: change.emailVerifiedAt,
        updatedAt,
      });
      return true;
    },

    ...createMemoryEmailTokenStore(),
    ...createMemoryKnownDeviceStore(),
    ...mfa,

    async createSecretKey(key: NewSecretKey): Promise<void> {
      if (secretKeysById.has(key.id)) throw new Error(`A secret key with id ${key.id} already exists.`);
      if (findSecretKeyByHash(key.keyHash)) throw new Error("A secret key with this hash already exists.");
      secretKeysById.set(key.id, { name: null, hint: null, lastUsedAt: null, ...key });
    },

    async findSecretKeyByHash(keyHash) {
      const key = findSecretKeyByHash(keyHash);
      return key ? { ...key } : null;
    },

    async listSecretKeys() {
      return [...secretKeysById.values()]
        .sort((a, b) => a.createdAt - b.createdAt || compareIds(a.id, b.id))
        .map((key) => ({ ...key }));
    },

    async revokeSecretKey(id, revokedAt) {
      const key = secretKeysById.get(id);
      if (!key) return null;
      if (key.revokedAt === null) secretKeysById.set(id, { ...key, revokedAt });
      return { ...secretKeysById.get(id)! };
    },

    async touchSecretKey(id, lastUsedAt) {
      const key = secretKeysById.get(id);
      if (key) secretKeysById.set(id, { ...key, lastUsedAt });
    },

    async appendSecurityEvent(event) {
      if (securityEvents.some((each) => each.id === event.id)) {
        throw new Error(`A security event with id ${event.id} already exists.`);
      }
      securityEvents.push(copy(event));
    },

    async listSecurityEvents(query) {
      const types = query.types && query.types.length > 0 ? new Set(query.types) : null;
      return securityEvents
        .filter(
          (event) =>
            (types === null || types.has(event.type)) &&
            (query.userId === undefined || event.userId === query.userId) &&
            (query.actorId === undefined || event.actorId === query.actorId) &&
            (query.from === undefined || event.occurredAt >= query.from) &&
            (query.to === undefined || event.occurredAt < query.to) &&
            (query.beforeId === undefined || event.id < query.beforeId),
        )
        .sort((a, b) => compareIds(b.id, a.id))
        .slice(0, query.limit)
        .map(copy);
    },

    async deleteSecurityEventsBefore(cutoff) {
      let removed = 0;
      for (let index = securityEvents.length - 1; index >= 0; index--) {
        if (securityEvents[index]!.occurredAt < cutoff) {
          securityEvents.splice(index, 1);
          removed++;
        }
      }
      return removed;
    },

    async findActiveSecretKey(keyHash: string): Promise<SecretKeyRecord | null> {
      const key = findSecretKeyByHash(keyHash);
      return key && key.revokedAt === null ? { ...key } : null;
    },

    async countActiveSecretKeys(): Promise<number> {
      let count = 0;
      for (const key of secretKeysById.values()) if (key.revokedAt === null) count++;
      return count;
    },

    async createSigningKey(key: SigningKeyRecord): Promise<void> {
      if (signingKeys.has(key.id)) throw new Error(`A signing key with id ${key.id} already exists.`);
      signingKeys.set(key.id, { ...key });
    },

    async listSigningKeys(now: number): Promise<SigningKeyRecord[]> {
      return [...signingKeys.values()]
        .filter((key) => key.retiredAt === null || (key.publishUntil ?? 0) > now)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((key) => ({ ...key }));
    },

    async retireSigningKeys(keepId: string, retiredAt: number, publishUntil: number): Promise<void> {
      for (const [id, key] of signingKeys) {
        if (id !== keepId && key.retiredAt === null) signingKeys.set(id, { ...key, retiredAt, publishUntil });
      }
    },

    async migrate(): Promise<void> {},

    async ping(): Promise<void> {},

    async close(): Promise<void> {},
  };
}

/**
 * Rate limiters counting in this process's memory: right for a single instance, wrong behind a
 * load balancer (each instance would allow the full limit); use the Redis adapter's there.
 *
 * @example
 * ```ts
 * import { createMemoryRateLimiters } from "@gatehouse/core/adapters/memory";
 *
 * const rateLimiters = createMemoryRateLimiters();
 * const signInByIP = rateLimiters({ name: "sign-in-ip", points: 10, durationSeconds: 60 });
 * const { allowed, retryAfterSeconds } = await signInByIP.consume("203.0.113.7");
 * ```
 */
export function createMemoryRateLimiters(): RateLimiterFactory {
  return (options: RateLimiterOptions): RateLimiter =>
    fromFlexibleRateLimiter(
      new RateLimiterMemory({
        keyPrefix: options.name,
        points: options.points,
        duration: options.durationSeconds,
      }),
    );
}

/** An email transport that keeps messages in memory; see {@link createMemoryEmailTransport}. */
export interface MemoryEmailTransport extends EmailTransport {
  /** Every message sent, oldest first. */
  readonly messages: EmailMessage[];
  /** Forgets the messages. */
  clear(): void;
}

/**
 * An email transport that keeps every message in an array instead of sending it: for tests of
 * an application embedding Gatehouse. Messages carry live tokens, so never use it where others
 * can read the process's memory dumps.
 *
 * @example
 * ```ts
 * import { createMemoryEmailTransport } from "@gatehouse/core/adapters/memory";
 *
 * const transport = createMemoryEmailTransport();
 * const gatehouse = await createGatehouse({ baseURL, database, email: { transport } });
 * // … request a magic link, then:
 * await gatehouse.email.flush();
 * const [message] = transport.messages;
 * ```
 */
export function createMemoryEmailTransport(): MemoryEmailTransport {
  const messages: EmailMessage[] = [];
  return {
    kind: "memory",
    messages,
    async send(message: EmailMessage): Promise<void> {
      messages.push({ ...message });
    },
    clear(): void {
      messages.length = 0;
    },
  };
}
