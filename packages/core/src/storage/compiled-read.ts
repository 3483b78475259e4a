/**
 * Reads compiled once and run with each call's parameters, for the SQL stores: the hot reads
 * (the session and user of every authenticated request; the user, second factors and webhook
 * endpoints of every sign-in) never change their SQL, and building and compiling the query was
 * most of what Kysely added to them (the bench's profiles). Where the adapter can run a read on
 * the spot ({@link DirectRead}, SQLite), it also skips Kysely's connection lock and promise turns.
 */
import type { CompiledQuery, QueryResult } from "kysely";

/** What is needed of a Kysely instance (of any schema: the compiled query already names the table). */
interface QueryExecutor {
  executeQuery<Row>(query: CompiledQuery<Row>): Promise<QueryResult<Row>>;
}

/**
 * Runs a compiled read on the spot and returns its rows, or null when it cannot right now (so
 * the query goes through Kysely as usual). On a synchronous driver (SQLite) Kysely's connection
 * lock and promise turns cost more than the read itself.
 */
export type DirectRead = (query: CompiledQuery) => unknown[] | null;

/**
 * Wraps `template` (compiled with placeholder values) as a function of its parameters, in the
 * order they appear in the SQL.
 *
 * @example
 * ```ts
 * const byEmail = compiledRead(db, db.selectFrom("users").selectAll().where("email_normalized", "=", "").compile(), readDirectly);
 * const rows = await byEmail("ada@example.com");
 * ```
 * @throws Error when called with a different number of parameters than the template has.
 */
export function compiledRead<Row>(
  db: QueryExecutor,
  template: CompiledQuery<Row>,
  readDirectly: DirectRead | undefined,
): (...parameters: unknown[]) => Promise<Row[]> {
  const count = template.parameters.length;
  return async (...parameters) => {
    if (parameters.length !== count) throw new Error(`compiledRead: ${count} parameter(s) expected`);
    const query: CompiledQuery<Row> = { ...template, parameters };
    const rows = readDirectly?.(query) as Row[] | null | undefined;
    return rows ?? (await db.executeQuery<Row>(query)).rows;
  };
}

/**
 * A one-row read by one key (an id, an address): {@link compiledRead} answering the first row.
 * Written out rather than wrapping it: the session and user reads of every authenticated
 * request would pay a second promise turn.
 *
 * @throws Error at creation when the template does not take exactly one parameter.
 */
export function readByKey<Row>(
  db: QueryExecutor,
  template: CompiledQuery<Row>,
  readDirectly: DirectRead | undefined,
): (key: string) => Promise<Row | undefined> {
  if (template.parameters.length !== 1) throw new Error("readByKey: the query must take exactly the key");
  return async (key) => {
    const query: CompiledQuery<Row> = { ...template, parameters: [key] };
    const rows = readDirectly?.(query) as Row[] | null | undefined;
    return (rows ?? (await db.executeQuery<Row>(query)).rows)[0];
  };
}
