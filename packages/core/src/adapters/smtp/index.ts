/**
 * SMTP transport (`@gatehouse/core/adapters/smtp`): delivers the engine's messages through an
 * SMTP server with nodemailer, from a connection URL (`SMTP_URL`).
 *
 * Each message has exactly one recipient, set both as the `To` header and as the SMTP envelope
 * (`RCPT TO`), so no header content can add a recipient; nodemailer is also told never to read
 * files or fetch URLs a message might name. Failures reject and the engine's outbox retries, so
 * this transport never retries on its own.
 */
import nodemailer from "nodemailer";
import { isSinglePlainAddress, parseEmailSender } from "../../email/transport.js";
import type { EmailMessage, EmailTransport } from "../../email/transport.js";

export type { EmailMessage, EmailTransport } from "../../email/transport.js";

/** Options of {@link createSMTPTransport}. */
export interface SMTPTransportOptions {
  /**
   * `smtp://user:password@host:587` (STARTTLS when the server offers it) or
   * `smtps://user:password@host:465` (TLS from the start). Query parameters are nodemailer's
   * options, e.g. `?requireTLS=true`.
   */
  url: string;
  /**
   * How long connecting, the greeting and each command may take before the send fails (and is
   * retried later).
   * @default 15000
   */
  timeoutMs?: number;
  /**
   * Connections kept open and reused.
   * @default 2
   */
  maxConnections?: number;
}

/** The SMTP transport, plus a check that the server is reachable. */
export interface SMTPTransport extends EmailTransport {
  /** Connects and authenticates once; rejects when the server cannot be used. */
  verify(): Promise<void>;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

/**
 * Creates the SMTP transport. Nothing connects until the first message (or `verify()`).
 *
 * @example
 * ```ts
 * import { createSMTPTransport } from "@gatehouse/core/adapters/smtp";
 *
 * const transport = createSMTPTransport({ url: process.env.SMTP_URL! });
 * const gatehouse = await createGatehouse({ baseURL, database, email: { transport, from: "Acme <no-reply@acme.example>" } });
 * ```
 */
export function createSMTPTransport(options: SMTPTransportOptions): SMTPTransport {
  const timeout = options.timeoutMs ?? 15_000;
  const transporter = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.maxConnections ?? 2,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 2,
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  return {
    kind: "smtp",

    async send(message: EmailMessage): Promise<void> {
      // The outbox already refuses these; a transport used on its own must not trust its caller.
      if (!isSinglePlainAddress(message.to)) throw new Error("The recipient must be one plain address.");
      const sender = parseEmailSender(message.from);
      await transporter.sendMail({
        from: sender.name ? { name: sender.name, address: sender.address } : sender.address,
        to: { name: "", address: message.to },
        envelope: { from: sender.address, to: [message.to] },
        subject: message.subject,
        text: message.text,
        html: message.html,
        // RFC 3834: vacation responders and the like must not answer an automatic message.
        headers: { "Auto-Submitted": "auto-generated" },
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    },

    async verify(): Promise<void> {
      await transporter.verify();
    },

    async close(): Promise<void> {
      transporter.close();
    },
  };
}
