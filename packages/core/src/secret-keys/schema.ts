/**
 * Wire shapes of admin secret keys. A key's secret is returned once, by the request that
 * creates it; listings show only a four-character hint.
 */
import { z } from "zod";
import type { SecretKeyRecord } from "../storage/ports.js";
import { isoTime, isoTimeOrNull } from "../lib/iso-time.js";

/** A key's label: short, printable, one line. */
export const secretKeyNameSchema = z
  .string({ error: "name must be a string." })
  .trim()
  .min(1, { error: "name cannot be empty." })
  .max(100, { error: "name can be at most 100 characters long." })
  .regex(/^[^\p{Cc}]*$/u, { error: "name cannot contain control characters." });

/** `POST /v1/admin/secret-keys` body. */
export const createSecretKeyBody = z.object({ name: secretKeyNameSchema.optional() });

/** A secret key as listed: never the key itself. */
export const secretKeyJSON = z.object({
  id: z.string(),
  name: z.string().nullable(),
  hint: z.string().nullable().describe("The key's last four characters, e.g. `…x9Qa`"),
  created_at: z.string().describe("ISO 8601"),
  last_used_at: z.string().nullable().describe("ISO 8601, updated at most once a minute"),
  revoked_at: z.string().nullable().describe("ISO 8601"),
});

/** The answer to a creation: the key, shown this once. */
export const createdSecretKeyJSON = secretKeyJSON.extend({
  secret_key: z.string().describe("`gh_sk_…`: shown only in this response; only its hash is stored"),
});

/** `GET /v1/admin/secret-keys`. */
export const secretKeyListJSON = z.object({ data: z.array(secretKeyJSON) });

/** Serialises a stored key; the hash never leaves the server. */
export function toSecretKeyJSON(key: SecretKeyRecord): z.infer<typeof secretKeyJSON> {
  return {
    id: key.id,
    name: key.name,
    hint: key.hint === null ? null : `…${key.hint}`,
    created_at: isoTime(key.createdAt),
    last_used_at: isoTimeOrNull(key.lastUsedAt),
    revoked_at: isoTimeOrNull(key.revokedAt),
  };
}
