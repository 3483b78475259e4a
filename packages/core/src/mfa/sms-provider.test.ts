/**
 * The SMS providers: the Twilio one against a real local HTTP server that checks path, Basic
 * authentication and form fields as Twilio does (and answers Twilio's JSON and errors), and the
 * development mailbox, which keeps each text as a message addressed to the phone number.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileMailbox } from "../adapters/mailbox/index.js";
import { SMSDeliveryFailedError } from "../errors/index.js";
import { startFakeTwilio, type FakeTwilio } from "../test-support/sms.js";
import { createTwilioSMSProvider } from "./sms-provider.js";

let twilio: FakeTwilio;
beforeAll(async () => {
  twilio = await startFakeTwilio();
});
afterAll(() => twilio.close());

const provider = (overrides: Partial<Parameters<typeof createTwilioSMSProvider>[0]> = {}) =>
  createTwilioSMSProvider({
    accountSID: twilio.accountSID,
    authToken: twilio.authToken,
    from: "+15005550006",
    apiURL: `${twilio.url}/`,
    ...overrides,
  });

async function failureOf(promise: Promise<unknown>): Promise<SMSDeliveryFailedError> {
  const error = await promise.then(
    () => null,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(SMSDeliveryFailedError);
  return error as SMSDeliveryFailedError;
}

describe("the Twilio provider", () => {
  it("posts To, From and Body form-encoded to the account's Messages.json with Basic auth", async () => {
    await provider().send({ to: "+447400123456", body: "123456 is your code\n\n@example.com #123456" });
    expect(twilio.messages.at(-1)).toEqual({
      to: "+447400123456",
      from: "+15005550006",
      messagingServiceSid: null,
      body: "123456 is your code\n\n@example.com #123456",
    });
  });

  it("sends a messaging service SID as MessagingServiceSid instead of From", async () => {
    const service = `MG${"ab".repeat(16)}`;
    await provider({ from: service }).send({ to: "+447400123457", body: "hi" });
    expect(twilio.messages.at(-1)).toMatchObject({ from: null, messagingServiceSid: service });
  });

  it("a refusal is a 502 with Twilio's status and code; the message names neither number nor token", async () => {
    twilio.failNext(400, 21211, "The 'To' number +447400123458 is not a valid phone number.");
    const error = await failureOf(provider().send({ to: "+447400123458", body: "x" }));
    expect(error).toMatchObject({
      code: "sms_delivery_failed",
      status: 502,
      providerStatus: 400,
      providerCode: "21211",
    });
    expect(error.message).not.toContain("447400123458");
    expect(JSON.stringify(error)).not.toContain(twilio.authToken);
  });

  it("wrong credentials are a refusal (Twilio's 401, code 20003)", async () => {
    const error = await failureOf(provider({ authToken: "x".repeat(32) }).send({ to: "+447400123459", body: "x" }));
    expect(error).toMatchObject({ status: 502, providerStatus: 401, providerCode: "20003" });
    expect(error.message).not.toContain("x".repeat(32));
  });

  it("a wrong account is refused by path (404)", async () => {
    const error = await failureOf(
      provider({ accountSID: `AC${"f".repeat(32)}` }).send({ to: "+447400123450", body: "x" }),
    );
    expect(error).toMatchObject({ status: 502, providerStatus: 404, providerCode: "20404" });
  });

  it("Twilio's 429 and 5xx are passing: 503", async () => {
    for (const [status, code] of [
      [429, 20429],
      [500, 20500],
    ]) {
      twilio.failNext(status!, code!, "busy");
      expect(await failureOf(provider().send({ to: "+447400123451", body: "x" }))).toMatchObject({
        status: 503,
        providerStatus: status,
        providerCode: String(code),
      });
    }
  });

  it("an unreachable API and one that does not answer in time are 503", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(
      await failureOf(provider({ apiURL: `http://127.0.0.1:${port}` }).send({ to: "+447400123452", body: "x" })),
    ).toMatchObject({ status: 503, providerStatus: null });

    const silent = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const address = silent.address() as AddressInfo;
      const slow = provider({ apiURL: `http://127.0.0.1:${address.port}`, timeoutMs: 200 });
      expect(await failureOf(slow.send({ to: "+447400123453", body: "x" }))).toMatchObject({
        status: 503,
        providerStatus: null,
      });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it.each([
    [{ accountSID: "AC123" }, "account SID"],
    [{ authToken: "short" }, "auth token"],
    [{ from: "15005550006" }, "sender"],
    [{ from: "MG123" }, "sender"],
    [{ apiURL: "ftp://api.example.com" }, "API URL"],
    [{ apiURL: "https://user:pw@api.example.com" }, "API URL"],
  ])("refuses malformed options %j at creation, without quoting the token", (overrides, what) => {
    expect(() => provider(overrides)).toThrow(what);
    try {
      provider(overrides);
    } catch (error) {
      expect((error as Error).message).not.toContain(twilio.authToken);
    }
  });
});

describe("the development mailbox's SMS provider", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "gatehouse-sms-mailbox-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("keeps each text as a message to the phone number, with the body as its text and escaped HTML", async () => {
    const mailbox = createFileMailbox({ directory: root });
    await mailbox.sms.send({ to: "+447400123454", body: "123456 is your <b>code</b>" });
    const [stored] = await mailbox.list();
    expect(stored).toMatchObject({
      to: "+447400123454",
      template: "sms",
      text: "123456 is your <b>code</b>",
      html: "<pre>123456 is your &#60;b&#62;code&#60;/b&#62;</pre>",
      links: [],
    });
  });
});
