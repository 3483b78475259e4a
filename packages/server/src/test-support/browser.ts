/**
 * Real-browser tests with playwright-core driving Debian's Chromium (never a downloaded
 * browser). Where /usr/bin/chromium is missing, the tests are skipped with the reason shown;
 * under CI (CI=true) a missing browser fails the run instead, so a green CI means they ran.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";

/** Debian's Chromium; `CHROMIUM_PATH` overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Where screenshots go (gitignored): `test-results/` at the repository root. */
export const RESULTS_DIRECTORY = fileURLToPath(new URL("../../../../test-results/", import.meta.url));

/** Whether the browser is there, and if not, why (shown in the skipped suite's name). */
export interface BrowserProbe {
  available: boolean;
  reason: string;
}

/** Looks for Chromium once; throws under CI when it is missing. */
export function probeChromium(): BrowserProbe {
  if (existsSync(CHROMIUM_PATH)) return { available: true, reason: "" };
  const reason = `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium)`;
  if (process.env.CI) throw new Error(`CI requires ${reason}`);
  console.warn(`[skip] ${reason}: the browser tests are skipped`);
  return { available: false, reason: `skipped: ${reason}` };
}

/** A launched browser with its own fresh profile directory. */
export interface TestBrowser {
  browser: Browser;
  /** A new context (cookie jar, storage) with the given colour scheme. */
  newContext(options?: { colorScheme?: "light" | "dark" }): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh user-data directory and nothing that reaches the
 * network on its own (no component updates, sync, or QUIC).
 */
export async function launchTestBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), "gatehouse-chromium-"));
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // Playwright passes its own profile through launch(); this keeps Chromium's own caches
      // (crash reports, shader cache) in a throwaway directory as well.
      `--disk-cache-dir=${join(profile, "cache")}`,
    ],
  });
  return {
    browser,
    newContext: (options = {}) =>
      browser.newContext({ colorScheme: options.colorScheme ?? "light", viewport: { width: 1100, height: 820 } }),
    async close() {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot of `page` as `test-results/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(RESULTS_DIRECTORY, { recursive: true });
  const path = join(RESULTS_DIRECTORY, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Whether `locator`'s element has the page's focus (for `expect.poll`). */
export function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === element.ownerDocument.activeElement);
}
