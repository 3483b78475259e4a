/**
 * The second-factor and passkey components in a real browser (Debian's Chromium through
 * playwright-core), each in the component harness against the fake API that speaks the pinned
 * contract. Passkeys go through Chromium's own WebAuthn stack with a virtual authenticator
 * (DevTools protocol), so the real @simplewebauthn/browser ceremony runs.
 *
 * Proves every flow and its error states: the challenge step's factors (authenticator, SMS with
 * its resend cooldown, backup code), wrong codes, rate limits, an expired challenge sending the
 * user back to the first step, required enrolment (the QR code as an inert image, backup codes
 * with copy and download), the settings (enrol, disable with re-authentication, new backup
 * codes, SMS) and passkeys (add with re-authentication, rename, delete, sign in, a cancelled
 * prompt said calmly).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isFocused,
  launchTestBrowser,
  probeChromium,
  type TestBrowser,
} from "../../../server/src/test-support/browser.js";
import type { GatehouseClient } from "../browser/client.js";
import type { FakeAPI, FakeAPIOptions, FakeMFAState } from "../test-support/fake-api.js";
import { FAKE_CODES } from "../test-support/fake-api.js";
import { serveHarness, type Harness } from "../test-support/harness.js";

const chromium = probeChromium();
let outDir: string;
let harness: Harness;
let browser: TestBrowser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

interface Open {
  view: string;
  options?: FakeAPIOptions;
  signedIn?: boolean;
}

async function open({ view, options = {}, signedIn = false }: Open): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  // Well under the test's timeout, so a stuck step names itself.
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (error) => pageErrors.push(error.message));
  const query = new URLSearchParams({ view, options: JSON.stringify(options), signedIn: signedIn ? "1" : "0" });
  await page.goto(`${harness.url}?${query}`);
  return page;
}

/** Reads the fake API's state in the page. */
function mfaState(page: Page): Promise<FakeMFAState> {
  return page.evaluate(() => JSON.parse(JSON.stringify(window.harness.api.mfa)) as FakeMFAState);
}

function answerNext(
  page: Page,
  route: string,
  status: number,
  code: string,
  retryAfterSeconds?: number,
): Promise<void> {
  return page.evaluate(
    ([route, status, code, retryAfterSeconds]) =>
      window.harness.api.answerNext(route, status, code, retryAfterSeconds === null ? {} : { retryAfterSeconds }),
    [route, status, code, retryAfterSeconds ?? null] as const,
  );
}

async function navigatedTo(page: Page): Promise<string> {
  await page.getByTestId("navigated").waitFor();
  return page.evaluate(() => window.harness.navigated.at(-1)!);
}

async function passwordStep(page: Page): Promise<void> {
  await page.getByLabel("Email", { exact: true }).fill("ada@example.com");
  await page.getByLabel("Password", { exact: true }).fill(FAKE_CODES.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** A virtual platform authenticator with user verification, as a laptop's fingerprint reader. */
async function addAuthenticator(page: Page, options: { automaticPresence?: boolean } = {}): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: options.automaticPresence ?? true,
    },
  });
  return cdp;
}

declare global {
  interface Window {
    harness: { api: FakeAPI; client: GatehouseClient; navigated: string[]; show(view: string): void };
    __qrScriptRan?: boolean;
  }
}

