/**
 * Phone numbers and SMS codes: E.164 normalisation and validation, the hint, the code draw and
 * its keyed hash bound to everything a code is for.
 */
import { describe, expect, it } from "vitest";
import { createMAC, parseEncryptionKey } from "../../lib/encryption.js";
import { TEST_ENCRYPTION_KEY } from "../../test-support/engine.js";
import { hashSMSCode, newSMSCode, normalizePhoneNumber, phoneNumberHint } from "./sms.js";

describe("normalizePhoneNumber", () => {
  it.each([
    ["+44 7400 123456", "+447400123456"],
    ["+44-7400-123-456", "+447400123456"],
    ["+44.7400.123.456", "+447400123456"],
    ["+1 (201) 555-0123", "+12015550123"],
    [" +33 6 12 34 56 78 ", "+33612345678"],
  ])("reads %j as %s", (input, e164) => {
    expect(normalizePhoneNumber(input)).toBe(e164);
  });

  it.each([
    "+44 7400 12345a",
    "+44 7400 1234567890",
    "447400123456",
    "+0 7400 123456",
    "+999 123456789",
    "+",
    "x".repeat(100),
  ])("refuses %j", (input) => {
    expect(normalizePhoneNumber(input)).toBeNull();
  });
});

describe("phoneNumberHint", () => {
  it("shows the country code and the last three digits only", () => {
    expect(phoneNumberHint("+447400123456")).toBe("+44 ••••••• 456");
    expect(phoneNumberHint("+12015550123")).toBe("+1 ••••••• 123");
    expect(phoneNumberHint("+33612345678")).not.toContain("612345");
  });
});

describe("SMS codes", () => {
  it("are six digits drawn evenly", () => {
    const codes = Array.from({ length: 5000 }, newSMSCode);
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(4900);
    // Every leading digit shows up about a tenth of the time (a modulo bias or a fixed prefix would not).
    const leading = new Map<string, number>();
    for (const code of codes) leading.set(code[0]!, (leading.get(code[0]!) ?? 0) + 1);
    expect(leading.size).toBe(10);
    for (const count of leading.values()) expect(count).toBeGreaterThan(350);
  });

  it("hash differently for another user, purpose, binding, number or code", async () => {
    const mac = await createMAC(parseEncryptionKey(TEST_ENCRYPTION_KEY), "sms-codes");
    const base = {
      userId: "u1",
      purpose: "sign_in",
      boundTo: "challenge:a",
      phoneNumberHash: "n1",
      code: "123456",
    } as const;
    const hash = await hashSMSCode(mac, base);
    expect(hash).not.toContain("123456");
    for (const change of [
      { userId: "u2" },
      { purpose: "step_up" },
      { boundTo: "challenge:b" },
      { phoneNumberHash: "n2" },
      { code: "123457" },
    ] as const) {
      expect(await hashSMSCode(mac, { ...base, ...change })).not.toBe(hash);
    }
  });
});
