/**
 * The logging hook of the verifier. Its shape is pino's (a structured object, then a
 * message), so an app passes its pino logger, or the engine passes its own, unchanged. The
 * SDK never puts a token, cookie or key into a log line.
 */

/** Log method: a structured object first, then an optional message (pino's convention). */
export type LogMethod = (object: Record<string, unknown>, message?: string) => void;

/** What the verifier logs: feed trouble (warn), the outage policy taking effect (error). */
export interface VerifierLogger {
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/**
 * The default: warnings and errors to the console, nothing else. A verifier that rejects
 * every token because its feed is down must not do so silently.
 *
 * @example
 * ```ts
 * consoleLogger.warn({ problem: "ECONNREFUSED" }, "gatehouse: cannot reach the revocation feed");
 * ```
 */
export const consoleLogger: VerifierLogger = {
  info: () => {},
  warn: (object, message) => console.warn(message ?? "gatehouse", object),
  error: (object, message) => console.error(message ?? "gatehouse", object),
};

/**
 * A description of a thrown value that is safe to log: its name and error code only. The
 * message is left out because drivers sometimes put connection strings (with passwords) in it.
 *
 * @example
 * ```ts
 * logger.warn({ error: describeError(error) }, "gatehouse: the session store could not be read"); // "Error (ECONNREFUSED)"
 * ```
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return "unknown error";
  const codes = [(error as { code?: unknown }).code, (error as { cause?: { code?: unknown } }).cause?.code];
  const code = codes.find((value): value is string => typeof value === "string");
  return code ? `${error.name} (${code})` : error.name;
}
