/**
 * The one SQL implementation of the {@link Database} port, written once against Kysely and
 * shared by the SQLite and PostgreSQL adapters. What differs between the two dialects (how a
 * duplicate email shows up as a driver error) comes in as a small option, so the queries exist
 * in one place only.
 *
 * Rows use snake_case columns and are mapped to the camelCase records of `ports.ts` by the
 * explicit functions below, never by a generic case converter, so a renamed field fails the
 * type check instead of silently reading `undefined`.
 */
import { sql } from "kysely";
import type { Generated, Kysely, Selectable } from "kysely";
import { EmailTakenError } from "../errors/index.js";
import { readByKey, type DirectRead } from "./compiled-read.js";
import { createKyselyWebhookStore } from "./kysely-webhook-store.js";
import { createKyselyPasskeyStore } from "./kysely-passkey-store.js";
import type { PasskeyChallengesTable, PasskeysTable, PasskeyUserHandlesTable } from "./kysely-passkey-store.js";
import type {
  WebhookDeliveriesTable,
  WebhookDeliveryAttemptsTable,
  WebhookEndpointsTable,
} from "./kysely-webhook-store.js";
import { migrateToLatest } from "./migrations.js";
import { createKyselyRevocationLog } from "../tokens/kysely-revocation-log.js";
import type {
  BackupCodeRecord,
  Database,
  MFAChallengePurpose,
  MFAChallengeRecord,
  MFAStore,
  SMSFactorRecord,
  TOTPFactorRecord,
  DeviceRecognition,
  EmailTokenPurpose,
  EmailTokenRecord,
  EmailTokenStore,
  KnownDeviceStore,
  NewSecretKey,
  NewUser,
  SecretKeyRecord,
  SecurityEventRecord,
  SessionRecord,
  SessionRotation,
  SessionStore,
  SigningKeyRecord,
  UserChanges,
  UserRecord,
} from "./ports.js";

/** The `users` table as the database returns it. */
export interface UsersTable {
  id: string;
  email: string;
  email_normalized: string;
  name: string | null;
  password_hash: string | null;
  email_verified_at: number | null;
  created_at: number;
  updated_at: number;
  /** JSON object, as text. */
  public_metadata: string;
  /** JSON object, as text. */
  private_metadata: string;
  banned_at: number | null;
}

/** The `sessions` table as the database returns it. */
export interface SessionsTable {
  id: string;
  user_id: string;
  secret_hash: string;
  created_at: number;
  last_active_at: number;
  idle_expires_at: number;
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
  generation: number;
  previous_secret_hash: string | null;
  rotated_at: number | null;
  second_factor_verified_at: number | null;
}

/** The `signing_keys` table as the database returns it. */
export interface SigningKeysTable {
  id: string;
  algorithm: "EdDSA" | "ES256";
  public_jwk: string;
  encrypted_private_jwk: string;
  created_at: number;
  retired_at: number | null;
  publish_until: number | null;
}

/** The `revocations` table as the database returns it. */
export interface RevocationsTable {
  seq: Generated<number>;
  session_id: string;
  user_id: string;
  revoked_at: number;
  until: number;
}

/** The `secret_keys` table as the database returns it. */
export interface SecretKeysTable {
  id: string;
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
  name: string | null;
  hint: string | null;
  last_used_at: number | null;
}

/** The `security_events` table as the database returns it. */
export interface SecurityEventsTable {
  id: string;
  type: string;
  occurred_at: number;
  user_id: string | null;
  session_id: string | null;
  actor_type: string | null;
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  /** JSON object, as text. */
  data: string;
}

