/**
 * The password-hashing port and its default: Argon2id through @node-rs/argon2, which hashes
 * off the event loop: on libuv's thread pool by default, or on any {@link Argon2Runner} such as
 * the worker pool of `@gatehouse/core/adapters/argon2-pool` (lower CPU priority than the event
 * loop, so a sign-in storm does not starve request handling; the standalone server uses it).
 * Hashes are PHC strings
 * (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so the parameters travel with each hash and can be
 * raised later: `needsRehash` tells the engine to upgrade a hash at the next good sign-in.
 */
import { hash, verify } from "@node-rs/argon2";

// `Algorithm` is a const enum, which isolated modules cannot read; 2 is its Argon2id member.
const ARGON2ID = 2;

/** Hashes and verifies passwords. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password and for a malformed or foreign hash; never throws for those. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** True when the hash was made with weaker parameters than the hasher's current ones. */
  needsRehash(passwordHash: string): boolean;
}

/** Argon2id cost parameters. */
export interface Argon2Parameters {
  /** Memory in KiB. @default 20480 (20 MiB; see {@link DEFAULT_ARGON2ID}) */
  memoryCost: number;
  /** Iterations. @default 2 (OWASP) */
  timeCost: number;
  /** Lanes. @default 1 */
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet's first Argon2id configuration (19 MiB, 2 iterations, 1 lane). */
export const OWASP_ARGON2ID: Argon2Parameters = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/**
 * Gatehouse's default: {@link OWASP_ARGON2ID} with its memory rounded up to 20 MiB, a whole
 * number of 2 MiB huge pages. More memory, so never weaker than OWASP's configuration; and on
 * Linux @node-rs/argon2 maps each hash's memory afresh and asks for transparent huge pages, which
 * only whole 2 MiB pages get: 19 MiB leaves a 1 MiB tail of 256 small pages, each a page fault
 * when first written. On the project's (virtual) benchmark machine that tail made a 19 MiB hash
 * cost more than a 20 MiB one: 14.9 against 10.6 ms of CPU, 124 against 170 hashes/s on two
 * cores (docs/benchmarks.md, tenth round). With huge pages off, every page faults and the two
 * cost the same within noise.
 */
export const DEFAULT_ARGON2ID: Argon2Parameters = { memoryCost: 20480, timeCost: 2, parallelism: 1 };

/** Where Argon2 runs: `hash` with @node-rs/argon2's options, `verify` false for any failure. */
export interface Argon2Runner {
  hash(password: string, options: Record<string, number>): Promise<string>;
  /** False for a wrong password and for a malformed hash; never throws for those. */
  verify(hash: string, password: string): Promise<boolean>;
}

/** @node-rs/argon2's own async functions, on libuv's thread pool. */
const libuvRunner: Argon2Runner = {
  hash: (password, options) => hash(password, options),
  async verify(passwordHash, password) {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  },
};

const PHC_PARAMETERS = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/;

/**
 * Argon2id hasher with `parameters` (default {@link DEFAULT_ARGON2ID}). `options.runner`: where
 * hashing runs (default: libuv's thread pool). Hashes made with weaker parameters, such as
 * OWASP's 19 MiB, are upgraded at the next good sign-in (`needsRehash`).
 *
 * @example
 * ```ts
 * const hasher = createArgon2idHasher(); // 20 MiB, 2 iterations, 1 lane
 * const stored = await hasher.hash("correct horse battery staple");
 * ```
 */
export function createArgon2idHasher(
  parameters: Argon2Parameters = DEFAULT_ARGON2ID,
  options: { runner?: Argon2Runner } = {},
): PasswordHasher {
  const runner = options.runner ?? libuvRunner;
  return {
    hash: (password) => runner.hash(password, { algorithm: ARGON2ID, ...parameters }),
    verify: (passwordHash, password) => runner.verify(passwordHash, password),
    needsRehash(passwordHash) {
      const match = PHC_PARAMETERS.exec(passwordHash);
      if (!match) return true;
      const [memory, time, lanes] = match.slice(1).map(Number) as [number, number, number];
      return memory < parameters.memoryCost || time < parameters.timeCost || lanes < parameters.parallelism;
    },
  };
}
