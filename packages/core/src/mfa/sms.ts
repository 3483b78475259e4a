/**
 * Text-message codes, the `sms` second factor: the user's phone number (encrypted at rest, with
 * a keyed hash as the throttle key) and the one live code per user, sent through the configured
 * {@link SMSProvider}. The MFA service decides when a code may be sent or checked and counts the
 * tries; this part keeps the SMS-specific rules:
 *
 * - Numbers must be valid E.164 mobile-capable numbers (`invalid_phone_number` otherwise).
 * - Every send is throttled per client network and per number (short window and day) before
 *   anything is stored or sent; a throttled request changes nothing.
 * - A code is six CSPRNG digits, valid 5 minutes, stored as an HMAC bound to the user, its
 *   purpose, what it was sent for (a challenge or a session) and the number; using it is one
 *   atomic conditional update, and a new send replaces the previous code.
 */
import { InvalidPhoneNumberError, NotAvailableError, SMSDeliveryFailedError } from "../errors/index.js";
import type { Encrypter, MAC } from "../lib/encryption.js";
import type { Logger } from "../lib/logger.js";
import type { ClientDetails } from "../sessions/service.js";
import type { MFAStore, SMSCodePurpose, SMSFactorRecord, UserRecord } from "../storage/ports.js";
import type { Throttle } from "../throttle/throttle.js";
import {
  hashPhoneNumber,
  hashSMSCode,
  newSMSCode,
  normalizePhoneNumber,
  phoneNumberHint,
  smsCodeBody,
} from "./lib/sms.js";
import type { SMSProvider } from "./sms-provider.js";

/** How long a sent code can be used. */
export const SMS_CODE_TTL_MS = 5 * 60 * 1000;

/** A code was sent: where to (as a hint) and for how long it works. */
export interface SentSMSCode {
  phoneNumberHint: string;
  expiresAt: number;
}

/** Options of {@link createSMSCodes}. */
export interface SMSCodesOptions {
  store: MFAStore;
  /** Null when no provider is configured: every SMS action is `not_available`. */
  provider: SMSProvider | null;
  /** Encrypts phone numbers (purpose `sms-phone-numbers`); null without an encryption key. */
  encrypter: Encrypter | null;
  /** Keys number and code hashes (purpose `sms-codes`); null like `encrypter`. */
  mac: MAC | null;
  throttle: Throttle;
  clock: () => number;
  logger: Logger;
  /** Named in the message, e.g. "Acme". */
  appName: string;
  /** The site the code belongs to, for the origin-bound last line (`@auth.example.com #123456`). */
  host: string;
}

/** The SMS factor's own operations. */
export interface SMSCodes {
  /** Whether a provider and the keys are there. */
  readonly available: boolean;
  /** The user's number record, or null. */
  factor(userId: string): Promise<SMSFactorRecord | null>;
  /** The hint for a stored number. */
  hint(factor: SMSFactorRecord): Promise<string>;
  /**
   * Validates `phoneNumber`, throttles, stores it as the user's pending number (replacing a
   * pending one) and sends an enrolment code bound to `boundTo`.
   * @throws InvalidPhoneNumberError, RateLimitedError, NotAvailableError, SMSDeliveryFailedError;
   *   false from the store (a confirmed number exists) is returned as null.
   */
  startEnrollment(
    user: UserRecord,
    phoneNumber: string,
    boundTo: string,
    client: ClientDetails,
  ): Promise<SentSMSCode | null>;
  /** Sends a code of `purpose` bound to `boundTo` to the number on record. @throws like startEnrollment */
  send(
    user: UserRecord,
    factor: SMSFactorRecord,
    purpose: SMSCodePurpose,
    boundTo: string,
    client: ClientDetails,
  ): Promise<SentSMSCode>;
  /** Uses up the code if it is the live one for this purpose, binding and number. */
  use(
    user: UserRecord,
    factor: SMSFactorRecord,
    purpose: SMSCodePurpose,
    boundTo: string,
    code: string,
  ): Promise<boolean>;
}

