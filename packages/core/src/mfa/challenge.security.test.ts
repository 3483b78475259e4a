/**
 * The challenge between the first and second step: random and stored hashed, bound to its
 * attempt (user, method, client), single-use even under parallel completion, 5 minutes, at most
 * 5 tries, and an account-wide cap that parallel guesses cannot overrun.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import type { GatehouseEvent } from "../events/bus.js";
import { TEST_ENCRYPTION_KEY, type TestEngine, createTestEngine } from "../test-support/engine.js";
import { currentCode, enableTOTP, expectChallengeOnly } from "../test-support/mfa.js";
import type { Database } from "../storage/ports.js";

let engine: TestEngine;
let database: Database;
const events: GatehouseEvent[] = [];

beforeAll(async () => {
  database = createMemoryDatabase({ warn: () => {} });
  engine = await createTestEngine({ database, encryptionKey: TEST_ENCRYPTION_KEY });
  engine.gatehouse.events.subscribe((event) => void events.push(event));
});
afterAll(() => engine.close());

async function mfaUser() {
  const user = await engine.signUp();
  const totp = await enableTOTP(engine, user.token);
  return { ...user, ...totp };
}

async function challengeFor(user: { email: string; password: string }, headers: Record<string, string> = {}) {
  const response = await engine.request("POST", "/v1/sign-in/password", {
    json: { email: user.email, password: user.password },
    headers,
  });
  return expectChallengeOnly(response);
}

const complete = (challenge: string, code: string, factor = "totp", headers: Record<string, string> = {}) =>
  engine.request("POST", "/v1/sign-in/second-factor", { json: { challenge, factor, code }, headers });

const codeOf = async (response: Response): Promise<string> => ((await response.json()) as { code: string }).code;

describe("second-factor challenges", () => {
  it("are 256-bit random, stored only as a hash, expire after 5 minutes and name the method", async () => {
    const user = await mfaUser();
    const challenge = await challengeFor(user);
    const [id, secret] = challenge.split(".") as [string, string];
    const stored = (await database.getMFAChallenge(id))!;
    expect(stored.secretHash).toBe(createHash("sha256").update(secret).digest("base64url"));
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored).toMatchObject({ userId: user.userId, method: "password", purpose: "sign_in", attempts: 0 });
    expect(stored.expiresAt - stored.createdAt).toBe(5 * 60 * 1000);
    expect(Buffer.from(secret, "base64url")).toHaveLength(32);
  });

  it("expire after 5 minutes", async () => {
    const user = await mfaUser();
    const challenge = await challengeFor(user);
    engine.clock.now += 5 * 60 * 1000;
    const response = await complete(challenge, currentCode(engine, user.secret));
    expect(response.status).toBe(400);
    expect(await codeOf(response)).toBe("invalid_challenge");
  });

  it("are single-use: a completed challenge cannot be completed again, even with another valid code", async () => {
    const user = await mfaUser();
    const challenge = await challengeFor(user);
    expect((await complete(challenge, currentCode(engine, user.secret))).status).toBe(200);
    const again = await complete(challenge, user.backupCodes[0]!, "backup_code");
    expect(again.status).toBe(400);
    expect(await codeOf(again)).toBe("invalid_challenge");
  });

  it("are single-use under parallel completion: of many right codes at once, exactly one signs in", async () => {
    const user = await mfaUser();
    const challenge = await challengeFor(user);
    const responses = await Promise.all(
      user.backupCodes.slice(0, 6).map((code) => complete(challenge, code, "backup_code")),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(5);
  });

  it("are bound to the client: another user agent or another transport cannot complete them", async () => {
    const user = await mfaUser();
    const challenge = await challengeFor(user, { "user-agent": "Browser A" });
    const code = currentCode(engine, user.secret);
    const others: Record<string, string>[] = [
      { "user-agent": "Browser B" },
      { "user-agent": "Browser A", "auth-transport": "bearer" },
      {},
    ];
    for (const headers of others) {
      const response = await complete(challenge, code, "totp", headers);
      expect(response.status).toBe(400);
      expect(await codeOf(response)).toBe("invalid_challenge");
    }
    expect((await complete(challenge, code, "totp", { "user-agent": "Browser A" })).status).toBe(200);
  });

  it("are bound to their user: one user's challenge with another user's code does nothing", async () => {
    const alice = await mfaUser();
    const mallory = await mfaUser();
    const challenge = await challengeFor(alice);
    const response = await complete(challenge, currentCode(engine, mallory.secret));
    expect(response.status).toBe(400);
    expect(await codeOf(response)).toBe("invalid_code");
    const forged = await complete(`${challenge.split(".")[0]}.${"A".repeat(43)}`, currentCode(engine, alice.secret));
    expect(await codeOf(forged)).toBe("invalid_challenge");
  });

  it("allow 5 tries: after 5 wrong codes even the right one is refused", async () => {
    const user = await mfaUser();
    const challenge = await challengeFor(user);
    for (let i = 0; i < 5; i++) {
      const response = await complete(challenge, "000000");
      expect(await codeOf(response)).toBe("invalid_code");
    }
    const response = await complete(challenge, currentCode(engine, user.secret));
    expect(response.status).toBe(400);
    expect(await codeOf(response)).toBe("invalid_challenge");
    const failures = events.filter((event) => event.type === "mfa.challenge_failed" && event.userId === user.userId);
    expect(failures.length).toBe(6);
    expect(JSON.stringify(failures)).not.toContain("000000");
  });

  it("lock the account after 10 wrong codes in 15 minutes, however many run in parallel", async () => {
    const user = await mfaUser();
    const challenges = await Promise.all(Array.from({ length: 8 }, () => challengeFor(user)));
    // 40 wrong guesses at once, 5 per challenge: at most 10 may ever be compared.
    const guesses = challenges.flatMap((challenge) =>
      Array.from({ length: 5 }, (_, i) => complete(challenge, String(100000 + i))),
    );
    const codes = await Promise.all((await Promise.all(guesses)).map(codeOf));
    expect(codes.filter((code) => code === "invalid_code").length).toBeLessThanOrEqual(10);
    expect(codes.filter((code) => code === "rate_limited").length).toBeGreaterThanOrEqual(30);
    // Locked: a fresh challenge with the right code is refused too, with Retry-After…
    const locked = await complete(await challengeFor(user), currentCode(engine, user.secret));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    // …until the window has passed.
    engine.clock.now += 15 * 60 * 1000;
    expect((await complete(await challengeFor(user), currentCode(engine, user.secret))).status).toBe(200);
  });

  it("an account's count starts over after a right code", async () => {
    const user = await mfaUser();
    for (let round = 0; round < 3; round++) {
      const challenge = await challengeFor(user);
      for (let i = 0; i < 4; i++) await complete(challenge, "000000");
      engine.clock.now += 30_000;
      expect((await complete(challenge, currentCode(engine, user.secret))).status).toBe(200);
    }
  });

  it("refuse malformed input with 4xx and change nothing", async () => {
    for (const json of [
      {},
      { challenge: "x", factor: "passkey", code: "1" },
      { challenge: 1, factor: "totp", code: "123456" },
      { challenge: "x".repeat(500), factor: "totp", code: "123456" },
    ]) {
      const response = await engine.request("POST", "/v1/sign-in/second-factor", { json });
      expect(response.status).toBe(422);
    }
    const response = await complete("not-a-challenge", "123456");
    expect(await codeOf(response)).toBe("invalid_challenge");
  });

  it("a user without a second factor signs in at once; the session records no second factor", async () => {
    const user = await engine.signUp();
    const response = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: user.email, password: user.password },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { session: { second_factor_verified_at: string | null } };
    expect(body.session.second_factor_verified_at).toBeNull();
  });

  it("a banned user cannot complete a challenge issued before the ban", async () => {
    const user = await mfaUser();
    const challenge = await challengeFor(user);
    await database.updateUser(user.userId, { bannedAt: engine.clock.now }, engine.clock.now);
    const response = await complete(challenge, currentCode(engine, user.secret));
    expect(response.status).toBe(403);
    expect(await codeOf(response)).toBe("user_banned");
  });
});
