/**
 * Imported password hashes against the reference implementations that made them: the native
 * `bcrypt` package, `argon2` (the reference C code), Node's OpenSSL scrypt and PBKDF2, and
 * Firebase's published scrypt test vector. Each verifies the right password, refuses a wrong
 * one, and asks to be rehashed; malformed or too costly hashes are not recognised at all.
 */
import { createCipheriv, pbkdf2Sync, randomBytes, scryptSync } from "node:crypto";
import argon2 from "argon2";
import bcrypt from "bcrypt";
import { describe, expect, it } from "vitest";
import { createArgon2idHasher } from "./hasher.js";
import { createImportAwareHasher, importedHashAlgorithm } from "./imported.js";
import { firebaseScryptHash } from "../user-import/sources.js";

const hasher = createImportAwareHasher(createArgon2idHasher());
const PASSWORD = "correct horse battery staple";
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");

async function expectVerifies(hash: string, algorithm: string): Promise<void> {
  expect(importedHashAlgorithm(hash)).toBe(algorithm);
  expect(await hasher.verify(hash, PASSWORD)).toBe(true);
  expect(await hasher.verify(hash, `${PASSWORD}!`)).toBe(false);
  expect(await hasher.verify(hash, "")).toBe(false);
  expect(hasher.needsRehash(hash)).toBe(true);
}

describe("imported hashes made by reference implementations", () => {
  it.each(["a", "b"] as const)("bcrypt $2%s$ (native bcrypt)", async (minor) => {
    await expectVerifies(bcrypt.hashSync(PASSWORD, bcrypt.genSaltSync(10, minor)), "bcrypt");
  });

  it("bcrypt $2y$ (PHP's name for $2b$)", async () => {
    await expectVerifies(bcrypt.hashSync(PASSWORD, 8).replace(/^\$2b\$/, "$2y$"), "bcrypt");
  });

  it.each([
    ["argon2i", argon2.argon2i],
    ["argon2d", argon2.argon2d],
  ] as const)("%s (reference C implementation)", async (name, type) => {
    await expectVerifies(await argon2.hash(PASSWORD, { type, memoryCost: 4096, timeCost: 3, parallelism: 2 }), name);
  });

  it("argon2id from another system goes to the main hasher and is upgraded when weaker", async () => {
    const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 4096, timeCost: 2, parallelism: 1 });
    expect(importedHashAlgorithm(hash)).toBeNull();
    expect(await hasher.verify(hash, PASSWORD)).toBe(true);
    expect(await hasher.verify(hash, "nope")).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(true);
    expect(hasher.needsRehash(await hasher.hash(PASSWORD))).toBe(false);
  });

  it("scrypt (OpenSSL)", async () => {
    const salt = randomBytes(16);
    const key = scryptSync(PASSWORD, salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    await expectVerifies(`$scrypt$ln=14,r=8,p=1$${b64(salt)}$${b64(key)}`, "scrypt");
  });

  it.each([
    ["sha1", 20],
    ["sha256", 32],
    ["sha512", 64],
  ] as const)("PBKDF2-%s (OpenSSL)", async (digest, length) => {
    const salt = randomBytes(16);
    const key = pbkdf2Sync(PASSWORD, salt, 10_000, length, digest);
    await expectVerifies(`$pbkdf2-${digest}$i=10000$${b64(salt)}$${b64(key)}`, `pbkdf2-${digest}`);
  });

  it("Firebase scrypt: the published test vector of firebase/scrypt", async () => {
    const hash = firebaseScryptHash(
      "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
      "42xEC+ixf3L2lw==",
      {
        signerKey: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
        saltSeparator: "Bw==",
        rounds: 8,
        memCost: 14,
      },
    )!;
    expect(importedHashAlgorithm(hash)).toBe("firebase-scrypt");
    expect(await hasher.verify(hash, "user1password")).toBe(true);
    expect(await hasher.verify(hash, "user2password")).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(true);
  });

  it("Firebase scrypt with other parameters (OpenSSL scrypt + AES-256-CTR)", async () => {
    const signerKey = randomBytes(64);
    const separator = Buffer.from([7]);
    const salt = randomBytes(12);
    const derived = scryptSync(PASSWORD, Buffer.concat([salt, separator]), 32, { N: 2 ** 12, r: 4, p: 1 });
    const cipher = createCipheriv("aes-256-ctr", derived, Buffer.alloc(16));
    const hash = Buffer.concat([cipher.update(signerKey), cipher.final()]);
    const stored = firebaseScryptHash(hash.toString("base64"), salt.toString("base64"), {
      signerKey: signerKey.toString("base64"),
      saltSeparator: separator.toString("base64"),
      rounds: 4,
      memCost: 12,
    })!;
    await expectVerifies(stored, "firebase-scrypt");
  });
});

describe("hashes that are not recognised", () => {
  it.each([
    ["MD5", "5f4dcc3b5aa765d61d8327deb882cf99"],
    ["plain text", "hunter2"],
    ["bcrypt cost 31", `$2b$31$${"a".repeat(53)}`],
    ["bcrypt cost 3", `$2b$03$${"a".repeat(53)}`],
    ["broken bcrypt $2x$", `$2x$10$${"a".repeat(53)}`],
    ["scrypt needing 4 GiB", `$scrypt$ln=20,r=32,p=1$c2FsdHNhbHQ$${"a".repeat(43)}`],
    ["scrypt with a short key", "$scrypt$ln=14,r=8,p=1$c2FsdHNhbHQ$YWJj"],
    ["PBKDF2 with 0 iterations", `$pbkdf2-sha256$i=0$c2FsdHNhbHQ$${"a".repeat(43)}`],
    ["PBKDF2-MD5", `$pbkdf2-md5$i=1000$c2FsdHNhbHQ$${"a".repeat(43)}`],
    ["argon2i with 4 GiB", "$argon2i$v=19$m=4194304,t=3,p=1$c2FsdHNhbHQ$YWJjZGVmZ2hpamtsbW5vcA"],
    ["argon2 without parameters", "$argon2i$v=19$c2FsdHNhbHQ$YWJjZGVmZ2hpamtsbW5vcA"],
  ])("%s", async (_, hash) => {
    expect(importedHashAlgorithm(hash)).toBeNull();
    // Handed to the main hasher, which refuses it without throwing.
    expect(await hasher.verify(hash, PASSWORD)).toBe(false);
  });
});
