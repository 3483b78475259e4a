/**
 * Password hashes imported from other systems, verified as they are so users move in without a
 * password reset, and upgraded to the main hasher (Argon2id) at their next successful sign-in:
 * `needsRehash` is true for every one of them, and the accounts service already rehashes then.
 *
 * Stored formats (all PHC-style strings, base64 without padding unless said otherwise):
 *
 * | algorithm        | stored as                                                                  |
 * | ---------------- | -------------------------------------------------------------------------- |
 * | bcrypt           | `$2a$`/`$2b$`/`$2y$` modular crypt, as bcrypt writes it                     |
 * | argon2i, argon2d | `$argon2i$v=19$m=…,t=…,p=…$salt$hash` (argon2id goes to the main hasher)    |
 * | scrypt           | `$scrypt$ln=<log2 N>,r=…,p=…$salt$hash`                                      |
 * | Firebase scrypt  | `$firebase-scrypt$rounds=…,mem=…,sep=<salt separator>,key=<signer key>$salt$hash` |
 * | PBKDF2           | `$pbkdf2-sha1$i=…$salt$hash`, `$pbkdf2-sha256$…`, `$pbkdf2-sha512$…`         |
 *
 * Costs are capped (see the constants below) so a hash with absurd parameters, which only an
 * import can bring in, cannot make one sign-in eat the machine. Verification runs on libuv's
 * pool (argon2), Web Crypto (PBKDF2, AES) or in slices that yield to the event loop (scrypt,
 * bcrypt), never blocking it for long.
 */
import { verify as verifyArgon2 } from "@node-rs/argon2";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import bcrypt from "bcryptjs";
import type { PasswordHasher } from "./hasher.js";

/** The algorithms an imported hash may use. */
export type ImportedHashAlgorithm =
  "bcrypt" | "argon2i" | "argon2d" | "scrypt" | "firebase-scrypt" | "pbkdf2-sha1" | "pbkdf2-sha256" | "pbkdf2-sha512";

/** Highest bcrypt cost accepted (2^15 rounds, a few seconds in JavaScript). */
const MAX_BCRYPT_COST = 15;
/** Most memory a scrypt or argon2 verification may use. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const MAX_ARGON2_TIME = 20;
const MAX_ARGON2_LANES = 16;
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const MAX_SCRYPT_LOG_N = 22;
/** Derived keys and salts longer than this are not real hashes. */
const MAX_BYTES = 1024;

const B64 = "[A-Za-z0-9+/]+={0,2}";
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
// Parameters in any order: the reference implementation writes m,t,p; node-argon2 writes m,p,t.
const ARGON2 = new RegExp(
  `^\\$(argon2i|argon2d|argon2id)\\$v=(?:16|19)\\$([a-z]=\\d{1,8}(?:,[a-z]=\\d{1,8}){2})\\$${B64}\\$${B64}$`,
);
const SCRYPT = new RegExp(`^\\$scrypt\\$ln=(\\d{1,2}),r=(\\d{1,3}),p=(\\d{1,3})\\$(${B64})\\$(${B64})$`);
const FIREBASE = new RegExp(
  `^\\$firebase-scrypt\\$rounds=(\\d{1,3}),mem=(\\d{1,2}),sep=(${B64}),key=(${B64})\\$(${B64})\\$(${B64})$`,
);
const PBKDF2 = new RegExp(`^\\$pbkdf2-(sha1|sha256|sha512)\\$i=(\\d{1,8})\\$(${B64})\\$(${B64})$`);

/** Standard base64, with or without padding, to bytes; null when it is not base64. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  const body = text.replace(/=+$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(body) || body.length % 4 === 1) return null;
  const binary = atob(body.padEnd(Math.ceil(body.length / 4) * 4, "="));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

/** Bytes to standard base64 without padding, as PHC strings write it. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/=+$/, "");
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

function sized(bytes: Uint8Array | null, min = 1): bytes is Uint8Array {
  return bytes !== null && bytes.length >= min && bytes.length <= MAX_BYTES;
}

/**
 * Whether an Argon2 PHC string (any variant) has parameters a verification can afford: a hash
 * demanding gigabytes would let one sign-in attempt exhaust the machine.
 */
