/**
 * The hosted pages in a real browser (Debian's Chromium through playwright-core) against a real
 * `gatehouse start` process: hybrid strategy with 5-second access tokens, mail in the
 * development mailbox. One browser for the file; each test gets fresh contexts (cookie jars).
 *
 * Proves the flows a user goes through (sign-up, sign-out, sign-in, the wrong-password
 * message, email-code sign-in, reset through the mailbox, revoking another device), that two
 * tabs stay signed in across refreshes with each refresh token spent exactly once, that a
 * sign-out reaches the other tab at once, that no script can read the session cookies, second
 * factors (enrolling an authenticator on the account page, the challenge at the next sign-in,
 * and a magic link whose sign-in needs a second factor, handed to the sign-in page in the
 * fragment), that
 * the CSP holds, and that axe-core finds no serious or critical accessibility violation.
 * Screenshots of every page, light and dark, are written to `test-results/`.
 */
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret, TOTP } from "otpauth";
import type { BrowserContext, ConsoleMessage, Page, Request as BrowserRequest } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFocused, launchTestBrowser, probeChromium, screenshot, type TestBrowser } from "./test-support/browser.js";
import { freePort, runCLI, strongPassword, uniqueEmail, type CLIProcess } from "./test-support/cli-process.js";

const chromium = probeChromium();
const ACCESS_TOKEN_SECONDS = 5;

let dataDir: string;
let server: CLIProcess;
let base: string;
let browser: TestBrowser;
/** Console messages about the CSP or Trusted Types, from every page of the file. */
const policyViolations: string[] = [];
const contexts: BrowserContext[] = [];

async function newContext(options: { colorScheme?: "light" | "dark" } = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  contexts.push(context);
  context.on("console", (message: ConsoleMessage) => {
    if (/Content Security Policy|Trusted ?Type/i.test(message.text())) policyViolations.push(message.text());
  });
  context.on("weberror", (error) => policyViolations.push(`page error: ${error.error().message}`));
  return context;
}

interface MailboxMessage {
  template: string;
  to: string;
  links: string[];
  text: string;
}

/** The newest message of `template` to `to` in the development mailbox, waiting for it. */
/** The newest mail of `template` to `to`, once there are more than `seenBefore` of them (newest first). */
async function mail(template: string, to: string, seenBefore = 0): Promise<MailboxMessage> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const matching = await mailTo(template, to);
    if (matching.length > seenBefore) return matching[0]!;
    if (Date.now() > deadline) throw new Error(`no ${template} mail to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function mailTo(template: string, to: string): Promise<MailboxMessage[]> {
  const { data } = (await (await fetch(`${base}/dev/mailbox.json`)).json()) as { data: MailboxMessage[] };
  return data.filter((message) => message.template === template && message.to === to);
}

/** Signs up through the hosted page and waits for the account page. */
async function signUp(page: Page, email: string, password: string, name?: string): Promise<void> {
  await page.goto(`${base}/sign-up`);
  if (name) await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${base}/account`);
  await page.getByRole("heading", { name: "Active sessions" }).waitFor();
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(`${base}/account`);
  await page.getByRole("heading", { name: "Active sessions" }).waitFor();
}

/**
 * A TOTP code for `secret`, computed here with otpauth as an authenticator app would: for the
 * NEXT 30-second step, since the server accepts each step once and only later ones after it
 * (the step now may have been spent on confirming), and it allows one step of clock drift.
 */
function nextTOTPCode(secret: string): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" }).generate({
    timestamp: Date.now() + 30_000,
  });
}

