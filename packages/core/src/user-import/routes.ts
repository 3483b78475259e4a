/**
 * Import and export over the admin API: `POST /v1/admin/users/import` (the file's content in a
 * JSON body, up to 10 MiB) and `GET /v1/admin/users/export` (JSON Lines, streamed page by page).
 */
import { adminActor } from "../admin/actor.js";
import { defineRoute, jsonResponse, type AnyRoute } from "../http/route.js";
import type { UserImporter } from "./importer.js";
import type { ImportFileFormat } from "./parse.js";
import {
  IMPORT_BODY_LIMIT_BYTES,
  firebaseParameters,
  importBody,
  importSummaryJSON,
  toImportSummaryJSON,
} from "./schema.js";
import type { ImportSource } from "./sources.js";

const unauthorized = {
  401: { description: "`secret_key_required`, `invalid_secret_key`" },
  403: { description: "`secret_key_in_query`, `non_canonical_path`" },
};

/** The import and export routes. */
export function userImportRoutes({ importer }: { importer: UserImporter }): AnyRoute[] {
  return [
    defineRoute({
      method: "POST",
      path: "/v1/admin/users/import",
      summary:
        "Import users (Gatehouse, Clerk, Auth0, Firebase, Supabase or better-auth exports), keeping password hashes",
      tag: "Admin: users",
      auth: "admin",
      body: importBody,
      bodyLimitBytes: IMPORT_BODY_LIMIT_BYTES,
      responses: {
        200: { description: "What was imported and what was skipped, row by row", schema: importSummaryJSON },
        ...unauthorized,
        413: { description: "`payload_too_large`: use `gatehouse users import` for bigger files" },
        422: { description: "`validation_failed`" },
      },
      async handle({ body, admin }) {
        const firebase = firebaseParameters(body);
        const summary = await importer.importUsers(
          body.data,
          {
            source: body.source as ImportSource,
            ...(body.format ? { format: body.format as ImportFileFormat } : {}),
            ...(body.dry_run !== undefined ? { dryRun: body.dry_run } : {}),
            ...(firebase ? { firebase } : {}),
          },
          adminActor(admin),
        );
        return jsonResponse(200, toImportSummaryJSON(summary));
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/admin/users/export",
      summary: "Export every user as JSON Lines, password hashes included",
      tag: "Admin: users",
      auth: "admin",
      responses: {
        200: { description: "`application/x-ndjson`: one user per line, in the format of docs/import-export.md" },
        ...unauthorized,
      },
      async handle() {
        const users = importer.exportUsers();
        const encoder = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const next = await users.next();
            if (next.done) controller.close();
            else controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
          },
          async cancel() {
            await users.return(undefined);
          },
        });
        return new Response(body, {
          status: 200,
          headers: {
            "content-type": "application/x-ndjson",
            "cache-control": "no-store",
            "content-disposition": 'attachment; filename="gatehouse-users.jsonl"',
          },
        });
      },
    }),
  ];
}
