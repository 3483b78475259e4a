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
  /** Memory in KiB. @default 19456 (19 MiB, OWASP) */
  memoryCost: number;
  /** Iterations. @default 2 (OWASP) */
  timeCost: number;
  /** Lanes. @default 1 */
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet's first Argon2id configuration. */
export const OWASP_ARGON2ID: Argon2Parameters = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

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
 * Argon2id hasher. `options.runner`: where hashing runs (default: libuv's thread pool).
 *
 * @example
 * ```ts
 * const hasher = createArgon2idHasher(); // OWASP parameters
 * const stored = await hasher.hash("correct horse battery staple");
 * ```
 */
export function createArgon2idHasher(
  parameters: Argon2Parameters = OWASP_ARGON2ID,
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
