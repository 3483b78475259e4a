/**
 * The background checkpointer on real files: commits reach the database file without the
 * application's connection checkpointing, and that connection gets SQLite's automatic
 * checkpoints back whenever the worker is gone. "Reached the database file" is read by copying
 * the file alone, without its WAL, and counting the rows in the copy.
 */
import { copyFileSync, existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { minimalUser } from "../../test-support/users.js";
import { startBackgroundCheckpointer } from "./background-checkpointer.js";
import { createSQLiteDatabase } from "./index.js";

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "gatehouse-checkpointer-"));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const INTERVAL_MS = 50;

function openWAL(): { connection: SQLite.Database; filename: string } {
  const filename = join(directory, `${crypto.randomUUID()}.db`);
  const connection = new SQLite(filename);
  connection.pragma("journal_mode = WAL");
  connection.exec("create table items (id integer primary key, body text)");
  return { connection, filename };
}

function insertRows(connection: SQLite.Database, count: number): void {
  const insert = connection.prepare("insert into items (body) values (?)");
  connection.transaction(() => {
    for (let index = 0; index < count; index++) insert.run(`row ${index}`);
  })();
}

/**
 * Rows of `table` in the database file itself, ignoring whatever is still only in its WAL (0
 * while even the table is only there).
 */
function rowsInDatabaseFile(filename: string, table = "items"): number {
  // A copy taken while a checkpoint writes pages can be torn ("malformed"): copy again.
  for (let attempt = 1; ; attempt++) {
    const copy = `${filename}.copy-${crypto.randomUUID()}`;
    copyFileSync(filename, copy);
    const reader = new SQLite(copy, { readonly: true });
    try {
      const hasTable = reader.prepare("select count(*) from sqlite_master where name = ?").pluck().get(table);
      return hasTable ? (reader.prepare(`select count(*) from ${table}`).pluck().get() as number) : 0;
    } catch (error) {
      const torn = ["SQLITE_CORRUPT", "SQLITE_NOTADB"].includes((error as { code?: string }).code ?? "");
      if (attempt === 5 || !torn) throw error;
    } finally {
      reader.close();
    }
  }
}

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

/** A checkpointer on a short interval, so the tests need not wait half a second per round. */
function startQuickCheckpointer(connection: SQLite.Database, filename: string) {
  return startBackgroundCheckpointer(connection, filename, { intervalMs: INTERVAL_MS, busyTimeoutMs: 1_000 });
}

function autocheckpointPages(connection: SQLite.Database): number {
  return connection.pragma("wal_autocheckpoint", { simple: true }) as number;
}

describe("startBackgroundCheckpointer", () => {
  it("turns the connection's automatic checkpoints off and copies its commits into the database file", async () => {
    const { connection, filename } = openWAL();
    const checkpointer = startQuickCheckpointer(connection, filename);
    try {
      await checkpointer.ready;
      expect(autocheckpointPages(connection)).toBe(0);
      insertRows(connection, 100);
      expect(await eventually(() => rowsInDatabaseFile(filename) === 100)).toBe(true);
      insertRows(connection, 50);
      expect(await eventually(() => rowsInDatabaseFile(filename) === 150)).toBe(true);
    } finally {
      await checkpointer.stop();
      connection.close();
    }
  });

  it("leaves commits in the WAL when nothing checkpoints (the control for the test above)", async () => {
    const { connection, filename } = openWAL();
    try {
      connection.pragma("wal_autocheckpoint = 0");
      insertRows(connection, 100);
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 6));
      expect(rowsInDatabaseFile(filename)).toBe(0);
    } finally {
      connection.close();
    }
  });

  it("gives the connection its automatic checkpoints back when the worker dies", async () => {
    const { connection, filename } = openWAL();
    const checkpointer = startQuickCheckpointer(connection, filename);
    try {
      await checkpointer.ready;
      expect(autocheckpointPages(connection)).toBe(0);
      await checkpointer.worker.terminate();
      expect(await eventually(() => autocheckpointPages(connection) === 1000)).toBe(true);
    } finally {
      await checkpointer.stop();
      connection.close();
    }
  });

  it("keeps automatic checkpoints when the worker cannot open the file", async () => {
    const { connection } = openWAL();
    const checkpointer = startQuickCheckpointer(connection, join(directory, "missing", "gatehouse.db"));
    try {
      await checkpointer.ready;
      expect(autocheckpointPages(connection)).toBe(1000);
    } finally {
      await checkpointer.stop();
      connection.close();
    }
  });

  it("stops: the worker exits, automatic checkpoints are back, and stop() can be called again", async () => {
    const { connection, filename } = openWAL();
    const checkpointer = startQuickCheckpointer(connection, filename);
    await checkpointer.ready;
    let exited = false;
    checkpointer.worker.once("exit", () => (exited = true));
    await checkpointer.stop();
    expect(exited).toBe(true);
    expect(autocheckpointPages(connection)).toBe(1000);
    await expect(checkpointer.stop()).resolves.toBeUndefined();
    connection.close();
  });
});

describe("createSQLiteDatabase checkpoints", () => {
  async function openFileDatabase(checkpoints?: "background" | "automatic") {
    const filename = join(directory, crypto.randomUUID(), "gatehouse.db");
    const database = createSQLiteDatabase({ filename, ...(checkpoints ? { checkpoints } : {}) });
    await database.migrate();
    return { database, filename };
  }

  it("checkpoints a file database in the background by default, within about a second", async () => {
    const { database, filename } = await openFileDatabase();
    try {
      await database.createUser(minimalUser(`user_${crypto.randomUUID()}`));
      expect(await eventually(() => rowsInDatabaseFile(filename, "users") === 1)).toBe(true);
    } finally {
      await database.close();
    }
  });

  it("with checkpoints: automatic, a small commit stays in the WAL until SQLite's threshold", async () => {
    const { database, filename } = await openFileDatabase("automatic");
    try {
      await database.createUser(minimalUser(`user_${crypto.randomUUID()}`));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(rowsInDatabaseFile(filename, "users")).toBe(0);
    } finally {
      await database.close();
    }
  });

  it("closes as the last connection: everything in the database file, no WAL left behind", async () => {
    const { database, filename } = await openFileDatabase();
    await database.createUser(minimalUser(`user_${crypto.randomUUID()}`));
    await database.close();
    expect(existsSync(`${filename}-wal`)).toBe(false);
    expect(rowsInDatabaseFile(filename, "users")).toBe(1);
  });
});
