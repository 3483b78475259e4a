/**
 * TOTP and backup codes over HTTP, with a frozen clock: enrolment (secret, otpauth URL, QR SVG),
 * confirmation, ±1 step, no replay, secrets encrypted at rest, backup codes hashed and single-use,
 * regeneration, disabling with re-authentication and a notice, and no MFA without a key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import { createTestEngine, TEST_ENCRYPTION_KEY } from "../test-support/engine.js";
import { createMailTestEngine, type MailTestEngine } from "../test-support/mail.js";
import { currentCode, enableTOTP, expectChallengeOnly } from "../test-support/mfa.js";
import type { Database } from "../storage/ports.js";
import { createMAC, parseEncryptionKey } from "../lib/encryption.js";
import { hashBackupCode, newBackupCodeSet, normalizeBackupCode } from "./lib/backup-codes.js";
import { totpCode } from "./lib/totp.js";

let engine: MailTestEngine;
let database: Database;

beforeAll(async () => {
  database = createMemoryDatabase({ warn: () => {} });
  engine = await createMailTestEngine({ database, encryptionKey: TEST_ENCRYPTION_KEY });
});
afterAll(() => engine.close());

const STEP = 30_000;
const json = async (response: Response): Promise<Record<string, unknown>> =>
  (await response.json()) as Record<string, unknown>;

async function signInChallenge(user: { email: string; password: string }): Promise<string> {
  return expectChallengeOnly(
    await engine.request("POST", "/v1/sign-in/password", { json: { email: user.email, password: user.password } }),
  );
}
const complete = (challenge: string, code: string, factor = "totp") =>
  engine.request("POST", "/v1/sign-in/second-factor", { json: { challenge, factor, code } });

describe("TOTP enrolment", () => {
  it("returns a secret, an otpauth URL and a QR code as SVG; nothing changes until confirmed", async () => {
    const user = await engine.signUp();
    const response = await engine.request("POST", "/v1/mfa/totp", { cookie: user.token });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(body.otpauth_url as string);
    expect(url.protocol).toBe("otpauth:");
    expect(url.searchParams.get("secret")).toBe(body.secret);
    expect(url.searchParams.get("issuer")).toBe("localhost:4000");
    expect(decodeURIComponent(url.pathname)).toContain(user.email);
    expect(body.qr_svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    // Pending: sign-in still needs no second factor.
    const signIn = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: user.email, password: user.password },
    });
    expect((await json(signIn)).status).toBeUndefined();
    expect((await json(await engine.request("GET", "/v1/mfa", { cookie: user.token }))).enabled).toBe(false);
  });

  it("stores the secret encrypted, never in clear", async () => {
    const user = await engine.signUp();
    const { secret } = await enableTOTP(engine, user.token);
    const stored = (await database.getTOTP(user.userId))!;
    expect(stored.encryptedSecret).toMatch(/^v1\./);
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it("confirms only with a right code, then returns 10 distinct backup codes and turns MFA on", async () => {
    const user = await engine.signUp();
    const { secret } = await json(await engine.request("POST", "/v1/mfa/totp", { cookie: user.token }));
    const wrong = await engine.request("POST", "/v1/mfa/totp/confirm", {
      cookie: user.token,
      json: { code: "000000" },
    });
    expect(wrong.status).toBe(400);
    expect((await json(wrong)).code).toBe("invalid_code");
    const right = await engine.request("POST", "/v1/mfa/totp/confirm", {
      cookie: user.token,
      json: { code: totpCode(secret as string, engine.clock.now) },
    });
    expect(right.status).toBe(200);
    const codes = (await json(right)).backup_codes as string[];
    expect(codes.length).toBeGreaterThanOrEqual(10);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    const status = await json(await engine.request("GET", "/v1/mfa", { cookie: user.token }));
    expect(status).toMatchObject({ enabled: true, totp: { enabled: true }, backup_codes: { remaining: 10 } });
    // The confirming session has just verified the factor.
    const me = await json(await engine.request("GET", "/v1/session", { cookie: user.token }));
    expect((me.session as Record<string, unknown>).second_factor_verified_at).not.toBeNull();
    // A second enrolment is refused while one is on.
    const again = await engine.request("POST", "/v1/mfa/totp", { cookie: user.token });
    expect(again.status).toBe(409);
    expect((await json(again)).code).toBe("mfa_already_enabled");
  });

  it("needs a signed-in caller", async () => {
    expect((await engine.request("POST", "/v1/mfa/totp")).status).toBe(401);
    expect((await engine.request("POST", "/v1/mfa/totp/confirm", { json: { code: "123456" } })).status).toBe(401);
  });

  it("answers not_available when the engine has no encryption key", async () => {
    const keyless = await createTestEngine();
    try {
      const user = await keyless.signUp();
      const response = await keyless.request("POST", "/v1/mfa/totp", { cookie: user.token });
      expect(response.status).toBe(409);
      expect((await json(response)).code).toBe("not_available");
    } finally {
      await keyless.close();
    }
  });
});

describe("TOTP codes", () => {
  it("are accepted one step either side of now, not two", async () => {
    const user = await engine.signUp();
    const { secret } = await enableTOTP(engine, user.token);
    engine.clock.now += 10 * STEP;
    for (const offset of [-2, 2]) {
      const response = await complete(await signInChallenge(user), totpCode(secret, engine.clock.now + offset * STEP));
      expect((await json(response)).code).toBe("invalid_code");
    }
    for (const offset of [-1, 0, 1]) {
      engine.clock.now += 3 * STEP;
      const response = await complete(await signInChallenge(user), totpCode(secret, engine.clock.now + offset * STEP));
      expect(response.status).toBe(200);
    }
  });

  it("are refused once used, and so are codes of earlier steps", async () => {
    const user = await engine.signUp();
    const { secret } = await enableTOTP(engine, user.token);
    const code = currentCode(engine, secret);
    expect((await complete(await signInChallenge(user), code)).status).toBe(200);
    const replay = await complete(await signInChallenge(user), code);
    expect((await json(replay)).code).toBe("invalid_code");
    const earlier = await complete(await signInChallenge(user), totpCode(secret, engine.clock.now - STEP));
    expect((await json(earlier)).code).toBe("invalid_code");
    // The same code sent twice at once signs in once.
    engine.clock.now += STEP;
    const [a, b] = [await signInChallenge(user), await signInChallenge(user)];
    const fresh = currentCode(engine, secret);
    const statuses = (await Promise.all([complete(a, fresh), complete(b, fresh)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 400]);
  });
});

describe("backup codes", () => {
  it("are drawn at random and stored only as keyed hashes bound to the user", async () => {
    const mac = await createMAC(parseEncryptionKey(TEST_ENCRYPTION_KEY), "backup-codes");
    const { codes, records } = await newBackupCodeSet(mac, "user_a", 1);
    expect(records).toHaveLength(codes.length);
    for (const [index, record] of records.entries()) {
      expect(record.codeHash).toBe(await hashBackupCode(mac, "user_a", codes[index]!));
      expect(record.codeHash).not.toContain(normalizeBackupCode(codes[index]!));
      expect(record.codeHash).not.toBe(await hashBackupCode(mac, "user_b", codes[index]!));
    }
    const drawn = (await Promise.all(Array.from({ length: 50 }, () => newBackupCodeSet(mac, "user_a", 1)))).flatMap(
      (set) => set.codes,
    );
    expect(new Set(drawn).size).toBe(drawn.length);
  });

  it("work once each, and only as factor backup_code", async () => {
    const user = await engine.signUp();
    const { backupCodes } = await enableTOTP(engine, user.token);
    expect(await database.countUnusedBackupCodes(user.userId)).toBe(10);
    const [first] = backupCodes as [string];
    expect((await json(await complete(await signInChallenge(user), first, "totp"))).code).toBe("invalid_code");
    // Typed loosely (upper case, no dash) it still works, once.
    expect(
      (await complete(await signInChallenge(user), first.toUpperCase().replace("-", ""), "backup_code")).status,
    ).toBe(200);
    const again = await complete(await signInChallenge(user), first, "backup_code");
    expect((await json(again)).code).toBe("invalid_code");
    expect(await database.countUnusedBackupCodes(user.userId)).toBe(9);
  });

  it("used in parallel, one code signs in once", async () => {
    const user = await engine.signUp();
    const { backupCodes } = await enableTOTP(engine, user.token);
    const challenges = await Promise.all([1, 2, 3].map(() => signInChallenge(user)));
    const responses = await Promise.all(
      challenges.map((challenge) => complete(challenge, backupCodes[0]!, "backup_code")),
    );
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
  });

  it("regeneration needs re-authentication and voids the old set", async () => {
    const user = await engine.signUp();
    const { backupCodes } = await enableTOTP(engine, user.token);
    engine.clock.now += 11 * 60 * 1000; // the session is no longer fresh
    const refused = await engine.request("POST", "/v1/mfa/backup-codes", { cookie: user.token, json: {} });
    expect(refused.status).toBe(403);
    expect((await json(refused)).code).toBe("reauthentication_required");
    const response = await engine.request("POST", "/v1/mfa/backup-codes", {
      cookie: user.token,
      json: { current_password: user.password },
    });
    expect(response.status).toBe(200);
    const fresh = (await json(response)).backup_codes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh.some((code) => backupCodes.includes(code))).toBe(false);
    const old = await complete(await signInChallenge(user), backupCodes[1]!, "backup_code");
    expect((await json(old)).code).toBe("invalid_code");
    expect((await complete(await signInChallenge(user), fresh[0]!, "backup_code")).status).toBe(200);
  });
});

describe("disabling TOTP", () => {
  it("needs the current password or a fresh session, then signs in without a second factor and emails a notice", async () => {
    const user = await engine.signUp();
    await enableTOTP(engine, user.token);
    engine.clock.now += 11 * 60 * 1000;
    for (const body of [{}, { current_password: "wrong-password-123" }]) {
      const refused = await engine.request("POST", "/v1/mfa/totp/disable", { cookie: user.token, json: body });
      expect(refused.status).toBe(403);
      expect((await json(refused)).code).toBe("reauthentication_required");
    }
    expect(await database.getTOTP(user.userId)).not.toBeNull();
    const response = await engine.request("POST", "/v1/mfa/totp/disable", {
      cookie: user.token,
      json: { current_password: user.password },
    });
    expect(response.status).toBe(204);
    expect(await database.getTOTP(user.userId)).toBeNull();
    expect(await database.countUnusedBackupCodes(user.userId)).toBe(0);
    const notice = await engine.lastMailTo(user.email);
    expect(notice.template).toBe("mfa-disabled");
    expect(notice.text).toContain("turned off");
    const signIn = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: user.email, password: user.password },
    });
    expect(signIn.status).toBe(200);
    expect((await json(signIn)).session).toBeDefined();
  });

  it("works without the password from a session that signed in within 10 minutes", async () => {
    const user = await engine.signUp();
    await enableTOTP(engine, user.token);
    const response = await engine.request("POST", "/v1/mfa/totp/disable", { cookie: user.token, json: {} });
    expect(response.status).toBe(204);
  });
});
