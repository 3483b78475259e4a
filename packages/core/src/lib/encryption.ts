/**
 * Encryption at rest and key derivation on Web Crypto: AES-256-GCM for secrets the engine must
 * be able to read back (JWT private keys), HKDF to derive purpose-bound subkeys from the one
 * configured encryption key, so no two uses ever share a key.
 */
import { base64url } from "@gatehouse/sdk";
import { ConfigurationError } from "../errors/index.js";
import { randomBytes } from "./encoding.js";

/** Bytes of an encryption key (AES-256). */
export const ENCRYPTION_KEY_BYTES = 32;

function fromBase64url(value: string): Uint8Array<ArrayBuffer> {
  const padded = value.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (value.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (character) => character.charCodeAt(0));
}

/**
 * Decodes an encryption key given as base64url (as `GATEHOUSE_ENCRYPTION_KEY` holds it).
 * @throws ConfigurationError unless it is exactly 32 bytes.
 */
export function parseEncryptionKey(value: string): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = fromBase64url(value.trim());
  } catch (cause) {
    throw new ConfigurationError("GATEHOUSE_ENCRYPTION_KEY must be base64url.", { cause });
  }
  if (bytes.length !== ENCRYPTION_KEY_BYTES || !/^[A-Za-z0-9_-]+$/.test(value.trim())) {
    throw new ConfigurationError(
      `GATEHOUSE_ENCRYPTION_KEY must be ${ENCRYPTION_KEY_BYTES} random bytes in base64url (43 characters).`,
    );
  }
  return bytes;
}

/** A fresh random encryption key in base64url, for `GATEHOUSE_ENCRYPTION_KEY`. */
export function generateEncryptionKey(): string {
  return base64url(randomBytes(ENCRYPTION_KEY_BYTES));
}

/** Encrypts and decrypts short strings with one purpose-bound key. */
export interface Encrypter {
  /** `v1.<iv>.<ciphertext+tag>`, all base64url. */
  encrypt(plaintext: string): Promise<string>;
  /** @throws when the ciphertext was made with another key or altered. */
  decrypt(ciphertext: string): Promise<string>;
}

async function derive(master: Uint8Array<ArrayBuffer>, purpose: string, usage: "encrypt" | "mac"): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", master, "HKDF", false, ["deriveKey"]);
  const parameters = {
    name: "HKDF",
    hash: "SHA-256",
    salt: new Uint8Array(32),
    info: new TextEncoder().encode(`gatehouse ${purpose}`),
  };
  return usage === "encrypt"
    ? crypto.subtle.deriveKey(parameters, base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"])
    : crypto.subtle.deriveKey(parameters, base, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]);
}

/**
 * An AES-256-GCM encrypter keyed by HKDF(master, purpose). The purpose is also bound as
 * associated data, so a ciphertext made for one purpose cannot be passed off as another's.
 *
 * @example
 * ```ts
 * const keys = await createEncrypter(parseEncryptionKey(process.env.GATEHOUSE_ENCRYPTION_KEY!), "signing-keys");
 * const stored = await keys.encrypt(JSON.stringify(privateJWK));
 * ```
 */
export async function createEncrypter(master: Uint8Array<ArrayBuffer>, purpose: string): Promise<Encrypter> {
  const key = await derive(master, `encryption ${purpose}`, "encrypt");
  const additionalData = new TextEncoder().encode(purpose);
  return {
    async encrypt(plaintext) {
      const iv = randomBytes(12);
      const sealed = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData },
        key,
        new TextEncoder().encode(plaintext),
      );
      return `v1.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
    },
    async decrypt(ciphertext) {
      const [version, iv, sealed] = ciphertext.split(".");
      if (version !== "v1" || !iv || !sealed) throw new Error("Not a Gatehouse ciphertext.");
      const opened = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromBase64url(iv), additionalData },
        key,
        fromBase64url(sealed),
      );
      return new TextDecoder().decode(opened);
    },
  };
}

/** HMAC-SHA-256 under HKDF(master, purpose), base64url. */
export type MAC = (message: string) => Promise<string>;

/** A keyed MAC bound to one purpose (e.g. minting refresh tokens). */
export async function createMAC(master: Uint8Array<ArrayBuffer>, purpose: string): Promise<MAC> {
  const key = await derive(master, `mac ${purpose}`, "mac");
  return async (message) =>
    base64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message))));
}
