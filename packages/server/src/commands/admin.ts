/**
 * The CLI's back-office commands, run against the configured storage directly (no server
 * needed, and safe beside a running one: SQLite waits for the server's writes, PostgreSQL is
 * shared anyway):
 *
 * - `gatehouse keys create-secret [--name <label>]`, `keys list`, `keys revoke <id>`
 * - `gatehouse users export [--output <file>]`
 * - `gatehouse users import <file> [--source …] [--format …] [--dry-run] [--firebase-…]`
 *
 * Actions are recorded as security events with the actor `{type: "system"}`.
 */
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { IMPORT_SOURCES, createGatehouse, type Gatehouse, type ImportSource } from "@gatehouse/core";
import { loadServerConfig, ServerConfigError } from "../config.js";
import { rotateSigningKeyCommand } from "../keys-command.js";
import { openStorage } from "../storage.js";

/** A wrong invocation of one of these commands (exit 2). */
export class CommandUsageError extends Error {}

const STORAGE_OPTIONS = {
  "data-dir": { type: "string" },
  "database-url": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const SYSTEM = { type: "system" as const, id: null };

/** Help of `gatehouse keys`. */
export const KEYS_HELP = [
  "Usage:",
  "  gatehouse keys rotate [options]                Make a new signing key; prints the new kid (see --help).",
  "  gatehouse keys create-secret [--name <label>]  Create an admin secret key; printed once, stored hashed.",
  "  gatehouse keys list                            List secret keys (id, name, hint, dates; never the key).",
  "  gatehouse keys revoke <id>                     Revoke a key; effective with its next request.",
  "",
  "Storage options (as for gatehouse start): --data-dir <dir>, --database-url <url>.",
].join("\n");

/** Help of `gatehouse users`. */
export const USERS_HELP = [
  "Usage:",
  "  gatehouse users export [--output <file>]   Write every user as JSON Lines (stdout by default).",
  "  gatehouse users import <file> [options]    Import users; rows that cannot be imported are listed.",
  "",
  "Import options:",
  `  --source <name>                 ${IMPORT_SOURCES.join(" | ")}. Default: gatehouse`,
  "  --format <jsonl|json|csv>       Default: guessed from the file",
  "  --dry-run                       Check every row and report; store nothing",
  "  --firebase-signer-key <b64>     Firebase password hash parameters (needed to keep",
  "  --firebase-salt-separator <b64>   Firebase passwords; from the Firebase console)",
  "  --firebase-rounds <n>",
  "  --firebase-mem-cost <n>",
  "",
  "Re-importing a file changes nothing: existing emails are skipped. Password hashes (bcrypt,",
  "scrypt, Firebase scrypt, argon2, PBKDF2) are kept and upgraded to Argon2id at each user's next",
  "sign-in. The export holds password hashes: keep it as secret as the database.",
  "",
  "Storage options (as for gatehouse start): --data-dir <dir>, --database-url <url>.",
].join("\n");

const KEYS_OPTIONS = { ...STORAGE_OPTIONS, name: { type: "string" } } as const;

const USERS_OPTIONS = {
  ...STORAGE_OPTIONS,
  output: { type: "string", short: "o" },
  source: { type: "string" },
  format: { type: "string" },
  "dry-run": { type: "boolean" },
  "firebase-signer-key": { type: "string" },
  "firebase-salt-separator": { type: "string" },
  "firebase-rounds": { type: "string" },
  "firebase-mem-cost": { type: "string" },
} as const;

/** Runs `parseArgs`, turning its complaints (unknown flag, missing value) into usage errors. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new CommandUsageError((error as Error).message);
  }
}

/** Opens the engine on the configured storage, runs `use`, and closes everything. */
async function withEngine<T>(
  values: { "data-dir"?: string; "database-url"?: string },
  use: (engine: Gatehouse) => Promise<T>,
): Promise<T> {
  const config = loadServerConfig(process.env, {
    ...(values["data-dir"] !== undefined ? { "data-dir": values["data-dir"] } : {}),
    ...(values["database-url"] !== undefined ? { "database-url": values["database-url"] } : {}),
  });
  // Only the database: sessions and the throttle are not touched by these commands.
  const logger = pino({ level: "silent" });
  const storage = await openStorage({ ...config, redisURL: null }, logger);
  let engine: Gatehouse;
  try {
    engine = await createGatehouse({ baseURL: config.url, database: storage.database });
  } catch (error) {
    await storage.closeAll();
    throw error;
  }
  try {
    return await use(engine);
  } finally {
    await engine.close();
  }
}

const date = (iso: string | null | number): string =>
  iso === null ? "-" : new Date(iso).toISOString().replace(/\.\d{3}Z$/, "Z");

/** `gatehouse keys …`; returns the exit code. */
export async function runKeys(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  // Signing-key rotation takes every setting of `gatehouse start` (encryption key, algorithm…).
  if (subcommand === "rotate") return rotateSigningKeyCommand.run(rest);
  if (subcommand === undefined || subcommand === "--help" || subcommand === "-h") {
    process.stdout.write(`${KEYS_HELP}\n`);
    return subcommand === undefined ? 2 : 0;
  }
  const { values, positionals } = asUsage(() =>
    parseArgs({ args: rest, options: KEYS_OPTIONS, strict: true, allowPositionals: true }),
  );
  if (values.help) {
    process.stdout.write(`${KEYS_HELP}\n`);
    return 0;
  }
  switch (subcommand) {
    case "create-secret": {
      if (positionals.length > 0) throw new CommandUsageError("create-secret takes no arguments; use --name");
      const name = typeof values.name === "string" ? values.name.trim() : undefined;
      if (name !== undefined && (name === "" || name.length > 100 || /\p{Cc}/u.test(name))) {
        throw new ServerConfigError("--name must be 1 to 100 printable characters.");
      }
      const created = await withEngine(values, (engine) =>
        engine.admin.secretKeys.create({ name: name ?? null }, SYSTEM),
      );
      process.stderr.write(
        `Created secret key ${created.record.id}${name ? ` (${name})` : ""}. It is shown only this once and only its hash is stored:\n`,
      );
      process.stdout.write(`${created.secretKey}\n`);
      return 0;
    }
    case "list": {
      const keys = await withEngine(values, (engine) => engine.admin.secretKeys.list());
      const rows = keys.map((key) => [
        key.id,
        key.name ?? "-",
        key.hint === null ? "-" : `…${key.hint}`,
        date(key.createdAt),
        date(key.lastUsedAt),
        key.revokedAt === null ? "active" : `revoked ${date(key.revokedAt)}`,
      ]);
      const header = ["ID", "NAME", "HINT", "CREATED", "LAST USED", "STATUS"];
      const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
      for (const row of [header, ...rows]) {
        process.stdout.write(
          `${row
            .map((cell, column) => cell.padEnd(widths[column]!))
            .join("  ")
            .trimEnd()}\n`,
        );
      }
      return 0;
    }
    case "revoke": {
      const [id, ...extra] = positionals;
      if (id === undefined || extra.length > 0) throw new CommandUsageError("revoke takes exactly one key id");
      const revoked = await withEngine(values, (engine) => engine.admin.secretKeys.revoke(id, SYSTEM));
      process.stdout.write(`Revoked ${revoked.id} at ${date(revoked.revokedAt)}.\n`);
      return 0;
    }
    default:
      throw new CommandUsageError(`unknown keys command "${subcommand}"`);
  }
}

/** A progress bar on stderr, drawn only on a terminal and at most ten times a second. */
function progressBar(): { update(done: number, total: number): void; finish(): void } {
  if (!process.stderr.isTTY) return { update() {}, finish() {} };
  let drawn = 0;
  let last = "";
  const draw = (done: number, total: number): void => {
    const width = 30;
    const ratio = total === 0 ? 1 : done / total;
    const filled = Math.round(ratio * width);
    last = `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done}/${total} rows`;
    process.stderr.write(last);
  };
  return {
    update(done, total) {
      const now = Date.now();
      if (now - drawn < 100 && done < total) return;
      drawn = now;
      draw(done, total);
    },
    finish() {
      if (last) process.stderr.write("\n");
    },
  };
}

function integerFlag(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^\d{1,3}$/.test(value))
    throw new ServerConfigError(`${name} must be a whole number.`);
  return Number(value);
}

