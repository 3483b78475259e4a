/**
 * Moving users in and out without lock-in. Export writes one JSON object per user (the format
 * in docs/import-export.md); import reads that format and the exports of Clerk, Auth0,
 * Firebase, Supabase and better-auth, keeping password hashes as they are (they are upgraded to
 * Argon2id at each user's next sign-in).
 *
 * Import is idempotent: a row whose email (or Gatehouse id) already exists is skipped with
 * `already_exists`, so re-running the same file changes nothing. Every row that is not
 * imported is reported with its line and a stable reason; nothing about it is stored.
 */
import { emailSchema, normalizeEmail } from "../accounts/schema.js";
import { EmailTakenError } from "../errors/index.js";
import type { EventActor, EventBus } from "../events/bus.js";
import { randomId } from "../lib/encoding.js";
import { importedHashAlgorithm } from "../passwords/imported.js";
import type { UserAdminStore, UserRecord, UserStore } from "../storage/ports.js";
import { metadataSchema } from "../user-admin/schema.js";
import { readImportFile, type ImportFileFormat } from "./parse.js";
import { mapRow, type ImportCandidate, type ImportSource, type RowProblem, type SourceOptions } from "./sources.js";
import { isoTime, isoTimeOrNull } from "../lib/iso-time.js";

/** Options of one import. */
export interface ImportOptions extends SourceOptions {
  /** Whose export the file is. @default "gatehouse" */
  source?: ImportSource;
  /** The file's container. @default guessed from its first characters */
  format?: ImportFileFormat;
  /** Check every row and report, but store nothing. @default false */
  dryRun?: boolean;
  /** Called after each row, for progress bars. */
  onProgress?: (done: number, total: number) => void;
}

/** One row that was not imported. */
export interface SkippedRow {
  /** Line (JSON Lines, CSV) or position (JSON array) in the file. */
  row: number;
  reason: RowProblem["reason"];
  detail: string;
}

/** What an import did. */
export interface ImportSummary {
  /** Rows read (readable or not). */
  total: number;
  imported: number;
  skipped: SkippedRow[];
  /** Rows imported with something left behind, e.g. `totp_secret_not_imported`. */
  warnings: { row: number; warning: string }[];
  dryRun: boolean;
}

/**
 * One user in Gatehouse's export format (JSON Lines; see docs/import-export.md). `totp_secret`
 * is part of the format for when second factors exist; it is never written today.
 */
export interface ExportedUser {
  id: string;
  email: string;
  email_verified: boolean;
  email_verified_at: string | null;
  name: string | null;
  created_at: string;
  updated_at: string;
  banned_at: string | null;
  public_metadata: Record<string, unknown>;
  private_metadata: Record<string, unknown>;
  /** The stored hash with its parameters (PHC string or bcrypt modular crypt), or null. */
  password_hash: string | null;
  /** `argon2id`, `bcrypt`, `scrypt`, `firebase-scrypt`, `argon2i`, `pbkdf2-sha256`, …, or null. */
  password_algorithm: string | null;
  /** Base32 TOTP secret, when the user has one (a later release); absent otherwise. */
  totp_secret?: string;
}

/** Import and export. */
export interface UserImporter {
  /** Imports the users in `text`. Never throws for bad rows: they are in the summary. */
  importUsers(text: string, options: ImportOptions, actor: EventActor): Promise<ImportSummary>;
  /** Every user in export format, newest first, read page by page. */
  exportUsers(): AsyncGenerator<ExportedUser>;
}

/** Options of {@link createUserImporter}. */
export interface UserImporterOptions {
  users: UserStore & UserAdminStore;
  events: EventBus;
  clock: () => number;
}

const EXPORT_PAGE_SIZE = 500;
const NAME_MAX_LENGTH = 200;

/** The validated fields of a candidate, or the problem with it. */
function validate(candidate: ImportCandidate):
  | {
      email: string;
      name: string | null;
      publicMetadata: Record<string, unknown>;
      privateMetadata: Record<string, unknown>;
    }
  | RowProblem {
  if (candidate.email === undefined || candidate.email === null || candidate.email === "") {
    return { reason: "missing_email", detail: "The row has no email address." };
  }
  const email = emailSchema.safeParse(typeof candidate.email === "string" ? candidate.email.trim() : candidate.email);
  if (!email.success) return { reason: "invalid_email", detail: email.error.issues[0]!.message };
  let name: string | null = null;
  if (candidate.name !== null && candidate.name !== undefined && candidate.name !== "") {
    if (
      typeof candidate.name !== "string" ||
      candidate.name.length > NAME_MAX_LENGTH ||
      /\p{Cc}/u.test(candidate.name)
    ) {
      return { reason: "invalid_field", detail: `name must be text of at most ${NAME_MAX_LENGTH} characters.` };
    }
    name = candidate.name.trim();
  }
  const publicMetadata = metadataSchema.safeParse(candidate.publicMetadata);
  if (!publicMetadata.success) {
    return { reason: "invalid_field", detail: `public metadata: ${publicMetadata.error.issues[0]!.message}` };
  }
  const privateMetadata = metadataSchema.safeParse(candidate.privateMetadata);
  if (!privateMetadata.success) {
    return { reason: "invalid_field", detail: `private metadata: ${privateMetadata.error.issues[0]!.message}` };
  }
  return { email: email.data, name, publicMetadata: publicMetadata.data, privateMetadata: privateMetadata.data };
}

