/**
 * Wire shapes of the users admin API: the admin view of a user (with metadata and ban state,
 * never the password hash), request bodies, and the list's query parameters. Bodies drop
 * unknown members, so privileged fields an admin may not set through these routes (`id`,
 * `banned`, `password_hash`, `role`, `__proto__` …) never reach the store.
 */
import { z } from "zod";
import { emailSchema, userJSON } from "../accounts/schema.js";
import type { UserRecord } from "../storage/ports.js";
import { isoTime, isoTimeOrNull } from "../lib/iso-time.js";

/** Largest serialised size of each metadata object (Clerk's limit too). */
export const METADATA_MAX_BYTES = 8 * 1024;
/** Deepest nesting accepted in metadata. */
const METADATA_MAX_DEPTH = 10;
/** Keys that mean something to JavaScript objects; refused so no copy of metadata can misbehave. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** A problem with a metadata value, or null. */
function metadataProblem(value: unknown, depth = 0): string | null {
  if (depth > METADATA_MAX_DEPTH) return `metadata can be nested at most ${METADATA_MAX_DEPTH} levels deep.`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = metadataProblem(item, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return `metadata cannot use the key "${key}".`;
      const problem = metadataProblem((value as Record<string, unknown>)[key], depth + 1);
      if (problem) return problem;
    }
  }
  return null;
}

/**
 * A metadata object: a JSON object (not an array or null) of at most 8 KiB serialised, nested at
 * most 10 levels, without `__proto__`, `constructor` or `prototype` keys at any depth.
 */
export const metadataSchema = z
  .unknown()
  // On the raw input: parsing into a record would silently drop a `__proto__` key instead.
  .superRefine((value, context) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      context.addIssue({ code: "custom", message: "metadata must be a JSON object." });
      return;
    }
    const problem = metadataProblem(value);
    if (problem) context.addIssue({ code: "custom", message: problem });
    else if (new TextEncoder().encode(JSON.stringify(value)).byteLength > METADATA_MAX_BYTES) {
      context.addIssue({ code: "custom", message: `metadata can be at most ${METADATA_MAX_BYTES} bytes of JSON.` });
    }
  })
  .pipe(z.record(z.string(), z.json()))
  .describe("A JSON object, at most 8 KiB serialised and 10 levels deep; replaces the stored object whole");

const nameSchema = z
  .string({ error: "name must be a string." })
  .trim()
  .min(1, { error: "name cannot be empty." })
  .max(200, { error: "name can be at most 200 characters long." })
  .regex(/^[^\p{Cc}]*$/u, { error: "name cannot contain control characters." });

/** `POST /v1/admin/users` body. Without a password the account can only sign in by other means. */
export const createUserBody = z.object({
  email: emailSchema,
  password: z.string({ error: "password must be a string." }).optional(),
  name: nameSchema.optional(),
  email_verified: z.boolean({ error: "email_verified must be a boolean." }).optional(),
  public_metadata: metadataSchema.optional(),
  private_metadata: metadataSchema.optional(),
});

/**
 * `PATCH /v1/admin/users/{id}` body: what an admin may change here. A new email is unverified
 * unless `email_verified: true` comes with it. Metadata objects replace the stored ones whole.
 */
export const updateUserBody = z.object({
  email: emailSchema.optional(),
  name: nameSchema.nullable().optional(),
  email_verified: z.boolean({ error: "email_verified must be a boolean." }).optional(),
  public_metadata: metadataSchema.optional(),
  private_metadata: metadataSchema.optional(),
});

const booleanParameter = (name: string) =>
  z.enum(["true", "false"], { error: `${name} must be true or false.` }).transform((value) => value === "true");

const instantParameter = (name: string) =>
  z.iso
    .datetime({ offset: true, error: `${name} must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z.` })
    .transform((value) => Date.parse(value));

/** A page size: 1 to 100. */
export const limitParameter = z
  .string()
  .regex(/^\d{1,3}$/, { error: "limit must be a whole number from 1 to 100." })
  .transform(Number)
  .refine((value) => value >= 1 && value <= 100, { error: "limit must be a whole number from 1 to 100." })
  .optional()
  .describe("Page size, 1 to 100 (default 20)");

/** `GET /v1/admin/users` query parameters. */
export const listUsersQuery = z.strictObject({
  limit: limitParameter,
  cursor: z.string().optional().describe("`next_cursor` of the previous page"),
  search: z
    .string()
    .trim()
    .min(1, { error: "search cannot be empty." })
    .max(200, { error: "search can be at most 200 characters long." })
    .optional()
    .describe("Case-insensitive part of the email address or the name"),
  banned: booleanParameter("banned").optional(),
  verified: booleanParameter("verified").optional().describe("Whether the email address is verified"),
  created_after: instantParameter("created_after").optional().describe("ISO 8601; inclusive"),
  created_before: instantParameter("created_before").optional().describe("ISO 8601; exclusive"),
});

/** The admin view of a user. */
export const adminUserJSON = userJSON.extend({
  email_verified_at: z.string().nullable().describe("ISO 8601"),
  has_password: z.boolean(),
  banned: z.boolean(),
  banned_at: z.string().nullable().describe("ISO 8601"),
  public_metadata: z.record(z.string(), z.unknown()),
  private_metadata: z.record(z.string(), z.unknown()),
});

/** `GET /v1/admin/users`. */
export const adminUserListJSON = z.object({
  data: z.array(adminUserJSON),
  next_cursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
});

/** `DELETE /v1/admin/users/{id}`. */
export const deletedUserJSON = z.object({ id: z.string(), deleted: z.literal(true) });

/** Serialises a stored user for the admin API; never includes the password hash. */
export function toAdminUserJSON(user: UserRecord): z.infer<typeof adminUserJSON> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    email_verified: user.emailVerifiedAt !== null,
    created_at: isoTime(user.createdAt),
    updated_at: isoTime(user.updatedAt),
    email_verified_at: isoTimeOrNull(user.emailVerifiedAt),
    has_password: user.passwordHash !== null,
    banned: user.bannedAt !== null,
    banned_at: isoTimeOrNull(user.bannedAt),
    public_metadata: user.publicMetadata,
    private_metadata: user.privateMetadata,
  };
}
