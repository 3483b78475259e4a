/**
 * The data directory's encryption key: used when `GATEHOUSE_ENCRYPTION_KEY` is unset, so a
 * single instance works out of the box (webhooks, the jwt and hybrid strategies) and still keeps
 * webhook signing secrets and signing keys encrypted at rest — the key lives in a file next to, not inside, the database, so a database dump or
 * backup alone yields no secret. Generated once, owner-only, and never rewritten: losing it
 * makes the stored secrets unreadable (webhook endpoints then need a secret rotation, and
 * signing keys a key rotation).
 *
 * Creation is atomic (written to a temporary file, then hard-linked into place, which fails if
 * the file exists), so instances starting together on one data directory agree on one key.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateEncryptionKey, parseEncryptionKey } from "@gatehouse/core";
import { ServerConfigError } from "./config.js";

/** Name of the key file inside the data directory. */
export const ENCRYPTION_KEY_FILE = "encryption.key";

/**
 * Reads `<dataDir>/encryption.key`, creating it (mode 0600, directory 0700) with a new random key
 * when it does not exist.
 *
 * @returns the key and whether this call created it.
 * @throws ServerConfigError when the file exists but does not hold a valid key.
 * @example
 * ```ts
 * const { key, created } = await loadOrCreateEncryptionKey("/var/lib/gatehouse");
 * ```
 */
export async function loadOrCreateEncryptionKey(dataDir: string): Promise<{ key: string; created: boolean }> {
  const path = join(dataDir, ENCRYPTION_KEY_FILE);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  let created = false;
  const temporary = join(dataDir, `.${ENCRYPTION_KEY_FILE}.${randomBytes(6).toString("hex")}`);
  try {
    await writeFile(temporary, `${generateEncryptionKey()}\n`, { mode: 0o600, flag: "wx" });
    await link(temporary, path);
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await rm(temporary, { force: true });
  }
  const key = (await readFile(path, "utf8")).trim();
  try {
    parseEncryptionKey(key);
  } catch {
    throw new ServerConfigError(
      `${path} does not hold a valid encryption key. Restore it from a backup, or set GATEHOUSE_ENCRYPTION_KEY.`,
    );
  }
  return { key, created };
}
