/**
 * Encryption at rest: round trips, key rotation, and every way a ciphertext or key can be wrong.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/index.js";
import { DecryptionError, createEncryptor, decodeEncryptionKey, generateEncryptionKey } from "./encryption.js";

describe("encryption", () => {
  it("round-trips with the same context, and never repeats a ciphertext", async () => {
    const encryptor = await createEncryptor(generateEncryptionKey());
    const first = await encryptor.encrypt("whsec_secret", "webhook-secret:wh_1");
    const second = await encryptor.encrypt("whsec_secret", "webhook-secret:wh_1");
    expect(first).toMatch(/^gh1\.[\w-]{8}\.[\w-]{16}\.[\w-]+$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain("whsec_secret");
    expect(await encryptor.decrypt(first, "webhook-secret:wh_1")).toBe("whsec_secret");
    expect(await encryptor.decrypt(second, "webhook-secret:wh_1")).toBe("whsec_secret");
  });

  it("refuses a ciphertext moved to another context (another record)", async () => {
    const encryptor = await createEncryptor(generateEncryptionKey());
    const sealed = await encryptor.encrypt("whsec_secret", "webhook-secret:wh_1");
    await expect(encryptor.decrypt(sealed, "webhook-secret:wh_2")).rejects.toBeInstanceOf(DecryptionError);
  });

  it("refuses altered ciphertexts and malformed values", async () => {
    const encryptor = await createEncryptor(generateEncryptionKey());
    const sealed = await encryptor.encrypt("whsec_secret", "ctx");
    const parts = sealed.split(".");
    const body = parts[3]!;
    const flipped = `${body.slice(0, 5)}${body[5] === "A" ? "B" : "A"}${body.slice(6)}`;
    for (const bad of [
      [parts[0], parts[1], parts[2], flipped].join("."),
      [parts[0], parts[1], parts[2]].join("."),
      `${sealed}.extra`,
      sealed.replace(/^gh1/, "gh2"),
      "",
      "not encrypted at all",
    ]) {
      await expect(encryptor.decrypt(bad, "ctx"), bad).rejects.toBeInstanceOf(DecryptionError);
    }
  });

  it("decrypts with any configured key and encrypts with the first: rotation", async () => {
    const oldKey = generateEncryptionKey();
    const newKey = generateEncryptionKey();
    const before = await createEncryptor(oldKey);
    const sealedWithOld = await before.encrypt("value", "ctx");

    const during = await createEncryptor([newKey, oldKey]);
    expect(await during.decrypt(sealedWithOld, "ctx")).toBe("value");
    const sealedWithNew = await during.encrypt("value", "ctx");

    const after = await createEncryptor(newKey);
    expect(await after.decrypt(sealedWithNew, "ctx")).toBe("value");
    await expect(after.decrypt(sealedWithOld, "ctx")).rejects.toThrow(/not configured/);
  });

  it("accepts keys in base64 and base64url, padded or not", async () => {
    const bytes = randomBytes(32);
    const standard = bytes.toString("base64");
    const forms = [standard, standard.replace(/=+$/, ""), bytes.toString("base64url")];
    for (const form of forms) expect(Buffer.from(decodeEncryptionKey(form)).equals(bytes), form).toBe(true);
    const sealed = await (await createEncryptor(forms[0]!)).encrypt("v", "c");
    expect(await (await createEncryptor(forms[2]!)).decrypt(sealed, "c")).toBe("v");
  });

  it("refuses keys of the wrong length or alphabet without echoing them", async () => {
    for (const bad of [
      "",
      "short",
      randomBytes(16).toString("base64"),
      randomBytes(48).toString("base64"),
      randomBytes(32).toString("hex"),
      `${randomBytes(32).toString("base64")}!`,
    ]) {
      let error: unknown;
      try {
        decodeEncryptionKey(bad);
      } catch (caught) {
        error = caught;
      }
      expect(error, bad).toBeInstanceOf(ConfigurationError);
      if (bad.length > 0) expect((error as Error).message).not.toContain(bad);
    }
    await expect(createEncryptor([])).rejects.toBeInstanceOf(ConfigurationError);
  });
});