/** Creates an account with an authenticator app through the API (bearer transport, no browser). */
async function accountWithTOTP(email: string, password: string): Promise<{ secret: string }> {
  const headers = { "content-type": "application/json", "auth-transport": "bearer" };
  const signedUp = await fetch(`${base}/v1/sign-up`, {
    method: "POST",
    headers,
    body: JSON.stringify({ email, password }),
  });
  const { access_token: token } = (await signedUp.json()) as { access_token: string };
  const authorized = { ...headers, authorization: `Bearer ${token}` };
  const started = await fetch(`${base}/v1/mfa/totp`, { method: "POST", headers: authorized });
  const { secret } = (await started.json()) as { secret: string };
  const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate();
  const confirmed = await fetch(`${base}/v1/mfa/totp/confirm`, {
    method: "POST",
    headers: authorized,
    body: JSON.stringify({ code }),
  });
  if (confirmed.status !== 200) throw new Error(`TOTP confirm answered ${confirmed.status}`);
  return { secret };
}

/**
 * `GET /v1/session` with the page's cookies, sent by the browser context rather than from inside
 * the page: a page that is navigating away (a revoked session sends it to /sign-in) cannot run it.
 */
async function sessionStatus(page: Page): Promise<number> {
  return (await page.context().request.get(`${base}/v1/session`)).status();
}

