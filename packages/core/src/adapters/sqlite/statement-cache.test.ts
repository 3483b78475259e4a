// The SQLite adapter's statement cache: a statement is prepared once per distinct SQL, the cache
// stays bounded, and results are those of fresh statements (the conformance suite in
// sqlite.test.ts runs every query through it as well).
import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { STATEMENT_CACHE_SIZE, withStatementCache } from "./statement-cache.js";

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
