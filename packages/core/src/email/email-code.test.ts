/**
 * Email-code sign-in: six CSPRNG digits, 10 minutes, five tries (even in parallel), single use,
 * and only for signing in.
 */
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import { cookieFrom, uniqueEmail } from "../test-support/engine.js";
import { codeIn, createMailTestEngine, type MailTestEngine } from "../test-support/mail.js";
import { newCode } from "./tokens.js";

const engines: MailTestEngine[] = [];
async function engineWith(config: Parameters<typeof createMailTestEngine>[0] = {}): Promise<MailTestEngine> {
  const engine = await createMailTestEngine(config);
  engines.push(engine);
  return engine;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

const MINUTE = 60 * 1000;

async function requestCode(engine: MailTestEngine, email: string): Promise<string> {
  expect((await engine.request("POST", "/v1/sign-in/email-code", { json: { email } })).status).toBe(202);
  const message = (await engine.mailTo(email)).filter((each) => each.template === "email-code").at(-1)!;
  // The code is in the body only, never in the subject a lock screen shows.
  expect(message.subject).not.toMatch(/\d{6}/);
  return codeIn(message);
}

const verify = (engine: MailTestEngine, email: string, code: string, headers: Record<string, string> = {}) =>
  engine.request("POST", "/v1/sign-in/email-code/verify", { json: { email, code }, headers });

/** Another six-digit code than `code`. */
const wrong = (code: string, offset = 1): string => String((Number(code) + offset) % 1_000_000).padStart(6, "0");

describe("email-code sign-in", () => {
  it("emails a six-digit code, stored hashed, that signs in and verifies the address", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const engine = await engineWith({ database });
    const { email, userId } = await engine.signUp();
    const code = await requestCode(engine, email);
    expect(code).toMatch(/^\d{6}$/);
    const stored = (await database.getLatestEmailToken(userId, "sign_in_code"))!;
    expect(stored.codeHash).toBe(createHash("sha256").update(`code:${stored.id}:${code}`).digest("base64url"));
    expect(stored.secretHash).toBeNull();
    expect(stored.expiresAt - stored.createdAt).toBe(10 * MINUTE);

    const response = await verify(engine, email.toUpperCase(), code);
    expect(response.status).toBe(200);
    const me = await engine.request("GET", "/v1/session", { cookie: cookieFrom(response, engine.cookieName)! });
    expect((await me.json()).user).toMatchObject({ id: userId, email_verified: true });
  });

  it("draws codes uniformly from all six-digit values", () => {
    const draws = Array.from({ length: 20_000 }, () => newCode());
    expect(draws.every((code) => /^\d{6}$/.test(code))).toBe(true);
    expect(new Set(draws).size).toBeGreaterThan(19_500);
    // Leading zeros happen (a tenth of codes), as they must for a uniform draw.
    const leadingZero = draws.filter((code) => code.startsWith("0")).length / draws.length;
    expect(leadingZero).toBeGreaterThan(0.08);
    expect(leadingZero).toBeLessThan(0.12);
  });

  it("signs in bearer clients with the token response", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const response = await verify(engine, email, await requestCode(engine, email), { "auth-transport": "bearer" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: "Bearer" });
  });

  it("expires after 10 minutes", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const inTime = await requestCode(engine, email);
    engine.clock.now += 10 * MINUTE - 1;
    expect((await verify(engine, email, inTime)).status).toBe(200);
    const late = await requestCode(engine, email);
    engine.clock.now += 10 * MINUTE;
    const response = await verify(engine, email, late);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_code" });
  });

  it("is void after five wrong tries, even for the right code", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const code = await requestCode(engine, email);
    for (let i = 1; i <= 5; i++) {
      const response = await verify(engine, email, wrong(code, i));
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: "invalid_code" });
    }
    expect((await verify(engine, email, code)).status).toBe(400);
  });

  it("four wrong tries still leave the fifth for the right code", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const code = await requestCode(engine, email);
    for (let i = 1; i <= 4; i++) expect((await verify(engine, email, wrong(code, i))).status).toBe(400);
    expect((await verify(engine, email, code)).status).toBe(200);
  });

  it("compares at most five guesses however many arrive at once", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    // The sign-in throttle would stop most of them first; loosened to test the code's own cap.
    const engine = await engineWith({
      database,
      throttle: { signInPerAccount: { points: 100, durationSeconds: 900 } },
    });
    const { email, userId } = await engine.signUp();
    const code = await requestCode(engine, email);
    const guesses = Array.from({ length: 30 }, (_, i) => wrong(code, i + 1));
    const responses = await Promise.all(guesses.map((guess) => verify(engine, email, guess)));
    expect(responses.every((response) => response.status === 400)).toBe(true);
    const stored = (await database.getLatestEmailToken(userId, "sign_in_code"))!;
    expect(stored.attempts).toBe(5);
    expect(stored.usedAt).not.toBeNull();
    expect((await verify(engine, email, code)).status).toBe(400);
  });

  it("works once, even when sent several times at once", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const code = await requestCode(engine, email);
    const statuses = (await Promise.all(Array.from({ length: 5 }, () => verify(engine, email, code)))).map(
      (response) => response.status,
    );
    expect(statuses.sort()).toEqual([200, 400, 400, 400, 400]);
  });

  it("a newer request voids the older code", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const older = await requestCode(engine, email);
    engine.clock.now += 1;
    const newer = await requestCode(engine, email);
    if (older !== newer) expect((await verify(engine, email, older)).status).toBe(400);
    expect((await verify(engine, email, newer)).status).toBe(200);
  });

  it("is only for signing in: it cannot verify an address, and a verification code cannot sign in", async () => {
    const engine = await engineWith();
    const { email, token } = await engine.signUp();
    const verification = (await engine.mailTo(email)).find((message) => message.template === "verify-email")!;
    const verificationCode = codeIn(verification);
    const signInCode = await requestCode(engine, email);

    const asVerification = await engine.request("POST", "/v1/email-verification/confirm", {
      json: { code: signInCode },
      cookie: token,
    });
    if (signInCode !== verificationCode) {
      expect(asVerification.status).toBe(400);
      expect(await asVerification.json()).toMatchObject({ code: "invalid_code" });
    }
    if (verificationCode !== signInCode) {
      expect((await verify(engine, email, verificationCode)).status).toBe(400);
    }
    // Both still work for their own purpose.
    expect((await verify(engine, email, signInCode)).status).toBe(200);
  });

  it("answers an unknown address like a known one, mails it nothing, and refuses any code for it", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const unknown = uniqueEmail();
    const a = await engine.request("POST", "/v1/sign-in/email-code", { json: { email } });
    const b = await engine.request("POST", "/v1/sign-in/email-code", { json: { email: unknown } });
    expect([b.status, [...b.headers], await b.text()]).toEqual([a.status, [...a.headers], await a.text()]);
    expect(await engine.mailTo(unknown)).toEqual([]);
    const forUnknown = await verify(engine, unknown, "123456");
    const wrongForKnown = await verify(engine, email, wrong(codeIn((await engine.mailTo(email)).at(-1)!)));
    expect([forUnknown.status, await forUnknown.text()]).toEqual([wrongForKnown.status, await wrongForKnown.text()]);
  });

  it.each([["12345"], ["1234567"], ["12345a"], [123456], [null]])("refuses the code %j with 422", async (code) => {
    const engine = await engineWith();
    const response = await engine.request("POST", "/v1/sign-in/email-code/verify", {
      json: { email: uniqueEmail(), code },
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: "validation_failed" });
  });

  it("counts code guesses against the sign-in throttle", async () => {
    const engine = await engineWith({ throttle: { signInPerAccount: { points: 3, durationSeconds: 900 } } });
    const { email } = await engine.signUp();
    const code = await requestCode(engine, email);
    for (let i = 1; i <= 3; i++) expect((await verify(engine, email, wrong(code, i))).status).toBe(400);
    const blocked = await verify(engine, email, code);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });
});