describe.skipIf(!chromium.available)(`second-factor and passkey components in Chromium ${chromium.reason}`, () => {
  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), "gatehouse-harness-"));
    harness = await serveHarness(outDir);
    browser = await launchTestBrowser();
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => {})));
    await browser?.close();
    await harness?.close();
    await rm(outDir, { recursive: true, force: true });
  });

  describe("sign-in challenge", () => {
    it("authenticator code: a wrong one on the field, the right one signs in", async () => {
      const page = await open({
        view: "sign-in",
        options: { secondFactor: ["totp", "backup_code"], enabled: { totp: true } },
      });
      await passwordStep(page);
      await expect.poll(() => isFocused(page.getByRole("heading", { name: "Two-step verification" }))).toBe(true);
      await page.getByText("Enter the 6-digit code from your authenticator app.").waitFor();
      const code = page.getByLabel("Code", { exact: true });
      await code.fill("12");
      await page.getByRole("button", { name: "Verify" }).click();
      await expect.poll(() => code.getAttribute("aria-invalid")).toBe("true");
      await page.getByText("Enter the 6-digit code.").waitFor();
      await code.fill("000000");
      await page.getByRole("button", { name: "Verify" }).click();
      await page.getByText("The code is wrong or has expired.").waitFor();
      await expect.poll(() => isFocused(code)).toBe(true);
      await code.fill(FAKE_CODES.totp);
      await page.getByRole("button", { name: "Verify" }).click();
      expect(await navigatedTo(page)).toBe("/");
    });

    it("backup code instead: its own field, letters allowed, single use", async () => {
      const page = await open({
        view: "sign-in",
        options: { secondFactor: ["totp", "backup_code"], enabled: { totp: true } },
      });
      await passwordStep(page);
      await page.getByRole("button", { name: "Use a backup code instead" }).click();
      const field = page.getByLabel("Backup code", { exact: true });
      await expect.poll(() => isFocused(field)).toBe(true);
      await field.fill(FAKE_CODES.backupCode);
      await page.getByRole("button", { name: "Verify" }).click();
      await navigatedTo(page);
      expect((await mfaState(page)).backupCodes).not.toContain(FAKE_CODES.backupCode);
    });

    it("SMS: texts a code on request, shows the hint, resends only after the cooldown, signs in", async () => {
      const page = await open({
        view: "sign-in",
        options: { secondFactor: ["totp", "backup_code", "sms"], enabled: { totp: true, sms: true } },
      });
      await passwordStep(page);
      await page.getByRole("button", { name: "Text me a code instead" }).click();
      await page.getByRole("button", { name: "Text me a code", exact: true }).click();
      await page.getByText("We texted a 6-digit code to +44 •••• ••• 678. It works for 5 minutes.").waitFor();
      const resend = page.getByRole("button", { name: /^Send a new code in \d+ s$/ });
      expect(await resend.isDisabled()).toBe(true);
      await page.getByLabel("Code", { exact: true }).fill(FAKE_CODES.sms);
      await page.getByRole("button", { name: "Verify" }).click();
      await navigatedTo(page);
    });

    it("SMS rate limited: says how long, and the send button waits for Retry-After", async () => {
      const page = await open({
        view: "sign-in",
        options: { secondFactor: ["sms", "backup_code"], enabled: { sms: true } },
      });
      await passwordStep(page);
      await answerNext(page, "POST /v1/sign-in/second-factor/sms", 429, "rate_limited", 2);
      await page.getByRole("button", { name: "Text me a code", exact: true }).click();
      await expect.poll(() => page.getByRole("alert").innerText()).toBe("Too many attempts. Try again in 2 seconds.");
      await page.getByRole("button", { name: /^Send a new code in [12] s$/ }).waitFor();
      // The cooldown ends on its own, and the send works again.
      await page.getByRole("button", { name: "Text me a code", exact: true }).click({ timeout: 5_000 });
      await page.getByLabel("Code", { exact: true }).waitFor();
    });

    it("a wrong-code rate limit is announced with its wait; the challenge stays", async () => {
      const page = await open({ view: "sign-in", options: { secondFactor: true, enabled: { totp: true } } });
      await passwordStep(page);
      await answerNext(page, "POST /v1/sign-in/second-factor", 429, "rate_limited", 42);
      await page.getByLabel("Code", { exact: true }).fill("111111");
      await page.getByRole("button", { name: "Verify" }).click();
      await expect.poll(() => page.getByRole("alert").innerText()).toBe("Too many attempts. Try again in 42 seconds.");
      await page.getByRole("heading", { name: "Two-step verification" }).waitFor();
    });

    it("an expired challenge goes back to the first step and says to sign in again", async () => {
      const page = await open({ view: "sign-in", options: { secondFactor: true, enabled: { totp: true } } });
      await passwordStep(page);
      await answerNext(page, "POST /v1/sign-in/second-factor", 400, "invalid_challenge");
      await page.getByLabel("Code", { exact: true }).fill(FAKE_CODES.totp);
      await page.getByRole("button", { name: "Verify" }).click();
      const alert = page.getByRole("alert");
      await expect.poll(() => alert.innerText()).toBe("That sign-in took too long or was already used. Sign in again.");
      await expect.poll(() => isFocused(alert)).toBe(true);
      expect(await page.getByLabel("Email", { exact: true }).inputValue()).toBe("ada@example.com");
    });
  });

  describe("required enrolment at sign-in", () => {
    it("authenticator: QR code as an inert image, the key, a wrong then right code, backup codes copied and downloaded, then in", async () => {
      const page = await open({ view: "sign-in", options: { enrollment: ["totp"] } });
      await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: harness.url });
      await passwordStep(page);
      await page.getByRole("heading", { name: "Set up two-step verification" }).waitFor();
      const qr = page.getByRole("img", { name: "QR code for your authenticator app" });
      await qr.waitFor();
      expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml;base64,/);
      await expect
        .poll(() => qr.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0))
        .toBe(true);
      // The SVG carries a script and an onload handler: shown as an image, neither ran.
      expect(await page.evaluate(() => window.__qrScriptRan)).toBeUndefined();
      expect(await page.getByLabel(`Setup key: ${FAKE_CODES.secret}`).innerText()).toBe("JBSW Y3DP EHPK 3PXP");
      // Started once, although StrictMode runs effects twice.
      expect(
        await page.evaluate(() => window.harness.api.log.filter((each) => each.path.endsWith("/enroll/totp")).length),
      ).toBe(1);

      await page.getByLabel("Code", { exact: true }).fill("999999");
      await page.getByRole("button", { name: "Confirm" }).click();
      await page.getByText("The code is wrong or has expired.").waitFor();
      await page.getByLabel("Code", { exact: true }).fill(FAKE_CODES.totp);
      await page.getByRole("button", { name: "Confirm" }).click();

      await expect.poll(() => isFocused(page.getByRole("heading", { name: "Save your backup codes" }))).toBe(true);
      const codes = page.getByRole("list", { name: "Backup codes" }).getByRole("listitem");
      await expect.poll(() => codes.count()).toBe(10);
      expect(await codes.first().innerText()).toBe(FAKE_CODES.backupCode);

      await page.getByRole("button", { name: "Copy" }).click();
      await page.getByRole("status").filter({ hasText: "Copied to the clipboard." }).waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toContain(FAKE_CODES.backupCode);

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Download" }).click(),
      ]);
      expect(download.suggestedFilename()).toBe("backup-codes.txt");
      const text = await readFile((await download.path())!, "utf8");
      expect(text.match(/^[\w-]{11}$/gm)).toHaveLength(10);

      // Signed in already, but the codes stay until the user says they saved them.
      expect(await page.evaluate(() => window.harness.navigated.length)).toBe(0);
      await page.getByRole("button", { name: "I saved them" }).click();
      expect(await navigatedTo(page)).toBe("/");
    });

    it("phone: the number is checked before sending and by the server, then the texted code signs in", async () => {
      const page = await open({ view: "sign-in", options: { enrollment: ["totp", "sms"] } });
      await passwordStep(page);
      await page.getByRole("button", { name: "Text message" }).click();
      const phone = page.getByLabel("Phone number");
      await phone.fill("07700 900123");
      await page.getByRole("button", { name: "Text me a code" }).click();
      await page.getByText("Enter the number with its country code, starting with +.").waitFor();
      await expect.poll(() => isFocused(phone)).toBe(true);

      await answerNext(page, "POST /v1/sign-in/second-factor/enroll/sms", 422, "invalid_phone_number");
      await phone.fill("+44 7700 900123");
      await page.getByRole("button", { name: "Text me a code" }).click();
      await expect.poll(() => phone.getAttribute("aria-invalid")).toBe("true");

      await page.getByRole("button", { name: "Text me a code" }).click();
      await page.getByText("Enter the 6-digit code we texted to +44 •••• ••• 123.", { exact: false }).waitFor();
      expect(await page.evaluate(() => window.harness.api.log.at(-1)!.body)).toMatchObject({
        phone_number: "+447700900123",
      });
      await page.getByLabel("Code", { exact: true }).fill(FAKE_CODES.sms);
      await page.getByRole("button", { name: "Confirm" }).click();
      await page.getByRole("button", { name: "I saved them" }).click();
      await navigatedTo(page);
    });

    it("an expired enrolment challenge goes back to the first step", async () => {
      const page = await open({ view: "sign-in", options: { enrollment: ["totp"] } });
      await passwordStep(page);
      await page.getByRole("img", { name: "QR code for your authenticator app" }).waitFor();
      await answerNext(page, "POST /v1/sign-in/second-factor/enroll/totp/confirm", 400, "invalid_challenge");
      await page.getByLabel("Code", { exact: true }).fill(FAKE_CODES.totp);
      await page.getByRole("button", { name: "Confirm" }).click();
      await expect
        .poll(() => page.getByRole("alert").innerText())
        .toBe("That sign-in took too long or was already used. Sign in again.");
      await expect.poll(() => isFocused(page.getByRole("alert"))).toBe(true);
      await page.getByLabel("Password", { exact: true }).waitFor();
    });
  });

  describe("second-factor settings", () => {
    it("sets up the authenticator, shows the backup codes once, and counts them", async () => {
      const page = await open({ view: "second-factor-settings", signedIn: true });
      const totp = page.locator('[data-factor="totp"]');
      await totp.getByText("Off", { exact: true }).waitFor();
      expect(await page.locator('[data-factor="backup_code"]').count()).toBe(0);
      await page.getByRole("button", { name: "Set up an authenticator app" }).click();
      await page.getByRole("img", { name: "QR code for your authenticator app" }).waitFor();
      expect(await page.evaluate(() => window.__qrScriptRan)).toBeUndefined();
      await page.getByLabel("Code", { exact: true }).fill("000000");
      await page.getByRole("button", { name: "Confirm" }).click();
      await page.getByText("The code is wrong or has expired.").waitFor();
      await page.getByLabel("Code", { exact: true }).fill(FAKE_CODES.totp);
      await page.getByRole("button", { name: "Confirm" }).click();
      const notice = page.getByRole("status").filter({ hasText: "Your authenticator app is set up." });
      await notice.waitFor();
      await expect.poll(() => isFocused(notice)).toBe(true);
      await expect.poll(() => page.getByRole("list", { name: "Backup codes" }).getByRole("listitem").count()).toBe(10);
      await totp.getByText("On", { exact: true }).waitFor();
      await page.getByText("10 of 10 codes left").waitFor();
      await page.getByRole("button", { name: "I saved them" }).click();
      expect(await page.getByRole("list", { name: "Backup codes" }).count()).toBe(0);
      expect((await mfaState(page)).totp).toBe("on");
    });

    it("turning off and new backup codes ask for the password when the server wants it; a wrong one is said on the field", async () => {
      const page = await open({
        view: "second-factor-settings",
        signedIn: true,
        options: { staleSession: true, enabled: { totp: true } },
      });
      await page.getByRole("button", { name: "Make new backup codes" }).click();
      const password = page.getByLabel("Current password", { exact: true });
      await expect.poll(() => isFocused(password)).toBe(true);
      await page.getByText("Enter your current password to make this change.").waitFor();
      await password.fill("wrong");
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByText("That password is not right.").waitFor();
      await expect.poll(() => password.getAttribute("aria-invalid")).toBe("true");
      await password.fill(FAKE_CODES.password);
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByText("New backup codes are ready. The old ones no longer work.").waitFor();
      await expect.poll(() => page.getByRole("list", { name: "Backup codes" }).getByRole("listitem").count()).toBe(10);
      expect(await page.getByLabel("Current password", { exact: true }).count()).toBe(0);
      await page.getByRole("button", { name: "I saved them" }).click();

      await page.getByRole("button", { name: "Turn off the authenticator app" }).click();
      await page.getByLabel("Current password", { exact: true }).fill(FAKE_CODES.password);
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByText("The authenticator app is turned off.").waitFor();
      expect(await mfaState(page)).toMatchObject({ totp: "off", backupCodes: [] });
      await page.getByRole("button", { name: "Set up an authenticator app" }).waitFor();
    });

    it("adds a phone as a second factor (no new backup codes) and turns it off", async () => {
      const page = await open({ view: "second-factor-settings", signedIn: true, options: { enabled: { totp: true } } });
      await page.getByRole("button", { name: "Add a phone number" }).click();
      await page.getByLabel("Phone number").fill("+1 (555) 123-4567");
      await page.getByRole("button", { name: "Text me a code" }).click();
      await page.getByText("Enter the 6-digit code we texted to +15 •••• ••• 567.", { exact: false }).waitFor();
      await page.getByLabel("Code", { exact: true }).fill(FAKE_CODES.sms);
      await page.getByRole("button", { name: "Confirm" }).click();
      await page.getByText("Text message codes are on.").waitFor();
      await page.getByText("Codes go to +15 •••• ••• 567").waitFor();
      // A further factor keeps the existing codes: nothing new to show.
      expect(await page.getByRole("list", { name: "Backup codes" }).count()).toBe(0);
      await page.getByRole("button", { name: "Turn off text message codes" }).click();
      await page.getByText("Text message codes are turned off.").waitFor();
      expect((await mfaState(page)).sms).toBe("off");
    });

    it("hides SMS on a server without it", async () => {
      const page = await open({ view: "second-factor-settings", signedIn: true, options: { smsSupported: false } });
      await page.getByRole("button", { name: "Set up an authenticator app" }).waitFor();
      expect(await page.getByRole("button", { name: "Add a phone number" }).count()).toBe(0);
    });

    it("still lets a number set up earlier be turned off when the server no longer texts", async () => {
      const page = await open({
        view: "second-factor-settings",
        signedIn: true,
        options: { smsSupported: false, enabled: { sms: true } },
      });
      await page.getByRole("button", { name: "Turn off text message codes" }).waitFor();
    });
  });

  describe("passkeys", () => {
    it("adds one after re-authentication, renames it in place, signs in with it, deletes it after confirming", async () => {
      const page = await open({
        view: "passkeys",
        signedIn: true,
        options: { staleSession: true, secondFactor: true },
      });
      await addAuthenticator(page);
      await page.getByText("No passkeys yet.").waitFor();
      await page.getByRole("button", { name: "Add a passkey" }).click();
      await page.getByLabel("Passkey name").fill("Laptop");
      await page.getByRole("button", { name: "Add a passkey" }).click();
      await page.getByLabel("Current password", { exact: true }).fill(FAKE_CODES.password);
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("status").filter({ hasText: "Your passkey “Laptop” was added." }).waitFor();
      const item = page.getByRole("list", { name: "Passkeys" }).getByRole("listitem");
      await expect.poll(() => item.innerText()).toContain("Laptop");
      expect(await item.innerText()).toContain("Never used");
      const [registered] = (await mfaState(page)).passkeys;
      expect(registered).toMatchObject({ name: "Laptop" });

      await page.getByRole("button", { name: "Rename the passkey Laptop" }).click();
      const name = page.getByRole("list", { name: "Passkeys" }).getByLabel("Passkey name");
      await expect.poll(() => isFocused(name)).toBe(true);
      await name.fill("Work laptop");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByRole("status").filter({ hasText: "The passkey was renamed to “Work laptop”." }).waitFor();

      // Sign in with it: Chromium's own WebAuthn assertion, from the resident credential.
      await page.evaluate(() => window.harness.client.signOut());
      await page.evaluate(() => window.harness.show("sign-in"));
      await page.getByRole("button", { name: "Sign in with a passkey" }).click();
      await navigatedTo(page);
      // A passkey is two factors at once: the password's challenge was never asked.
      expect(
        await page.evaluate(() => window.harness.api.log.some((each) => each.path === "/v1/sign-in/second-factor")),
      ).toBe(false);

      await page.evaluate(() => window.harness.show("passkeys"));
      await page.getByRole("button", { name: "Delete the passkey Work laptop" }).click();
      await page.getByText("Delete “Work laptop”? It will no longer sign you in.").waitFor();
      await expect.poll(() => isFocused(page.getByRole("button", { name: "Delete passkey" }))).toBe(true);
      await page.getByRole("button", { name: "Delete passkey" }).click();
      await page.getByRole("status").filter({ hasText: "The passkey “Work laptop” was deleted." }).waitFor();
      await page.getByText("No passkeys yet.").waitFor();
    });

    it("a cancelled prompt is said calmly, not as an error, at sign-in and when adding", async () => {
      // The authenticator never gets the user's touch: the browser gives up after the options'
      // timeout and reports it as it reports a dismissed prompt (NotAllowedError).
      const page = await open({ view: "sign-in", options: { passkeyTimeoutMs: 1_000 } });
      await addAuthenticator(page, { automaticPresence: false });
      await page.getByRole("button", { name: "Sign in with a passkey" }).click();
      const calm = page
        .getByRole("status")
        .filter({ hasText: "The passkey prompt was closed. Try again when you are ready." });
      await calm.waitFor({ timeout: 15_000 });
      // Announced as a status, not an alert: there is no alert in the card at all.
      expect(await page.getByRole("alert").count()).toBe(0);
      expect(
        await page.evaluate(() => window.harness.api.log.some((each) => each.path === "/v1/sign-in/passkey")),
      ).toBe(false);

      const settings = await open({ view: "passkeys", signedIn: true, options: { passkeyTimeoutMs: 1_000 } });
      await addAuthenticator(settings, { automaticPresence: false });
      await settings.getByRole("button", { name: "Add a passkey" }).click();
      await settings.getByRole("button", { name: "Add a passkey" }).click();
      await settings
        .getByRole("status")
        .filter({ hasText: "The passkey prompt was closed. Try again when you are ready." })
        .waitFor({ timeout: 15_000 });
      expect(await settings.getByRole("alert").count()).toBe(0);
      expect((await mfaState(settings)).passkeys).toEqual([]);
    });

    it("does not appear on a server without passkeys", async () => {
      const page = await open({ view: "profile", signedIn: true, options: { passkeysSupported: false } });
      await page.getByRole("heading", { name: "Two-step verification" }).waitFor();
      await page.getByRole("heading", { name: "Active sessions" }).waitFor();
      await expect
        .poll(() => page.evaluate(() => window.harness.api.log.some((each) => each.path === "/v1/passkeys")))
        .toBe(true);
      expect(await page.getByRole("heading", { name: "Passkeys" }).count()).toBe(0);
    });
  });

  it("ran without a page error", () => {
    expect(pageErrors).toEqual([]);
  });
});
