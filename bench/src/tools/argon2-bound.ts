/**
 * The Argon2id bound on sign-in throughput: how many hashes per second @node-rs/argon2 makes
 * with the parameters Gatehouse uses (`DEFAULT_ARGON2ID`: m = 20480 KiB, t = 2, p = 1) when
 * every core is busy hashing. One sign-in costs one such verification, so no server can sign in
 * faster than this on the same machine. Runs in a process of its own; prints one `BENCH_RESULT`
 * line.
 */
import { availableParallelism } from "node:os";
import { hash } from "@node-rs/argon2";
import { DEFAULT_ARGON2ID } from "@gatehouse/core";

const seconds = Number(process.argv[2] ?? 5);
const warmupSeconds = 1;
// Argon2id is the const enum member 2, which isolated modules cannot name.
const options = { algorithm: 2, ...DEFAULT_ARGON2ID } as const;
const cores = availableParallelism();

async function hashFor(durationMs: number): Promise<number> {
  const end = performance.now() + durationMs;
  let count = 0;
  // One chain per core, each starting a new hash as soon as the last one finishes.
  await Promise.all(
    Array.from({ length: cores }, async (_, lane) => {
      while (performance.now() < end) {
        await hash(`bench password ${lane} ${count}`, options);
        count++;
      }
    }),
  );
  return count;
}

await hashFor(warmupSeconds * 1000);
const started = performance.now();
const count = await hashFor(seconds * 1000);
const elapsed = (performance.now() - started) / 1000;
process.stdout.write(
  `BENCH_RESULT ${JSON.stringify({ hashes: count, seconds: elapsed, hashesPerSecond: count / elapsed, cores })}\n`,
);
