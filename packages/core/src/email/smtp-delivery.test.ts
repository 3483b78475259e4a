/**
 * The engine delivering over real SMTP: a message the SMTP server refuses for now is retried
 * with backoff until it arrives, the requester's answer never changes, and the log of the
 * failures holds neither the code nor the link.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSMTPTransport } from "../adapters/smtp/index.js";
import type { Logger } from "../lib/logger.js";
import { createTestEngine } from "../test-support/engine.js";
import { startTestSMTPServer, type TestSMTPServer } from "../test-support/smtp-server.js";

let smtp: TestSMTPServer;
beforeAll(async () => {
  smtp = await startTestSMTPServer();
});
afterAll(() => smtp.close());

describe("delivery over SMTP", () => {
  it("retries refused deliveries with backoff and logs no secret", async () => {
    const lines: unknown[] = [];
    const keep = (object: Record<string, unknown>, message?: string): void => void lines.push({ object, message });
    const logger: Logger = { debug: keep, info: keep, warn: keep, error: keep };
    const engine = await createTestEngine({
      logger,
      email: {
        transport: createSMTPTransport({ url: smtp.url }),
        retryDelaysMs: [20, 40, 80],
        from: "no-reply@acme.example",
      },
    });
    try {
      const { email } = await engine.signUp();
      await engine.gatehouse.email.flush();
      const before = smtp.received.length;
      smtp.failNext(2);
      const response = await engine.request("POST", "/v1/sign-in/email-code", { json: { email } });
      expect(response.status).toBe(202);
      await engine.gatehouse.email.flush();
      const delivered = smtp.received.slice(before);
      expect(delivered).toHaveLength(1);
      expect(delivered[0]!.envelopeTo).toEqual([email]);
      const code = /(\d{6})/.exec(delivered[0]!.text)![1]!;

      const retries = lines.filter(
        (line) => (line as { message?: string }).message === "email delivery failed; retrying",
      );
      expect(retries).toHaveLength(2);
      expect(retries[0]).toMatchObject({ object: { template: "email-code", responseCode: 451, transport: "smtp" } });
      expect(JSON.stringify(lines)).not.toContain(code);
    } finally {
      await engine.close();
    }
  });
});
