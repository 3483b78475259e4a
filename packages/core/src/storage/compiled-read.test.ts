// Compiled-once reads: parameters bound per call, the direct path taken when it answers and
// Kysely's when it declines.
import { CompiledQuery, type QueryResult } from "kysely";
import { describe, expect, it } from "vitest";
import { compiledRead, readByKey } from "./compiled-read.js";

function executor(rows: unknown[]) {
  const executed: CompiledQuery[] = [];
  return {
    executed,
    async executeQuery<Row>(query: CompiledQuery<Row>): Promise<QueryResult<Row>> {
      executed.push(query);
      return { rows: rows as Row[] };
    },
  };
}

const template = CompiledQuery.raw("select * from t where a = ? and b = ?", ["", ""]);

describe("compiledRead", () => {
  it("runs the template with each call's parameters through Kysely when there is no direct path", async () => {
    const db = executor([{ n: 1 }]);
    const read = compiledRead(db, template, undefined);
    expect(await read("x", 2)).toEqual([{ n: 1 }]);
    expect(db.executed).toEqual([{ ...template, parameters: ["x", 2] }]);
  });

  it("takes the direct path when it answers, and Kysely's when it declines", async () => {
    const db = executor([{ via: "kysely" }]);
    let answer: unknown[] | null = [{ via: "direct" }];
    const read = compiledRead(db, template, () => answer);
    expect(await read("x", 1)).toEqual([{ via: "direct" }]);
    expect(db.executed).toHaveLength(0);
    answer = null;
    expect(await read("x", 1)).toEqual([{ via: "kysely" }]);
    expect(db.executed).toHaveLength(1);
  });

  it("refuses a call with the wrong number of parameters", async () => {
    const read = compiledRead(executor([]), template, undefined);
    await expect(read("only one")).rejects.toThrow(/2 parameter/);
  });
});

describe("readByKey", () => {
  it("answers the first row, or undefined when there is none", async () => {
    const one = CompiledQuery.raw("select * from t where id = ?", [""]);
    expect(await readByKey(executor([{ id: "a" }, { id: "b" }]), one, undefined)("a")).toEqual({ id: "a" });
    expect(await readByKey(executor([]), one, undefined)("a")).toBeUndefined();
  });

  it("refuses a template that does not take exactly one key", () => {
    expect(() => readByKey(executor([]), template, undefined)).toThrow(/exactly the key/);
  });
});
