/**
 * The hosted pages: `/sign-in`, `/sign-up`, `/account`, `/reset-password` and `/verify-email`
 * (under `GATEHOUSE_URL`'s path), built by Vite from `@gatehouse/react` into `dist/pages` and
 * served with a strict Content-Security-Policy — scripts, styles and API calls from this origin
 * only, no inline code, no framing, no `<base>`, and Trusted Types enforced so no string can
 * become markup or script.
 *
 * The server writes the page's configuration into the HTML as a JSON data block: which page,
 * the app's name, and `redirect_url` after the engine's safe-redirect check (the base URL's
 * origin and `GATEHOUSE_ALLOWED_ORIGINS` only; anything else is dropped and the user goes to
 * the account page). The build is read once at start; without one (a source checkout that was
 * never built) the pages are not served and a warning says how to build them.
 */
import { readFile, readdir } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Env, Hono } from "hono";
import type { Logger } from "pino";
import { safeRedirect } from "@gatehouse/core";
import { NotFoundError, toProblemResponse } from "@gatehouse/core/errors";

/** The pages, by the path segment each is served at. */
export const HOSTED_PAGES = {
  "sign-in": "Sign in",
  "sign-up": "Create your account",
  account: "Account",
  "reset-password": "Reset your password",
  "verify-email": "Verify your email",
} as const;

type PageName = keyof typeof HOSTED_PAGES;

/** Where `npm run build` puts the pages. */
export const PAGES_DIRECTORY = fileURLToPath(new URL("../dist/pages/", import.meta.url));

/** The directory of the bundle's script and stylesheet, relative to the pages. */
const ASSETS = "_gatehouse";

/**
 * The policy of every hosted page. Trusted Types (`require-trusted-types-for`) turns any
 * string-to-HTML or string-to-script assignment into an error; React renders through the DOM
 * and needs none.
 */
export const HOSTED_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy": HOSTED_PAGE_CSP,
  // Reset and verification links carry their token in the address.
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "cross-origin-opener-policy": "same-origin",
};

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON for a data block: `<` escaped so no value can end the element. */
function blockJSON(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/** The built pages, read into memory. */
export interface HostedPagesBuild {
  template: string;
  /** Asset file name → content. */
  assets: Map<string, Buffer>;
}

/** Reads the build, or returns null when there is none. */
export async function loadHostedPages(directory: string = PAGES_DIRECTORY): Promise<HostedPagesBuild | null> {
  let template: string;
  try {
    template = await readFile(join(directory, "index.html"), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const assets = new Map<string, Buffer>();
  for (const name of await readdir(join(directory, ASSETS)).catch(() => [])) {
    assets.set(name, await readFile(join(directory, ASSETS, name)));
  }
  return { template, assets };
}

/** What the pages need from the server's configuration. */
export interface HostedPagesOptions {
  /** `GATEHOUSE_URL`. */
  baseURL: string;
  /** `GATEHOUSE_ALLOWED_ORIGINS`. */
  allowedOrigins: string[];
  /** `GATEHOUSE_APP_NAME`. */
  appName: string | null;
  /** What the engine offers, so the pages show only what works (`Gatehouse.features`). */
  features: { passkeys: boolean; sms: boolean };
}

/**
 * Registers the hosted pages and their assets on `app`. Returns false (registering nothing)
 * when the pages were not built.
 *
 * @example
 * ```ts
 * await serveHostedPages(app, { baseURL: config.url, allowedOrigins: config.allowedOrigins, appName: null, features: engine.features }, logger);
 * ```
 */
export async function serveHostedPages<E extends Env>(
  app: Hono<E>,
  options: HostedPagesOptions,
  logger: Logger,
  build?: HostedPagesBuild | null,
): Promise<boolean> {
  const pages = build === undefined ? await loadHostedPages() : build;
  if (pages === null) {
    logger.warn(
      { directory: PAGES_DIRECTORY },
      "the hosted pages are not built, so /sign-in, /sign-up and /account are not served; run npm run build",
    );
    return false;
  }
  const base = new URL(options.baseURL);
  const root = base.href.replace(/\/?$/, "/");
  const pathOf = (segment: string): string => new URL(segment, root).pathname;
  const allowed = new Set([base.origin, ...options.allowedOrigins.map((origin) => new URL(origin).origin)]);
  const paths = {
    ...(Object.fromEntries(Object.keys(HOSTED_PAGES).map((name) => [name, pathOf(name)])) as Record<PageName, string>),
    api: new URL(root).pathname,
  };

  for (const [name, title] of Object.entries(HOSTED_PAGES) as [PageName, string][]) {
    app.get(pathOf(name), (c) => {
      const requested = new URL(c.req.url).searchParams.get("redirect_url");
      // Not honoured unless it points at an allowed origin; "" (the fallback) means none.
      const redirectURL = safeRedirect(requested, base, allowed, "") || null;
      const config = { page: name, appName: options.appName, redirectURL, paths, features: options.features };
      const fullTitle = options.appName ? `${title} · ${options.appName}` : title;
      const html = pages.template
        .replace(/<title>[^<]*<\/title>/, `<title>${escapeHTML(fullTitle)}</title>`)
        .replace(
          "<!--gatehouse-config-->",
          `<script type="application/json" id="gatehouse-config">${blockJSON(config)}</script>`,
        );
      return new Response(html, { headers: PAGE_HEADERS });
    });
  }

  app.get(`${pathOf(ASSETS)}/:file`, (c) => {
    const file = c.req.param("file");
    const content = pages.assets.get(file);
    if (!content) return toProblemResponse(new NotFoundError("No such file."));
    return new Response(new Uint8Array(content), {
      headers: {
        "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
        // File names carry a content hash: a new build is a new name.
        "cache-control": "public, max-age=31536000, immutable",
        "x-content-type-options": "nosniff",
      },
    });
  });
  return true;
}
