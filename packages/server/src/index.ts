/**
 * Public face of `@gatehouse/server`: start the standalone server from code (embedding,
 * tests) with the same configuration the `gatehouse` CLI reads from the environment.
 *
 * @example
 * ```ts
 * import { loadServerConfig, startServer } from "@gatehouse/server";
 * const server = await startServer(loadServerConfig(process.env));
 * ```
 */

/** Starts the standalone server; see {@link RunningServer}. */
export { startServer } from "./server.js";
/** Creates a pino logger with the server's redaction of credential-bearing fields. */
export { createServerLogger } from "./server.js";
/** Reads and validates the server configuration from the environment and CLI flags. */
export { loadServerConfig } from "./config.js";
/** Parses durations such as `30m`, `12h`, `7d` or plain seconds. */
export { parseDuration } from "./config.js";
/** Thrown for an invalid configuration value; the message names the variable. */
export { ServerConfigError } from "./config.js";
/** The defaults of the server's settings. */
export { SERVER_DEFAULTS } from "./config.js";
/** Every setting the server reads, as documented by `gatehouse start --help`. */
export { SETTINGS } from "./config.js";

/** A started server: its address, engine, logger and `close()`. */
export type { RunningServer } from "./server.js";
/** Test and embedding options of `startServer`. */
export type { StartServerOptions } from "./server.js";
/** The validated server configuration. */
export type { ServerConfig } from "./config.js";
/** The CLI flags that override environment variables. */
export type { ConfigFlags } from "./config.js";
/** The log levels `GATEHOUSE_LOG_LEVEL` accepts. */
export type { LogLevel } from "./config.js";
/** The strategies `GATEHOUSE_STRATEGY` accepts. */
export type { ServerStrategy } from "./config.js";
/** The algorithms `GATEHOUSE_SIGNING_ALGORITHM` accepts. */
export type { ServerSigningAlgorithm } from "./config.js";
/** The documentation of one setting. */
export type { SettingDoc } from "./config.js";
