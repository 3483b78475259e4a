/**
 * Opaque pagination cursors for the admin lists. A cursor is the sort key of the last item of a
 * page (keyset pagination), so pages stay stable while rows are added: nothing is repeated or
 * skipped, unlike with offsets. It is base64url JSON tagged with the list it belongs to; clients
 * must treat it as opaque, and anything that does not decode to the expected shape is refused
 * with 400 `invalid_cursor` before it reaches a query.
 */
import { InvalidCursorError } from "../errors/index.js";
import { base64url } from "../lib/encoding.js";

/** Largest cursor accepted; real ones are under 100 characters. */
const MAX_CURSOR_LENGTH = 512;

type KeyPart = "string" | "number";
type KeyValues<T extends readonly KeyPart[]> = { [I in keyof T]: T[I] extends "number" ? number : string };

/**
 * Encodes the sort key of a page's last item.
 *
 * @example
 * ```ts
 * const next = encodeCursor("users", [user.createdAt, user.id]);
 * ```
 */
export function encodeCursor(list: string, key: readonly (string | number)[]): string {
  return base64url(new TextEncoder().encode(JSON.stringify([list, ...key])));
}

/**
 * Decodes a cursor made by {@link encodeCursor} for `list`, checking every part's type.
 *
 * @throws InvalidCursorError for anything else (garbage, another list's cursor, wrong types).
 * @example
 * ```ts
 * const [createdAt, id] = decodeCursor("users", cursor, ["number", "string"] as const);
 * ```
 */
export function decodeCursor<T extends readonly KeyPart[]>(list: string, cursor: string, parts: T): KeyValues<T> {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError();
  }
  let decoded: unknown;
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(binary, (character) => character.charCodeAt(0));
    decoded = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(decoded) || decoded.length !== parts.length + 1 || decoded[0] !== list) {
    throw new InvalidCursorError();
  }
  const values = decoded.slice(1);
  for (const [index, part] of parts.entries()) {
    const value: unknown = values[index];
    const valid =
      part === "number" ? typeof value === "number" && Number.isSafeInteger(value) : typeof value === "string";
    if (!valid) throw new InvalidCursorError();
  }
  return values as KeyValues<T>;
}
