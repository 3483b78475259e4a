/**
 * Backup codes: ten one-time codes of 10 characters (about 49 bits each) from the platform's CSPRNG,
 * shown once and stored only as keyed hashes (HMAC under the engine's key, bound to the user), so
 * neither a copy of the database nor a code of another account helps anyone.
 */
import { randomBytes, randomId } from "../../lib/encoding.js";
import type { MAC } from "../../lib/encryption.js";
import type { BackupCodeRecord } from "../../storage/ports.js";

/** How many codes a set has. */
export const BACKUP_CODE_COUNT = 10;
/** No 0/o, 1/l/i: codes are read off paper. 31 symbols (a little under 5 bits each). */
const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
const CODE_LENGTH = 10;
/** Bytes at or above this are redrawn, so every symbol is equally likely (248 = 8 × 31). */
const UNBIASED_LIMIT = 256 - (256 % ALPHABET.length);

/** One new code, shown as `xxxxx-xxxxx`. */
function newBackupCode(): string {
  let code = "";
  while (code.length < CODE_LENGTH) {
    for (const byte of randomBytes(CODE_LENGTH)) {
      if (byte < UNBIASED_LIMIT && code.length < CODE_LENGTH) code += ALPHABET[byte % ALPHABET.length];
    }
  }
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** The form a typed code is compared in: lower case, no spaces or dashes. */
export function normalizeBackupCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, "");
}

/** Whether a typed value can be a backup code at all (checked before any store access). */
export function looksLikeBackupCode(code: string): boolean {
  return /^[a-z0-9]{10}$/.test(normalizeBackupCode(code));
}

/** The stored form of a code. */
export function hashBackupCode(mac: MAC, userId: string, code: string): Promise<string> {
  return mac(`backup-code.${userId}.${normalizeBackupCode(code)}`);
}

/** A new set: the codes to show once, and the records to store. */
export async function newBackupCodeSet(
  mac: MAC,
  userId: string,
  now: number,
): Promise<{ codes: string[]; records: BackupCodeRecord[] }> {
  const codes = Array.from({ length: BACKUP_CODE_COUNT }, newBackupCode);
  const records = await Promise.all(
    codes.map(async (code) => ({
      id: randomId("bkc"),
      userId,
      codeHash: await hashBackupCode(mac, userId, code),
      createdAt: now,
      usedAt: null,
    })),
  );
  return { codes, records };
}
