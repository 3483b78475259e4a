/**
 * `gatehouse keys <subcommand>`: key management from the command line, against the same
 * storage and with the same settings as `gatehouse start`, through an engine instance and
 * without an HTTP listener, so it works on a stopped server and next to running ones.
 *
 * Each subcommand is one entry of {@link KEYS_SUBCOMMANDS}; the dispatcher, the help and the
 * main help's usage lines are derived from that list, so a new subcommand is one entry.
 */
import { pino } from "pino";
import { loadServerConfig, type ServerConfig } from "./config.js";
import { UsageError, parseConfigArgs, settingsHelp } from "./cli-support.js";
import { withCommandEngine } from "./engine.js";
import { createServerLogger } from "./server.js";

/** One `gatehouse keys <name>` subcommand. */
export interface KeysSubcommand {
  /** The word after `keys`. */
  name: string;
  /** What follows the name in the usage line. */
  usage: string;
  /** One line for the list of subcommands. */
  summary: string;
  /** Paragraph lines for `gatehouse keys <name> --help`, before the settings. */
  details: string[];
  /** Runs it with the arguments after the name; resolves with the exit code. */
  run(args: string[]): Promise<number>;
}

/**
 * The logger of a one-off command: warnings and errors only, on stderr, so stdout carries just
 * the command's result. Synchronous, because the CLI exits right after the command.
 */
function commandLogger(config: ServerConfig): ReturnType<typeof createServerLogger> {
  return createServerLogger({
    level: config.logLevel === "silent" ? "silent" : "warn",
    destination: pino.destination({ dest: 2, sync: true }),
  });
}

function subcommandHelp(subcommand: KeysSubcommand): string {
  return [
    `Usage: gatehouse keys ${subcommand.name} ${subcommand.usage}`,
    "",
    ...subcommand.details,
    "",
    settingsHelp(),
  ].join("\n");
}

const rotate: KeysSubcommand = {
  name: "rotate",
  usage: "[options]",
  summary: "Make a new signing key and retire the current one; prints the new kid.",
  details: [
    "Makes a new signing key in the database; new access tokens are signed with it. The previous",
    "key stays published in /.well-known/jwks.json until every token it signed has expired, so no",
    "signed-in user notices. Running servers pick the new key up within a minute.",
    "",
    "Reads the same settings as gatehouse start (give it the same environment and flags): the",
    "database, the encryption key (GATEHOUSE_ENCRYPTION_KEY or <data dir>/encryption.key), the",
    "signing algorithm and the access-token lifetime, which decides how long the old key stays",
    "published. Only the database is opened; no HTTP listener, no Redis.",
    "",
    "Prints the new key id (kid) alone on stdout. Exit codes: 0 rotated, 1 configuration or",
    "storage error, 2 usage error.",
  ],
  async run(args) {
    const { flags, help } = parseConfigArgs(args);
    if (help) {
      process.stdout.write(`${subcommandHelp(rotate)}\n`);
      return 0;
    }
    const config = loadServerConfig(process.env, flags);
    const { kid } = await withCommandEngine(config, commandLogger(config), (engine) => engine.rotateSigningKey());
    process.stdout.write(`${kid}\n`);
    // On stderr, so `kid=$(gatehouse keys rotate)` captures the id alone.
    process.stderr.write(
      "Signing key rotated. The previous key stays published until the tokens it signed have expired.\n",
    );
    return 0;
  },
};

/** Every `gatehouse keys` subcommand, in help order. */
export const KEYS_SUBCOMMANDS: readonly KeysSubcommand[] = [rotate];

/** Usage lines of the `keys` subcommands, for the main help. */
export function keysUsageLines(): string[] {
  return KEYS_SUBCOMMANDS.map(
    (subcommand) => `  ${`gatehouse keys ${subcommand.name} ${subcommand.usage}`.padEnd(30)}${subcommand.summary}`,
  );
}

/** `gatehouse keys --help`. */
export function keysHelp(): string {
  return [
    "Usage: gatehouse keys <subcommand> [options]",
    "",
    "Key management against the server's storage, with the same settings as gatehouse start.",
    "",
    "Subcommands:",
    ...keysUsageLines(),
    "",
    'Run "gatehouse keys <subcommand> --help" for its options.',
  ].join("\n");
}

/**
 * Runs `gatehouse keys <args>` and resolves with the exit code.
 * @throws UsageError for a missing or unknown subcommand (exit 2); configuration and storage
 * errors propagate to the CLI, which prints them (exit 1).
 */
export async function runKeys(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${keysHelp()}\n`);
    return 0;
  }
  if (name === undefined) {
    throw new UsageError(`missing keys subcommand (${KEYS_SUBCOMMANDS.map((each) => each.name).join(", ")})`);
  }
  const subcommand = KEYS_SUBCOMMANDS.find((each) => each.name === name);
  if (!subcommand) throw new UsageError(`unknown keys subcommand "${name}"`);
  return subcommand.run(rest);
}
