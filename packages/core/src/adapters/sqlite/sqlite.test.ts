/**
 * The SQLite adapter against the shared conformance suite, on a real file (and in memory), plus
 * what only SQLite needs: WAL mode, enforced foreign keys, the data directory being created.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  describeDatabaseConformance,
  describeEmailStoreConformance,
  describePasskeyStoreConformance,
  describeRevocationLogConformance,
  describeSessionStoreConformance,
  describeSigningKeyStoreConformance,
} from "../../storage/conformance.test-suite.js";
import { describeWebhookStoreConformance } from "../../storage/webhook-conformance.test-suite.js";
import { minimalUser } from "../../test-support/users.js";
import { createSQLiteDatabase } from "./index.js";

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "gatehouse-sqlite-"));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A database file in a directory that does not exist yet, so each test also proves it is created. */
function newDatabaseFile(): string {
  return join(directory, crypto.randomUUID(), "data", "gatehouse.db");
}

describeDatabaseConformance("sqlite file", async () => {
  const database = createSQLiteDatabase({ filename: newDatabaseFile() });
  await database.migrate();
  return { database, teardown: () => database.close() };
});

describeDatabaseConformance("sqlite :memory:", async () => {
  const database = createSQLiteDatabase({ filename: ":memory:" });
  await database.migrate();
  return { database, teardown: () => database.close() };
});

describeEmailStoreConformance("sqlite file", async () => {
  const database = createSQLiteDatabase({ filename: newDatabaseFile() });
  await database.migrate();
  return { database, teardown: () => database.close() };
});

describePasskeyStoreConformance("sqlite file", async () => {
  const database = createSQLiteDatabase({ filename: newDatabaseFile() });
  await database.migrate();
  return { database, teardown: () => database.close() };
});

describeWebhookStoreConformance("sqlite file", async () => {
  const database = createSQLiteDatabase({ filename: newDatabaseFile() });
  await database.migrate();
  return { store: database, teardown: () => database.close() };
});

describeSessionStoreConformance("sqlite file", async () => {
  const database = createSQLiteDatabase({ filename: newDatabaseFile() });
  await database.migrate();
  return {
    store: database.sessions,
    createUser: async (id) => {
      await database.createUser(minimalUser(id));
    },
    teardown: () => database.close(),
  };
});

describeSigningKeyStoreConformance("sqlite file", async () => {
  const database = createSQLiteDatabase({ filename: newDatabaseFile() });
  await database.migrate();
  return { store: database, teardown: () => database.close() };
});

describeRevocationLogConformance("sqlite file", async () => {
  const database = createSQLiteDatabase({ filename: newDatabaseFile() });
  await database.migrate();
  return { log: database.revocations, teardown: () => database.close() };
});

describe("createSQLiteDatabase", () => {
  it("creates the missing directory and opens the file in WAL mode", async () => {
    const filename = newDatabaseFile();
    const database = createSQLiteDatabase({ filename });
    await database.migrate();
    expect(database.kind).toBe("sqlite");
    expect(existsSync(filename)).toBe(true);

    // WAL is a property of the file, so a second, independent connection sees it.
    const inspector = new SQLite(filename, { readonly: true });
    try {
      expect(inspector.pragma("journal_mode", { simple: true })).toBe("wal");
      const tables = inspector
        .prepare("select name from sqlite_master where type = 'table' order by name")
        .pluck()
        .all();
      expect(tables).toEqual(
        expect.arrayContaining([
          "gatehouse_migrations",
          "gatehouse_migrations_lock",
          "known_devices",
          "email_tokens",
          "revocations",
          "secret_keys",
          "sessions",
          "signing_keys",
          "users",
        ]),
      );
    } finally {
      inspector.close();
      await database.close();
    }
  });

  it("enforces the sessions → users foreign key", async () => {
    const database = createSQLiteDatabase({ filename: ":memory:" });
    await database.migrate();
    try {
      const now = Date.now();
      const orphan = database.sessions.createSession({
        id: "sess_orphan",
        userId: "user_missing",
        secretHash: "hash",
        createdAt: now,
        lastActiveAt: now,
        idleExpiresAt: now + 60_000,
        expiresAt: now + 120_000,
        ip: null,
        userAgent: null,
        generation: 0,
        previousSecretHash: null,
        rotatedAt: null,
        secondFactorVerifiedAt: null,
      });
      await expect(orphan).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_FOREIGNKEY" });
    } finally {
      await database.close();
    }
  });

  it("keeps data across close and reopen of the same file", async () => {
    const filename = newDatabaseFile();
    const first = createSQLiteDatabase({ filename });
    await first.migrate();
    await first.createUser(minimalUser("user_persisted"));
    await first.close();

    const second = createSQLiteDatabase({ filename });
    try {
      await second.migrate();
      expect(await second.getUserById("user_persisted")).toMatchObject({ id: "user_persisted" });
    } finally {
      await second.close();
    }
  });

  it("migrates a fresh file when migrate() is called twice at once", async () => {
    const database = createSQLiteDatabase({ filename: newDatabaseFile() });
    try {
      await Promise.all([database.migrate(), database.migrate()]);
      await database.createUser(minimalUser("user_after_concurrent_migrate"));
      expect(await database.getUserById("user_after_concurrent_migrate")).not.toBeNull();
    } finally {
      await database.close();
    }
  });

  it("close() can be called twice", async () => {
    const database = createSQLiteDatabase({ filename: ":memory:" });
    await database.close();
    await expect(database.close()).resolves.toBeUndefined();
  });
});
