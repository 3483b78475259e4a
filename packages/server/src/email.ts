/**
 * The server's side of email and text messages: choosing the transport (SMTP when `SMTP_URL` is
 * set, otherwise the development mailbox in the data directory) and the SMS provider
 * (`GATEHOUSE_SMS_PROVIDER`: Twilio, or the same mailbox), reading template overrides from the
 * data directory, and serving the mailbox at `/dev/mailbox` outside production.
 *
 * Template overrides are files in `<data dir>/templates/`: `<template>.subject`,
 * `<template>.txt` and `<template>.html`, each replacing that part of the built-in template.
 * They are read once at start; a file the server does not know stops the start, so a typo in a
 * name is never silently ignored.
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Env, Hono } from "hono";
import type { Logger } from "pino";
import {
  EMAIL_TEMPLATE_NAMES,
  type EmailTemplate,
  type EmailTemplateName,
  type EmailTemplateOverrides,
  type EmailTransport,
  type SMSProvider,
  createTwilioSMSProvider,
} from "@gatehouse/core";
import { createFileMailbox, type FileMailbox, type StoredEmail } from "@gatehouse/core/adapters/mailbox";
import { createSMTPTransport } from "@gatehouse/core/adapters/smtp";
import { NotFoundError, toProblemResponse } from "@gatehouse/core/errors";
import { ServerConfigError, type ServerConfig } from "./config.js";

/** File extension of each template part. */
const PART_FILES: Record<string, keyof EmailTemplate> = { subject: "subject", txt: "text", html: "html" };

/** Where template overrides live in the data directory. */
export function templatesDirectory(dataDir: string): string {
  return join(dataDir, "templates");
}

/**
 * Reads the template overrides in `<dataDir>/templates/`. A missing directory means none.
 *
 * @throws ServerConfigError naming a file that is not `<template>.subject|txt|html`.
 * @example
 * ```ts
 * const templates = await loadTemplateOverrides("/var/lib/gatehouse");
 * ```
 */
export async function loadTemplateOverrides(dataDir: string): Promise<EmailTemplateOverrides> {
  const directory = templatesDirectory(dataDir);
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  const overrides: EmailTemplateOverrides = {};
  for (const name of names.sort()) {
    if (name.startsWith(".")) continue;
    const match = /^([a-z-]+)\.(subject|txt|html)$/.exec(name);
    const template = match?.[1] as EmailTemplateName | undefined;
    if (!match || !template || !EMAIL_TEMPLATE_NAMES.includes(template)) {
      throw new ServerConfigError(
        `${join(directory, name)} is not a template file. Name them <template>.subject, <template>.txt or <template>.html; templates: ${EMAIL_TEMPLATE_NAMES.join(", ")}.`,
      );
    }
    const part = PART_FILES[match[2]!]!;
    const content = await readFile(join(directory, name), "utf8");
    (overrides[template] ??= {})[part] = part === "subject" ? content.trim() : content;
  }
  return overrides;
}

/** The transport the server uses, and the mailbox when that is what it is. */
export interface ServerEmailTransport {
  transport: EmailTransport;
  mailbox: FileMailbox | null;
}

/**
 * SMTP when configured (checked in the background at start: a mail server that is down must not
 * keep authentication from starting), else the development mailbox, whose messages' links are
 * printed outside production so a developer can follow them.
 */
export function createServerEmailTransport(
  config: ServerConfig,
  logger: Logger,
  output: { write(line: string): void },
): ServerEmailTransport {
  if (config.smtpURL !== null) {
    const transport = createSMTPTransport({ url: config.smtpURL });
    transport.verify().then(
      () => logger.info({}, "SMTP server reachable"),
      // Not the error object: its message may quote the server's address, which carries the password.
      (error: { code?: unknown; responseCode?: unknown }) =>
        logger.warn(
          { errno: typeof error.code === "string" ? error.code : null, responseCode: error.responseCode ?? null },
          "SMTP server not usable at start; email delivery will be retried",
        ),
    );
    return { transport, mailbox: null };
  }
  const directory = mailboxDirectory(config);
  if (config.production) {
    logger.warn(
      { directory },
      "SMTP_URL is not set: email goes to the development mailbox and reaches nobody; set SMTP_URL",
    );
  } else {
    logger.info({ directory }, "SMTP_URL is not set: email goes to the development mailbox at /dev/mailbox");
  }
  const mailbox = devMailbox(config, output);
  return { transport: mailbox, mailbox };
}

