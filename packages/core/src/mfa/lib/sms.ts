/**
 * The pieces of SMS codes: phone numbers checked as E.164 (libphonenumber-js with full
 * metadata, so a number must exist in its country's plan, not just have a plausible length),
 * the hint shown instead of the number, six-digit codes from the CSPRNG, their keyed hashes and
 * the message text.
 */
import { parsePhoneNumberWithError, type NumberType } from "libphonenumber-js/max";
import { randomBytes } from "../../lib/encoding.js";
import type { MAC } from "../../lib/encryption.js";
import type { SMSCodePurpose } from "../../storage/ports.js";

/**
 * Number types that cannot receive a text, or that bill whoever sends to them (premium and
 * shared-cost numbers are how "SMS pumping" fraud makes money).
 */
const REFUSED_TYPES: ReadonlySet<NumberType> = new Set<NumberType>([
  "FIXED_LINE",
  "PREMIUM_RATE",
  "SHARED_COST",
  "TOLL_FREE",
  "VOICEMAIL",
  "PAGER",
]);

/** What people type around the digits: spaces, dashes, dots, parentheses. */
const DECORATION = /[\s\-.()\u00a0]/g;

/**
 * The E.164 form of a typed phone number, or null when it is not a valid mobile-capable number.
 * Spaces, dashes, dots and parentheses are dropped first; the rest must be `+` and 8 to 15
 * digits (no letters, no national form without the country code), and the number must be valid
 * in its country's numbering plan.
 *
 * @example
 * normalizePhoneNumber("+44 (0)7911 123-456") // null: "(0)" is not part of an international number
 * normalizePhoneNumber("+44 7911 123 456") // "+447911123456"
 */
export function normalizePhoneNumber(input: string): string | null {
  if (input.length > 40) return null;
  const compact = input.replace(DECORATION, "");
  if (!/^\+[1-9]\d{7,14}$/.test(compact)) return null;
  try {
    const parsed = parsePhoneNumberWithError(compact);
    if (!parsed.isValid() || parsed.number !== compact) return null;
    const type = parsed.getType();
    if (type !== undefined && REFUSED_TYPES.has(type)) return null;
    return parsed.number;
  } catch {
    return null;
  }
}

/**
 * What the user is shown instead of the number: the country code and the last three digits.
 *
 * @example phoneNumberHint("+447911123456") // "+44 ••••••• 456"
 */
export function phoneNumberHint(e164: string): string {
  const countryCode = parsePhoneNumberWithError(e164).countryCallingCode;
  const national = e164.slice(1 + countryCode.length);
  return `+${countryCode} ${"•".repeat(Math.max(0, national.length - 3))} ${national.slice(-3)}`;
}

/** The keyed hash of a number: the per-number throttle key, so no store ever holds the number in clear. */
export function hashPhoneNumber(mac: MAC, e164: string): Promise<string> {
  return mac(`sms-number.${e164}`);
}

/** A new six-digit code, uniformly drawn (rejection sampling, no modulo bias). */
export function newSMSCode(): string {
  for (;;) {
    const bytes = randomBytes(4);
    const value = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    // 4294000000 is the largest multiple of 10^6 below 2^32.
    if (value < 4_294_000_000) return String(value % 1_000_000).padStart(6, "0");
  }
}

/**
 * The stored form of a code: bound to the user, its purpose, what it was sent for and the
 * number it was sent to, so a code never completes anything else.
 */
export function hashSMSCode(
  mac: MAC,
  code: { userId: string; purpose: SMSCodePurpose; boundTo: string; phoneNumberHash: string; code: string },
): Promise<string> {
  return mac(`sms-code.${code.userId}.${code.purpose}.${code.boundTo}.${code.phoneNumberHash}.${code.code}`);
}

/**
 * The text of a code message. The last line is the origin-bound format browsers read for
 * autofill (WebOTP): the code is only offered on the site it belongs to.
 */
export function smsCodeBody(code: string, options: { appName: string; host: string }): string {
  return `${code} is your ${options.appName} verification code. It expires in 5 minutes. Never share it.\n\n@${options.host} #${code}`;
}
