/**
 * SMS helpers for tests: a local HTTP server that speaks Twilio's Messages API (the one thing
 * that cannot exist here is Twilio itself), checking what Twilio checks and answering what
 * Twilio answers, and a test engine that sends its texts there.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createTwilioSMSProvider } from "../mfa/sms-provider.js";
import type { GatehouseConfig } from "../config.js";
import { TEST_ENCRYPTION_KEY } from "./engine.js";
import { createMailTestEngine, type MailTestEngine } from "./mail.js";

/** One message the fake accepted. */
export interface FakeTwilioMessage {
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
}

/** A running fake of Twilio's Messages API. */
export interface FakeTwilio {
  /** Base URL, for `apiURL`. */
  url: string;
  accountSID: string;
  authToken: string;
  /** Accepted messages, oldest first. */
  messages: FakeTwilioMessage[];
  /** Requests that reached the server (accepted or not). */
  requests: number;
  /** Answers the next request with this Twilio error instead of accepting it. */
  failNext(status: number, code: number, message: string): void;
  /** The messages to `to`. */
  messagesTo(to: string): FakeTwilioMessage[];
  /** The six-digit code of the newest message to `to`; fails if there is none. */
  lastCodeTo(to: string): string;
  close(): Promise<void>;
}

/** Test credentials: an account SID and auth token of Twilio's shapes. */
export const TEST_TWILIO_ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
/** The auth token the fake accepts. */
export const TEST_TWILIO_AUTH_TOKEN = "f3c1a9d2b7e84c05a6d1e2f3a4b5c6d7";
/** The sender number the test engine uses. */
export const TEST_TWILIO_FROM = "+15005550006";

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** Starts the fake on a free loopback port. */
export async function startFakeTwilio(): Promise<FakeTwilio> {
  const accountSID = TEST_TWILIO_ACCOUNT_SID;
  const authToken = TEST_TWILIO_AUTH_TOKEN;
  const messages: FakeTwilioMessage[] = [];
  const failures: { status: number; code: number; message: string }[] = [];
  let requests = 0;

  const server: Server = createServer((request, response) => {
    void (async () => {
      requests++;
      const body = await readBody(request);
      const answer = (status: number, json: Record<string, unknown>): void => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(json));
      };
      const error = (status: number, code: number, message: string): void =>
        answer(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

      if (request.method !== "POST" || request.url !== `/2010-04-01/Accounts/${accountSID}/Messages.json`) {
        return error(404, 20404, "The requested resource was not found");
      }
      const expected = `Basic ${Buffer.from(`${accountSID}:${authToken}`).toString("base64")}`;
      if (request.headers.authorization !== expected) return error(401, 20003, "Authenticate");
      if (!request.headers["content-type"]?.startsWith("application/x-www-form-urlencoded")) {
        return error(400, 20001, "Invalid content type");
      }
      const failure = failures.shift();
      if (failure) return error(failure.status, failure.code, failure.message);
      const form = new URLSearchParams(body);
      const to = form.get("To");
      const from = form.get("From");
      const messagingServiceSid = form.get("MessagingServiceSid");
      const text = form.get("Body");
      if (!to) return error(400, 21604, "A 'To' phone number is required.");
      if (!/^\+[1-9]\d{6,14}$/.test(to)) return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      if ((from === null) === (messagingServiceSid === null)) {
        return error(400, 21603, "A 'From' phone number or a MessagingServiceSid is required.");
      }
      if (!text) return error(400, 21602, "Message body is required.");
      messages.push({ to, from, messagingServiceSid, body: text });
      answer(201, {
        sid: `SM${"a".repeat(32)}`,
        account_sid: accountSID,
        to,
        from,
        messaging_service_sid: messagingServiceSid,
        body: text,
        status: "queued",
        num_segments: "1",
      });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const messagesTo = (to: string): FakeTwilioMessage[] => messages.filter((message) => message.to === to);
  return {
    url: `http://127.0.0.1:${port}`,
    accountSID,
    authToken,
    messages,
    get requests() {
      return requests;
    },
    failNext(status, code, message) {
      failures.push({ status, code, message });
    },
    messagesTo,
    lastCodeTo(to) {
      const last = messagesTo(to).at(-1);
      const code = last && /^(\d{6}) /.exec(last.body)?.[1];
      if (!code) throw new Error(`no code texted to ${to}; texts: ${messages.length}`);
      return code;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A mail test engine whose texts go to a fake Twilio. */
export interface SMSTestEngine extends MailTestEngine {
  twilio: FakeTwilio;
}

/** Starts a fake Twilio and a test engine (encryption key, in-memory mail) that texts through it. */
export async function createSMSTestEngine(config: Partial<GatehouseConfig> = {}): Promise<SMSTestEngine> {
  const twilio = await startFakeTwilio();
  const engine = await createMailTestEngine({
    encryptionKey: TEST_ENCRYPTION_KEY,
    sms: createTwilioSMSProvider({
      accountSID: twilio.accountSID,
      authToken: twilio.authToken,
      from: TEST_TWILIO_FROM,
      apiURL: twilio.url,
    }),
    ...config,
  });
  return {
    ...engine,
    twilio,
    async close() {
      await engine.close();
      await twilio.close();
    },
  };
}

/** A unique valid UK mobile number (+447400 plus six digits; every number of that block is valid). */
export function uniqueMobileNumber(): string {
  return `+447400${String(Math.floor(Math.random() * 1_000_000)).padStart(6, "0")}`;
}

/**
 * Enrols and confirms a phone number for the user signed in with `token` (cookie transport),
 * from a per-test network address so the per-IP limit does not carry over between users.
 * Returns the number and the backup codes the confirmation answered.
 */
export async function enableSMS(
  engine: SMSTestEngine,
  token: string,
  phoneNumber = uniqueMobileNumber(),
): Promise<{ phoneNumber: string; backupCodes: string[] }> {
  const remoteAddress = `192.0.2.${Math.floor(Math.random() * 250) + 1}`;
  const started = await engine.request("POST", "/v1/mfa/sms", {
    cookie: token,
    json: { phone_number: phoneNumber },
    remoteAddress,
  });
  if (started.status !== 200) throw new Error(`POST /v1/mfa/sms: ${started.status} ${await started.text()}`);
  const confirmed = await engine.request("POST", "/v1/mfa/sms/confirm", {
    cookie: token,
    json: { code: engine.twilio.lastCodeTo(phoneNumber) },
    remoteAddress,
  });
  if (confirmed.status !== 200)
    throw new Error(`POST /v1/mfa/sms/confirm: ${confirmed.status} ${await confirmed.text()}`);
  const { backup_codes: backupCodes } = (await confirmed.json()) as { backup_codes: string[] };
  return { phoneNumber, backupCodes };
}
