/**
 * Every email flow end to end as users meet it: the real server on a real port (SQLite), real
 * HTTP requests, and mail delivered over SMTP to a real SMTP server, parsed with mailparser;
 * the links and codes in the delivered messages are followed.
 */
import { request as httpRequest } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startTestSMTPServer,
  type ReceivedEmail,
  type TestSMTPServer,
} from "../../core/src/test-support/smtp-server.js";
import { loadServerConfig } from "./config.js";
import { startServer, type RunningServer } from "./server.js";
import { postJSON, sessionCookie, strongPassword, uniqueEmail } from "./test-support/cli-process.js";

let dataDir: string;
let smtp: TestSMTPServer;
let server: RunningServer;
let base: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "gatehouse-email-e2e-"));
  smtp = await startTestSMTPServer();
  server = await startServer(
    {
      ...loadServerConfig({
        GATEHOUSE_DATA_DIR: dataDir,
        HOST: "127.0.0.1",
        GATEHOUSE_URL: "https://auth.example.com",
        SMTP_URL: smtp.url,
        GATEHOUSE_EMAIL_FROM: "Acme Accounts <no-reply@acme.example>",
        GATEHOUSE_APP_NAME: "Acme",
        GATEHOUSE_LOG_LEVEL: "silent",
      }),
      port: 0,
    },
    { output: { write: () => {} } },
  );
  base = `http://127.0.0.1:${server.address.port}`;
});

