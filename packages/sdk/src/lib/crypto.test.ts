// SHA-256 in base64url: Node's synchronous path must give exactly what Web Crypto gives, since
// stored session and key hashes were made by either.
import { describe, expect, it } from "vitest";
import { base64url, sha256base64url } from "./crypto.js";

async function webCryptoDigest(value: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value))));
}

describe("sha256base64url", () => {
  it("matches the FIPS 180-2 test vector", async () => {
    expect(await sha256base64url("abc")).toBe("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
  });

  it("gives what Web Crypto gives, for ASCII, non-ASCII and empty input", async () => {
    for (const value of [
      "",
      "sess secret AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "pässwörd ✓ 🔑",
      "a".repeat(1000),
    ]) {
      expect(await sha256base64url(value)).toBe(await webCryptoDigest(value));
    }
  });
});
