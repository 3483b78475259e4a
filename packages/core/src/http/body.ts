/**
 * Reads and validates JSON request bodies. The size limit is enforced while reading, before
 * anything is parsed, so neither a lying Content-Length nor a chunked flood gets past it.
 */
import type { z } from "zod";
import {
  MalformedJSONError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../errors/index.js";

function isJSONContentType(value: string | null): boolean {
  const mediaType = value?.split(";")[0]?.trim().toLowerCase();
  return mediaType === "application/json";
}

async function readLimited(request: Request, limitBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limitBytes) throw new PayloadTooLargeError(limitBytes);
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

/**
 * Parses the request's JSON body and validates it against `schema`.
 *
 * @throws UnsupportedMediaTypeError, PayloadTooLargeError, MalformedJSONError, ValidationError
 */
export async function readJSONBody<T>(request: Request, schema: z.ZodType<T>, limitBytes: number): Promise<T> {
  if (!isJSONContentType(request.headers.get("content-type"))) {
    throw new UnsupportedMediaTypeError("application/json");
  }
  const bytes = await readLimited(request, limitBytes);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new MalformedJSONError({ cause });
  }
  const result = schema.safeParse(json);
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
