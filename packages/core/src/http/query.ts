/**
 * Reads and validates a route's query string. Query values are strings, so schemas coerce
 * (`z.coerce.number()`); unknown parameters are dropped like unknown body members. A bad value
 * is a 400 `invalid_request` whose message names the parameter.
 */
import type { z } from "zod";
import { InvalidRequestError } from "../errors/index.js";

/**
 * Validates `url`'s query string against `schema`. A repeated parameter keeps its last value.
 *
 * @throws InvalidRequestError naming the first offending parameter.
 * @example
 * ```ts
 * const { limit } = readQuery(new URL(request.url), z.object({ limit: z.coerce.number().optional() }));
 * ```
 */
export function readQuery<T>(url: URL, schema: z.ZodType<T>): T {
  const result = schema.safeParse(Object.fromEntries(url.searchParams));
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const name = issue?.path.map(String).join(".");
  throw new InvalidRequestError(name ? `Query parameter ${name}: ${issue!.message}` : "The query string is invalid.");
}
