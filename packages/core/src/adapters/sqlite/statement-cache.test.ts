// The SQLite adapter's statement cache: a statement is prepared once per distinct SQL, the cache
// stays bounded, and results are those of fresh statements (the conformance suite in
// sqlite.test.ts runs every query through it as well).
import SQLite from "better-sqlite3";
import { CompiledQuery, Kysely, SqliteDialect } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { createKyselyDatabase, type GatehouseTables } from "../../storage/kysely-database.js";
import { minimalUser } from "../../test-support/users.js";
import { STATEMENT_CACHE_SIZE, createDirectReader, withStatementCache } from "./statement-cache.js";

let sqlite: SQLite.Database;

afterEach(() => {
  if (sqlite.open) sqlite.close();
});

describe("withStatementCache", () => {
  it("prepares each distinct SQL once and reuses the statement", () => {
    sqlite = new SQLite(":memory:");
    const database = withStatementCache(sqlite);
    database.prepare("CREATE TABLE t (id INTEGER)").run([]);
    const insert = database.prepare("INSERT INTO t (id) VALUES (?)");
    expect(database.prepare("INSERT INTO t (id) VALUES (?)")).toBe(insert);
    insert.run([1]);
    database.prepare("INSERT INTO t (id) VALUES (?)").run([2]);
    expect(database.prepare("SELECT id FROM t ORDER BY id").all([])).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("stays bounded, and still answers after it was emptied", () => {
    sqlite = new SQLite(":memory:");
    const database = withStatementCache(sqlite);
    const first = database.prepare("SELECT 0 AS n");
    for (let n = 1; n <= STATEMENT_CACHE_SIZE; n++) database.prepare(`SELECT ${n} AS n`);
    // The cache was full, so it was emptied: the first SQL gets a new statement.
    const again = database.prepare("SELECT 0 AS n");
    expect(again).not.toBe(first);
    expect(again.all([])).toEqual([{ n: 0 }]);
  });

  it("closes the database", () => {
    sqlite = new SQLite(":memory:");
    withStatementCache(sqlite).close();
    expect(sqlite.open).toBe(false);
  });
});

describe("createDirectReader", () => {
  it("reads on the spot outside a transaction, and declines inside one", () => {
    sqlite = new SQLite(":memory:");
    const statements = withStatementCache(sqlite);
    const readDirectly = createDirectReader(sqlite, statements);
    sqlite.exec("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER); INSERT INTO t VALUES ('a', 1)");
    const query = CompiledQuery.raw("SELECT n FROM t WHERE id = ?", ["a"]);
    expect(readDirectly(query)).toEqual([{ n: 1 }]);
    sqlite.exec("BEGIN");
    expect(readDirectly(query)).toBeNull();
    sqlite.exec("ROLLBACK");
    expect(readDirectly(query)).toEqual([{ n: 1 }]);
  });

  it("serves the reads of every request and every sign-in on the spot, with the right rows", async () => {
    sqlite = new SQLite(":memory:");
    const statements = withStatementCache(sqlite);
    const direct = createDirectReader(sqlite, statements);
    const tables: string[] = [];
    const database = createKyselyDatabase({
      kysely: new Kysely<GatehouseTables>({ dialect: new SqliteDialect({ database: statements }) }),
      kind: "sqlite",
      isDuplicateEmailError: () => false,
      readDirectly: (query) => {
        const rows = direct(query);
        if (rows) tables.push(/from "(\w+)"/.exec(query.sql)![1]!);
        return rows;
      },
    });
    await database.migrate();
    const user = await database.createUser(minimalUser("user_direct_reads"));
    tables.length = 0;
    expect((await database.getUserById(user.id))?.id).toBe(user.id);
    expect((await database.getUserByEmail(user.emailNormalized))?.id).toBe(user.id);
    expect(await database.getUserByEmail("nobody@example.com")).toBeNull();
    expect(await database.getTOTP(user.id)).toBeNull();
    expect(await database.getSMS(user.id)).toBeNull();
    expect(await database.listWebhookEndpoints()).toEqual([]);
    expect(tables).toEqual(["users", "users", "users", "mfa_totp", "mfa_sms", "webhook_endpoints"]);
    await database.close();
  });

  it("lets a read by id during a transaction wait for it, never seeing its uncommitted writes", async () => {
    sqlite = new SQLite(":memory:");
    const statements = withStatementCache(sqlite);
    const kysely = new Kysely<GatehouseTables>({ dialect: new SqliteDialect({ database: statements }) });
    const database = createKyselyDatabase({
      kysely,
      kind: "sqlite",
      isDuplicateEmailError: () => false,
      readDirectly: createDirectReader(sqlite, statements),
    });
    await database.migrate();
    const id = "user_direct";
    await database.createUser({ ...minimalUser(id), name: "Committed" });

    let rollBack!: () => void;
    const heldOpen = new Promise<void>((resolve) => (rollBack = resolve));
    let updated!: () => void;
    const updatedInside = new Promise<void>((resolve) => (updated = resolve));
    const transaction = kysely
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable("users").set({ name: "Uncommitted" }).where("id", "=", id).execute();
        updated();
        await heldOpen;
        throw new Error("rolled back on purpose");
      })
      .catch(() => undefined);
    await updatedInside;

    let settled = false;
    const read = database.getUserById(id).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    rollBack();
    await transaction;
    expect((await read)?.name).toBe("Committed");
    await database.close();
  });
});
