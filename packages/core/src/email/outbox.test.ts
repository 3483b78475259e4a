/**
 * Delivery: never on the response's path, retried with backoff, given up quietly, logged without
 * the message's link or code, and only ever to one plain address.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Logger } from "../lib/logger.js";
import { createTestEngine, type TestEngine } from "../test-support/engine.js";
import { codeIn } from "../test-support/mail.js";
import { createOutbox, describeDeliveryError } from "./outbox.js";
import type { EmailMessage, EmailTransport } from "./transport.js";

/** A logger that keeps every line, to search for secrets. */
function recordingLogger(): Logger & { lines: { level: string; object: Record<string, unknown>; message?: string }[] } {
  const lines: { level: string; object: Record<string, unknown>; message?: string }[] = [];
  const at =
    (level: string) =>
    (object: Record<string, unknown>, message?: string): void =>
      void lines.push({ level, object, message });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A transport whose sends fail `failures` times (echoing the message, as some servers do), then succeed. */
function flakyTransport(failures: number): EmailTransport & { attempts: number; delivered: EmailMessage[] } {
  const transport = {
    kind: "flaky",
    attempts: 0,
    delivered: [] as EmailMessage[],
    async send(message: EmailMessage) {
      transport.attempts++;
      if (transport.attempts <= failures) {
        const error = new Error(`451 temporary failure for message: ${message.text}`) as Error & { code: string };
        error.code = "EMESSAGE";
        throw error;
      }
      transport.delivered.push(message);
    },
  };
  return transport;
}

const engines: TestEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

describe("outbox", () => {
  it("answers the request before the message is delivered", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const delivered: EmailMessage[] = [];
    const transport: EmailTransport = {
      kind: "slow",
      async send(message) {
        await released;
        delivered.push(message);
      },
    };
    const engine = await createTestEngine({ email: { transport } });
    engines.push(engine);
    const { email } = await engine.signUp();
    const response = await engine.request("POST", "/v1/sign-in/email-code", { json: { email } });
    expect(response.status).toBe(202);
    expect(delivered).toEqual([]);
    release();
    await engine.gatehouse.email.flush();
    expect(delivered.map((message) => message.template).sort()).toEqual(["email-code", "verify-email"]);
  });

  it("retries a failed delivery with backoff and never logs the message's code or link", async () => {
    const transport = flakyTransport(2);
    const logger = recordingLogger();
    const engine = await createTestEngine({ email: { transport, retryDelaysMs: [5, 10, 20] }, logger });
    engines.push(engine);
    const { email } = await engine.signUp();
    await engine.gatehouse.email.flush();
    transport.attempts = 0;
    transport.delivered.length = 0;
    logger.lines.length = 0;

    expect((await engine.request("POST", "/v1/sign-in/email-code", { json: { email } })).status).toBe(202);
    await engine.gatehouse.email.flush();
    expect(transport.attempts).toBe(3);
    expect(transport.delivered).toHaveLength(1);
    const code = codeIn(transport.delivered[0]!);

    const retries = logger.lines.filter((line) => line.message === "email delivery failed; retrying");
    expect(retries.map((line) => line.object.retryInMs)).toEqual([5, 10]);
    expect(retries[0]!.object).toMatchObject({ template: "email-code", attempt: 1, errorCode: "EMESSAGE" });
    expect(JSON.stringify(logger.lines)).not.toContain(code);
  });

  it("gives up after the last retry, logs it without secrets, and the requester never knows", async () => {
    const transport = flakyTransport(100);
    const logger = recordingLogger();
    const engine = await createTestEngine({ email: { transport, retryDelaysMs: [1, 1] }, logger });
    engines.push(engine);
    const { email } = await engine.signUp();
    await engine.gatehouse.email.flush();
    transport.attempts = 0;

    const response = await engine.request("POST", "/v1/sign-in/magic-link", { json: { email } });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "accepted" });
    await engine.gatehouse.email.flush();
    expect(transport.attempts).toBe(3);
    const gaveUp = logger.lines.filter((line) => line.message === "email delivery failed; giving up");
    expect(gaveUp.map((line) => line.object.template)).toContain("magic-link");
    const logged = JSON.stringify(logger.lines);
    expect(logged).not.toMatch(/token=/);
    expect(logged).not.toMatch(/magic-link\/verify/);
  });

  it("refuses to send to an address that is not one plain address", async () => {
    // Request bodies with such addresses are refused by validation (422); a stored one (from an
    // import, say) would reach the outbox, which refuses it rather than guess.
    const transport = flakyTransport(0);
    const logger = recordingLogger();
    const outbox = createOutbox({ transport, from: "no-reply@localhost", logger, retryDelaysMs: [] });
    for (const to of [
      "victim@example.com, eve@evil.example",
      "victim@example.com\r\nBcc: eve@evil.example",
      "Eve <eve@evil.example>",
    ]) {
      outbox.send({ to, subject: "s", text: "t", html: "h", template: "magic-link" });
    }
    outbox.send({ to: "ada@example.com", subject: "s", text: "t", html: "h", template: "magic-link" });
    await outbox.flush();
    expect(transport.delivered.map((message) => message.to)).toEqual(["ada@example.com"]);
    expect(logger.lines.filter((line) => line.message?.includes("not one plain address"))).toHaveLength(3);
  });

  it("close drops messages waiting for a retry instead of waiting for them", async () => {
    const transport = flakyTransport(1);
    const logger = recordingLogger();
    const outbox = createOutbox({ transport, from: "no-reply@localhost", logger, retryDelaysMs: [60_000] });
    outbox.send({ to: "ada@example.com", subject: "s", text: "t", html: "h", template: "email-code" });
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await outbox.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(transport.delivered).toEqual([]);
    expect(logger.lines.some((line) => line.message?.startsWith("email dropped"))).toBe(true);
  });

  it("describes a failure without links, tokens or codes", () => {
    const described = describeDeliveryError(
      Object.assign(
        new Error(
          "550 rejected https://auth.example.com/reset-password?token=abcdefghijklmnopqrstuvwxyz0123 code 123456",
        ),
        {
          code: "EENVELOPE",
          responseCode: 550,
        },
      ),
    );
    expect(described).toMatchObject({ error: "Error", errorCode: "EENVELOPE", responseCode: 550 });
    expect(described.detail).not.toMatch(/token|abcdefghij|123456/);
  });
});
