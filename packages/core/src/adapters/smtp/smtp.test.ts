/**
 * The SMTP transport against a real SMTP server: authentication, one recipient in both the
 * header and the envelope, the sender, and failures that reject (so the outbox can retry).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSMTPServer, type TestSMTPServer } from "../../test-support/smtp-server.js";
import type { EmailMessage } from "../../email/transport.js";
import { createSMTPTransport } from "./index.js";

let smtp: TestSMTPServer;
beforeAll(async () => {
  smtp = await startTestSMTPServer();
});
afterAll(() => smtp.close());

const message = (overrides: Partial<EmailMessage> = {}): EmailMessage => ({
  to: "ada@example.com",
  from: '"Acme Accounts" <no-reply@acme.example>',
  subject: "Your Acme sign-in code",
  text: "Your code is 123456",
  html: "<p>Your code is <b>123456</b></p>",
  template: "email-code",
  ...overrides,
});

describe("createSMTPTransport", () => {
  it("delivers one message to one recipient, in the header and the envelope, with the sender", async () => {
    const transport = createSMTPTransport({ url: smtp.url });
    try {
      await transport.verify();
      const before = smtp.received.length;
      await transport.send(message());
      const [received] = (await smtp.waitFor(before + 1)).slice(before);
      expect(received!.envelopeTo).toEqual(["ada@example.com"]);
      expect(received!.envelopeFrom).toBe("no-reply@acme.example");
      expect(received!.to).toEqual(["ada@example.com"]);
      expect(received!.parsed.from?.value).toEqual([{ address: "no-reply@acme.example", name: "Acme Accounts" }]);
      expect(received!.subject).toBe("Your Acme sign-in code");
      expect(received!.text.trim()).toBe("Your code is 123456");
      expect(received!.html).toContain("<b>123456</b>");
      expect(received!.parsed.headers.get("auto-submitted")).toBe("auto-generated");
      expect(received!.parsed.cc).toBeUndefined();
      expect(received!.parsed.bcc).toBeUndefined();
    } finally {
      await transport.close();
    }
  });

  it("keeps header-like text in the subject and bodies out of the headers", async () => {
    const transport = createSMTPTransport({ url: smtp.url });
    try {
      const before = smtp.received.length;
      await transport.send(message({ subject: "Hello\r\nBcc: eve@evil.example", text: "a\r\nBcc: eve@evil.example" }));
      const [received] = (await smtp.waitFor(before + 1)).slice(before);
      expect(received!.envelopeTo).toEqual(["ada@example.com"]);
      expect(received!.parsed.bcc).toBeUndefined();
      expect(received!.parsed.headers.has("bcc")).toBe(false);
    } finally {
      await transport.close();
    }
  });

  it.each([
    ["a list", "ada@example.com, eve@evil.example"],
    ["a display name", "Ada <eve@evil.example>"],
    ["a CRLF", "ada@example.com\r\nBcc: eve@evil.example"],
  ])("refuses a recipient that is %s without sending", async (_, to) => {
    const transport = createSMTPTransport({ url: smtp.url });
    try {
      const before = smtp.received.length;
      await expect(transport.send(message({ to }))).rejects.toThrow(/one plain address/);
      expect(smtp.received.length).toBe(before);
    } finally {
      await transport.close();
    }
  });

  it("rejects when the server refuses the message, and when the credentials are wrong", async () => {
    const transport = createSMTPTransport({ url: smtp.url });
    try {
      smtp.failNext(1);
      await expect(transport.send(message())).rejects.toMatchObject({ responseCode: 451 });
    } finally {
      await transport.close();
    }
    const wrong = createSMTPTransport({ url: smtp.url.replace("smtp-test-password", "wrong") });
    try {
      await expect(wrong.verify()).rejects.toThrow();
      await expect(wrong.send(message())).rejects.toThrow();
    } finally {
      await wrong.close();
    }
  });

  it("rejects within its timeout when nothing answers", async () => {
    const transport = createSMTPTransport({ url: "smtp://127.0.0.1:1", timeoutMs: 1_000 });
    try {
      await expect(transport.send(message())).rejects.toThrow();
    } finally {
      await transport.close();
    }
  });
});
