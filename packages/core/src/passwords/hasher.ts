/**
 * The password-hashing port and its default: Argon2id through @node-rs/argon2, which hashes
 * on libuv's thread pool so a sign-in storm never blocks the event loop. Hashes are PHC strings
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

const PHC_PARAMETERS = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/;

/**
 * Argon2id hasher.
 *
 * @example
 * ```ts
 * const hasher = createArgon2idHasher(); // OWASP parameters
 * const stored = await hasher.hash("correct horse battery staple");
 * ```
 */
export function createArgon2idHasher(parameters: Argon2Parameters = OWASP_ARGON2ID): PasswordHasher {
  return {
    hash: (password) => hash(password, { algorithm: ARGON2ID, ...parameters }),
    async verify(passwordHash, password) {
      try {
        return await verify(passwordHash, password);
      } catch {
        return false;
      }
    },
    needsRehash(passwordHash) {
      const match = PHC_PARAMETERS.exec(passwordHash);
      if (!match) return true;
      const [memory, time, lanes] = match.slice(1).map(Number) as [number, number, number];
      return memory < parameters.memoryCost || time < parameters.timeCost || lanes < parameters.parallelism;
    },
  };
}