function mailboxDirectory(config: ServerConfig): string {
  return join(config.dataDir, "mailbox");
}

/** The development mailbox in the data directory; outside production it points the developer at each message. */
function devMailbox(config: ServerConfig, output: { write(line: string): void }): FileMailbox {
  return createFileMailbox({
    directory: mailboxDirectory(config),
    onMessage: config.production
      ? undefined
      : (message) => {
          // Printed for the developer, not logged: links are credentials, and log pipelines keep
          // what they receive.
          const where = message.links.length > 0 ? message.links.join(" ") : `${config.url}/dev/mailbox`;
          output.write(`[dev mailbox] ${message.template} to ${message.to}: ${where}\n`);
        },
  });
}

/** The SMS provider the server uses (null: SMS codes are off), and the mailbox when texts go there. */
export interface ServerSMSProvider {
  provider: SMSProvider | null;
  mailbox: FileMailbox | null;
}

/**
 * The provider `GATEHOUSE_SMS_PROVIDER` chose: Twilio, or the development mailbox (the email
 * one when mail goes there too). The configuration already refused the mailbox in production.
 */
export function createServerSMSProvider(
  config: ServerConfig,
  email: ServerEmailTransport,
  logger: Logger,
  output: { write(line: string): void },
): ServerSMSProvider {
  if (config.sms === null) {
    logger.info({}, "text-message codes are off: set GATEHOUSE_SMS_PROVIDER to offer them");
    return { provider: null, mailbox: null };
  }
  if (config.sms.provider === "twilio") {
    // The sender and endpoint only: the auth token never reaches a log line.
    logger.info({ from: config.sms.from, apiURL: config.sms.apiURL }, "text-message codes are sent through Twilio");
    const { accountSID, authToken, from, apiURL } = config.sms;
    return { provider: createTwilioSMSProvider({ accountSID, authToken, from, apiURL }), mailbox: null };
  }
  logger.info(
    { directory: mailboxDirectory(config) },
    "text-message codes go to the development mailbox at /dev/mailbox",
  );
  const mailbox = email.mailbox ?? devMailbox(config, output);
  return { provider: mailbox.sms, mailbox };
}

function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function mailboxJSON(message: StoredEmail): Record<string, unknown> {
  return {
    id: message.id,
    sent_at: message.sentAt,
    template: message.template,
    to: message.to,
    from: message.from,
    subject: message.subject,
    links: message.links,
    text: message.text,
  };
}

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/**
 * Serves the development mailbox: `GET /dev/mailbox` (HTML), `GET /dev/mailbox.json` and
 * `GET /dev/mailbox/<id>` (the message's HTML, sandboxed: no scripts, no requests). Only ever
 * registered outside production.
 */
export function serveDevMailbox<E extends Env>(app: Hono<E>, mailbox: FileMailbox): void {
  app.get("/dev/mailbox.json", async (c) => {
    c.header("Cache-Control", "no-store");
    return c.json({ data: (await mailbox.list()).map(mailboxJSON) });
  });

  app.get("/dev/mailbox", async () => {
    const rows = (await mailbox.list())
      .map(
        (message) => `<tr><td>${escapeHTML(message.sentAt)}</td><td>${escapeHTML(message.to)}</td>
<td><a href="/dev/mailbox/${message.id}">${escapeHTML(message.subject)}</a></td>
<td>${message.links.map((link) => `<a href="${escapeHTML(link)}">${escapeHTML(link)}</a>`).join("<br>")}</td></tr>`,
      )
      .join("\n");
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Development mailbox</title></head>
<body><h1>Development mailbox</h1><p>Email and text messages Gatehouse would have sent (to the address, or to the phone number). Newest first; not served in production.</p>
<table border="1" cellpadding="6"><thead><tr><th>Sent</th><th>To</th><th>Subject</th><th>Links</th></tr></thead><tbody>
${rows || '<tr><td colspan="4">No messages yet.</td></tr>'}
</tbody></table></body></html>`;
    return new Response(html, {
      headers: { ...PAGE_HEADERS, "content-security-policy": "default-src 'none'; frame-ancestors 'none'" },
    });
  });

  app.get("/dev/mailbox/:id", async (c) => {
    const message = await mailbox.get(c.req.param("id"));
    if (!message) return toProblemResponse(new NotFoundError("No such message."));
    // The message's own HTML, as a mail client would show it: sandboxed, so an override
    // template with a script cannot run in this origin.
    return new Response(message.html, {
      headers: {
        ...PAGE_HEADERS,
        "content-security-policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
      },
    });
  });
}