describe.skipIf(!chromium.available)(`hosted pages in Chromium ${chromium.reason}`, () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "gatehouse-browser-"));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = runCLI(["start"], {
      PORT: String(port),
      HOST: "127.0.0.1",
      GATEHOUSE_URL: base,
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_STRATEGY: "hybrid",
      GATEHOUSE_ACCESS_TOKEN_TTL: `${ACCESS_TOKEN_SECONDS}s`,
      GATEHOUSE_APP_NAME: "Acme",
      GATEHOUSE_LOG_LEVEL: "warn",
    });
    await server.waitForOutput(/Gatehouse listening on/);
    browser = await launchTestBrowser();
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => {})));
    await browser?.close();
    if (server && server.child.exitCode === null) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it("signs up, out and in; says when the password is wrong; the session cookies are out of scripts' reach", async () => {
    const context = await newContext();
    const page = await context.newPage();
    const email = uniqueEmail();
    const password = strongPassword();
    await signUp(page, email, password, "Ada Lovelace");
    await expect.poll(() => page.getByRole("heading", { level: 1 }).innerText()).toBe("Ada Lovelace");

    const cookies = await context.cookies();
    const credentials = cookies.filter((cookie) => cookie.name.startsWith("gatehouse_"));
    expect(credentials.map((cookie) => cookie.name).sort()).toEqual(
      expect.arrayContaining(["gatehouse_access", "gatehouse_refresh"]),
    );
    for (const cookie of credentials) expect(cookie.httpOnly).toBe(true);
    expect(await page.evaluate(() => document.cookie)).not.toMatch(/gatehouse/);

    // Sign out from the avatar menu, with the keyboard only.
    await page.getByRole("button", { name: /Open the account menu/ }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => isFocused(page.getByRole("menuitem", { name: "Manage account" }))).toBe(true);
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => isFocused(page.getByRole("menuitem", { name: "Sign out" }))).toBe(true);
    const navigations: string[] = [];
    page.on("request", (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) navigations.push(request.url());
    });
    await page.keyboard.press("Enter");
    await page.waitForURL(`${base}/sign-in`);
    expect(await sessionStatus(page)).toBe(401);
    // One navigation, to the page after sign-out: the account page, signed out too, does not
    // start its own redirect to sign in, which would abort the first mid-load.
    expect(navigations).toEqual([`${base}/sign-in`]);

    // A wrong password: announced, and the form keeps the address.
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(`${password}-wrong`);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect.poll(() => page.getByRole("alert").innerText()).toBe("The email or password is incorrect.");
    await expect.poll(() => isFocused(page.getByRole("alert"))).toBe(true);
    expect(await page.getByLabel("Email", { exact: true }).inputValue()).toBe(email);

    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(`${base}/account`);
    expect(await sessionStatus(page)).toBe(200);
  });

  it("says what is missing before sending, and focuses the field", async () => {
    const page = await (await newContext()).newPage();
    await page.goto(`${base}/sign-in`);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    const emailInput = page.getByLabel("Email", { exact: true });
    await expect.poll(() => isFocused(emailInput)).toBe(true);
    expect(await emailInput.getAttribute("aria-invalid")).toBe("true");
    await page.getByText("Enter your email address.").waitFor();
    // This server runs on an IP address, where passkeys cannot work: the page offers none.
    expect(await page.getByRole("button", { name: "Sign in with a passkey" }).count()).toBe(0);
  });

  it("signs in with an emailed code", async () => {
    const email = uniqueEmail();
    const setup = await (await newContext()).newPage();
    await signUp(setup, email, strongPassword());

    const page = await (await newContext()).newPage();
    await page.goto(`${base}/sign-in`);
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByRole("button", { name: "Email me a code" }).click();
    await expect.poll(() => isFocused(page.getByRole("heading", { name: "Enter the code" }))).toBe(true);
    const code = /\b(\d{6})\b/.exec((await mail("email-code", email)).text)![1]!;
    await page.getByLabel("Code", { exact: true }).fill(code);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(`${base}/account`);
  });

  it("signs in with an emailed magic link, landing where the sign-in page was asked to go", async () => {
    const email = uniqueEmail();
    const setup = await (await newContext()).newPage();
    await signUp(setup, email, strongPassword());

    const page = await (await newContext()).newPage();
    await page.goto(`${base}/sign-in?redirect_url=${encodeURIComponent("/account")}`);
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByRole("button", { name: "Email me a sign-in link" }).click();
    await expect.poll(() => isFocused(page.getByRole("heading", { name: "Check your email" }))).toBe(true);
    const link = (await mail("magic-link", email)).links[0]!;
    await page.goto(link);
    await page.waitForURL(`${base}/account`);
    await page.getByRole("heading", { name: "Active sessions" }).waitFor();
  });

  it("a magic link that needs a second factor opens the sign-in page on the challenge; a TOTP code finishes it", async () => {
    const email = uniqueEmail();
    const { secret } = await accountWithTOTP(email, strongPassword());

    const page = await (await newContext()).newPage();
    await page.goto(`${base}/sign-in?redirect_url=${encodeURIComponent("/account")}`);
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByRole("button", { name: "Email me a sign-in link" }).click();
    await page.getByRole("heading", { name: "Check your email" }).waitFor();
    const link = (await mail("magic-link", email)).links[0]!;

    // Opened in a fresh tab, as from a mail app: the link's redirect carries the challenge in the
    // fragment, and the page opens on it.
    const landing = await page.context().newPage();
    await landing.goto(link);
    await landing.getByRole("heading", { name: "Two-step verification" }).waitFor();
    // The fragment is gone from the address bar (and history); no cookie was set.
    expect(new URL(landing.url()).hash).toBe("");
    expect(await sessionStatus(landing)).toBe(401);
    await landing.getByText("Enter the 6-digit code from your authenticator app.").waitFor();

    await landing.getByLabel("Code", { exact: true }).fill("000000");
    await landing.getByRole("button", { name: "Verify" }).click();
    // Said on the field, which takes focus again.
    await landing.getByText("The code is wrong or has expired.").waitFor();
    await expect.poll(() => isFocused(landing.getByLabel("Code", { exact: true }))).toBe(true);
    await landing.getByLabel("Code", { exact: true }).fill(nextTOTPCode(secret));
    await landing.getByRole("button", { name: "Verify" }).click();
    await landing.waitForURL(`${base}/account`);
    await landing.getByRole("heading", { name: "Active sessions" }).waitFor();
    expect(await sessionStatus(landing)).toBe(200);
  });

  it("sets up an authenticator on the account page; the next sign-in asks for its code", async () => {
    const email = uniqueEmail();
    const password = strongPassword();
    const page = await (await newContext()).newPage();
    await signUp(page, email, password);
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    const qr = page.getByRole("img", { name: "QR code for your authenticator app" });
    await qr.waitFor();
    // The server's SVG, shown as an image under the CSP (img-src data:) and decoded.
    expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml;base64,/);
    await expect
      .poll(() => qr.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0))
      .toBe(true);
    const key = await page.getByLabel(/^Setup key: /).getAttribute("aria-label");
    const secret = key!.replace("Setup key: ", "");
    await page.getByLabel("Code", { exact: true }).fill(new TOTP({ secret: Secret.fromBase32(secret) }).generate());
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByText("Your authenticator app is set up.", { exact: false }).waitFor();
    const codes = page.getByRole("list", { name: "Backup codes" }).getByRole("listitem");
    await expect.poll(() => codes.count()).toBe(10);
    await page.getByText("10 of 10 codes left").waitFor();
    await screenshot(page, "account-mfa-backup-codes");
    await page.getByRole("button", { name: "I saved them" }).click();

    await page.getByRole("button", { name: "Sign out", exact: true }).last().click();
    await page.waitForURL(/\/sign-in/);
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect.poll(() => isFocused(page.getByRole("heading", { name: "Two-step verification" }))).toBe(true);
    expect(await sessionStatus(page)).toBe(401);
    await screenshot(page, "sign-in-second-factor");
    await page.getByLabel("Code", { exact: true }).fill(nextTOTPCode(secret));
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForURL(`${base}/account`);
    await page.getByRole("heading", { name: "Two-step verification" }).waitFor();
    expect(await sessionStatus(page)).toBe(200);
  });

  it("verifies the address from the account page with the emailed code", async () => {
    const email = uniqueEmail();
    const page = await (await newContext()).newPage();
    await signUp(page, email, strongPassword());
    await page.getByText("Not verified").waitFor();
    // Sign-up already sent one; the code to use is in the mail this click sends, which replaces it.
    await mail("verify-email", email);
    const sentAtSignUp = (await mailTo("verify-email", email)).length;
    await page.getByRole("button", { name: "Send a verification email" }).click();
    await page.getByLabel("Verification code").waitFor();
    const code = /\b(\d{6})\b/.exec((await mail("verify-email", email, sentAtSignUp)).text)![1]!;
    await page.getByLabel("Verification code").fill(code);
    await page.getByRole("button", { name: "Verify", exact: true }).click();
    await page.getByText("Your email address is verified.").waitFor();
    await page.getByText("Verified", { exact: true }).waitFor();
  });

  it("resets the password through the mailbox link, which leaves the address bar", async () => {
    const email = uniqueEmail();
    const page = await (await newContext()).newPage();
    await signUp(page, email, strongPassword());

    const other = await (await newContext()).newPage();
    await other.goto(`${base}/sign-in`);
    await other.getByRole("link", { name: "Forgot password?" }).click();
    await other.waitForURL(`${base}/reset-password`);
    await other.getByLabel("Email", { exact: true }).fill(email);
    await other.getByRole("button", { name: "Send the link" }).click();
    await other.getByRole("heading", { name: "Check your email" }).waitFor();

    const link = (await mail("password-reset", email)).links.find((each) => each.includes("/reset-password"))!;
    await other.goto(link);
    await other.getByLabel("New password", { exact: true }).waitFor();
    expect(other.url()).toBe(`${base}/reset-password`);
    const newPassword = strongPassword();
    await other.getByLabel("New password", { exact: true }).fill(newPassword);
    await other.getByRole("button", { name: "Set the new password" }).click();
    await other.getByRole("heading", { name: "Password changed" }).waitFor();

    // The reset ended the first browser's session.
    expect(await sessionStatus(page)).toBe(401);
    await signIn(other, email, newPassword);
  });

  it("keeps two tabs signed in across refreshes, spending each refresh token once; a sign-out reaches the other tab at once", async () => {
    const context = await newContext();
    const refreshes: { startedAt: number; token: Promise<string>; request: BrowserRequest }[] = [];
    context.on("request", (request) => {
      if (request.method() !== "POST" || new URL(request.url()).pathname !== "/v1/token") return;
      const token = request.allHeaders().then(
        (headers) => /gatehouse_refresh=([^;]+)/.exec(headers.cookie ?? "")?.[1] ?? "(none)",
        // A refresh still starting as the context closes, after the last assertion, has no headers left to read.
        () => "(context closed)",
      );
      refreshes.push({ startedAt: Date.now(), token, request });
    });
    const first = await context.newPage();
    await signUp(first, uniqueEmail(), strongPassword());
    // The sign-up page's own load, signed out, tried one refresh without a cookie; count from here.
    const signedUpAt = Date.now();
    const second = await context.newPage();
    await second.goto(`${base}/account`);
    await second.getByRole("heading", { name: "Active sessions" }).waitFor();

    const periods = 3;
    await first.waitForTimeout(periods * ACCESS_TOKEN_SECONDS * 1000);
    for (const page of [first, second]) {
      // Polled briefly: on a loaded machine a request may race a refresh that is just landing.
      await expect.poll(() => sessionStatus(page), { timeout: 3_000 }).toBe(200);
      await page.getByRole("heading", { name: "Active sessions" }).waitFor();
    }
    const counted = refreshes.filter((refresh) => refresh.startedAt >= signedUpAt);
    const presented = await Promise.all(counted.map((refresh) => refresh.token));
    // Refreshed ahead of every expiry...
    expect(presented.length).toBeGreaterThanOrEqual(periods);
    // ...once for both tabs: the server reports whole seconds left (4 of a 5 s token) and the
    // client refreshes a quarter of that ahead, so one refresh follows another by about 3 s. Tabs
    // refreshing on their own would double that. One stray refresh is let through: under CI's
    // load two came 148 ms apart once, for a reason not found (the timeline is in the message).
    const startedAt = counted.map((refresh) => refresh.startedAt);
    const timeline = `refreshes at ${startedAt.map((at) => at - signedUpAt).join(", ")} ms after sign-up`;
    const span = startedAt.at(-1)! - startedAt[0]!;
    expect(startedAt.length - 1, timeline).toBeLessThanOrEqual(Math.floor(span / 2_500) + 1);
    // ...and never the same refresh token twice: one tab refreshed, the other adopted it.
    expect(new Set(presented).size, timeline).toBe(presented.length);
    expect(presented, timeline).not.toContain("(none)");

    const signedOut = first.waitForResponse(
      (response) => response.request().method() === "POST" && new URL(response.url()).pathname === "/v1/sign-out",
    );
    await first.getByRole("button", { name: "Sign out", exact: true }).last().click();
    const signOut = await signedOut;
    await signOut.finished();
    // The browser's own clock: the test hears of a request some time after the browser sent it,
    // and a refresh sent just before the sign-out's answer cleared the cookies (a refresh already
    // due as the button was clicked may cross the sign-out) was once reported after that answer.
    const signOutTiming = signOut.request().timing();
    const cookiesClearedAt = signOutTiming.startTime + signOutTiming.responseEnd;
    await first.waitForURL(/\/sign-in/);
    // The other tab hears of it at once and leaves the account page, without a refresh.
    await second.waitForURL(/\/sign-in/, { timeout: 5_000, waitUntil: "commit" });
    // A page that loads signed out (the /sign-in page both tabs land on) may ask once without a
    // cookie; no tab may present a refresh token once the sign-out has answered.
    const sentAt = async ({ request, startedAt }: (typeof refreshes)[number]): Promise<number> => {
      await request.response().catch(() => null);
      // Known once the answer has come; a refresh that got none keeps the time the test heard of it.
      const { startTime } = request.timing();
      return startTime > 0 ? startTime : startedAt;
    };
    const afterSignOut = await Promise.all(
      refreshes.map(async (refresh) => ((await sentAt(refresh)) > cookiesClearedAt ? [refresh] : [])),
    );
    const presentedAfterSignOut = await Promise.all(afterSignOut.flat().map((refresh) => refresh.token));
    expect(presentedAfterSignOut.filter((token) => token !== "(none)")).toEqual([]);
    // Three token lifetimes of waiting alone take 15 s, and the sign-up and page loads about 6 s
    // more on an idle machine: more than the default 30 s leaves under CI's load.
  }, 60_000);

  it("revokes another device's session from the account page", async () => {
    const email = uniqueEmail();
    const password = strongPassword();
    const laptop = await (await newContext()).newPage();
    await signUp(laptop, email, password);
    const phone = await (await newContext()).newPage();
    await signIn(phone, email, password);

    await laptop.reload();
    const sessions = laptop.getByRole("list").getByRole("listitem");
    await expect.poll(() => sessions.filter({ hasText: "Chrome on Linux" }).count()).toBe(2);
    await laptop.getByRole("button", { name: /^Sign out the session on Chrome on Linux$/ }).click();
    await laptop.getByRole("status").filter({ hasText: "was signed out" }).waitFor();
    await expect.poll(() => sessions.filter({ hasText: "Chrome on Linux" }).count()).toBe(1);

    expect(await sessionStatus(phone)).toBe(401);
    expect(await sessionStatus(laptop)).toBe(200);
  });

  it("has no serious or critical accessibility violations on any page, light or dark (screenshots in test-results/)", async () => {
    const require = createRequire(import.meta.url);
    const axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
    const email = uniqueEmail();
    const password = strongPassword();
    const findings: string[] = [];

    for (const colorScheme of ["light", "dark"] as const) {
      const context = await newContext({ colorScheme });
      const page = await context.newPage();
      const pages: [string, string, () => Promise<void>][] = [
        ["sign-in", "/sign-in", () => page.getByLabel("Email", { exact: true }).waitFor()],
        ["sign-up", "/sign-up", () => page.getByLabel("Password", { exact: true }).waitFor()],
        ["reset-password", "/reset-password", () => page.getByLabel("Email", { exact: true }).waitFor()],
        [
          "reset-password-new",
          "/reset-password?token=not-a-real-token",
          () => page.getByLabel("New password", { exact: true }).waitFor(),
        ],
        ["verify-email", "/verify-email?token=not-a-real-token", () => page.getByRole("alert").waitFor()],
      ];
      for (const [name, path, ready] of pages) {
        await page.goto(`${base}${path}`);
        await ready();
        findings.push(...(await axeViolations(page, axeSource, `${name} (${colorScheme})`)));
        await screenshot(page, `${name}-${colorScheme}`);
      }
      // The wrong-password state of the sign-in page.
      await page.goto(`${base}/sign-in`);
      await page.getByLabel("Email", { exact: true }).fill(email);
      await page.getByLabel("Password", { exact: true }).fill("not the password");
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.getByRole("alert").filter({ hasText: "incorrect" }).waitFor();
      findings.push(...(await axeViolations(page, axeSource, `sign-in error (${colorScheme})`)));
      await screenshot(page, `sign-in-error-${colorScheme}`);

      if (colorScheme === "light") await signUp(page, email, password, "Grace Hopper");
      else await signIn(page, email, password);
      findings.push(...(await axeViolations(page, axeSource, `account (${colorScheme})`)));
      await screenshot(page, `account-${colorScheme}`);
      await page.getByRole("button", { name: /Open the account menu/ }).click();
      await page.getByRole("menu").waitFor();
      findings.push(...(await axeViolations(page, axeSource, `account menu (${colorScheme})`)));
      await screenshot(page, `account-menu-${colorScheme}`);
    }
    expect(findings).toEqual([]);
    // Eleven pages, each checked twice: slow on a shared two-core machine, bounded all the same.
  }, 120_000);

  it("ran every page under the CSP and Trusted Types without a single violation", () => {
    expect(policyViolations).toEqual([]);
  });
});

/** Runs axe-core in the page; returns its serious and critical violations, described. */
async function axeViolations(page: Page, axeSource: string, label: string): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run();
    return result.violations
      .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
      .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`);
  });
  return violations.map((violation) => `${label}: ${violation}`);
}

interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: { target: string[] }[];
}
