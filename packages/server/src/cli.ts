/**
 * The `gatehouse` command line: `start` runs the standalone server, `keys` manages keys against
 * its storage, `openapi` prints the API description, `email preview` prints a rendered email
 * template, `--help` and `--version` say what is there.
 *
 * Exit codes: 0 success (including a clean shutdown on SIGTERM/SIGINT), 1 a configuration or
 * start-up failure (one line on stderr, no stack trace), 2 a usage error (unknown command or
 * flag).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { EMAIL_TEMPLATE_NAMES, createGatehouse, renderEmailPreview } from "@gatehouse/core";
import { createMemoryDatabase } from "@gatehouse/core/adapters/memory";
import { GatehouseError } from "@gatehouse/core/errors";
import { UsageError, asUsage, parseConfigArgs, settingsHelp } from "./cli-support.js";
import { CommandUsageError, KEYS_HELP, USERS_HELP, runKeys, runUsers } from "./commands/admin.js";
import { ServerConfigError, loadServerConfig } from "./config.js";
import { loadTemplateOverrides, templatesDirectory } from "./email.js";
import { startServer } from "./server.js";

const OPENAPI_OPTIONS = {
  url: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const EMAIL_PREVIEW_OPTIONS = {
  part: { type: "string" },
  "data-dir": { type: "string" },
  url: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const PREVIEW_PARTS = ["all", "subject", "text", "html"] as const;

function version(): string {
  // package.json sits one level above both src/ and dist/.
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return manifest.version;
}

function mainHelp(): string {
  return [
    "gatehouse - self-hosted authentication server",
    "",
    "Usage:",
    `  ${"gatehouse start [options]".padEnd(30)}Run the server (migrations are applied on start).`,
    `  ${"gatehouse openapi [--url <u>]".padEnd(30)}Print the OpenAPI document as JSON to stdout.`,
    `  ${"gatehouse keys ...".padEnd(30)}Keys: rotate (signing), create-secret, list, revoke (admin).`,
    `  ${"gatehouse users ...".padEnd(30)}Users: export (JSON Lines), import <file>.`,
    "  gatehouse email preview <template> [--part all|subject|text|html]",
    `  ${"".padEnd(30)}Print an email template rendered with sample values.`,
    `  ${"gatehouse --help".padEnd(30)}Show this help.`,
    `  ${"gatehouse --version".padEnd(30)}Print the version.`,
    "",
    "gatehouse start (gatehouse keys takes the same options and variables)",
    "",
    settingsHelp(),
    "",
    "On the first start without GATEHOUSE_SECRET_KEY an admin secret key is generated and",
    "printed once; only its hash is stored. Without GATEHOUSE_ENCRYPTION_KEY an encryption key",
    "is generated into <data dir>/encryption.key (never printed); instances sharing a database",
    "must share one key. Logs are JSON lines on stdout.",
    "Exit codes: 0 ok, 1 configuration or start-up error, 2 usage error.",
    "",
    "gatehouse keys",
    "",
    KEYS_HELP,
    "",
    "gatehouse users",
    "",
    USERS_HELP,
  ].join("\n");
}

function startHelp(): string {
  return [
    "Usage: gatehouse start [options]",
    "",
    "Runs the Gatehouse server. SIGTERM or SIGINT stops it gracefully (exit 0).",
    "",
    settingsHelp(),
  ].join("\n");
}

function openAPIHelp(): string {
  return [
    "Usage: gatehouse openapi [--url <public URL>]",
    "",
    "Prints the OpenAPI 3.1 document of the Gatehouse API to stdout, e.g.",
    "  gatehouse openapi > docs/openapi.json",
    "",
    `  ${"--url <value>".padEnd(24)}GATEHOUSE_URL. Default: http://localhost:4000`,
    `  ${"-h, --help".padEnd(24)}Show this help.`,
  ].join("\n");
}

function emailPreviewHelp(): string {
  return [
    "Usage: gatehouse email preview <template> [options]",
    "",
    "Prints an email template rendered with sample values, with the overrides in",
    "<data dir>/templates/ (<template>.subject, <template>.txt, <template>.html) applied.",
    "",
    `Templates: ${EMAIL_TEMPLATE_NAMES.join(", ")}`,
    "",
    `  ${"--part <value>".padEnd(24)}all | subject | text | html. Default: all`,
    `  ${"--data-dir <value>".padEnd(24)}GATEHOUSE_DATA_DIR. Default: ./.gatehouse`,
    `  ${"--url <value>".padEnd(24)}GATEHOUSE_URL, for the sample links. Default: http://localhost:4000`,
    `  ${"-h, --help".padEnd(24)}Show this help.`,
    "",
    "GATEHOUSE_APP_NAME sets {{app_name}} as it does for the server.",
  ].join("\n");
}

async function runStart(args: string[]): Promise<number> {
  const { flags, help } = parseConfigArgs(args);
  if (help) {
    process.stdout.write(`${startHelp()}\n`);
    return 0;
  }
  const config = loadServerConfig(process.env, flags);
  const server = await startServer(config);

  // A stray rejected promise (a dropped connection's late error) is a bug to log, not a reason
  // to take every signed-in user's server down; thrown exceptions still crash, as state may be corrupt.
  process.on("unhandledRejection", (reason) => server.logger.error({ err: reason }, "unhandled promise rejection"));

  // The handlers go in before the listening line: a supervisor that signals as soon as it reads
  // the line must get the graceful stop, not the default action that kills the process outright.
  const exitCode = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second signal means the operator will not wait for the graceful path.
        server.logger.warn({ signal }, "second signal during shutdown; exiting now");
        resolve(1);
        return;
      }
      stopping = true;
      server.logger.info({ signal }, "signal received");
      server.close().then(
        () => resolve(0),
        (error: unknown) => {
          server.logger.error({ err: error }, "shutdown failed");
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });

  // Printed outside the logger on purpose: it is for the operator's eyes once, and log
  // pipelines keep what they receive.
  if (server.generatedSecretKey !== null) {
    process.stdout.write(
      "WARNING: a new admin secret key was generated. It is shown only this once and only its hash is stored; save it now:\n" +
        `${server.generatedSecretKey}\n`,
    );
  }
  process.stdout.write(`Gatehouse listening on ${server.listenURL} (public URL ${server.publicURL})\n`);
  return exitCode;
}

async function runOpenAPI(args: string[]): Promise<number> {
  const { values } = asUsage(() =>
    parseArgs({ args, options: OPENAPI_OPTIONS, strict: true, allowPositionals: false }),
  );
  if (values.help) {
    process.stdout.write(`${openAPIHelp()}\n`);
    return 0;
  }
  const config = loadServerConfig(process.env, { url: values.url });
  // A throwaway in-memory engine: the document depends only on the routes and the public URL,
  // so no data directory or database is touched.
  const engine = await createGatehouse({ baseURL: config.url, database: createMemoryDatabase({ warn: () => {} }) });
  try {
    process.stdout.write(`${JSON.stringify(engine.openAPIDocument(), null, 2)}\n`);
  } finally {
    await engine.close();
  }
  return 0;
}

async function runEmail(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === "--help" || subcommand === "-h") {
    process.stdout.write(`${emailPreviewHelp()}\n`);
    return 0;
  }
  if (subcommand !== "preview") {
    throw new UsageError(subcommand === undefined ? "missing email command" : `unknown email command "${subcommand}"`);
  }
  const { values, positionals } = asUsage(() =>
    parseArgs({ args: rest, options: EMAIL_PREVIEW_OPTIONS, strict: true, allowPositionals: true }),
  );
  if (values.help) {
    process.stdout.write(`${emailPreviewHelp()}\n`);
    return 0;
  }
  const [template, ...extra] = positionals;
  if (template === undefined || extra.length > 0) {
    throw new UsageError(`name one template: ${EMAIL_TEMPLATE_NAMES.join(", ")}`);
  }
  if (!EMAIL_TEMPLATE_NAMES.includes(template as (typeof EMAIL_TEMPLATE_NAMES)[number])) {
    throw new UsageError(`unknown template "${template}"; templates: ${EMAIL_TEMPLATE_NAMES.join(", ")}`);
  }
  const part = values.part ?? "all";
  if (!PREVIEW_PARTS.includes(part as (typeof PREVIEW_PARTS)[number])) {
    throw new UsageError(`--part must be one of ${PREVIEW_PARTS.join(", ")}`);
  }
  const config = loadServerConfig(process.env, { url: values.url, "data-dir": values["data-dir"] });
  const overrides = await loadTemplateOverrides(config.dataDir);
  const rendered = renderEmailPreview(template, {
    overrides,
    baseURL: config.url,
    appName: config.appName ?? undefined,
  });
  if (part === "subject") process.stdout.write(`${rendered.subject}\n`);
  else if (part === "text") process.stdout.write(rendered.text);
  else if (part === "html") process.stdout.write(rendered.html);
  else {
    const source = Object.keys(overrides[template as (typeof EMAIL_TEMPLATE_NAMES)[number]] ?? {}).length
      ? `with overrides from ${templatesDirectory(config.dataDir)}`
      : "built-in";
    process.stdout.write(
      [
        `Template: ${template} (${source})`,
        `Subject: ${rendered.subject}`,
        "",
        "----- text -----",
        rendered.text.trimEnd(),
        "",
        "----- html -----",
        rendered.html.trimEnd(),
        "",
      ].join("\n"),
    );
  }
  return 0;
}

/**
 * Runs the CLI with the given arguments (without `node` and the script path) and returns the
 * exit code. Errors are printed as one line on stderr.
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "start":
        return await runStart(rest);
      case "openapi":
        return await runOpenAPI(rest);
      case "keys":
        return await runKeys(rest);
      case "users":
        return await runUsers(rest);
      case "email":
        return await runEmail(rest);
      case "--version":
      case "-v":
        process.stdout.write(`${version()}\n`);
        return 0;
      case "--help":
      case "-h":
      case "help":
        process.stdout.write(`${mainHelp()}\n`);
        return 0;
      case undefined:
        throw new UsageError("missing command");
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof CommandUsageError) {
      process.stderr.write(`gatehouse: ${error.message}\nRun "gatehouse --help" for usage.\n`);
      return 2;
    }
    if (error instanceof ServerConfigError || error instanceof GatehouseError) {
      process.stderr.write(`gatehouse: ${error.message}\n`);
      return 1;
    }
    const failure = error as NodeJS.ErrnoException & { address?: string; port?: number };
    const message =
      failure.code === "EADDRINUSE"
        ? `${failure.address ?? "the address"}:${failure.port ?? "?"} is already in use; choose another PORT or HOST`
        : failure.message;
    const what =
      command === "start" ? "could not start" : `${command === "keys" ? `keys ${rest[0] ?? ""}` : command} failed`;
    process.stderr.write(`gatehouse: ${what}: ${message}\n`);
    return 1;
  }
}

// The launcher in bin/ imports this module; running it directly (`node dist/cli.js start`,
// as `npm start` does) works the same.
process.exitCode = await main(process.argv.slice(2));
// Output to a pipe is written asynchronously: let it drain (a large OpenAPI document or export
// would otherwise be cut short), then exit, so open handles (a pool draining, a Redis reconnect
// timer) cannot keep a finished command alive.
await Promise.all(
  [process.stdout, process.stderr].map(
    (stream) => new Promise<void>((resolve) => (stream.writableNeedDrain ? stream.once("drain", resolve) : resolve())),
  ),
);
process.exit();