afterAll(async () => {
  await server?.close();
  await smtp?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * Requests from the public origin, as a browser on https://auth.example.com would send them
 * (the server itself listens on plain HTTP behind that URL).
 */
const browser = { origin: "https://auth.example.com" };

/** Waits for the next message to `to` whose subject matches, delivered over SMTP. */
async function mailTo(to: string, subject: RegExp): Promise<ReceivedEmail> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await server.engine.email.flush();
    const found = smtp.received.filter((message) => message.envelopeTo.includes(to) && subject.test(message.subject));
    if (found.length > 0) return found.at(-1)!;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${subject}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function linkIn(message: ReceivedEmail, path: string): URL {
  const link = message.text.match(/https?:\/\/\S+/g)?.find((each) => new URL(each).pathname === path);
  if (!link) throw new Error(`no ${path} link in: ${message.text}`);
  return new URL(link);
}

function codeIn(message: ReceivedEmail): string {
  return /(?:^|\s)(\d{6})(?:\s|$)/m.exec(message.text)![1]!;
}

/** The server-relative form of a public link, to follow it on the test port. */
const local = (link: URL): string => `${base}${link.pathname}${link.search}`;

async function signUp(name?: string): Promise<{ email: string; password: string; cookie: string }> {
  const email = uniqueEmail();
  const password = strongPassword();
  const response = await postJSON(`${base}/v1/sign-up`, { email, password, ...(name ? { name } : {}) }, browser);
  expect(response.status).toBe(201);
  return { email, password, cookie: sessionCookie(response) };
}

/** Every message is addressed to exactly one recipient, in the header and the envelope. */
function expectOneRecipient(message: ReceivedEmail, to: string): void {
  expect(message.envelopeTo).toEqual([to]);
  expect(message.to).toEqual([to]);
  expect(message.parsed.cc).toBeUndefined();
  expect(message.parsed.bcc).toBeUndefined();
  expect(message.envelopeFrom).toBe("no-reply@acme.example");
}

describe("email over SMTP, end to end", () => {
  it("verifies the address with the emailed link, through the page it opens", async () => {
    const { email, cookie } = await signUp("Ada <b>Lovelace</b>");
    const message = await mailTo(email, /Verify your email address for Acme/);
    expectOneRecipient(message, email);
    expect(message.html).toContain("Ada &lt;b&gt;Lovelace&lt;/b&gt;");
    const link = linkIn(message, "/verify-email");
    expect(link.origin).toBe("https://auth.example.com");

    const page = await fetch(local(link));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    // What the page's script does with the token:
    const confirmed = await postJSON(
      `${base}/v1/email-verification/confirm`,
      { token: link.searchParams.get("token") },
      browser,
    );
    expect(confirmed.status).toBe(200);
    const session = await fetch(`${base}/v1/session`, { headers: { cookie } });
    expect(((await session.json()) as { user: { email_verified: boolean } }).user.email_verified).toBe(true);
  });

  it("resets the password with the emailed link, ends every session and emails a notice", async () => {
    const { email, password, cookie } = await signUp();
    const requested = await postJSON(`${base}/v1/password-reset`, { email: email.toUpperCase() }, browser);
    expect(requested.status).toBe(202);
    const message = await mailTo(email, /Reset your Acme password/);
    expectOneRecipient(message, email);
    const link = linkIn(message, "/reset-password");
    expect((await fetch(local(link))).status).toBe(200);

    const newPassword = strongPassword();
    const reset = await postJSON(
      `${base}/v1/password-reset/confirm`,
      { token: link.searchParams.get("token"), password: newPassword },
      browser,
    );
    expect(reset.status).toBe(204);
    expect((await fetch(`${base}/v1/session`, { headers: { cookie } })).status).toBe(401);
    expect((await postJSON(`${base}/v1/sign-in/password`, { email, password }, browser)).status).toBe(401);
    expect((await postJSON(`${base}/v1/sign-in/password`, { email, password: newPassword }, browser)).status).toBe(200);
    const notice = await mailTo(email, /password was changed/);
    expectOneRecipient(notice, email);

    const reused = await postJSON(
      `${base}/v1/password-reset/confirm`,
      { token: link.searchParams.get("token"), password: strongPassword() },
      browser,
    );
    expect(reused.status).toBe(400);
  });

  it("signs in with the emailed magic link and lands on the redirect_url", async () => {
    const { email } = await signUp();
    const requested = await postJSON(
      `${base}/v1/sign-in/magic-link`,
      { email, redirect_url: "/welcome?from=email" },
      browser,
    );
    expect(requested.status).toBe(202);
    const message = await mailTo(email, /sign-in link/);
    expectOneRecipient(message, email);
    const link = linkIn(message, "/v1/sign-in/magic-link/verify");
    expect(link.origin).toBe("https://auth.example.com");

    const landing = await fetch(local(link), { redirect: "manual" });
    expect(landing.status).toBe(303);
    expect(landing.headers.get("location")).toBe("https://auth.example.com/welcome?from=email");
    const session = await fetch(`${base}/v1/session`, { headers: { cookie: sessionCookie(landing) } });
    expect(session.status).toBe(200);
    expect((await fetch(local(link), { redirect: "manual" })).status).toBe(400);
  });

  it("signs in with the emailed code", async () => {
    const { email } = await signUp();
    expect((await postJSON(`${base}/v1/sign-in/email-code`, { email }, browser)).status).toBe(202);
    const message = await mailTo(email, /sign-in code/);
    expectOneRecipient(message, email);
    const code = codeIn(message);
    expect(message.subject).not.toContain(code);
    const response = await postJSON(
      `${base}/v1/sign-in/email-code/verify`,
      { email, code },
      { "auth-transport": "bearer" },
    );
    expect(response.status).toBe(200);
    const { access_token: token } = (await response.json()) as { access_token: string };
    expect((await fetch(`${base}/v1/session`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it("changes the address: the new one verifies, the old one is told", async () => {
    const { email, password, cookie } = await signUp();
    const newEmail = uniqueEmail();
    const requested = await postJSON(
      `${base}/v1/account/email`,
      { email: newEmail, current_password: password },
      { ...browser, cookie },
    );
    expect(requested.status).toBe(202);
    const verification = await mailTo(newEmail, /Verify your email address/);
    expectOneRecipient(verification, newEmail);
    const code = codeIn(verification);
    const confirmed = await postJSON(`${base}/v1/email-verification/confirm`, { code }, { ...browser, cookie });
    expect(confirmed.status).toBe(200);
    const notice = await mailTo(email, /email address of your Acme account was changed/);
    expectOneRecipient(notice, email);
    expect(notice.text).toContain(newEmail);
  });

  it("changes the password and emails a notice; a sign-in from a new device emails one too", async () => {
    const { email, password, cookie } = await signUp();
    const newPassword = strongPassword();
    const changed = await postJSON(
      `${base}/v1/account/password`,
      { current_password: password, password: newPassword },
      { ...browser, cookie },
    );
    expect(changed.status).toBe(204);
    expectOneRecipient(await mailTo(email, /password was changed/), email);

    const fromNewDevice = await postJSON(
      `${base}/v1/sign-in/password`,
      { email, password: newPassword },
      { ...browser, "user-agent": "Mozilla/5.0 (New Laptop)" },
    );
    expect(fromNewDevice.status).toBe(200);
    const notice = await mailTo(email, /New sign-in/);
    expectOneRecipient(notice, email);
    expect(notice.text).toContain("Mozilla/5.0 (New Laptop)");
  });

  it("builds links from GATEHOUSE_URL when Host and X-Forwarded-Host lie", async () => {
    const { email } = await signUp();
    const body = JSON.stringify({ email });
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        {
          host: "127.0.0.1",
          port: server.address.port,
          method: "POST",
          path: "/v1/sign-in/magic-link",
          headers: {
            host: "evil.example",
            "x-forwarded-host": "evil.example",
            "x-forwarded-proto": "http",
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on("error", reject);
      request.end(body);
    });
    expect(status).toBe(202);
    const message = await mailTo(email, /sign-in link/);
    expect(linkIn(message, "/v1/sign-in/magic-link/verify").origin).toBe("https://auth.example.com");
    expect(message.text + message.html).not.toContain("evil.example");
  });

  it("answers an unknown address like a known one and delivers nothing to it", async () => {
    const { email } = await signUp();
    const unknown = uniqueEmail();
    const known = await postJSON(`${base}/v1/password-reset`, { email }, browser);
    const other = await postJSON(`${base}/v1/password-reset`, { email: unknown }, browser);
    expect([other.status, await other.text()]).toEqual([known.status, await known.text()]);
    await mailTo(email, /Reset your Acme password/);
    expect(smtp.received.filter((message) => message.envelopeTo.includes(unknown))).toEqual([]);
  });

  it("stores no emailed token anywhere in the database, only hashes", async () => {
    const tokens = smtp.received.flatMap((message) =>
      [...message.text.matchAll(/token=([\w-]{43})/g)].map((match) => match[1]!),
    );
    expect(tokens.length).toBeGreaterThanOrEqual(5);
    const database = new SQLite(join(dataDir, "gatehouse.db"), { readonly: true });
    try {
      const tables = database.prepare("select name from sqlite_master where type = 'table'").pluck().all() as string[];
      expect(tables).toContain("email_tokens");
      const dump = JSON.stringify(tables.map((table) => database.prepare(`select * from "${table}"`).all()));
      // The rows were read: the tokens' records are there, by purpose.
      expect(dump).toContain('"purpose":"magic_link"');
      expect(dump).toContain('"purpose":"password_reset"');
      for (const token of tokens) expect(dump).not.toContain(token);
      const hashes = database
        .prepare("select secret_hash from email_tokens where secret_hash is not null")
        .pluck()
        .all();
      expect(hashes.length).toBeGreaterThanOrEqual(tokens.length);
    } finally {
      database.close();
    }
  });
});
