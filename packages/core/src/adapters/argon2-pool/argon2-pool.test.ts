// The Argon2 worker pool: real Argon2id hashes made off the main thread, at a lower priority.
import { readFileSync, readdirSync } from "node:fs";
import { verify as verifyOnLibuv } from "@node-rs/argon2";
import { afterEach, describe, expect, it } from "vitest";
import { createArgon2idHasher } from "../../passwords/hasher.js";
import { createArgon2Pool, HASHING_NICENESS, type Argon2Pool } from "./index.js";

// Small parameters keep the test fast; the pool passes them through unchanged.
const FAST = { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 };

const pools: Argon2Pool[] = [];
function pool(options: { size?: number } = {}): Argon2Pool {
  const created = createArgon2Pool(options);
  pools.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((each) => each.close()));
});

/** A thread's niceness from its /proc stat file (field 19; fields after the parenthesised name). */
function niceOf(statFile: string): number {
  const stat = readFileSync(statFile, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

/** Niceness of every thread of this process (Linux). */
function threadNiceness(): number[] {
  return readdirSync("/proc/self/task").map((tid) => niceOf(`/proc/self/task/${tid}/stat`));
}

describe("argon2 pool", () => {
  it("makes standard Argon2id PHC hashes that an independent verifier accepts, and verifies them", async () => {
    const hashing = pool({ size: 2 });
    const stored = await hashing.hash("correct horse battery staple", FAST);
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(await verifyOnLibuv(stored, "correct horse battery staple")).toBe(true);
    expect(await hashing.verify(stored, "correct horse battery staple")).toBe(true);
    expect(await hashing.verify(stored, "wrong")).toBe(false);
  });

  it("answers false, not an error, for a malformed hash", async () => {
    expect(await pool().verify("$argon2id$garbage", "x")).toBe(false);
    expect(await pool().verify("", "x")).toBe(false);
  });

  it("starts no more workers than its size and answers every one of many parallel jobs", async () => {
    const hashing = pool({ size: 2 });
    const stored = await hashing.hash("p", FAST);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, index) => hashing.verify(stored, index % 2 === 0 ? "p" : "q")),
    );
    expect(results).toEqual(Array.from({ length: 12 }, (_, index) => index % 2 === 0));
    expect(hashing.size).toBe(2);
  });

  it.skipIf(process.platform !== "linux")("hashes on threads running below the event loop's priority", async () => {
    const ownNiceness = niceOf("/proc/thread-self/stat");
    const before = threadNiceness().filter((nice) => nice === ownNiceness + HASHING_NICENESS).length;
    const hashing = pool({ size: 2 });
    await Promise.all([hashing.hash("a", FAST), hashing.hash("b", FAST)]);
    const lowered = threadNiceness().filter((nice) => nice === ownNiceness + HASHING_NICENESS).length;
    expect(lowered - before).toBe(2);
    // The thread running this test (the event loop) keeps its priority.
    expect(niceOf("/proc/thread-self/stat")).toBe(ownNiceness);
  });

  it("hands a busy worker its next job at once, and prefers an idle or new worker to doubling up", async () => {
    // Posted while the worker hashes, the next job starts the moment the first is done, without
    // waiting for a busy event loop to hand it over.
    const single = pool({ size: 1 });
    const passwords = ["a", "b", "c"];
    const jobs = passwords.map((password) => single.hash(password, FAST));
    expect(single.waiting).toBe(1);
    const hashes = await Promise.all(jobs);
    for (const [index, stored] of hashes.entries()) expect(await verifyOnLibuv(stored, passwords[index]!)).toBe(true);
    expect(single.waiting).toBe(0);

    const pair = pool({ size: 2 });
    const two = [pair.hash("p0", FAST), pair.hash("p1", FAST)];
    expect(pair.size).toBe(2); // the second job started a second worker, not the first one's inbox
    const three = [2, 3, 4].map((index) => pair.hash(`p${index}`, FAST));
    expect(pair.waiting).toBe(1);
    await Promise.all([...two, ...three]);
  });

  it("refuses queued jobs and those in a worker's hands at close, and every job after", async () => {
    const hashing = pool({ size: 1 });
    // Expectations attached before the close, which rejects the jobs while it runs.
    const refusals = ["a", "b", "c"].map((password) => expect(hashing.hash(password, FAST)).rejects.toThrow(/closed/));
    await hashing.close();
    await Promise.all(refusals);
    await expect(hashing.hash("p", FAST)).rejects.toThrow(/closed/);
  });
});

describe("createArgon2idHasher on the pool", () => {
  it("hashes with the given parameters and verifies, wrong passwords false", async () => {
    const hasher = createArgon2idHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }, { runner: pool() });
    const stored = await hasher.hash("correct horse battery staple");
    expect(await hasher.verify(stored, "correct horse battery staple")).toBe(true);
    expect(await hasher.verify(stored, "Correct horse battery staple")).toBe(false);
    expect(hasher.needsRehash(stored)).toBe(false);
    expect(createArgon2idHasher().needsRehash(stored)).toBe(true);
  });
});
