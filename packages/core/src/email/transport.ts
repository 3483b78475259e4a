/**
 * The delivery port: how a rendered message leaves Gatehouse. Core holds only the interface;
 * the SMTP transport (`@gatehouse/core/adapters/smtp`), the file-backed development mailbox
 * (`@gatehouse/core/adapters/mailbox`) and the in-memory one (`@gatehouse/core/adapters/memory`)
 * implement it where Node APIs are allowed.
 */
import { ConfigurationError } from "../errors/index.js";
import type { Logger } from "../lib/logger.js";
import type { EmailTemplateName } from "./templates.js";

/** One message to exactly one recipient. */
export interface EmailMessage {
  /** One plain address (no display name, no list): the account's stored address. */
  to: string;
  /** The sender, `Name <address>` or `address` (`GATEHOUSE_EMAIL_FROM`). */
  from: string;
  subject: string;
  text: string;
  html: string;
  /** The template the message was rendered from; for logs and the development mailbox. */
  template: EmailTemplateName;
}

/**
 * Delivers messages. `send` rejects on failure; the engine's outbox retries with backoff, so a
 * transport never retries on its own.
 */
export interface EmailTransport {
  /** Short name for logs: `smtp`, `mailbox`, `memory`. */
  readonly kind: string;
  send(message: EmailMessage): Promise<void>;
  /** Releases connections; called once when the engine closes. */
  close?(): Promise<void>;
}

// Deliberately narrower than RFC 5322: no quoted local parts, comments, groups or lists, so a
// value that passes can only ever name one mailbox, whatever parser reads it next.
const PLAIN_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/u;

/**
 * Whether `value` is one plain address that no mail library can read as several recipients or
 * as extra headers: no whitespace or control characters, no display name, list or comment.
 *
 * @example
 * isSinglePlainAddress("ada@example.com") // true
 * isSinglePlainAddress("ada@example.com, eve@example.com") // false
 */
export function isSinglePlainAddress(value: string): boolean {
  return value.length <= 254 && !/\p{Cc}/u.test(value) && PLAIN_ADDRESS.test(value);
}

/** A parsed sender. */
export interface EmailSender {
  /** Display name, or null. */
  name: string | null;
  address: string;
}

/**
 * Parses a sender (`GATEHOUSE_EMAIL_FROM`): `Name <address>` or a plain address.
 *
 * @throws ConfigurationError when it is not exactly one of those.
 * @example
 * parseEmailSender("Acme <no-reply@acme.example>") // { name: "Acme", address: "no-reply@acme.example" }
 */
export function parseEmailSender(value: string): EmailSender {
  const trimmed = value.trim();
  const named = /^([^<>]*?)\s*<([^<>]+)>$/u.exec(trimmed);
  const name = named ? named[1]!.replace(/^"(.*)"$/u, "$1").trim() : null;
  const address = named ? named[2]!.trim() : trimmed;
  if (!isSinglePlainAddress(address) || (name !== null && (/\p{Cc}/u.test(name) || /["\\]/u.test(name)))) {
    throw new ConfigurationError(
      `The email sender (GATEHOUSE_EMAIL_FROM) must be "Name <address>" or an address, got "${value}".`,
    );
  }
  return { name: name || null, address };
}

/** Formats a sender back into a header value. */
export function formatEmailSender(sender: EmailSender): string {
  return sender.name ? `"${sender.name}" <${sender.address}>` : sender.address;
}

/**
 * The transport used when none is configured: it drops every message with a warning (template
 * and nothing else), so an embedded engine without mail still answers every request the same.
 */
export function createDroppingTransport(logger: Logger): EmailTransport {
  return {
    kind: "none",
    async send(message) {
      logger.warn({ template: message.template }, "email dropped: no email transport is configured");
    },
  };
}
