/**
 * The door of the admin API. Two rules, both enforced by the handler before a route runs:
 *
 * 1. **Canonical paths only.** A request whose path reaches `/v1/admin` only after decoding or
 *    normalisation (`//v1/admin`, `/v1//admin`, `/v1/%61dmin`, `/v1/admin/../admin`, `%2f`,
 *    backslashes, `;` parameters, trailing dots or spaces, another letter case) is refused with
 *    403 `non_canonical_path`. A proxy or firewall in front of Gatehouse that fences off
 *    `/v1/admin` compares raw paths; refusing every spelling but the canonical one means no
 *    spelling gets past the fence and then lands on an admin route here. The canonical form is
 *    strict on purpose: `/v1/admin` followed by segments of `[A-Za-z0-9_-]`, which is all the
 *    admin routes and their ids ever need.
 * 2. **Only a secret key opens it.** `Authorization: Bearer gh_sk_…` of an active key, looked up
 *    by its SHA-256 on every request (so a revocation applies to the very next request). User
 *    session cookies and tokens, keys in the query string and every other header are refused or
 *    ignored: nothing like `X-Original-URL`, `X-Rewrite-URL`, `X-Forwarded-Prefix` or `X-Admin` is
 *    ever read.
 */
import {
  InvalidSecretKeyError,
  NonCanonicalPathError,
  SecretKeyInQueryError,
  SecretKeyRequiredError,
} from "../errors/index.js";
import type { AdminCaller } from "../http/route.js";
import { sha256base64url } from "../lib/encoding.js";
import type { SecretKeyStore } from "../storage/ports.js";

/** Prefix of admin secret keys, so they are recognisable in code and by secret scanners. */
export const SECRET_KEY_PREFIX = "gh_sk_";

/** The only form an admin path may take. */
const CANONICAL_ADMIN_PATH = /^\/v1\/admin(?:\/[A-Za-z0-9_-]+)*$/;

/** Paths no lenient reading can change but for case and repeated slashes. */
const PLAIN_PATH = /^[A-Za-z0-9/_-]*$/;

/** A key's last use is written at most this often, so admin reads do not each become a write. */
const TOUCH_INTERVAL_MS = 60_000;

/** How many layers of percent-encoding are peeled when looking for a disguised admin path. */
const DECODE_ROUNDS = 3;

/**
 * The path as a lenient server or proxy might understand it: the authority of an absolute-form
 * target dropped, percent-encoding peeled (repeatedly, for `%2561`), backslashes as slashes,
 * empty and `.` segments dropped, `..` applied, `;parameters` and trailing dots or spaces cut
 * from each segment, lower-cased. Used only to recognise what aims at the admin API.
 */
function looseNormalize(path: string): string {
  let decoded = path.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "");
  for (let round = 0; round < DECODE_ROUNDS; round++) {
    try {
      const next = decodeURIComponent(decoded);
      if (next === decoded) break;
      decoded = next;
    } catch {
      // Malformed escapes (`%zz`): decode what can be decoded, one escape at a time.
      decoded = decoded.replace(/%[0-9a-f]{2}/gi, (escape) => String.fromCharCode(parseInt(escape.slice(1), 16)));
    }
  }
  const segments: string[] = [];
  for (const raw of decoded.replace(/\\/g, "/").split("/")) {
    // `..;x` is `..` to Tomcat and others, so dot segments are recognised after the cut.
    const base = raw.split(";")[0]!;
    const segment =
      base === "." || base === ".." ? base : base.replace(/[.\s]+$/u, "").replaceAll(String.fromCharCode(0), "");
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      segments.pop();
      continue;
    }
    segments.push(segment.toLowerCase());
  }
  return `/${segments.join("/")}`;
}

/** Whether some reading of `path` lands on the admin API. */
export function targetsAdmin(path: string): boolean {
  const normalized = looseNormalize(path);
  return normalized === "/v1/admin" || normalized.startsWith("/v1/admin/");
}

/**
 * Throws {@link NonCanonicalPathError} when `rawPath` aims at the admin API in any form but the
 * canonical one; returns quietly for every other path.
 *
 * @param rawPath - the request target's path as received (before URL parsing resolved `..`).
 * @param parsedPath - the path of the parsed request URL, which routing uses.
 */
export function assertCanonicalAdminPath(rawPath: string, parsedPath: string): void {
  // Every request passes here: a path of plain characters (no escapes, dots, backslashes or
  // parameters) that never says "admin" cannot be read as the admin API, so it skips the work.
  if (rawPath === parsedPath && PLAIN_PATH.test(rawPath) && !/admin/i.test(rawPath)) return;
  if (!targetsAdmin(rawPath) && !targetsAdmin(parsedPath)) return;
  if (rawPath !== parsedPath || !CANONICAL_ADMIN_PATH.test(rawPath)) throw new NonCanonicalPathError();
}

/** Whether any query parameter name or value carries something shaped like a secret key. */
function queryCarriesSecretKey(url: URL): boolean {
  for (const [name, value] of url.searchParams) {
    if (`${name}=${value}`.toLowerCase().includes(SECRET_KEY_PREFIX)) return true;
  }
  // Also catches a key whose prefix was itself percent-encoded twice.
  return url.search.toLowerCase().includes(SECRET_KEY_PREFIX) || looseNormalize(url.search).includes(SECRET_KEY_PREFIX);
}

/** Authenticates admin requests; built once per engine. */
export interface AdminGuard {
  /**
   * The admin caller of `request`.
   * @throws SecretKeyInQueryError, SecretKeyRequiredError or InvalidSecretKeyError.
   */
  authenticate(request: Request, url: URL): Promise<AdminCaller>;
}

/** Options of {@link createAdminGuard}. */
export interface AdminGuardOptions {
  keys: SecretKeyStore;
  clock: () => number;
}

/**
 * Creates the secret-key check of the admin API.
 *
 * @example
 * ```ts
 * const guard = createAdminGuard({ keys: database, clock: Date.now });
 * const { keyId } = await guard.authenticate(request, new URL(request.url));
 * ```
 */
export function createAdminGuard(options: AdminGuardOptions): AdminGuard {
  const { keys, clock } = options;
  return {
    async authenticate(request, url) {
      if (queryCarriesSecretKey(url)) throw new SecretKeyInQueryError();
      // Exactly one `Bearer <token>`: several Authorization headers arrive joined by ", " and fail.
      const match = /^Bearer ([A-Za-z0-9_-]+)$/i.exec(request.headers.get("authorization")?.trim() ?? "");
      const token = match?.[1];
      if (!token?.startsWith(SECRET_KEY_PREFIX)) throw new SecretKeyRequiredError();
      const key = await keys.findActiveSecretKey(await sha256base64url(token));
      if (!key) throw new InvalidSecretKeyError();
      const now = clock();
      if (key.lastUsedAt === null || now - key.lastUsedAt >= TOUCH_INTERVAL_MS) await keys.touchSecretKey(key.id, now);
      return { keyId: key.id };
    },
  };
}