/** `gatehouse users …`; returns the exit code. */
export async function runUsers(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === undefined || subcommand === "--help" || subcommand === "-h") {
    process.stdout.write(`${USERS_HELP}\n`);
    return subcommand === undefined ? 2 : 0;
  }
  const { values, positionals } = asUsage(() =>
    parseArgs({ args: rest, options: USERS_OPTIONS, strict: true, allowPositionals: true }),
  );
  if (values.help) {
    process.stdout.write(`${USERS_HELP}\n`);
    return 0;
  }
  switch (subcommand) {
    case "export": {
      if (positionals.length > 0) throw new CommandUsageError("export takes no arguments; use --output");
      const output = typeof values.output === "string" ? values.output : null;
      // Owner-only: the file holds password hashes.
      const stream = output === null ? process.stdout : createWriteStream(output, { mode: 0o600 });
      const count = await withEngine(values, async (engine) => {
        let exported = 0;
        for await (const user of engine.admin.importer.exportUsers()) {
          if (!stream.write(`${JSON.stringify(user)}\n`)) await once(stream, "drain");
          exported++;
        }
        return exported;
      });
      if (output !== null) {
        const file = stream as ReturnType<typeof createWriteStream>;
        await new Promise<void>((resolve, reject) =>
          file.end((error?: Error | null) => (error ? reject(error) : resolve())),
        );
      }
      process.stderr.write(`Exported ${count} users${output === null ? "" : ` to ${output}`}.\n`);
      return 0;
    }
    case "import": {
      const [file, ...extra] = positionals;
      if (file === undefined || extra.length > 0) throw new CommandUsageError("import takes exactly one file");
      const source = (values.source ?? "gatehouse") as string;
      if (!(IMPORT_SOURCES as readonly string[]).includes(source)) {
        throw new ServerConfigError(`--source must be one of ${IMPORT_SOURCES.join(", ")}, got "${source}".`);
      }
      const format = values.format as string | undefined;
      if (format !== undefined && !["jsonl", "json", "csv"].includes(format)) {
        throw new ServerConfigError(`--format must be jsonl, json or csv, got "${format}".`);
      }
      const firebaseFlags = [
        values["firebase-signer-key"],
        values["firebase-salt-separator"],
        integerFlag(values["firebase-rounds"], "--firebase-rounds"),
        integerFlag(values["firebase-mem-cost"], "--firebase-mem-cost"),
      ] as const;
      const given = firebaseFlags.filter((flag) => flag !== undefined).length;
      if (given !== 0 && given !== 4) {
        throw new ServerConfigError(
          "Firebase hash parameters need all four flags: --firebase-signer-key, --firebase-salt-separator, --firebase-rounds, --firebase-mem-cost.",
        );
      }
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (error) {
        throw new ServerConfigError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
      }
      const bar = progressBar();
      const summary = await withEngine(values, (engine) =>
        engine.admin.importer.importUsers(
          text,
          {
            source: source as ImportSource,
            ...(format ? { format: format as "jsonl" | "json" | "csv" } : {}),
            dryRun: values["dry-run"] === true,
            ...(given === 4
              ? {
                  firebase: {
                    signerKey: firebaseFlags[0] as string,
                    saltSeparator: firebaseFlags[1] as string,
                    rounds: firebaseFlags[2] as number,
                    memCost: firebaseFlags[3] as number,
                  },
                }
              : {}),
            onProgress: (done, total) => bar.update(done, total),
          },
          SYSTEM,
        ),
      );
      bar.finish();
      const verb = summary.dryRun ? "Would import" : "Imported";
      process.stdout.write(
        `${verb} ${summary.imported} of ${summary.total} rows; skipped ${summary.skipped.length}.\n`,
      );
      for (const skip of summary.skipped) {
        process.stdout.write(`  line ${skip.row}: ${skip.reason}: ${skip.detail}\n`);
      }
      for (const warning of summary.warnings)
        process.stdout.write(`  line ${warning.row}: warning: ${warning.warning}\n`);
      return 0;
    }
    default:
      throw new CommandUsageError(`unknown users command "${subcommand}"`);
  }
}