function algorithmOf(hash: string | null): string | null {
  if (hash === null) return null;
  return importedHashAlgorithm(hash) ?? (hash.startsWith("$argon2id$") ? "argon2id" : "unknown");
}

/** The export form of a stored user. */
export function toExportedUser(user: UserRecord): ExportedUser {
  return {
    id: user.id,
    email: user.email,
    email_verified: user.emailVerifiedAt !== null,
    email_verified_at: isoTimeOrNull(user.emailVerifiedAt),
    name: user.name,
    created_at: isoTime(user.createdAt),
    updated_at: isoTime(user.updatedAt),
    banned_at: isoTimeOrNull(user.bannedAt),
    public_metadata: user.publicMetadata,
    private_metadata: user.privateMetadata,
    password_hash: user.passwordHash,
    password_algorithm: algorithmOf(user.passwordHash),
  };
}

/**
 * Creates the importer.
 *
 * @example
 * ```ts
 * const importer = createUserImporter({ users: database, events, clock: Date.now });
 * const summary = await importer.importUsers(csv, { source: "supabase" }, { type: "system", id: null });
 * ```
 */
export function createUserImporter(options: UserImporterOptions): UserImporter {
  const { users, events, clock } = options;

  return {
    async importUsers(text, importOptions, actor) {
      const source = importOptions.source ?? "gatehouse";
      const dryRun = importOptions.dryRun ?? false;
      const { rows, unreadable } = readImportFile(text, importOptions.format);
      const skipped: SkippedRow[] = unreadable.map(({ row, detail }) => ({ row, reason: "invalid_row", detail }));
      const warnings: ImportSummary["warnings"] = [];
      const seen = new Set<string>();
      const total = rows.length + unreadable.length;
      let imported = 0;
      let done = unreadable.length;

      for (const { row, values } of rows) {
        const skip = (problem: RowProblem) => skipped.push({ row, ...problem });
        try {
          const mapped = mapRow(source, values, importOptions, clock());
          if ("problem" in mapped) {
            skip(mapped.problem);
            continue;
          }
          const { candidate } = mapped;
          const valid = validate(candidate);
          if ("reason" in valid) {
            skip(valid);
            continue;
          }
          const emailNormalized = normalizeEmail(valid.email);
          if (seen.has(emailNormalized)) {
            skip({ reason: "duplicate_in_file", detail: "An earlier row has the same email address." });
            continue;
          }
          seen.add(emailNormalized);
          if (
            (await users.getUserByEmail(emailNormalized)) ||
            (candidate.id !== null && (await users.getUserById(candidate.id)))
          ) {
            skip({ reason: "already_exists", detail: "A user with this email address or id already exists." });
            continue;
          }
          if (!dryRun) {
            const now = clock();
            const user = await users.createUser({
              id: candidate.id ?? randomId("user"),
              email: valid.email,
              emailNormalized,
              name: valid.name,
              passwordHash: candidate.passwordHash,
              emailVerifiedAt: candidate.emailVerified ? now : null,
              createdAt: candidate.createdAt ?? now,
              publicMetadata: valid.publicMetadata,
              privateMetadata: valid.privateMetadata,
              bannedAt: candidate.banned ? now : null,
            });
            events.emit({ type: "user.created", userId: user.id, actor, data: { via: "import", source } });
          }
          imported++;
          for (const warning of mapped.warnings) warnings.push({ row, warning });
        } catch (error) {
          // Another writer took the address between the check and the insert.
          if (error instanceof EmailTakenError) {
            skip({ reason: "already_exists", detail: "A user with this email address already exists." });
          } else throw error;
        } finally {
          importOptions.onProgress?.(++done, total);
        }
      }

      skipped.sort((a, b) => a.row - b.row);
      if (!dryRun) {
        events.emit({
          type: "users.imported",
          userId: null,
          actor,
          data: { source, total, imported, skipped: skipped.length },
        });
      }
      return { total, imported, skipped, warnings, dryRun };
    },

    async *exportUsers() {
      let after: { createdAt: number; id: string } | undefined;
      for (;;) {
        const page = await users.listUsers({ limit: EXPORT_PAGE_SIZE, ...(after ? { after } : {}) });
        for (const user of page) yield toExportedUser(user);
        const last = page[page.length - 1];
        if (!last || page.length < EXPORT_PAGE_SIZE) return;
        after = { createdAt: last.createdAt, id: last.id };
      }
    },
  };
}
