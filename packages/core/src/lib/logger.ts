/**
 * The logging port. pino's `Logger` satisfies it; the engine never logs a secret, and the
 * server's pino configuration redacts credential-bearing fields as a second line of defence.
 */

/** Log method: a structured object first, then an optional message (pino's calling convention). */
export type LogMethod = (object: Record<string, unknown>, message?: string) => void;

/** The subset of a pino logger the engine uses. */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/** A logger that drops everything: the engine's default when none is given. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