/** Creates the SMS factor's operations. */
export function createSMSCodes(options: SMSCodesOptions): SMSCodes {
  const { store, provider, encrypter, mac, throttle, clock, logger } = options;

  function parts(): { provider: SMSProvider; encrypter: Encrypter; mac: MAC } {
    if (!provider || !encrypter || !mac) {
      throw new NotAvailableError("Text-message codes are not available: no SMS provider is configured.");
    }
    return { provider, encrypter, mac };
  }

  async function deliver(
    user: UserRecord,
    e164: string,
    phoneNumberHash: string,
    purpose: SMSCodePurpose,
    boundTo: string,
  ): Promise<SentSMSCode> {
    const { provider: sender, mac: keyed } = parts();
    const code = newSMSCode();
    const now = clock();
    // Stored before sending: once the text is out, the code must already work.
    await store.saveSMSCode({
      userId: user.id,
      purpose,
      boundTo,
      codeHash: await hashSMSCode(keyed, { userId: user.id, purpose, boundTo, phoneNumberHash, code }),
      createdAt: now,
      expiresAt: now + SMS_CODE_TTL_MS,
      usedAt: null,
    });
    try {
      await sender.send({ to: e164, body: smsCodeBody(code, options) });
    } catch (error) {
      // Only what cannot identify the person or unlock anything reaches the log.
      const known = error instanceof SMSDeliveryFailedError ? error : null;
      logger.warn(
        {
          userId: user.id,
          purpose,
          providerStatus: known?.providerStatus ?? null,
          providerCode: known?.providerCode ?? null,
          error: known ? null : error instanceof Error ? error.name : typeof error,
        },
        "text message not delivered",
      );
      throw (
        known ?? new SMSDeliveryFailedError({ status: 503, providerStatus: null, providerCode: null, cause: error })
      );
    }
    return { phoneNumberHint: phoneNumberHint(e164), expiresAt: now + SMS_CODE_TTL_MS };
  }

  return {
    available: provider !== null && encrypter !== null && mac !== null,

    factor: (userId) => store.getSMS(userId),

    async hint(factor) {
      // Only the key is needed: the hint still shows while the provider is switched off.
      if (!encrypter) throw new NotAvailableError("Phone numbers need the engine's encryption key.");
      return phoneNumberHint(await encrypter.decrypt(factor.encryptedPhoneNumber));
    },

    async startEnrollment(user, phoneNumber, boundTo, client) {
      const { encrypter: secrets, mac: keyed } = parts();
      const e164 = normalizePhoneNumber(phoneNumber);
      if (e164 === null) throw new InvalidPhoneNumberError();
      const phoneNumberHash = await hashPhoneNumber(keyed, e164);
      await throttle.smsSend(client.ip, phoneNumberHash);
      const saved = await store.savePendingSMS({
        userId: user.id,
        encryptedPhoneNumber: await secrets.encrypt(e164),
        phoneNumberHash,
        createdAt: clock(),
        confirmedAt: null,
      });
      if (!saved) return null;
      return deliver(user, e164, phoneNumberHash, "enrollment", boundTo);
    },

    async send(user, factor, purpose, boundTo, client) {
      const { encrypter: secrets } = parts();
      await throttle.smsSend(client.ip, factor.phoneNumberHash);
      const e164 = await secrets.decrypt(factor.encryptedPhoneNumber);
      return deliver(user, e164, factor.phoneNumberHash, purpose, boundTo);
    },

    async use(user, factor, purpose, boundTo, code) {
      const { mac: keyed } = parts();
      const digits = code.replace(/\s/g, "");
      if (!/^\d{6}$/.test(digits)) return false;
      const codeHash = await hashSMSCode(keyed, {
        userId: user.id,
        purpose,
        boundTo,
        phoneNumberHash: factor.phoneNumberHash,
        code: digits,
      });
      return store.useSMSCode(user.id, purpose, boundTo, codeHash, clock());
    },
  };
}
