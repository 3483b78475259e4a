/**
 * SMS codes in the standalone server: `GATEHOUSE_SMS_PROVIDER` chooses Twilio (here a local
 * server that speaks its protocol) or the development mailbox (the default outside production
 * without SMTP), a user enrols a number over HTTP reading the code where a developer or a phone
 * would, and the auth token never reaches the logs.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  startFakeTwilio,
  TEST_TWILIO_ACCOUNT_SID,
  TEST_TWILIO_AUTH_TOKEN,
  uniqueMobileNumber,
  type FakeTwilio,
} from "../../core/src/test-support/sms.js";
import { loadServerConfig } from "./config.js";
import { startServer, type RunningServer } from "./server.js";
import { postJSON, sessionCookie, strongPassword, uniqueEmail } from "./test-support/cli-process.js";

let root: string;
let twilio: FakeTwilio;
const servers: RunningServer[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gatehouse-sms-"));
  twilio = await startFakeTwilio();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(async () => {
  await twilio.close();
  await rm(root, { recursive: true, force: true });
});

async function start(env: Record<string, string>) {
  const logs: string[] = [];
  const printed: string[] = [];
  const server = await startServer(
    {
      ...loadServerConfig({
        GATEHOUSE_DATA_DIR: join(root, crypto.randomUUID()),
        HOST: "127.0.0.1",
        GATEHOUSE_LOG_LEVEL: "debug",
        ...env,
      }),
      port: 0,
    },
    {
      output: { write: (line) => void printed.push(line) },
      logDestination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs.push(chunk.toString());
          done();
        },
      }),
    },
  );
  servers.push(server);
  return { server, base: `http://127.0.0.1:${server.address.port}`, logs, printed };
}

async function signedIn(base: string): Promise<string> {
  const response = await postJSON(`${base}/v1/sign-up`, { email: uniqueEmail(), password: strongPassword() });
  expect(response.status).toBe(201);
  return sessionCookie(response);
}

describe("GATEHOUSE_SMS_PROVIDER=twilio", () => {
  it("texts enrolment codes through the Messages API and never logs the auth token", async () => {
    const { base, logs } = await start({
      GATEHOUSE_SMS_PROVIDER: "twilio",
      GATEHOUSE_TWILIO_ACCOUNT_SID: TEST_TWILIO_ACCOUNT_SID,
      GATEHOUSE_TWILIO_AUTH_TOKEN: TEST_TWILIO_AUTH_TOKEN,
      GATEHOUSE_TWILIO_FROM: "+15005550006",
      GATEHOUSE_TWILIO_API_URL: twilio.url,
    });
    const cookie = await signedIn(base);
    const phoneNumber = uniqueMobileNumber();
    const started = await postJSON(`${base}/v1/mfa/sms`, { phone_number: phoneNumber }, { cookie });
    expect(started.status).toBe(200);
    expect(twilio.messagesTo(phoneNumber)[0]).toMatchObject({ from: "+15005550006" });
    const confirmed = await postJSON(
      `${base}/v1/mfa/sms/confirm`,
      { code: twilio.lastCodeTo(phoneNumber) },
      { cookie },
    );
    expect(confirmed.status).toBe(200);
    expect(((await confirmed.json()) as { backup_codes: string[] }).backup_codes).toHaveLength(10);

    // A refusal reaches the client as sms_delivery_failed and the log without number or token.
    const other = await signedIn(base);
    const refusedNumber = uniqueMobileNumber();
    twilio.failNext(400, 21614, `'To' number ${refusedNumber} is not a mobile number`);
    const refused = await postJSON(`${base}/v1/mfa/sms`, { phone_number: refusedNumber }, { cookie: other });
    expect(refused.status).toBe(502);
    expect(((await refused.json()) as { code: string }).code).toBe("sms_delivery_failed");
    const log = logs.join("");
    expect(log).toContain("text-message codes are sent through Twilio");
    expect(log).toContain("text message not delivered");
    expect(log).not.toContain(TEST_TWILIO_AUTH_TOKEN);
    expect(log).not.toContain(phoneNumber.slice(1));
    expect(log).not.toContain(refusedNumber.slice(1));
  });
});

describe("the development mailbox", () => {
  it("is the default without SMTP outside production: the text is listed at /dev/mailbox.json to the number", async () => {
    const { base, printed } = await start({});
    const cookie = await signedIn(base);
    const phoneNumber = uniqueMobileNumber();
    const started = await postJSON(`${base}/v1/mfa/sms`, { phone_number: phoneNumber }, { cookie });
    expect(started.status).toBe(200);
    const listing = (await (await fetch(`${base}/dev/mailbox.json`)).json()) as {
      data: { to: string; template: string; text: string }[];
    };
    const text = listing.data.find((message) => message.to === phoneNumber);
    expect(text?.template).toBe("sms");
    const code = /^(\d{6}) /.exec(text!.text)![1]!;
    const confirmed = await postJSON(`${base}/v1/mfa/sms/confirm`, { code }, { cookie });
    expect(confirmed.status).toBe(200);
    expect(printed.join("")).toContain(`[dev mailbox] sms to ${phoneNumber}: `);
  });

  it("with SMTP configured and no provider, SMS codes are off: not_available", async () => {
    const { base } = await start({ SMTP_URL: "smtp://127.0.0.1:9" });
    const cookie = await signedIn(base);
    const response = await postJSON(`${base}/v1/mfa/sms`, { phone_number: uniqueMobileNumber() }, { cookie });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { code: string }).code).toBe("not_available");
  });
});
