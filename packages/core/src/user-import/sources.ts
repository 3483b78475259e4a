/**
 * How each source's export maps onto a Gatehouse user. Every mapping is documented, with a
 * fixture per source, in docs/import-export.md; this module is the executable form of it.
 *
 * A mapping never invents data: a field the source does not have stays empty, and a password
 * hash whose format or parameters are unknown makes the row skip (with the reason) rather than
 * import an account nobody could sign in to by password.
 */
import { argon2WithinLimits, decodeBase64, encodeBase64, importedHashAlgorithm } from "../passwords/imported.js";

/** The sources whose export shapes are understood. */
export type ImportSource = "gatehouse" | "clerk" | "auth0" | "firebase" | "supabase" | "better-auth";

/** Every supported source, for validation and help texts. */
export const IMPORT_SOURCES: readonly ImportSource[] = [
  "gatehouse",
  "clerk",
  "auth0",
  "firebase",
  "supabase",
  "better-auth",
];

/**
 * Firebase's project-wide password hash parameters (Authentication → Users → ⋮ → Password hash
 * parameters in the Firebase console); the export itself does not contain them.
 */
export interface FirebaseHashParameters {
  /** `base64_signer_key`. */
  signerKey: string;
  /** `base64_salt_separator`. */
  saltSeparator: string;
  rounds: number;
  memCost: number;
}

/** A user as a source row describes it, before validation. */
export interface ImportCandidate {
  /** Kept only for Gatehouse's own exports (`user_…`), so ids survive a move between instances. */
  id: string | null;
  email: unknown;
  emailVerified: boolean;
  name: unknown;
  /** A stored-form hash (see `passwords/imported.ts`), or null for no password. */
  passwordHash: string | null;
  publicMetadata: unknown;
  privateMetadata: unknown;
  /** Milliseconds, or null for "now". */
  createdAt: number | null;
  banned: boolean;
}

/** Why a row is not imported; `reason` is a stable code. */
export interface RowProblem {
  reason:
    | "invalid_row"
    | "missing_email"
    | "invalid_email"
    | "invalid_field"
    | "unsupported_password_hash"
    | "missing_hash_parameters"
    | "already_exists"
    | "duplicate_in_file";
  detail: string;
}

/** The outcome of mapping one row. */
export type MappedRow = { candidate: ImportCandidate; warnings: string[] } | { problem: RowProblem };

/** Options that some sources need. */
export interface SourceOptions {
  firebase?: FirebaseHashParameters;
}

function text(value: unknown): string | null {
  if (typeof value === "string") return value.trim() === "" ? null : value.trim();
  if (typeof value === "number") return String(value);
  return null;
}

function truthy(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  return typeof value === "string" && ["true", "1", "t", "yes"].includes(value.trim().toLowerCase());
}

/** A date: ISO 8601, or milliseconds (number or digits). */
function instant(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  const string = text(value);
  if (string === null) return null;
  if (/^\d{10,16}$/.test(string)) return Number(string);
  const parsed = Date.parse(string);
  return Number.isNaN(parsed) ? null : parsed;
}

/** A JSON object given as an object or as a JSON string (CSV cells); `{}` when absent. */
function jsonObject(value: unknown): unknown {
  if (value === undefined || value === null || value === "") return {};
  if (typeof value === "string") {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value; // left for validation to refuse with a clear reason
    }
  }
  return value;
}

function hashProblem(detail: string): { problem: RowProblem } {
  return { problem: { reason: "unsupported_password_hash", detail } };
}

/** Checks a hash that should already be in a stored form. */
function storedHash(hash: string | null): { hash: string | null } | { problem: RowProblem } {
  if (hash === null) return { hash: null };
  // Argon2id is the main hasher's own format: kept as it is, upgraded if weaker.
  if ((hash.startsWith("$argon2id$") && argon2WithinLimits(hash)) || importedHashAlgorithm(hash) !== null) {
    return { hash };
  }
  return hashProblem("The password hash is not in a supported format, or its parameters are out of range.");
}

