/**
 * Reads and validates JSON request bodies. The size limit is enforced while reading, before
 * anything is parsed, so neither a lying Content-Length nor a chunked flood gets past it.
 */
import type { z } from "zod";
import {
  InvalidRequestError,
  MalformedJSONError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../errors/index.js";
import type { RequestContext } from "../types.js";

const MEDIA_TYPES = { json: "application/json", form: "application/x-www-form-urlencoded" } as const;

function mediaTypeOf(value: string | null): string | undefined {
  return value?.split(";")[0]?.trim().toLowerCase();
}

/** The edge's reader of the raw body: the bytes, or null once past the limit. */
type RawBodyReader = NonNullable<RequestContext["readBody"]>;

async function readLimited(
  request: Request,
  limitBytes: number,
  readRaw: RawBodyReader | undefined,
): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limitBytes) throw new PayloadTooLargeError(limitBytes);
  if (readRaw) {
    const bytes = await readRaw(limitBytes);
    if (bytes === null) throw new PayloadTooLargeError(limitBytes);
    return bytes;
  }
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(limitBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function decodeForm(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    // RFC 6749 §3.1: parameters must not repeat; a repeated one is refused, not guessed at.
    if (Object.hasOwn(fields, name)) throw new InvalidRequestError(`The parameter ${name} is repeated.`);
    fields[name] = value;
  }
  return fields;
}

/**
 * Parses the request's body (JSON, or form-encoded where the route allows it) and validates it
 * against `schema`.
 *
 * @throws UnsupportedMediaTypeError, PayloadTooLargeError, MalformedJSONError, InvalidRequestError, ValidationError
 */
export async function readBody<T>(
  request: Request,
  schema: z.ZodType<T>,
  limitBytes: number,
  formats: ("json" | "form")[] = ["json"],
  readRaw?: RawBodyReader,
): Promise<T> {
  const format = formats.find((each) => MEDIA_TYPES[each] === mediaTypeOf(request.headers.get("content-type")));
  if (!format) throw new UnsupportedMediaTypeError(formats.map((each) => MEDIA_TYPES[each]).join(" or "));
  const bytes = await readLimited(request, limitBytes, readRaw);
  let text: string;
  let parsed: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    parsed = format === "json" ? JSON.parse(text) : undefined;
  } catch (cause) {
    throw new MalformedJSONError({ cause });
  }
  if (format === "form") parsed = decodeForm(text);
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw new ValidationError(
      result.error.issues.map((issue) => ({
        pointer: `/${issue.path.map(String).join("/")}`,
        detail: issue.message,
      })),
    );
  }
  return result.data;
}
