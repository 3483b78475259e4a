/**
 * The revocation log in the SQL database, for single-instance deployments (SQLite, or one
 * PostgreSQL instance without Redis). Entries survive a restart, so a verifier resumes from its
 * cursor; live delivery reaches the listeners of this process. Several instances share the
 * Redis log instead (`adapters/redis`).
 */
import type { Kysely } from "kysely";
import type { GatehouseTables } from "../storage/kysely-database.js";
import type { RevocationLog, RevocationLogEntry } from "../storage/ports.js";
import { createListenerSet } from "../lib/listener-set.js";

/** A cursor as `append` writes it: the row's `seq` in decimal. */
const CURSOR = /^[1-9]\d*$/;

/** Builds the SQL revocation log on the database's Kysely instance (which the database owns). */
export function createKyselyRevocationLog(db: Kysely<GatehouseTables>): RevocationLog {
  const live = createListenerSet<(entry: RevocationLogEntry) => void>();

  return {
    async append(entry) {
      const row = await db
        .insertInto("revocations")
        .values({ session_id: entry.sessionId, user_id: entry.userId, revoked_at: entry.revokedAt, until: entry.until })
        .returning("seq")
        .executeTakeFirstOrThrow();
      const logged: RevocationLogEntry = { ...entry, cursor: String(row.seq) };
      live.each((listener) => listener(logged));
      return logged;
    },

    async readAfter(cursor, limit) {
      // A cursor that is not ours (garbage from a client) replays from the start: nothing missed.
      // Fix: only the decimal form we write counts as ours; Number() also read "1.0", "+1",
      // " 1" or "1e0" as 1 and skipped entries (conformance: "readAfter of a cursor that is not
      // one of ours replays from the start").
      const from = cursor !== null && CURSOR.test(cursor) && Number.isSafeInteger(Number(cursor)) ? Number(cursor) : 0;
      const rows = await db
        .selectFrom("revocations")
        .selectAll()
        .where("seq", ">", from)
        .orderBy("seq")
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        cursor: String(row.seq),
        sessionId: row.session_id,
        userId: row.user_id,
        revokedAt: row.revoked_at,
        until: row.until,
      }));
    },

    subscribe: live.add,

    async prune(now) {
      const result = await db.deleteFrom("revocations").where("until", "<=", now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async close() {
      live.clear();
    },
  };
}
