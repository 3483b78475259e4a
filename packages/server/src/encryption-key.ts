/**
 * The encryption key the server hands the engine (it encrypts the signing keys at rest and keys
 * refresh tokens): `GATEHOUSE_ENCRYPTION_KEY` when set, otherwise a key generated once into
 * `<data dir>/encryption.key` and reused on every later start.
 *
 * The server always has one, whatever the strategy, so signing keys exist and the JWKS is
 * published even for `session`; switching a deployment to `jwt` later then needs no new secret.
 *
 * The key is a credential: nothing here prints, logs or puts it in an error message, and the
 * file is created owner-only (0600) and complete, so a second instance starting at the same
 * moment on the same directory reads the whole key or creates it, never half of it.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { copyFile, link, mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { ENCRYPTION_KEY_FILE, ServerConfigError, isEncryptionKey, type ServerConfig } from "./config.js";

/** Bytes of an encryption key (AES-256), as the engine requires. */
const ENCRYPTION_KEY_BYTES = 32;

/** An encryption key and where it came from. */
export interface ResolvedEncryptionKey {
  /** The key in base64url. A credential: never log or print it. */
  readonly key: string;
  /** `environment`: GATEHOUSE_ENCRYPTION_KEY; `file`: read from the data directory; `generated`: written there now. */
  readonly origin: "environment" | "file" | "generated";
  /** The key file read or written; null when the key came from the environment. */
  readonly file: string | null;
  /** Things an operator should fix (a key file others can read), meant for a warning. */
  readonly warnings: readonly string[];
}

/** Options of {@link resolveEncryptionKey}. */
export interface ResolveEncryptionKeyOptions {
  /**
   * Generate and store a key when there is none. `gatehouse start` does; one-off commands do
   * not, since a new key cannot decrypt the signing keys a server already stored.
   */
  generate: boolean;
}

/** The path of the generated key file in a data directory. */
export function encryptionKeyFile(dataDir: string): string {
  return join(dataDir, ENCRYPTION_KEY_FILE);
}

function isErrno(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException | null)?.code ?? "");
}

/** Reads the key file; null when it does not exist. */
async function readKeyFile(file: string): Promise<ResolvedEncryptionKey | null> {
  let contents: string;
  try {
    contents = await readFile(file, "utf8");
  } catch (error) {
    if (isErrno(error, "ENOENT")) return null;
    throw error;
  }
  const key = contents.trim();
  if (!isEncryptionKey(key)) {
    // Never regenerated over: the database may hold signing keys only this file can decrypt.
    throw new ServerConfigError(
      `${file} does not hold an encryption key (32 bytes in base64url). Restore it from a backup, ` +
        "or set GATEHOUSE_ENCRYPTION_KEY to the key this deployment uses.",
    );
  }
  const warnings: string[] = [];
  const { mode } = await stat(file);
  if ((mode & 0o077) !== 0) {
    warnings.push(
      `${file} can be read or written by other users (mode ${(mode & 0o777).toString(8)}); restrict it with chmod 600.`,
    );
  }
  return { key, origin: "file", file, warnings };
}

/**
 * Writes `key` to `file` only if no file is there, atomically: the key goes to a private
 * temporary file first (flushed to disk, since losing it would orphan every signing key), which
 * is then hard-linked into place; `link` fails when the target exists, so the first of two
 * racing starts wins and the other reads its key.
 * @returns false when another process created the file first.
 */
async function createKeyFile(file: string, key: string, dataDir: string): Promise<boolean> {
  const temporary = join(dataDir, `.${ENCRYPTION_KEY_FILE}.${process.pid}.${randomBytes(6).toString("hex")}`);
  try {
    const handle = await open(temporary, "wx", 0o600);
    try {
      // The mode given to open() is narrowed by the umask, never widened; set it outright.
      await handle.chmod(0o600);
      await handle.writeFile(`${key}\n`, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temporary, file);
    } catch (error) {
      if (isErrno(error, "EEXIST")) return false;
      // File systems without hard links (some network mounts): an exclusive copy still never
      // overwrites another process's key.
      if (!isErrno(error, "EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV")) throw error;
      try {
        await copyFile(temporary, file, constants.COPYFILE_EXCL);
      } catch (copyError) {
        if (isErrno(copyError, "EEXIST")) return false;
        throw copyError;
      }
    }
    return true;
  } finally {
    await rm(temporary, { force: true });
  }
}

/**
 * Finds the encryption key for `config`: `GATEHOUSE_ENCRYPTION_KEY`, else the key file in the
 * data directory, else (with `generate`) a new random key written there with mode 0600.
 *
 * @throws ServerConfigError when the key file exists but does not hold a key, or when there is
 * no key and `generate` is false. Messages name the variable or file, never the key.
 * @example
 * ```ts
 * const { key, origin, file } = await resolveEncryptionKey(config, { generate: true });
 * if (origin === "generated") logger.warn({ file }, "generated an encryption key; back it up");
 * ```
 */
export async function resolveEncryptionKey(
  config: Pick<ServerConfig, "encryptionKey" | "dataDir">,
  options: ResolveEncryptionKeyOptions,
): Promise<ResolvedEncryptionKey> {
  if (config.encryptionKey !== null) {
    return { key: config.encryptionKey, origin: "environment", file: null, warnings: [] };
  }
  const file = encryptionKeyFile(config.dataDir);
  const existing = await readKeyFile(file);
  if (existing) return existing;
  if (!options.generate) {
    throw new ServerConfigError(
      `No encryption key: GATEHOUSE_ENCRYPTION_KEY is unset and ${file} does not exist. Set ` +
        "GATEHOUSE_ENCRYPTION_KEY to the key the server uses, or point GATEHOUSE_DATA_DIR (--data-dir) " +
        "at the server's data directory.",
    );
  }
  // Owner-only, like the database beside it.
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(ENCRYPTION_KEY_BYTES).toString("base64url");
  if (await createKeyFile(file, key, config.dataDir)) return { key, origin: "generated", file, warnings: [] };
  const created = await readKeyFile(file);
  if (!created) throw new Error(`${file} vanished while it was being created.`);
  return created;
}
