/**
 * Encryption at rest for the few secrets the engine must be able to read back — webhook signing
 * secrets now, private signing keys next — so a leaked database dump or backup yields no usable
 * secret without the key, which lives outside the database (`GATEHOUSE_ENCRYPTION_KEY`, or a key
 * file the server generates in its data directory).
 *
 * AES-256-GCM on Web Crypto only (the engine runs wherever `crypto.subtle` exists). Each value
 * gets a fresh 96-bit random IV; GCM's tag authenticates the ciphertext and a caller-chosen
 * context (e.g. `webhook-secret:wh_…`), so a ciphertext copied into another row or column fails
 * to decrypt instead of yielding that other record's secret.
 *
 * Format: `gh1.<key id>.<iv>.<ciphertext and tag>` (base64url). The key id is derived from the key
 * itself, so several keys can be configured at once: the first encrypts, every one decrypts.
 * That is how a key is rotated: prepend the new key, keep the old one until every value has
 * been rewritten (the record's next update), then drop it.
 */
import { ConfigurationError } from "../errors/index.js";
import { base64url, randomBytes } from "./encoding.js";

/** Length of an encryption key: AES-256. */
export const ENCRYPTION_KEY_BYTES = 32;

const FORMAT_VERSION = "gh1";
const IV_BYTES = 12;
/** 48 bits of a SHA-256: plenty to tell a handful of configured keys apart, useless to an attacker. */
const KEY_ID_LENGTH = 8;

/** A value could not be decrypted: unknown key, wrong context, or tampered ciphertext. */
export class DecryptionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DecryptionError";
  }
}

/** Encrypts and decrypts short strings bound to a context. */
export interface Encryptor {
  /**
   * Encrypts `plaintext` with the first configured key. `context` names what the value is and
   * whose (e.g. `webhook-secret:wh_123`); the same context is needed to decrypt it.
   */
  encrypt(plaintext: string, context: string): Promise<string>;
  /**
   * Decrypts a value made by {@link Encryptor.encrypt} with any configured key.
   * @throws DecryptionError when no configured key made it, the context differs, or it was altered.
   */
  decrypt(ciphertext: string, context: string): Promise<string>;
}

function fromBase64(value: string): Uint8Array<ArrayBuffer> | null {
  // Both alphabets are accepted: `openssl rand -base64 32` gives standard base64, Gatehouse
  // generates base64url.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return null;
  const standard = value.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (standard.length % 4 === 1) return null;
  try {
    const binary = atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, "="));
    return Uint8Array.from(binary, (character) => character.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * Decodes an encryption key given as base64 or base64url (with or without padding).
 *
 * @throws ConfigurationError when it is not exactly 32 bytes of base64; the message never
 * contains the value.
 * @example
 * ```ts
 * const key = decodeEncryptionKey(process.env.GATEHOUSE_ENCRYPTION_KEY!); // Uint8Array(32)
 * ```
 */
export function decodeEncryptionKey(value: string): Uint8Array<ArrayBuffer> {
  const bytes = fromBase64(value.trim());
  if (bytes === null || bytes.length !== ENCRYPTION_KEY_BYTES) {
    throw new ConfigurationError(
      `An encryption key must be ${ENCRYPTION_KEY_BYTES} random bytes in base64, e.g. from \`openssl rand -base64 32\`.`,
    );
  }
  return bytes;
}

/**
 * A new random encryption key, base64url-encoded (43 characters).
 *
 * @example
 * ```ts
 * const key = generateEncryptionKey(); // store it outside the database
 * ```
 */
export function generateEncryptionKey(): string {
  return base64url(randomBytes(ENCRYPTION_KEY_BYTES));
}

async function keyIdOf(key: Uint8Array): Promise<string> {
  // Domain-separated, so the id can never equal a hash of the key computed for another purpose.
  const label = new TextEncoder().encode("gatehouse encryption key id\0");
  const input = new Uint8Array(label.length + key.length);
  input.set(label);
  input.set(key, label.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", input));
  return base64url(digest).slice(0, KEY_ID_LENGTH);
}

function associatedData(keyId: string, context: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${FORMAT_VERSION}.${keyId}.${context}`);
}

/**
 * Creates an {@link Encryptor} over one key or several (the first encrypts; all decrypt).
 *
 * @param keys - base64 or base64url keys of 32 bytes, newest first.
 * @throws ConfigurationError when no key is given or one is malformed.
 * @example
 * ```ts
 * const encryptor = await createEncryptor([process.env.GATEHOUSE_ENCRYPTION_KEY!]);
 * const stored = await encryptor.encrypt(secret, `webhook-secret:${id}`);
 * const secretAgain = await encryptor.decrypt(stored, `webhook-secret:${id}`);
 * ```
 */
export async function createEncryptor(keys: string | readonly string[]): Promise<Encryptor> {
  const list = typeof keys === "string" ? [keys] : [...keys];
  if (list.length === 0) throw new ConfigurationError("At least one encryption key is needed.");
  const imported = await Promise.all(
    list.map(async (value) => {
      const bytes = decodeEncryptionKey(value);
      const key = await crypto.subtle.importKey("raw", bytes, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
      return { id: await keyIdOf(bytes), key };
    }),
  );
  const byId = new Map(imported.map((each) => [each.id, each.key]));
  const current = imported[0]!;

  return {
    async encrypt(plaintext, context) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const sealed = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: associatedData(current.id, context) },
        current.key,
        new TextEncoder().encode(plaintext),
      );
      return [FORMAT_VERSION, current.id, base64url(iv), base64url(new Uint8Array(sealed))].join(".");
    },

    async decrypt(ciphertext, context) {
      const [version, keyId, ivText, sealedText, ...rest] = ciphertext.split(".");
      const iv = ivText === undefined ? null : fromBase64(ivText);
      const sealed = sealedText === undefined ? null : fromBase64(sealedText);
      if (version !== FORMAT_VERSION || keyId === undefined || rest.length > 0 || !iv || !sealed) {
        throw new DecryptionError("The value is not in Gatehouse's encrypted format.");
      }
      const key = byId.get(keyId);
      if (!key) {
        throw new DecryptionError(
          "The value was encrypted with a key that is not configured (was GATEHOUSE_ENCRYPTION_KEY changed, or does another instance use a different one?).",
        );
      }
      try {
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv, additionalData: associatedData(keyId, context) },
          key,
          sealed,
        );
        return new TextDecoder().decode(plain);
      } catch (cause) {
        throw new DecryptionError("The value failed authentication: it was altered or belongs to another record.", {
          cause,
        });
      }
    },
  };
}