/** The `email_tokens` table as the database returns it. */
export interface EmailTokensTable {
  id: string;
  user_id: string;
  purpose: string;
  email: string;
  account_email: string;
  secret_hash: string | null;
  code_hash: string | null;
  attempts: number;
  redirect_url: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** The `known_devices` table as the database returns it. */
export interface KnownDevicesTable {
  user_id: string;
  device_hash: string;
  created_at: number;
  last_seen_at: number;
}

/**
 * Kysely's view of the Gatehouse schema (created by `migrations.ts`). Timestamps are typed as
 * numbers: SQLite returns integers as numbers, and the PostgreSQL adapter parses `int8` into
 * numbers on its own pool.
 */
export interface GatehouseTables {
  users: UsersTable;
  sessions: SessionsTable;
  secret_keys: SecretKeysTable;
  signing_keys: SigningKeysTable;
  revocations: RevocationsTable;
  security_events: SecurityEventsTable;
  email_tokens: EmailTokensTable;
  known_devices: KnownDevicesTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable;
  mfa_totp: MFATOTPTable;
  mfa_backup_codes: MFABackupCodesTable;
  mfa_challenges: MFAChallengesTable;
  mfa_attempts: MFAAttemptsTable;
  passkey_user_handles: PasskeyUserHandlesTable;
  passkeys: PasskeysTable;
  passkey_challenges: PasskeyChallengesTable;
  mfa_sms: MFASMSTable;
  mfa_sms_codes: MFASMSCodesTable;
}

/** The `mfa_totp` table as the database returns it. */
export interface MFATOTPTable {
  user_id: string;
  encrypted_secret: string;
  created_at: number;
  confirmed_at: number | null;
  last_used_step: number | null;
}

/** The `mfa_backup_codes` table as the database returns it. */
export interface MFABackupCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

/** The `mfa_challenges` table as the database returns it. */
export interface MFAChallengesTable {
  id: string;
  user_id: string;
  purpose: string;
  secret_hash: string;
  method: string;
  client_hash: string;
  attempts: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** The `mfa_attempts` table as the database returns it. */
export interface MFAAttemptsTable {
  user_id: string;
  attempts: number;
  window_started_at: number;
}

/** The `mfa_sms` table as the database returns it. */
export interface MFASMSTable {
  user_id: string;
  encrypted_phone_number: string;
  phone_number_hash: string;
  created_at: number;
  confirmed_at: number | null;
}

/** The `mfa_sms_codes` table as the database returns it. */
export interface MFASMSCodesTable {
  user_id: string;
  purpose: string;
  bound_to: string;
  code_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** What the SQL dialects do differently, supplied by each adapter. */
export interface KyselyDatabaseOptions {
  /** A Kysely instance on the dialect's driver; the database owns it and destroys it on `close`. */
  kysely: Kysely<GatehouseTables>;
  /** Name for logs and readiness reports, e.g. `sqlite`. */
  kind: string;
  /**
   * Whether a failed insert into `users` was the unique constraint on `email_normalized`
   * refusing a second account with the same address (and not some other failure).
   */
  isDuplicateEmailError(error: unknown): boolean;
  /**
   * Whether the dialect has `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL), used when workers
   * claim webhook deliveries.
   * @default false
   */
  skipLocked?: boolean;
  /**
   * Runs a compiled read on the spot, or answers null when it cannot right now (see
   * `compiled-read.ts`). Used for the reads every authenticated request and every sign-in make.
   */
  readDirectly?: DirectRead;
}

export type { DirectRead } from "./compiled-read.js";

/**
 * Parses a JSON-object column. The engine only ever writes objects there; anything else (a
 * hand-edited row) reads as `{}` rather than failing every request that touches the user.
 */
function jsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Escapes LIKE wildcards so a search for `50%_off` matches those characters literally. */
function likePattern(search: string): string {
  return `%${search.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

function userFromRow(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    email: row.email,
    emailNormalized: row.email_normalized,
    name: row.name,
    passwordHash: row.password_hash,
    emailVerifiedAt: row.email_verified_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    publicMetadata: jsonObject(row.public_metadata),
    privateMetadata: jsonObject(row.private_metadata),
    bannedAt: row.banned_at,
  };
}

function userToRow(user: UserRecord): UsersTable {
  return {
    id: user.id,
    email: user.email,
    email_normalized: user.emailNormalized,
    name: user.name,
    password_hash: user.passwordHash,
    email_verified_at: user.emailVerifiedAt,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
    public_metadata: JSON.stringify(user.publicMetadata),
    private_metadata: JSON.stringify(user.privateMetadata),
    banned_at: user.bannedAt,
  };
}

function sessionFromRow(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    lastActiveAt: row.last_active_at,
    idleExpiresAt: row.idle_expires_at,
    expiresAt: row.expires_at,
    ip: row.ip,
    userAgent: row.user_agent,
    generation: row.generation,
    previousSecretHash: row.previous_secret_hash,
    rotatedAt: row.rotated_at,
    secondFactorVerifiedAt: row.second_factor_verified_at,
  };
}

function sessionToRow(session: SessionRecord): SessionsTable {
  return {
    id: session.id,
    user_id: session.userId,
    secret_hash: session.secretHash,
    created_at: session.createdAt,
    last_active_at: session.lastActiveAt,
    idle_expires_at: session.idleExpiresAt,
    expires_at: session.expiresAt,
    ip: session.ip,
    user_agent: session.userAgent,
    generation: session.generation,
    previous_secret_hash: session.previousSecretHash,
    rotated_at: session.rotatedAt,
    second_factor_verified_at: session.secondFactorVerifiedAt,
  };
}

function secretKeyFromRow(row: Selectable<SecretKeysTable>): SecretKeyRecord {
  return {
    id: row.id,
    keyHash: row.key_hash,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    name: row.name,
    hint: row.hint,
    lastUsedAt: row.last_used_at,
  };
}

function secretKeyToRow(key: NewSecretKey): SecretKeysTable {
  return {
    id: key.id,
    key_hash: key.keyHash,
    created_at: key.createdAt,
    revoked_at: key.revokedAt,
    name: key.name ?? null,
    hint: key.hint ?? null,
    last_used_at: key.lastUsedAt ?? null,
  };
}

function securityEventFromRow(row: Selectable<SecurityEventsTable>): SecurityEventRecord {
  return {
    id: row.id,
    type: row.type,
    occurredAt: row.occurred_at,
    userId: row.user_id,
    sessionId: row.session_id,
    actorType: row.actor_type,
    actorId: row.actor_id,
    ip: row.ip,
    userAgent: row.user_agent,
    data: jsonObject(row.data),
  };
}

function securityEventToRow(event: SecurityEventRecord): SecurityEventsTable {
  return {
    id: event.id,
    type: event.type,
    occurred_at: event.occurredAt,
    user_id: event.userId,
    session_id: event.sessionId,
    actor_type: event.actorType,
    actor_id: event.actorId,
    ip: event.ip,
    user_agent: event.userAgent,
    data: JSON.stringify(event.data),
  };
}

/** The columns `updateUser` writes for `changes`, leaving absent members alone. */
function userChangesToRow(changes: UserChanges): Partial<UsersTable> {
  const row: Partial<UsersTable> = {};
  if (changes.email !== undefined) row.email = changes.email;
  if (changes.emailNormalized !== undefined) row.email_normalized = changes.emailNormalized;
  if (changes.name !== undefined) row.name = changes.name;
  if (changes.emailVerifiedAt !== undefined) row.email_verified_at = changes.emailVerifiedAt;
  if (changes.publicMetadata !== undefined) row.public_metadata = JSON.stringify(changes.publicMetadata);
  if (changes.privateMetadata !== undefined) row.private_metadata = JSON.stringify(changes.privateMetadata);
  if (changes.bannedAt !== undefined) row.banned_at = changes.bannedAt;
  return row;
}

function createKyselySessionStore(db: Kysely<GatehouseTables>, readDirectly: DirectRead | undefined): SessionStore {
  const readSession = readByKey(db, db.selectFrom("sessions").selectAll().where("id", "=", "").compile(), readDirectly);
  return {
    async createSession(session: SessionRecord): Promise<void> {
      await db.insertInto("sessions").values(sessionToRow(session)).execute();
    },

    async getSession(id: string): Promise<SessionRecord | null> {
      const row = await readSession(id);
      return row ? sessionFromRow(row) : null;
    },

    async touchSession(id: string, lastActiveAt: number, idleExpiresAt: number): Promise<void> {
      // An UPDATE matches nothing once the row is gone, so a concurrent sign-out always wins.
      await db
        .updateTable("sessions")
        .set({ last_active_at: lastActiveAt, idle_expires_at: idleExpiresAt })
        .where("id", "=", id)
        .execute();
    },

    async rotateSessionSecret(id: string, expectedSecretHash: string, rotation: SessionRotation): Promise<boolean> {
      // Compare-and-set in one statement: of several concurrent rotations exactly one matches.
      const result = await db
        .updateTable("sessions")
        .set({
          secret_hash: rotation.secretHash,
          previous_secret_hash: rotation.previousSecretHash,
          rotated_at: rotation.rotatedAt,
          generation: rotation.generation,
          last_active_at: rotation.lastActiveAt,
          idle_expires_at: rotation.idleExpiresAt,
        })
        .where("id", "=", id)
        .where("secret_hash", "=", expectedSecretHash)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async markSecondFactorVerified(id: string, verifiedAt: number): Promise<void> {
      await db.updateTable("sessions").set({ second_factor_verified_at: verifiedAt }).where("id", "=", id).execute();
    },

    async deleteSession(id: string): Promise<void> {
      await db.deleteFrom("sessions").where("id", "=", id).execute();
    },

    async listSessionsByUser(userId: string): Promise<SessionRecord[]> {
      const rows = await db
        .selectFrom("sessions")
        .selectAll()
        .where("user_id", "=", userId)
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      return rows.map(sessionFromRow);
    },

    async deleteSessionsByUser(userId: string): Promise<void> {
      await db.deleteFrom("sessions").where("user_id", "=", userId).execute();
    },

    async deleteExpiredSessions(now: number): Promise<number> {
      const result = await db
        .deleteFrom("sessions")
        .where((eb) => eb.or([eb("expires_at", "<=", now), eb("idle_expires_at", "<=", now)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async ping(): Promise<void> {
      await sql`select 1`.execute(db);
    },

    async close(): Promise<void> {
      // The Database owns the connection and closes it; the session store only borrows it.
    },
  };
}

/**
 * Builds the {@link Database} on a Kysely instance. Adapters call this; applications use
 * `createSQLiteDatabase` or `createPostgresDatabase` instead.
 *
 * @example
 * ```ts
 * const database = createKyselyDatabase({
 *   kysely: new Kysely<GatehouseTables>({ dialect: new SqliteDialect({ database: sqlite }) }),
 *   kind: "sqlite",
 *   isDuplicateEmailError: (error) =>
 *     (error as { code?: unknown }).code === "SQLITE_CONSTRAINT_UNIQUE" &&
 *     String((error as Error).message).includes("users.email_normalized"),
 * });
 * await database.migrate();
 * ```
 */
export function createKyselyDatabase(options: KyselyDatabaseOptions): Database {
  const { kysely: db, kind, isDuplicateEmailError, readDirectly } = options;
  const sessions = createKyselySessionStore(db, readDirectly);
  const revocations = createKyselyRevocationLog(db);
  const readUser = readByKey(db, db.selectFrom("users").selectAll().where("id", "=", "").compile(), readDirectly);
  const readUserByEmail = readByKey(
    db,
    db.selectFrom("users").selectAll().where("email_normalized", "=", "").compile(),
    readDirectly,
  );
  let closing: Promise<void> | undefined;

  return {
    kind,
    sessions,
    revocations,
    ...createKyselyWebhookStore(db, { skipLocked: options.skipLocked ?? false, readDirectly }),
    ...createKyselyPasskeyStore(db),

    async createUser(user: NewUser): Promise<UserRecord> {
      const record: UserRecord = {
        ...user,
        publicMetadata: user.publicMetadata ?? {},
        privateMetadata: user.privateMetadata ?? {},
        bannedAt: user.bannedAt ?? null,
        updatedAt: user.createdAt,
      };
      try {
        await db.insertInto("users").values(userToRow(record)).execute();
      } catch (error) {
        if (isDuplicateEmailError(error)) throw new EmailTakenError({ cause: error });
        throw error;
      }
      return record;
    },

    async getUserById(id: string): Promise<UserRecord | null> {
      const row = await readUser(id);
      return row ? userFromRow(row) : null;
    },

    async getUserByEmail(emailNormalized: string): Promise<UserRecord | null> {
      const row = await readUserByEmail(emailNormalized);
      return row ? userFromRow(row) : null;
    },

    async updatePasswordHash(userId: string, passwordHash: string, updatedAt: number): Promise<void> {
      await db
        .updateTable("users")
        .set({ password_hash: passwordHash, updated_at: updatedAt })
        .where("id", "=", userId)
        .execute();
    },

    async listUsers(query) {
      let select = db.selectFrom("users").selectAll();
      if (query.search !== undefined && query.search !== "") {
        const pattern = likePattern(query.search);
        // lower() on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's only for ASCII.
        select = select.where(
          (eb) =>
            sql<boolean>`(${eb.ref("email_normalized")} like ${pattern} escape '\\' or lower(${eb.ref("name")}) like ${pattern} escape '\\')`,
        );
      }
      if (query.banned !== undefined) select = select.where("banned_at", query.banned ? "is not" : "is", null);
      if (query.verified !== undefined) {
        select = select.where("email_verified_at", query.verified ? "is not" : "is", null);
      }
      if (query.createdFrom !== undefined) select = select.where("created_at", ">=", query.createdFrom);
      if (query.createdBefore !== undefined) select = select.where("created_at", "<", query.createdBefore);
      if (query.after !== undefined) {
        const { createdAt, id } = query.after;
        select = select.where((eb) =>
          eb.or([eb("created_at", "<", createdAt), eb.and([eb("created_at", "=", createdAt), eb("id", "<", id)])]),
        );
      }
      const rows = await select.orderBy("created_at", "desc").orderBy("id", "desc").limit(query.limit).execute();
      return rows.map(userFromRow);
    },

    async updateUser(id, changes, updatedAt) {
      try {
        await db
          .updateTable("users")
          .set({ ...userChangesToRow(changes), updated_at: updatedAt })
          .where("id", "=", id)
          .execute();
      } catch (error) {
        if (isDuplicateEmailError(error)) throw new EmailTakenError({ cause: error });
        throw error;
      }
      const row = await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? userFromRow(row) : null;
    },

    async deleteUser(id) {
      const result = await db.deleteFrom("users").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async markEmailVerified(userId: string, emailNormalized: string, verifiedAt: number): Promise<boolean> {
      const result = await db
        .updateTable("users")
        .set({ email_verified_at: verifiedAt, updated_at: verifiedAt })
        .where("id", "=", userId)
        .where("email_normalized", "=", emailNormalized)
        .where("email_verified_at", "is", null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async updateEmail(userId, change, updatedAt): Promise<boolean> {
      try {
        const result = await db
          .updateTable("users")
          .set({
            email: change.email,
            email_normalized: change.emailNormalized,
            email_verified_at: change.emailVerifiedAt,
            updated_at: updatedAt,
          })
          .where("id", "=", userId)
          .where("email_normalized", "=", change.expectedEmailNormalized)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      } catch (error) {
        if (isDuplicateEmailError(error)) throw new EmailTakenError({ cause: error });
        throw error;
      }
    },

    ...createKyselyEmailTokenStore(db),
    ...createKyselyKnownDeviceStore(db),
    ...createKyselyMFAStore(db, readDirectly),

    async createSecretKey(key: NewSecretKey): Promise<void> {
      await db.insertInto("secret_keys").values(secretKeyToRow(key)).execute();
    },

    async findSecretKeyByHash(keyHash) {
      const row = await db.selectFrom("secret_keys").selectAll().where("key_hash", "=", keyHash).executeTakeFirst();
      return row ? secretKeyFromRow(row) : null;
    },

    async listSecretKeys() {
      const rows = await db.selectFrom("secret_keys").selectAll().orderBy("created_at").orderBy("id").execute();
      return rows.map(secretKeyFromRow);
    },

    async revokeSecretKey(id, revokedAt) {
      // The `revoked_at is null` condition keeps the first revocation time when two admins race.
      await db
        .updateTable("secret_keys")
        .set({ revoked_at: revokedAt })
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .execute();
      const row = await db.selectFrom("secret_keys").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? secretKeyFromRow(row) : null;
    },

    async touchSecretKey(id, lastUsedAt) {
      await db.updateTable("secret_keys").set({ last_used_at: lastUsedAt }).where("id", "=", id).execute();
    },

    async appendSecurityEvent(event) {
      await db.insertInto("security_events").values(securityEventToRow(event)).execute();
    },

    async listSecurityEvents(query) {
      let select = db.selectFrom("security_events").selectAll();
      if (query.types !== undefined && query.types.length > 0) select = select.where("type", "in", query.types);
      if (query.userId !== undefined) select = select.where("user_id", "=", query.userId);
      if (query.actorId !== undefined) select = select.where("actor_id", "=", query.actorId);
      if (query.from !== undefined) select = select.where("occurred_at", ">=", query.from);
      if (query.to !== undefined) select = select.where("occurred_at", "<", query.to);
      if (query.beforeId !== undefined) select = select.where("id", "<", query.beforeId);
      const rows = await select.orderBy("id", "desc").limit(query.limit).execute();
      return rows.map(securityEventFromRow);
    },

    async deleteSecurityEventsBefore(cutoff) {
      const result = await db.deleteFrom("security_events").where("occurred_at", "<", cutoff).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async findActiveSecretKey(keyHash: string): Promise<SecretKeyRecord | null> {
      const row = await db
        .selectFrom("secret_keys")
        .selectAll()
        .where("key_hash", "=", keyHash)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      return row ? secretKeyFromRow(row) : null;
    },

    async countActiveSecretKeys(): Promise<number> {
      const row = await db
        .selectFrom("secret_keys")
        .select((eb) => eb.fn.countAll().as("count"))
        .where("revoked_at", "is", null)
        .executeTakeFirstOrThrow();
      // SQLite returns a number, PostgreSQL an int8 (parsed to a number by the adapter's pool).
      return Number(row.count);
    },

    async createSigningKey(key: SigningKeyRecord): Promise<void> {
      await db
        .insertInto("signing_keys")
        .values({
          id: key.id,
          algorithm: key.algorithm,
          public_jwk: key.publicJWK,
          encrypted_private_jwk: key.encryptedPrivateJWK,
          created_at: key.createdAt,
          retired_at: key.retiredAt,
          publish_until: key.publishUntil,
        })
        .execute();
    },

    async listSigningKeys(now: number): Promise<SigningKeyRecord[]> {
      const rows = await db
        .selectFrom("signing_keys")
        .selectAll()
        .where((eb) => eb.or([eb("retired_at", "is", null), eb("publish_until", ">", now)]))
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      return rows.map((row) => ({
        id: row.id,
        algorithm: row.algorithm,
        publicJWK: row.public_jwk,
        encryptedPrivateJWK: row.encrypted_private_jwk,
        createdAt: row.created_at,
        retiredAt: row.retired_at,
        publishUntil: row.publish_until,
      }));
    },

    async retireSigningKeys(keepId: string, retiredAt: number, publishUntil: number): Promise<void> {
      await db
        .updateTable("signing_keys")
        .set({ retired_at: retiredAt, publish_until: publishUntil })
        .where("id", "!=", keepId)
        .where("retired_at", "is", null)
        .execute();
    },

    async migrate(): Promise<void> {
      await migrateToLatest(db);
    },

    async ping(): Promise<void> {
      await sql`select 1`.execute(db);
    },

    close(): Promise<void> {
      // Closing twice (e.g. a shutdown hook and a test teardown) must not fail on an ended pool.
      closing ??= revocations.close().then(() => db.destroy());
      return closing;
    },
  };
}

function emailTokenFromRow(row: Selectable<EmailTokensTable>): EmailTokenRecord {
  return {
    id: row.id,
    userId: row.user_id,
    purpose: row.purpose as EmailTokenPurpose,
    email: row.email,
    accountEmail: row.account_email,
    secretHash: row.secret_hash,
    codeHash: row.code_hash,
    attempts: row.attempts,
    redirectURL: row.redirect_url,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

function emailTokenToRow(token: EmailTokenRecord): EmailTokensTable {
  return {
    id: token.id,
    user_id: token.userId,
    purpose: token.purpose,
    email: token.email,
    account_email: token.accountEmail,
    secret_hash: token.secretHash,
    code_hash: token.codeHash,
    attempts: token.attempts,
    redirect_url: token.redirectURL,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    used_at: token.usedAt,
  };
}

/**
 * Emailed tokens. Each change is one conditional UPDATE whose row count says whether it applied,
 * so the database, not the application, decides races: of parallel uses only one matches
 * `used_at is null` (PostgreSQL re-checks the condition after waiting for the row lock; SQLite
 * runs one statement at a time).
 */
function createKyselyEmailTokenStore(db: Kysely<GatehouseTables>): EmailTokenStore {
  return {
    async createEmailToken(token) {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto("email_tokens").values(emailTokenToRow(token)).execute();
        await trx
          .updateTable("email_tokens")
          .set({ used_at: token.createdAt })
          .where("user_id", "=", token.userId)
          .where("purpose", "=", token.purpose)
          .where("id", "!=", token.id)
          .where("used_at", "is", null)
          .execute();
      });
    },

    async getEmailTokenBySecretHash(secretHash) {
      const row = await db
        .selectFrom("email_tokens")
        .selectAll()
        .where("secret_hash", "=", secretHash)
        .executeTakeFirst();
      return row ? emailTokenFromRow(row) : null;
    },

    async getLatestEmailToken(userId, purpose) {
      const row = await db
        .selectFrom("email_tokens")
        .selectAll()
        .where("user_id", "=", userId)
        .where("purpose", "=", purpose)
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(1)
        .executeTakeFirst();
      return row ? emailTokenFromRow(row) : null;
    },

    async consumeEmailToken(id, now) {
      const result = await db
        .updateTable("email_tokens")
        .set({ used_at: now })
        .where("id", "=", id)
        .where("used_at", "is", null)
        .where("expires_at", ">", now)
        // Two requests racing can each insert a token before either voids the other; only the
        // newest (by time, then id) is ever usable, so at most one of them works.
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("email_tokens as newer")
                .select("newer.id")
                .whereRef("newer.user_id", "=", "email_tokens.user_id")
                .whereRef("newer.purpose", "=", "email_tokens.purpose")
                .where((inner) =>
                  inner.or([
                    inner("newer.created_at", ">", inner.ref("email_tokens.created_at")),
                    inner.and([
                      inner("newer.created_at", "=", inner.ref("email_tokens.created_at")),
                      inner("newer.id", ">", inner.ref("email_tokens.id")),
                    ]),
                  ]),
                ),
            ),
          ),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async reserveEmailCodeAttempt(id, maxAttempts, now) {
      const result = await db
        .updateTable("email_tokens")
        .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
        .where("id", "=", id)
        .where("used_at", "is", null)
        .where("expires_at", ">", now)
        .where("attempts", "<", maxAttempts)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async voidExhaustedEmailToken(id, maxAttempts, now) {
      await db
        .updateTable("email_tokens")
        .set({ used_at: now })
        .where("id", "=", id)
        .where("used_at", "is", null)
        .where("attempts", ">=", maxAttempts)
        .execute();
    },

    async voidEmailTokens(userId, purposes, now) {
      if (purposes.length === 0) return;
      await db
        .updateTable("email_tokens")
        .set({ used_at: now })
        .where("user_id", "=", userId)
        .where("purpose", "in", [...purposes])
        .where("used_at", "is", null)
        .execute();
    },

    async deleteExpiredEmailTokens(now) {
      const result = await db.deleteFrom("email_tokens").where("expires_at", "<=", now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function createKyselyKnownDeviceStore(db: Kysely<GatehouseTables>): KnownDeviceStore {
  return {
    async recordDeviceSignIn(userId, deviceHash, now, knownSince): Promise<DeviceRecognition> {
      return db.transaction().execute(async (trx) => {
        const devices = await trx
          .selectFrom("known_devices")
          .select(["device_hash", "last_seen_at"])
          .where("user_id", "=", userId)
          .execute();
        const known = devices.filter((device) => device.last_seen_at >= knownSince);
        // Most sign-ins find nothing to forget and skip the delete.
        if (known.length < devices.length) {
          await trx
            .deleteFrom("known_devices")
            .where("user_id", "=", userId)
            .where("last_seen_at", "<", knownSince)
            .execute();
        }
        // An upsert, so two parallel sign-ins from one new device both succeed.
        await trx
          .insertInto("known_devices")
          .values({ user_id: userId, device_hash: deviceHash, created_at: now, last_seen_at: now })
          .onConflict((conflict) => conflict.columns(["user_id", "device_hash"]).doUpdateSet({ last_seen_at: now }))
          .execute();
        if (known.length === 0) return "first";
        return known.some((device) => device.device_hash === deviceHash) ? "known" : "new";
      });
    },
  };
}

function totpFromRow(row: Selectable<MFATOTPTable>): TOTPFactorRecord {
  return {
    userId: row.user_id,
    encryptedSecret: row.encrypted_secret,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at,
    lastUsedStep: row.last_used_step,
  };
}

function challengeFromRow(row: Selectable<MFAChallengesTable>): MFAChallengeRecord {
  return {
    id: row.id,
    userId: row.user_id,
    purpose: row.purpose as MFAChallengePurpose,
    secretHash: row.secret_hash,
    method: row.method,
    clientHash: row.client_hash,
    attempts: row.attempts,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

function smsFromRow(row: Selectable<MFASMSTable>): SMSFactorRecord {
  return {
    userId: row.user_id,
    encryptedPhoneNumber: row.encrypted_phone_number,
    phoneNumberHash: row.phone_number_hash,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at,
  };
}

/**
 * Second factors. As with emailed tokens, every decision is one conditional statement whose row
 * count says whether it applied, so the database decides races between parallel requests.
 */
function createKyselyMFAStore(db: Kysely<GatehouseTables>, readDirectly: DirectRead | undefined): MFAStore {
  // Every sign-in reads both to learn whether a second factor is due.
  const readTOTP = readByKey(
    db,
    db.selectFrom("mfa_totp").selectAll().where("user_id", "=", "").compile(),
    readDirectly,
  );
  const readSMS = readByKey(db, db.selectFrom("mfa_sms").selectAll().where("user_id", "=", "").compile(), readDirectly);
  return {
    async savePendingTOTP(factor) {
      const result = await db
        .insertInto("mfa_totp")
        .values({
          user_id: factor.userId,
          encrypted_secret: factor.encryptedSecret,
          created_at: factor.createdAt,
          confirmed_at: null,
          last_used_step: null,
        })
        .onConflict((conflict) =>
          conflict
            .column("user_id")
            .doUpdateSet({
              encrypted_secret: factor.encryptedSecret,
              created_at: factor.createdAt,
              last_used_step: null,
            })
            .where("mfa_totp.confirmed_at", "is", null),
        )
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    async getTOTP(userId) {
      const row = await readTOTP(userId);
      return row ? totpFromRow(row) : null;
    },

    async confirmTOTP(userId, step, confirmedAt) {
      const result = await db
        .updateTable("mfa_totp")
        .set({ confirmed_at: confirmedAt, last_used_step: step })
        .where("user_id", "=", userId)
        .where("confirmed_at", "is", null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async useTOTPStep(userId, step) {
      const result = await db
        .updateTable("mfa_totp")
        .set({ last_used_step: step })
        .where("user_id", "=", userId)
        .where((eb) => eb.or([eb("last_used_step", "is", null), eb("last_used_step", "<", step)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async deleteTOTP(userId) {
      await db.deleteFrom("mfa_totp").where("user_id", "=", userId).execute();
    },

    async replaceBackupCodes(userId, codes: BackupCodeRecord[]) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("mfa_backup_codes").where("user_id", "=", userId).execute();
        if (codes.length === 0) return;
        await trx
          .insertInto("mfa_backup_codes")
          .values(
            codes.map((code) => ({
              id: code.id,
              user_id: code.userId,
              code_hash: code.codeHash,
              created_at: code.createdAt,
              used_at: code.usedAt,
            })),
          )
          .execute();
      });
    },

    async useBackupCode(userId, codeHash, usedAt) {
      const result = await db
        .updateTable("mfa_backup_codes")
        .set({ used_at: usedAt })
        .where("user_id", "=", userId)
        .where("code_hash", "=", codeHash)
        .where("used_at", "is", null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) >= 1;
    },

    async countUnusedBackupCodes(userId) {
      const row = await db
        .selectFrom("mfa_backup_codes")
        .select((eb) => eb.fn.countAll().as("count"))
        .where("user_id", "=", userId)
        .where("used_at", "is", null)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async deleteBackupCodes(userId) {
      await db.deleteFrom("mfa_backup_codes").where("user_id", "=", userId).execute();
    },

    async createMFAChallenge(challenge) {
      await db
        .insertInto("mfa_challenges")
        .values({
          id: challenge.id,
          user_id: challenge.userId,
          purpose: challenge.purpose,
          secret_hash: challenge.secretHash,
          method: challenge.method,
          client_hash: challenge.clientHash,
          attempts: challenge.attempts,
          created_at: challenge.createdAt,
          expires_at: challenge.expiresAt,
          used_at: challenge.usedAt,
        })
        .execute();
    },

    async getMFAChallenge(id) {
      const row = await db.selectFrom("mfa_challenges").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? challengeFromRow(row) : null;
    },

    async reserveMFAChallengeAttempt(id, maxAttempts, now) {
      const result = await db
        .updateTable("mfa_challenges")
        .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
        .where("id", "=", id)
        .where("used_at", "is", null)
        .where("expires_at", ">", now)
        .where("attempts", "<", maxAttempts)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async consumeMFAChallenge(id, now) {
      const result = await db
        .updateTable("mfa_challenges")
        .set({ used_at: now })
        .where("id", "=", id)
        .where("used_at", "is", null)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async reserveMFAAttempt(userId, maxAttempts, windowMs, now) {
      const windowStart = now - windowMs;
      // One upsert: a new row, a window that has ended starting over, or one more try while under
      // the cap. When the cap is reached the conditional update matches nothing.
      const result = await db
        .insertInto("mfa_attempts")
        .values({ user_id: userId, attempts: 1, window_started_at: now })
        .onConflict((conflict) =>
          conflict
            .column("user_id")
            .doUpdateSet((eb) => ({
              attempts: eb
                .case()
                .when("mfa_attempts.window_started_at", "<=", windowStart)
                .then(1)
                .else(eb("mfa_attempts.attempts", "+", 1))
                .end(),
              window_started_at: eb
                .case()
                .when("mfa_attempts.window_started_at", "<=", windowStart)
                .then(now)
                .else(eb.ref("mfa_attempts.window_started_at"))
                .end(),
            }))
            .where((eb) =>
              eb.or([
                eb("mfa_attempts.window_started_at", "<=", windowStart),
                eb("mfa_attempts.attempts", "<", maxAttempts),
              ]),
            ),
        )
        .executeTakeFirst();
      const allowed = Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
      const row = await db
        .selectFrom("mfa_attempts")
        .select("window_started_at")
        .where("user_id", "=", userId)
        .executeTakeFirst();
      return { allowed, windowEndsAt: (row?.window_started_at ?? now) + windowMs };
    },

    async resetMFAAttempts(userId) {
      await db.deleteFrom("mfa_attempts").where("user_id", "=", userId).execute();
    },

    async deleteExpiredMFAChallenges(now) {
      const result = await db.deleteFrom("mfa_challenges").where("expires_at", "<=", now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async savePendingSMS(factor) {
      const result = await db
        .insertInto("mfa_sms")
        .values({
          user_id: factor.userId,
          encrypted_phone_number: factor.encryptedPhoneNumber,
          phone_number_hash: factor.phoneNumberHash,
          created_at: factor.createdAt,
          confirmed_at: null,
        })
        .onConflict((conflict) =>
          conflict
            .column("user_id")
            .doUpdateSet({
              encrypted_phone_number: factor.encryptedPhoneNumber,
              phone_number_hash: factor.phoneNumberHash,
              created_at: factor.createdAt,
            })
            .where("mfa_sms.confirmed_at", "is", null),
        )
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    async getSMS(userId) {
      const row = await readSMS(userId);
      return row ? smsFromRow(row) : null;
    },

    async confirmSMS(userId, phoneNumberHash, confirmedAt) {
      const result = await db
        .updateTable("mfa_sms")
        .set({ confirmed_at: confirmedAt })
        .where("user_id", "=", userId)
        .where("phone_number_hash", "=", phoneNumberHash)
        .where("confirmed_at", "is", null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async deleteSMS(userId) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("mfa_sms_codes").where("user_id", "=", userId).execute();
        await trx.deleteFrom("mfa_sms").where("user_id", "=", userId).execute();
      });
    },

    async saveSMSCode(code) {
      const values = {
        purpose: code.purpose,
        bound_to: code.boundTo,
        code_hash: code.codeHash,
        created_at: code.createdAt,
        expires_at: code.expiresAt,
        used_at: code.usedAt,
      };
      await db
        .insertInto("mfa_sms_codes")
        .values({ user_id: code.userId, ...values })
        .onConflict((conflict) => conflict.column("user_id").doUpdateSet(values))
        .execute();
    },

    async useSMSCode(userId, purpose, boundTo, codeHash, now) {
      const result = await db
        .updateTable("mfa_sms_codes")
        .set({ used_at: now })
        .where("user_id", "=", userId)
        .where("purpose", "=", purpose)
        .where("bound_to", "=", boundTo)
        .where("code_hash", "=", codeHash)
        .where("used_at", "is", null)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async deleteExpiredSMSCodes(now) {
      const result = await db.deleteFrom("mfa_sms_codes").where("expires_at", "<=", now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
