/**
 * How a text message leaves Gatehouse: the {@link SMSProvider} port, and the provider for
 * Twilio's Messages API (and services that speak the same protocol). The development mailbox
 * (`@gatehouse/core/adapters/mailbox`) is the other provider; applications can bring their own.
 *
 * Only web-standard APIs here (`fetch`, `AbortSignal`), so the engine stays runnable anywhere.
 */
import { SMSDeliveryFailedError } from "../errors/index.js";

/** One text message to one phone number. */
export interface SMSMessage {
  /** The recipient in E.164 form, e.g. `+447700900123` (already validated). */
  to: string;
  /** The text, a few lines of plain text. */
  body: string;
}

/**
 * Sends text messages. Implement it to use any SMS gateway:
 * `send` resolves once the gateway accepted the message and rejects otherwise, preferably with
 * an `SMSDeliveryFailedError` (`@gatehouse/core/errors`) whose message names no number, text or
 * credential. The engine sends while the request waits and does not retry: the user asks for a
 * new code instead.
 *
 * @example
 * ```ts
 * import type { SMSProvider } from "@gatehouse/core";
 *
 * const provider: SMSProvider = {
 *   async send({ to, body }) {
 *     const response = await fetch("https://sms.example.com/send", {
 *       method: "POST",
 *       headers: { "content-type": "application/json", authorization: `Bearer ${process.env.SMS_TOKEN}` },
 *       body: JSON.stringify({ to, text: body }),
 *     });
 *     if (!response.ok) throw new Error(`SMS gateway answered ${response.status}`);
 *   },
 * };
 * ```
 */
export interface SMSProvider {
  send(message: SMSMessage): Promise<void>;
}

/** Options of {@link createTwilioSMSProvider}. */
export interface TwilioSMSProviderOptions {
  /** The account SID, `AC…` (`GATEHOUSE_TWILIO_ACCOUNT_SID`). */
  accountSID: string;
  /** The auth token (`GATEHOUSE_TWILIO_AUTH_TOKEN`). A credential: never logged or shown. */
  authToken: string;
  /**
   * The sender (`GATEHOUSE_TWILIO_FROM`): an E.164 number of the account, or a messaging
   * service SID (`MG…`), which is sent as `MessagingServiceSid` instead of `From`.
   */
  from: string;
  /**
   * Base URL of the API, for a regional edge or a compatible service.
   * @default "https://api.twilio.com"
   */
  apiURL?: string;
  /**
   * Time allowed for one request, connection to answer, in milliseconds.
   * @default 10000
   */
  timeoutMs?: number;
}

/** The API base URL when none is given. */
export const TWILIO_API_URL = "https://api.twilio.com";
const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Checks the options of {@link createTwilioSMSProvider}; returns what is wrong, or null. Never
 * quotes the auth token.
 */
export function twilioOptionsProblem(options: TwilioSMSProviderOptions): string | null {
  if (!ACCOUNT_SID.test(options.accountSID)) return "the account SID must be AC followed by 32 hex digits";
  if (!/^\S{16,}$/.test(options.authToken)) return "the auth token must be at least 16 characters without spaces";
  if (!E164.test(options.from) && !MESSAGING_SERVICE_SID.test(options.from)) {
    return "the sender must be an E.164 number (+ and digits) or a messaging service SID (MG followed by 32 hex digits)";
  }
  try {
    const url = new URL(options.apiURL ?? TWILIO_API_URL);
    if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password || url.search) {
      return "the API URL must be an http(s) URL without credentials or query";
    }
  } catch {
    return "the API URL must be an absolute http(s) URL";
  }
  return null;
}

/**
 * A provider for Twilio's Messages API: `POST {apiURL}/2010-04-01/Accounts/{AccountSid}/Messages.json`,
 * form-encoded, with HTTP Basic authentication (account SID and auth token).
 *
 * A refusal (any non-2xx answer) becomes `SMSDeliveryFailedError` 502 carrying Twilio's status and
 * numeric error code; a network failure or timeout becomes 503. Twilio's own error message is
 * dropped: it quotes the phone number.
 *
 * @throws Error when an option is malformed (at creation, not per message).
 * @example
 * ```ts
 * import { createGatehouse, createTwilioSMSProvider } from "@gatehouse/core";
 *
 * const gatehouse = await createGatehouse({
 *   // …
 *   sms: createTwilioSMSProvider({
 *     accountSID: process.env.TWILIO_ACCOUNT_SID!,
 *     authToken: process.env.TWILIO_AUTH_TOKEN!,
 *     from: "+15017122661",
 *   }),
 * });
 * ```
 */
export function createTwilioSMSProvider(options: TwilioSMSProviderOptions): SMSProvider {
  const problem = twilioOptionsProblem(options);
  if (problem !== null) throw new Error(`Twilio SMS provider: ${problem}.`);
  const base = (options.apiURL ?? TWILIO_API_URL).replace(/\/+$/, "");
  const endpoint = `${base}/2010-04-01/Accounts/${options.accountSID}/Messages.json`;
  const authorization = `Basic ${btoa(`${options.accountSID}:${options.authToken}`)}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const sender: [string, string] = [
    MESSAGING_SERVICE_SID.test(options.from) ? "MessagingServiceSid" : "From",
    options.from,
  ];

  return {
    async send({ to, body }) {
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: "POST",
          headers: {
            authorization,
            "content-type": "application/x-www-form-urlencoded",
            accept: "application/json",
          },
          body: new URLSearchParams([["To", to], sender, ["Body", body]]),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: "error",
        });
      } catch (cause) {
        // The cause names the host at most; it never holds the request's headers or body.
        throw new SMSDeliveryFailedError({ status: 503, providerStatus: null, providerCode: null, cause });
      }
      const text = await response.text().catch(() => "");
      if (response.ok) return;
      let providerCode: string | null = null;
      try {
        const code = (JSON.parse(text) as { code?: unknown }).code;
        if (typeof code === "number" || (typeof code === "string" && /^\d{1,10}$/.test(code))) {
          providerCode = String(code);
        }
      } catch {
        // Not JSON (a proxy's error page): the status is all there is.
      }
      // Twilio's 429 and 5xx are passing; anything else is a refusal of this message.
      const passing = response.status === 429 || response.status >= 500;
      throw new SMSDeliveryFailedError({
        status: passing ? 503 : 502,
        providerStatus: response.status,
        providerCode,
      });
    },
  };
}
