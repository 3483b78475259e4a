/**
 * Prepared statements reused across queries for the SQLite adapter (internal to it).
 */
import type SQLite from "better-sqlite3";
import type { SqliteDatabase } from "kysely";
import type { DirectRead } from "../../storage/kysely-database.js";

/** Distinct statements kept prepared; SQL that varies (IN lists of any length) cannot grow it forever. */
export const STATEMENT_CACHE_SIZE = 256;

/**
 * The database as Kysely sees it, with prepared statements reused. Kysely prepares every query
 * anew, and preparing was the largest cost of reading a session or user (the bench's
 * `GET /v1/session` profile). Reuse is safe: Kysely runs one query at a time on this one
 * connection, every query runs to completion synchronously, and SQLite re-prepares a statement
 * by itself after a schema change.
 */
export function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare(sql) {
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    close() {
      statements.clear();
      sqlite.close();
    },
  };
}

/**
 * Reads on the spot through the statement cache, as Kysely's SQLite driver would, but without
 * its connection lock and promise turns: without them the server's `GET /v1/session` took about
 * a fifth less CPU in the bench (125 → 97 µs per request). Inside a transaction it answers
 * null, so the read goes through Kysely and waits its turn like every other query: on this one
 * connection, reading now would see the transaction's uncommitted writes.
 */
export function createDirectReader(sqlite: SQLite.Database, statements: SqliteDatabase): DirectRead {
  return (query) =>
    sqlite.inTransaction ? null : (statements.prepare(query.sql) as SQLite.Statement).all(query.parameters);
}
