// The default Argon2id parameters: never weaker than OWASP's, whole 2 MiB huge pages of memory,
// and hashes made with OWASP's 19 MiB upgraded at the next sign-in.
import { describe, expect, it } from "vitest";
import { createArgon2idHasher, DEFAULT_ARGON2ID, OWASP_ARGON2ID } from "./hasher.js";

const PASSWORD = "correct horse battery staple";

describe("createArgon2idHasher with the default parameters", () => {
  it("is at least OWASP's configuration in memory, iterations and lanes", () => {
    expect(DEFAULT_ARGON2ID.memoryCost).toBeGreaterThanOrEqual(OWASP_ARGON2ID.memoryCost);
    expect(DEFAULT_ARGON2ID.timeCost).toBeGreaterThanOrEqual(OWASP_ARGON2ID.timeCost);
    expect(DEFAULT_ARGON2ID.parallelism).toBeGreaterThanOrEqual(OWASP_ARGON2ID.parallelism);
  });

  it("asks for a whole number of 2 MiB huge pages", () => {
    expect(DEFAULT_ARGON2ID.memoryCost % 2048).toBe(0);
  });

  it("writes the parameters into the hash, and verifies it", async () => {
    const hasher = createArgon2idHasher();
    const stored = await hasher.hash(PASSWORD);
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=20480,t=2,p=1\$/);
    expect(await hasher.verify(stored, PASSWORD)).toBe(true);
    expect(await hasher.verify(stored, `${PASSWORD}!`)).toBe(false);
    expect(hasher.needsRehash(stored)).toBe(false);
  });

  it("upgrades a hash made with OWASP's 19 MiB, which still verifies", async () => {
    const owasp = await createArgon2idHasher(OWASP_ARGON2ID).hash(PASSWORD);
    expect(owasp).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const hasher = createArgon2idHasher();
    expect(await hasher.verify(owasp, PASSWORD)).toBe(true);
    expect(hasher.needsRehash(owasp)).toBe(true);
  });
});