/** better-auth's default `salt:key` (hex): scrypt N=16384, r=16, p=1, 64 bytes, the hex salt used as text. */
function betterAuthHash(value: string): string | null {
  const match = /^([0-9a-f]{16,128}):([0-9a-f]{32,256})$/i.exec(value);
  if (!match) return null;
  const key = Uint8Array.from(match[2]!.match(/../g)!, (pair) => parseInt(pair, 16));
  return `$scrypt$ln=14,r=16,p=1$${encodeBase64(new TextEncoder().encode(match[1]!))}$${encodeBase64(key)}`;
}

/** Firebase's base64 hash and salt plus the project parameters, in stored form. */
export function firebaseScryptHash(hash: string, salt: string, parameters: FirebaseHashParameters): string | null {
  const parts = [hash, salt, parameters.saltSeparator, parameters.signerKey].map(decodeBase64);
  if (parts.some((part) => part === null)) return null;
  const [hashBytes, saltBytes, separator, signerKey] = parts as Uint8Array[];
  return (
    `$firebase-scrypt$rounds=${parameters.rounds},mem=${parameters.memCost},` +
    `sep=${encodeBase64(separator!)},key=${encodeBase64(signerKey!)}$${encodeBase64(saltBytes!)}$${encodeBase64(hashBytes!)}`
  );
}

