/**
 * Pieces every `gatehouse` command shares: the usage error (exit 2), argument parsing that
 * reports mistakes as usage errors, the configuration flags, and the settings part of the help,
 * generated from the one SETTINGS table so `--help`, the docs and the parser cannot drift apart.
 */
import { parseArgs } from "node:util";
import { SETTINGS, type ConfigFlags } from "./config.js";

/** A wrong invocation: the CLI exits 2 and points to `--help`. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The flags that override configuration variables, as `parseArgs` options. `gatehouse start`
 * and every command that opens the server's storage accept the same ones, so a deployment's
 * flags work for all of them.
 */
export const CONFIG_OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  url: { type: "string" },
  "data-dir": { type: "string" },
  "database-url": { type: "string" },
  "redis-url": { type: "string" },
  strategy: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Parses `args` against {@link CONFIG_OPTIONS}, no positionals.
 * @returns the configuration flags, and whether `--help` was asked for.
 * @throws UsageError for an unknown flag or a missing value.
 */
export function parseConfigArgs(args: string[]): { flags: ConfigFlags; help: boolean } {
  const { values } = asUsage(() => parseArgs({ args, options: CONFIG_OPTIONS, strict: true, allowPositionals: false }));
  const { help, ...flags } = values;
  return { flags: flags satisfies ConfigFlags, help: help === true };
}

/** Runs `parseArgs`, turning its complaints (unknown flag, missing value) into usage errors. */
export function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The flags and environment variables, with descriptions and defaults, for `--help`. */
export function settingsHelp(): string {
  const lines: string[] = [];
  const flags = SETTINGS.filter((setting) => setting.flag);
  lines.push("Options (each overrides its environment variable):");
  for (const setting of flags) {
    lines.push(`  ${`${setting.flag} <value>`.padEnd(24)}${setting.env}. Default: ${setting.default}`);
  }
  lines.push(`  ${"-h, --help".padEnd(24)}Show this help.`);
  lines.push("");
  lines.push("Environment variables (empty counts as unset):");
  for (const setting of SETTINGS) {
    lines.push(`  ${setting.env}${setting.flag ? ` (${setting.flag})` : ""}`);
    lines.push(`      ${setting.description}`);
    lines.push(`      Default: ${setting.default}`);
  }
  return lines.join("\n");
}