export function argon2WithinLimits(hash: string): boolean {
  const match = ARGON2.exec(hash);
  if (!match) return false;
  const parameters = new Map(match[2]!.split(",").map((pair) => pair.split("=") as [string, string]));
  const [memory, time, lanes] = ["m", "t", "p"].map((name) => Number(parameters.get(name) ?? NaN));
  return (
    memory! >= 8 &&
    memory! * 1024 <= MAX_MEMORY_BYTES &&
    time! >= 1 &&
    time! <= MAX_ARGON2_TIME &&
    lanes! >= 1 &&
    lanes! <= MAX_ARGON2_LANES
  );
}

/**
 * The algorithm of an imported hash whose format and parameters are acceptable, or null (for
 * Argon2id, which is the main hasher's, and for anything malformed or too costly).
 *
 * @example
 * ```ts
 * importedHashAlgorithm("$2b$10$…") // "bcrypt"
 * ```
 */
export function importedHashAlgorithm(hash: string): ImportedHashAlgorithm | null {
  let match: RegExpExecArray | null;
  if ((match = BCRYPT.exec(hash))) {
    const cost = Number(match[1]);
    return cost >= 4 && cost <= MAX_BCRYPT_COST ? "bcrypt" : null;
  }
  if ((match = ARGON2.exec(hash))) {
    const algorithm = match[1] as "argon2i" | "argon2d" | "argon2id";
    // Argon2id belongs to the main hasher, which verifies and upgrades it.
    return algorithm !== "argon2id" && argon2WithinLimits(hash) ? algorithm : null;
  }
  if ((match = SCRYPT.exec(hash))) {
    const [logN, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const ok =
      logN >= 1 &&
      logN <= MAX_SCRYPT_LOG_N &&
      r >= 1 &&
      p >= 1 &&
      128 * 2 ** logN * r * p <= MAX_MEMORY_BYTES &&
      sized(decodeBase64(match[4]!)) &&
      sized(decodeBase64(match[5]!), 16);
    return ok ? "scrypt" : null;
  }
  if ((match = FIREBASE.exec(hash))) {
    const [rounds, mem] = [Number(match[1]), Number(match[2])];
    const ok =
      rounds >= 1 &&
      mem >= 1 &&
      mem <= MAX_SCRYPT_LOG_N &&
      128 * 2 ** mem * rounds <= MAX_MEMORY_BYTES &&
      sized(decodeBase64(match[3]!), 0) &&
      sized(decodeBase64(match[4]!), 16) &&
      sized(decodeBase64(match[5]!)) &&
      sized(decodeBase64(match[6]!), 16);
    return ok ? "firebase-scrypt" : null;
  }
  if ((match = PBKDF2.exec(hash))) {
    const iterations = Number(match[2]);
    const ok =
      iterations >= 1 &&
      iterations <= MAX_PBKDF2_ITERATIONS &&
      sized(decodeBase64(match[3]!)) &&
      sized(decodeBase64(match[4]!), 16);
    return ok ? (`pbkdf2-${match[1]}` as ImportedHashAlgorithm) : null;
  }
  return null;
}

async function verifyScrypt(hash: string, password: string): Promise<boolean> {
  const [, ln, r, p, salt, expected] = SCRYPT.exec(hash)!;
  const key = decodeBase64(expected!)!;
  const derived = await scryptAsync(new TextEncoder().encode(password), decodeBase64(salt!)!, {
    N: 2 ** Number(ln),
    r: Number(r),
    p: Number(p),
    dkLen: key.length,
    maxmem: MAX_MEMORY_BYTES + 1024,
  });
  return equalBytes(derived, key);
}

/**
 * Firebase's modified scrypt: the scrypt key of (password, salt ‖ salt separator) with N = 2^mem,
 * r = rounds, p = 1 and 32 bytes is used as an AES-256-CTR key (zero IV) to encrypt the
 * project's signer key; the result is the stored hash.
 */
async function verifyFirebaseScrypt(hash: string, password: string): Promise<boolean> {
  const [, rounds, mem, separator, signerKey, salt, expected] = FIREBASE.exec(hash)!;
  const saltBytes = decodeBase64(salt!)!;
  const separatorBytes = decodeBase64(separator!)!;
  const combined = new Uint8Array(saltBytes.length + separatorBytes.length);
  combined.set(saltBytes);
  combined.set(separatorBytes, saltBytes.length);
  const derived = await scryptAsync(new TextEncoder().encode(password), combined, {
    N: 2 ** Number(mem),
    r: Number(rounds),
    p: 1,
    dkLen: 32,
    maxmem: MAX_MEMORY_BYTES + 1024,
  });
  const aesKey = await crypto.subtle.importKey("raw", new Uint8Array(derived), { name: "AES-CTR" }, false, ["encrypt"]);
  const encrypted = await crypto.subtle.encrypt(
    { name: "AES-CTR", counter: new Uint8Array(16), length: 128 },
    aesKey,
    decodeBase64(signerKey!)!,
  );
  return equalBytes(new Uint8Array(encrypted), decodeBase64(expected!)!);
}

const PBKDF2_HASHES = { sha1: "SHA-1", sha256: "SHA-256", sha512: "SHA-512" } as const;

async function verifyPBKDF2(hash: string, password: string): Promise<boolean> {
  const [, digest, iterations, salt, expected] = PBKDF2.exec(hash)!;
  const key = decodeBase64(expected!)!;
  const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const derived = await crypto.subtle.deriveBits(
    {
      name: "PBKDF2",
      hash: PBKDF2_HASHES[digest as keyof typeof PBKDF2_HASHES],
      salt: decodeBase64(salt!)!,
      iterations: Number(iterations),
    },
    material,
    key.length * 8,
  );
  return equalBytes(new Uint8Array(derived), key);
}

async function verifyImported(algorithm: ImportedHashAlgorithm, hash: string, password: string): Promise<boolean> {
  switch (algorithm) {
    case "bcrypt":
      // $2y$ (PHP) is the same algorithm as $2b$; bcryptjs knows it by the latter name.
      return bcrypt.compare(password, hash.replace(/^\$2y\$/, "$2b$"));
    case "argon2i":
    case "argon2d":
      return verifyArgon2(hash, password);
    case "scrypt":
      return verifyScrypt(hash, password);
    case "firebase-scrypt":
      return verifyFirebaseScrypt(hash, password);
    case "pbkdf2-sha1":
    case "pbkdf2-sha256":
    case "pbkdf2-sha512":
      return verifyPBKDF2(hash, password);
  }
}

/**
 * Wraps the main hasher so imported hashes verify too. New hashes always come from `main`;
 * imported ones always report `needsRehash`, so the next good sign-in replaces them.
 *
 * @example
 * ```ts
 * const hasher = createImportAwareHasher(createArgon2idHasher());
 * await hasher.verify("$2b$10$…", "password"); // true for the right password
 * hasher.needsRehash("$2b$10$…"); // true
 * ```
 */
export function createImportAwareHasher(main: PasswordHasher): PasswordHasher {
  return {
    hash: (password) => main.hash(password),
    async verify(passwordHash, password) {
      // Any Argon2 string, the main hasher's included, is verified only within the cost limits.
      if (passwordHash.startsWith("$argon2") && !argon2WithinLimits(passwordHash)) return false;
      const algorithm = importedHashAlgorithm(passwordHash);
      if (algorithm === null) return main.verify(passwordHash, password);
      try {
        return await verifyImported(algorithm, passwordHash, password);
      } catch {
        return false;
      }
    },
    needsRehash(passwordHash) {
      return importedHashAlgorithm(passwordHash) !== null || main.needsRehash(passwordHash);
    },
  };
}