function gatehouse(values: Record<string, unknown>): MappedRow {
  const checked = storedHash(text(values.password_hash));
  if ("problem" in checked) return checked;
  const id = text(values.id);
  return {
    candidate: {
      id: id !== null && /^user_[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null,
      email: values.email,
      emailVerified: truthy(values.email_verified),
      name: values.name ?? null,
      passwordHash: checked.hash,
      publicMetadata: jsonObject(values.public_metadata),
      privateMetadata: jsonObject(values.private_metadata),
      createdAt: instant(values.created_at),
      banned: values.banned_at !== undefined && values.banned_at !== null && values.banned_at !== "",
    },
    warnings: text(values.totp_secret) ? ["totp_secret_not_imported"] : [],
  };
}

/** Clerk's dashboard CSV export. */
function clerk(values: Record<string, unknown>): MappedRow {
  const email = text(values.primary_email_address);
  const hasher = text(values.password_hasher)?.toLowerCase() ?? null;
  const digest = text(values.password_digest);
  let passwordHash: string | null = null;
  if (digest !== null) {
    if (hasher !== null && !["bcrypt", "argon2i", "argon2id", "scrypt_firebase", "pbkdf2_sha256"].includes(hasher)) {
      return hashProblem(`Clerk password_hasher "${hasher}" is not supported.`);
    }
    const checked = storedHash(digest);
    if ("problem" in checked) return checked;
    passwordHash = checked.hash;
  }
  const verified = (text(values.verified_email_addresses) ?? "")
    .split(/[|,;\s]+/)
    .map((address) => address.toLowerCase());
  const name = [text(values.first_name), text(values.last_name)].filter(Boolean).join(" ");
  return {
    candidate: {
      id: null,
      email,
      emailVerified: email !== null && verified.includes(email.toLowerCase()),
      name: name === "" ? (text(values.username) ?? null) : name,
      passwordHash,
      publicMetadata: {},
      privateMetadata: {},
      createdAt: null,
      banned: false,
    },
    warnings: text(values.totp_secret) ? ["totp_secret_not_imported"] : [],
  };
}

/** Auth0's user export (JSON Lines) merged with its password-hash export (`passwordHash`). */
function auth0(values: Record<string, unknown>): MappedRow {
  const custom = values.custom_password_hash as { hash?: { value?: unknown } } | undefined;
  const checked = storedHash(text(values.passwordHash) ?? text(custom?.hash?.value));
  if ("problem" in checked) return checked;
  return {
    candidate: {
      id: null,
      email: values.email,
      emailVerified: truthy(values.email_verified),
      name: values.name ?? null,
      passwordHash: checked.hash,
      publicMetadata: jsonObject(values.user_metadata),
      privateMetadata: jsonObject(values.app_metadata),
      createdAt: instant(values.created_at) ?? instant((values.created_at as { $date?: unknown } | undefined)?.$date),
      banned: truthy(values.blocked),
    },
    warnings: [],
  };
}

/** `firebase auth:export --format=json`. */
function firebase(values: Record<string, unknown>, options: SourceOptions): MappedRow {
  const hash = text(values.passwordHash);
  let passwordHash: string | null = null;
  if (hash !== null) {
    if (!options.firebase) {
      return {
        problem: {
          reason: "missing_hash_parameters",
          detail: "Firebase hashes need the project's hash parameters (signer key, salt separator, rounds, mem cost).",
        },
      };
    }
    passwordHash = firebaseScryptHash(hash, text(values.salt) ?? "", options.firebase);
    const checked = storedHash(passwordHash);
    if ("problem" in checked) return checked;
  }
  let customClaims: unknown = {};
  if (values.customAttributes !== undefined) customClaims = jsonObject(values.customAttributes);
  return {
    candidate: {
      id: null,
      email: values.email,
      emailVerified: truthy(values.emailVerified),
      name: values.displayName ?? null,
      passwordHash,
      publicMetadata: customClaims,
      privateMetadata: {},
      createdAt: instant(values.createdAt),
      banned: truthy(values.disabled),
    },
    warnings: [],
  };
}

/** Supabase's `auth.users` table exported as CSV (or JSON Lines). */
function supabase(values: Record<string, unknown>, now: number): MappedRow {
  const checked = storedHash(text(values.encrypted_password));
  if ("problem" in checked) return checked;
  const userMetadata = jsonObject(values.raw_user_meta_data);
  const fromMetadata =
    userMetadata !== null && typeof userMetadata === "object"
      ? ((userMetadata as Record<string, unknown>).full_name ?? (userMetadata as Record<string, unknown>).name)
      : undefined;
  const bannedUntil = instant(values.banned_until);
  return {
    candidate: {
      id: null,
      email: values.email,
      emailVerified: text(values.email_confirmed_at) !== null,
      name: fromMetadata ?? null,
      passwordHash: checked.hash,
      publicMetadata: userMetadata,
      privateMetadata: jsonObject(values.raw_app_meta_data),
      createdAt: instant(values.created_at),
      banned: bannedUntil !== null && bannedUntil > now,
    },
    warnings: [],
  };
}

/** better-auth's `user` table joined with its credential `account` row (JSON Lines or CSV). */
function betterAuth(values: Record<string, unknown>): MappedRow {
  const password = text(values.password);
  let passwordHash: string | null = null;
  if (password !== null) {
    passwordHash = betterAuthHash(password);
    if (passwordHash === null) {
      const checked = storedHash(password);
      if ("problem" in checked) return checked;
      passwordHash = checked.hash;
    }
  }
  return {
    candidate: {
      id: null,
      email: values.email,
      emailVerified: truthy(values.emailVerified ?? values.email_verified),
      name: values.name ?? null,
      passwordHash,
      publicMetadata: {},
      privateMetadata: {},
      createdAt: instant(values.createdAt ?? values.created_at),
      banned: truthy(values.banned),
    },
    warnings: [],
  };
}

/**
 * Maps one row of `source`'s export to a candidate user, or says why it cannot be imported.
 *
 * @example
 * ```ts
 * mapRow("auth0", { email: "ada@example.com", email_verified: true, passwordHash: "$2b$10$…" }, {}, Date.now());
 * ```
 */
export function mapRow(
  source: ImportSource,
  values: Record<string, unknown>,
  options: SourceOptions,
  now: number,
): MappedRow {
  switch (source) {
    case "gatehouse":
      return gatehouse(values);
    case "clerk":
      return clerk(values);
    case "auth0":
      return auth0(values);
    case "firebase":
      return firebase(values, options);
    case "supabase":
      return supabase(values, now);
    case "better-auth":
      return betterAuth(values);
  }
}
