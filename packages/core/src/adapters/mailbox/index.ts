/**
 * Development mailbox (`@gatehouse/core/adapters/mailbox`): an email transport that keeps each
 * message as a JSON file in a directory (by default `<data dir>/mailbox`) instead of sending it,
 * for running Gatehouse without an SMTP server. The standalone server lists it at `/dev/mailbox`
 * outside production and prints each message's links to the console. Its `sms` provider puts
 * text messages in the same place, addressed to the phone number, so a developer can read the
 * codes without an SMS gateway.
 *
 * The files hold live links and codes, so the directory and files are readable by their owner
 * only, and only the newest messages are kept.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { EmailMessage, EmailTransport } from "../../email/transport.js";
import type { EmailTemplateName } from "../../email/templates.js";
import type { SMSMessage, SMSProvider } from "../../mfa/sms-provider.js";

export type { EmailMessage, EmailTransport } from "../../email/transport.js";
export type { SMSMessage, SMSProvider } from "../../mfa/sms-provider.js";

/** A message as the mailbox keeps it: an email, or a text message (`template: "sms"`). */
export interface StoredEmail extends Omit<EmailMessage, "template"> {
  /** The email's template, or `sms` for a text message (then `to` is the E.164 number). */
  template: EmailTemplateName | "sms";
  /** File name without `.json`; sorts by time. */
  id: string;
  /** ISO 8601. */
  sentAt: string;
  /** The http(s) links of the plain-text body, in order. */
  links: string[];
}

/** Options of {@link createFileMailbox}. */
export interface FileMailboxOptions {
  /** Directory of the message files; created (owner-only) if missing. */
  directory: string;
  /** Called after each message is stored, e.g. to print its links. Must not throw. */
  onMessage?: (message: StoredEmail) => void;
  /**
   * Most messages kept; older files are deleted.
   * @default 200
   */
  limit?: number;
}

/** The mailbox: a transport that can also list what it received. */
export interface FileMailbox extends EmailTransport {
  readonly directory: string;
  /** Every kept message, newest first. */
  list(): Promise<StoredEmail[]>;
  /** One message by id, or null (also for ids that are not of the mailbox's form). */
  get(id: string): Promise<StoredEmail | null>;
  /** Deletes every message. */
  clear(): Promise<void>;
  /**
   * An SMS provider that keeps text messages here too, addressed to the phone number: pass it
   * as the engine's `sms` option in development.
   */
  readonly sms: SMSProvider;
}

const ID_FORMAT = /^\d{15}-[0-9a-f]{8}$/;

/**
 * Creates a file-backed development mailbox.
 *
 * @example
 * ```ts
 * import { createFileMailbox } from "@gatehouse/core/adapters/mailbox";
 *
 * const transport = createFileMailbox({
 *   directory: ".gatehouse/mailbox",
 *   onMessage: (message) => console.log(message.subject, message.links),
 * });
 * ```
 */
export function createFileMailbox(options: FileMailboxOptions): FileMailbox {
  const { directory } = options;
  const limit = options.limit ?? 200;
  let sequence = 0;

  async function ids(): Promise<string[]> {
    const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [] as string[];
      throw error;
    });
    return names
      .filter((name) => name.endsWith(".json") && ID_FORMAT.test(name.slice(0, -5)))
      .map((name) => name.slice(0, -5))
      .sort()
      .reverse();
  }

  async function read(id: string): Promise<StoredEmail | null> {
    try {
      return JSON.parse(await readFile(join(directory, `${id}.json`), "utf8")) as StoredEmail;
    } catch {
      return null;
    }
  }

  async function keep(message: Omit<StoredEmail, "id" | "sentAt" | "links">): Promise<void> {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const now = Date.now();
    // Milliseconds then a per-process counter, so ids sort in sending order within a millisecond.
    const id = `${String(now * 100 + (sequence++ % 100)).padStart(15, "0")}-${randomBytes(4).toString("hex")}`;
    const stored: StoredEmail = {
      id,
      sentAt: new Date(now).toISOString(),
      links: [...message.text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((match) => match[0]),
      ...message,
    };
    await writeFile(join(directory, `${id}.json`), `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    const kept = await ids();
    await Promise.all(kept.slice(limit).map((old) => rm(join(directory, `${old}.json`), { force: true })));
    options.onMessage?.(stored);
  }

  return {
    kind: "mailbox",
    directory,

    send: keep,

    sms: {
      async send(message: SMSMessage) {
        const html = `<pre>${message.body.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}</pre>`;
        await keep({ to: message.to, from: "SMS", subject: "Text message", text: message.body, html, template: "sms" });
      },
    },

    async list() {
      const messages = await Promise.all((await ids()).map(read));
      return messages.filter((message): message is StoredEmail => message !== null);
    },

    async get(id) {
      // Checked before touching the file system: the id comes from a URL.
      return ID_FORMAT.test(id) ? read(id) : null;
    },

    async clear() {
      await Promise.all((await ids()).map((id) => rm(join(directory, `${id}.json`), { force: true })));
    },
  };
}
