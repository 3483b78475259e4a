/**
 * The SQL implementation of the {@link PasskeyStore} port, shared by SQLite and PostgreSQL and
 * mixed into the database by `kysely-database.ts`.
 *
 * Races are decided by the database: a credential id is stored once (`ON CONFLICT DO NOTHING`
 * on its unique constraint, whatever user tries), a challenge is used by one conditional
 * `UPDATE … RETURNING`, and a counter only moves forward through a conditional `UPDATE`.
 */
import type { Kysely, Selectable } from "kysely";
import type { GatehouseTables } from "./kysely-database.js";
import type {
  PasskeyChallengePurpose,
  PasskeyChallengeRecord,
  PasskeyDeviceType,
  PasskeyRecord,
  PasskeyStore,
} from "./ports.js";

/** The `passkey_user_handles` table as the database returns it. */
export interface PasskeyUserHandlesTable {
  user_id: string;
  user_handle: string;
  created_at: number;
}

/** The `passkeys` table as the database returns it. */
export interface PasskeysTable {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  counter: number;
  /** JSON array of strings. */
  transports: string;
  device_type: string;
  /** 0 or 1. */
  backed_up: number;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

/** The `passkey_challenges` table as the database returns it. */
export interface PasskeyChallengesTable {
  id: string;
  challenge_hash: string;
  purpose: string;
  user_id: string | null;
  session_id: string | null;
  client_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** Parses the transports column; anything but an array of strings (a hand-edited row) reads as none. */
function transportsOf(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((each): each is string => typeof each === "string") : [];
  } catch {
    return [];
  }
}

function passkeyFromRow(row: Selectable<PasskeysTable>): PasskeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: transportsOf(row.transports),
    deviceType: row.device_type as PasskeyDeviceType,
    backedUp: Number(row.backed_up) === 1,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

function challengeFromRow(row: Selectable<PasskeyChallengesTable>): PasskeyChallengeRecord {
  return {
    id: row.id,
    challengeHash: row.challenge_hash,
    purpose: row.purpose as PasskeyChallengePurpose,
    userId: row.user_id,
    sessionId: row.session_id,
    clientHash: row.client_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

/**
 * Creates the passkey store over a Kysely instance of the Gatehouse schema.
 *
 * @example
 * ```ts
 * const passkeys = createKyselyPasskeyStore(db);
 * const stored = await passkeys.createPasskey(record); // false: the credential id is taken
 * ```
 */
export function createKyselyPasskeyStore(db: Kysely<GatehouseTables>): PasskeyStore {
  return {
    async ensurePasskeyUserHandle(userId, candidate, createdAt) {
      await db
        .insertInto("passkey_user_handles")
        .values({ user_id: userId, user_handle: candidate, created_at: createdAt })
        .onConflict((conflict) => conflict.column("user_id").doNothing())
        .execute();
      const row = await db
        .selectFrom("passkey_user_handles")
        .select("user_handle")
        .where("user_id", "=", userId)
        .executeTakeFirstOrThrow();
      return row.user_handle;
    },

    async getPasskeyUserHandle(userId) {
      const row = await db
        .selectFrom("passkey_user_handles")
        .select("user_handle")
        .where("user_id", "=", userId)
        .executeTakeFirst();
      return row?.user_handle ?? null;
    },

    async createPasskey(passkey) {
      const result = await db
        .insertInto("passkeys")
        .values({
          id: passkey.id,
          user_id: passkey.userId,
          credential_id: passkey.credentialId,
          public_key: passkey.publicKey,
          counter: passkey.counter,
          transports: JSON.stringify(passkey.transports),
          device_type: passkey.deviceType,
          backed_up: passkey.backedUp ? 1 : 0,
          name: passkey.name,
          created_at: passkey.createdAt,
          last_used_at: passkey.lastUsedAt,
        })
        .onConflict((conflict) => conflict.column("credential_id").doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    async getPasskeyByCredentialId(credentialId) {
      const row = await db
        .selectFrom("passkeys")
        .selectAll()
        .where("credential_id", "=", credentialId)
        .executeTakeFirst();
      return row ? passkeyFromRow(row) : null;
    },

    async listPasskeys(userId) {
      const rows = await db
        .selectFrom("passkeys")
        .selectAll()
        .where("user_id", "=", userId)
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      return rows.map(passkeyFromRow);
    },

    async renamePasskey(userId, id, name) {
      const row = await db
        .updateTable("passkeys")
        .set({ name })
        .where("id", "=", id)
        .where("user_id", "=", userId)
        .returningAll()
        .executeTakeFirst();
      return row ? passkeyFromRow(row) : null;
    },

    async deletePasskey(userId, id) {
      const result = await db
        .deleteFrom("passkeys")
        .where("id", "=", id)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    async recordPasskeyUse(id, use) {
      const result = await db
        .updateTable("passkeys")
        .set({ counter: use.counter, backed_up: use.backedUp ? 1 : 0, last_used_at: use.usedAt })
        .where("id", "=", id)
        .where((eb) => (use.counter === 0 ? eb("counter", "=", 0) : eb("counter", "<", use.counter)))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async createPasskeyChallenge(challenge) {
      await db
        .insertInto("passkey_challenges")
        .values({
          id: challenge.id,
          challenge_hash: challenge.challengeHash,
          purpose: challenge.purpose,
          user_id: challenge.userId,
          session_id: challenge.sessionId,
          client_hash: challenge.clientHash,
          created_at: challenge.createdAt,
          expires_at: challenge.expiresAt,
          used_at: challenge.usedAt,
        })
        .execute();
    },

    async consumePasskeyChallenge(match, now) {
      const row = await db
        .updateTable("passkey_challenges")
        .set({ used_at: now })
        .where("challenge_hash", "=", match.challengeHash)
        .where("purpose", "=", match.purpose)
        .where("client_hash", "=", match.clientHash)
        .where((eb) =>
          match.sessionId === null ? eb("session_id", "is", null) : eb("session_id", "=", match.sessionId),
        )
        .where("used_at", "is", null)
        .where("expires_at", ">", now)
        .returningAll()
        .executeTakeFirst();
      return row ? challengeFromRow(row) : null;
    },

    async deleteExpiredPasskeyChallenges(now) {
      const result = await db.deleteFrom("passkey_challenges").where("expires_at", "<=", now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
