/**
 * Wire shapes of import and export over the admin API.
 */
import { z } from "zod";
import { IMPORT_SOURCES, type FirebaseHashParameters } from "./sources.js";
import type { ImportSummary } from "./importer.js";

/** Largest import body the API takes; bigger files go through `gatehouse users import`. */
export const IMPORT_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** Skipped rows listed in one answer; the count is always complete. */
const MAX_LISTED_SKIPS = 1000;

const base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, { error: "must be standard base64." });

/** `POST /v1/admin/users/import` body. */
export const importBody = z.object({
  source: z.enum(IMPORT_SOURCES as [string, ...string[]], {
    error: `source must be one of ${IMPORT_SOURCES.join(", ")}.`,
  }),
  format: z.enum(["jsonl", "json", "csv"]).optional().describe("Guessed from the content when omitted"),
  data: z.string({ error: "data must be the file's content as a string." }).min(1, { error: "data is empty." }),
  dry_run: z.boolean().optional().describe("Check and report, store nothing"),
  firebase: z
    .object({
      signer_key: base64,
      salt_separator: base64,
      rounds: z.number().int().min(1).max(64),
      mem_cost: z.number().int().min(1).max(22),
    })
    .optional()
    .describe("Firebase's password hash parameters (required to keep Firebase passwords)"),
});

/** The summary of an import. */
export const importSummaryJSON = z.object({
  total: z.number().int(),
  imported: z.number().int(),
  skipped: z.number().int(),
  skipped_rows: z
    .array(z.object({ row: z.number().int(), reason: z.string(), detail: z.string() }))
    .describe(`The first ${MAX_LISTED_SKIPS} skipped rows, with a stable reason each`),
  warnings: z.array(z.object({ row: z.number().int(), warning: z.string() })),
  dry_run: z.boolean(),
});

/** The Firebase parameters of a request body, in the importer's form. */
export function firebaseParameters(body: z.infer<typeof importBody>): FirebaseHashParameters | undefined {
  if (!body.firebase) return undefined;
  return {
    signerKey: body.firebase.signer_key,
    saltSeparator: body.firebase.salt_separator,
    rounds: body.firebase.rounds,
    memCost: body.firebase.mem_cost,
  };
}

/** Serialises a summary. */
export function toImportSummaryJSON(summary: ImportSummary): z.infer<typeof importSummaryJSON> {
  return {
    total: summary.total,
    imported: summary.imported,
    skipped: summary.skipped.length,
    skipped_rows: summary.skipped.slice(0, MAX_LISTED_SKIPS),
    warnings: summary.warnings.slice(0, MAX_LISTED_SKIPS),
    dry_run: summary.dryRun,
  };
}
