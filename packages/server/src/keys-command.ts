/**
 * `gatehouse keys rotate`: signing-key rotation from the command line, against the same storage
 * and with the same settings as `gatehouse start`, through an engine instance and without an
 * HTTP listener, so it works on a stopped server and next to running ones. The other `keys`
 * subcommands (admin secret keys) live in `commands/admin.ts`, which dispatches here.
 */
import { pino } from "pino";
import { loadServerConfig, type ServerConfig } from "./config.js";
import { parseConfigArgs, settingsHelp } from "./cli-support.js";
import { withCommandEngine } from "./engine.js";
import { createServerLogger } from "./server.js";

/** A `gatehouse keys <name>` subcommand with its own help. */
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

/** `gatehouse keys rotate`. */
export const rotateSigningKeyCommand: KeysSubcommand = {
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
      process.stdout.write(`${subcommandHelp(rotateSigningKeyCommand)}\n`);
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
