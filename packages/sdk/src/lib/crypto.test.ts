// SHA-256 in base64url: Node's synchronous path must give exactly what Web Crypto gives, since
// stored session and key hashes were made by either.
import * as nodeCrypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { base64url, nodeSHA256Of, sha256base64url } from "./crypto.js";

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

  it("gives the same with node:crypto's one-shot hash and with createHash, where a runtime lacks the first", async () => {
    const oneShot = nodeSHA256Of(nodeCrypto)!;
    const hashCalls: string[] = [];
    const counted = nodeSHA256Of({
      hash: (algorithm, data, encoding) => {
        hashCalls.push(data);
        return nodeCrypto.hash(algorithm, data, encoding);
      },
      createHash: () => {
        throw new Error("createHash used although hash exists");
      },
    })!;
    const withoutOneShot = nodeSHA256Of({ createHash: (algorithm) => nodeCrypto.createHash(algorithm) })!;
    for (const value of ["", "abc", "pässwörd ✓ 🔑", "a".repeat(1000)]) {
      const expected = await webCryptoDigest(value);
      expect(oneShot(value)).toBe(expected);
      expect(counted(value)).toBe(expected);
      expect(withoutOneShot(value)).toBe(expected);
    }
    expect(hashCalls).toHaveLength(4);
    expect(nodeSHA256Of(undefined)).toBeUndefined();
  });
});
