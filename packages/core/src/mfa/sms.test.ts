/**
 * Text-message codes over HTTP, with a frozen clock and a local Twilio fake: enrolment, E.164
 * validation, codes (six digits, 5 minutes, single-use, bound to their purpose), sign-in and
 * step-up, the caps, the send throttles, backup codes across factors, disabling with
 * re-authentication and a notice, and the provider's failures.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import type { GatehouseEvent } from "../events/bus.js";
import type { Database } from "../storage/ports.js";
import { cookieFrom, createTestEngine, TEST_ENCRYPTION_KEY } from "../test-support/engine.js";
import { enableTOTP, expectChallengeOnly, currentCode } from "../test-support/mfa.js";
import {
  createSMSTestEngine,
  enableSMS,
  TEST_TWILIO_FROM,
  uniqueMobileNumber,
  type SMSTestEngine,
} from "../test-support/sms.js";

let engine: SMSTestEngine;
let database: Database;
const events: GatehouseEvent[] = [];

beforeAll(async () => {
  database = createMemoryDatabase({ warn: () => {} });
  engine = await createSMSTestEngine({ database });
  engine.gatehouse.events.subscribe((event) => void events.push(event));
});
afterAll(() => engine.close());

const json = async (response: Response): Promise<Record<string, unknown>> =>
  (await response.json()) as Record<string, unknown>;
const codeOf = async (response: Response): Promise<unknown> => (await json(response)).code;
/** A network of its own per call, so the per-IP send limit only bites where a test wants it. */
const freshIP = (): string => `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

async function smsUser() {
  const user = await engine.signUp();
  const sms = await enableSMS(engine, user.token);
  return { ...user, ...sms };
}

async function signInChallenge(user: { email: string; password: string }): Promise<string> {
  const response = await engine.request("POST", "/v1/sign-in/password", {
    json: { email: user.email, password: user.password },
  });
  return expectChallengeOnly(response);
}
const sendSignInCode = (challenge: string, remoteAddress = freshIP()) =>
  engine.request("POST", "/v1/sign-in/second-factor/sms", { json: { challenge }, remoteAddress });
const complete = (challenge: string, code: string, factor = "sms") =>
  engine.request("POST", "/v1/sign-in/second-factor", { json: { challenge, factor, code } });
/** Any six digits other than `code`. */
const wrongCode = (code: string): string => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe("SMS enrolment", () => {
  it("texts a 6-digit code through the provider, stores the number encrypted, and turns SMS on when confirmed", async () => {
    const user = await engine.signUp();
    const phoneNumber = "+44 7911 123-456";
    const started = await engine.request("POST", "/v1/mfa/sms", {
      cookie: user.token,
      json: { phone_number: phoneNumber },
      remoteAddress: freshIP(),
    });
    expect(started.status).toBe(200);
    expect(started.headers.get("cache-control")).toBe("no-store");
    expect(await json(started)).toEqual({ phone_number_hint: "+44 ••••••• 456", expires_in: 300 });
    const [text] = engine.twilio.messagesTo("+447911123456");
    expect(text).toMatchObject({ from: TEST_TWILIO_FROM, messagingServiceSid: null });
    expect(text!.body).toMatch(/^\d{6} is your localhost:4000 verification code\. It expires in 5 minutes\./);
    expect(text!.body).toMatch(/\n@localhost:4000 #\d{6}$/);
    const code = engine.twilio.lastCodeTo("+447911123456");

    const stored = (await database.getSMS(user.userId))!;
    expect(stored.confirmedAt).toBeNull();
    expect(stored.encryptedPhoneNumber).toMatch(/^v1\./);
    expect(JSON.stringify(stored)).not.toContain("7911123456");
    // Pending: sign-in asks for nothing yet.
    const before = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: user.email, password: user.password },
    });
    expect((await json(before)).session).toBeDefined();

    const wrong = await engine.request("POST", "/v1/mfa/sms/confirm", {
      cookie: user.token,
      json: { code: wrongCode(code) },
    });
    expect(await codeOf(wrong)).toBe("invalid_code");
    const confirmed = await engine.request("POST", "/v1/mfa/sms/confirm", { cookie: user.token, json: { code } });
    expect(confirmed.status).toBe(200);
    const backupCodes = (await json(confirmed)).backup_codes as string[];
    expect(backupCodes).toHaveLength(10);

    const status = await json(await engine.request("GET", "/v1/mfa", { cookie: user.token }));
    expect(status).toMatchObject({
      enabled: true,
      totp: { enabled: false },
      sms: {
        available: true,
        enabled: true,
        phone_number_hint: "+44 ••••••• 456",
        confirmed_at: new Date(engine.clock.now).toISOString(),
      },
      backup_codes: { remaining: 10 },
    });
    const me = await json(await engine.request("GET", "/v1/session", { cookie: user.token }));
    expect((me.session as Record<string, unknown>).second_factor_verified_at).not.toBeNull();
    expect(events.filter((event) => event.type === "mfa.enabled" && event.userId === user.userId)).toMatchObject([
      { data: { factor: "sms" } },
    ]);
    // The code worked once; a second number cannot be enrolled while one is on.
    const again = await engine.request("POST", "/v1/mfa/sms/confirm", { cookie: user.token, json: { code } });
    expect(await codeOf(again)).toBe("mfa_already_enabled");
    const another = await engine.request("POST", "/v1/mfa/sms", {
      cookie: user.token,
      json: { phone_number: uniqueMobileNumber() },
      remoteAddress: freshIP(),
    });
    expect(another.status).toBe(409);
    expect(await codeOf(another)).toBe("mfa_already_enabled");
  });

  it.each([
    ["letters", "+44 7911 ABC456"],
    ["too long", "+4479111234567890"],
    ["missing +", "447911123456"],
    ["national form", "07911 123456"],
    ["invalid country code", "+999 123 456 789"],
    ["too short for its country", "+44 7911 1234"],
    ["a landline", "+44 20 7946 0018"],
    ["a premium-rate number", "+1 900 555 1234"],
    ["a trunk zero inside", "+44 (0)7911 123456"],
    ["empty", " "],
  ])("refuses %s with 422 invalid_phone_number, sends nothing and stores nothing", async (_, phoneNumber) => {
    const user = await engine.signUp();
    const sent = engine.twilio.requests;
    const response = await engine.request("POST", "/v1/mfa/sms", {
      cookie: user.token,
      json: { phone_number: phoneNumber },
      remoteAddress: freshIP(),
    });
    expect(response.status).toBe(422);
    expect(await codeOf(response)).toBe("invalid_phone_number");
    expect(engine.twilio.requests).toBe(sent);
    expect(await database.getSMS(user.userId)).toBeNull();
  });

  it("refuses malformed bodies with 422 validation_failed", async () => {
    const user = await engine.signUp();
    for (const body of [{}, { phone_number: 447911123456 }, { phone_number: "+".repeat(41) }]) {
      const response = await engine.request("POST", "/v1/mfa/sms", { cookie: user.token, json: body });
      expect(await codeOf(response)).toBe("validation_failed");
    }
    expect((await engine.request("POST", "/v1/mfa/sms", { json: { phone_number: "+447911123456" } })).status).toBe(401);
  });

  it("a new number replaces the pending one, and the first number's code no longer confirms anything", async () => {
    const user = await engine.signUp();
    const [first, second] = [uniqueMobileNumber(), uniqueMobileNumber()];
    for (const phoneNumber of [first, second]) {
      const response = await engine.request("POST", "/v1/mfa/sms", {
        cookie: user.token,
        json: { phone_number: phoneNumber },
        remoteAddress: freshIP(),
      });
      expect(response.status).toBe(200);
    }
    const stale = await engine.request("POST", "/v1/mfa/sms/confirm", {
      cookie: user.token,
      json: { code: engine.twilio.lastCodeTo(first) },
    });
    expect(await codeOf(stale)).toBe("invalid_code");
    const right = await engine.request("POST", "/v1/mfa/sms/confirm", {
      cookie: user.token,
      json: { code: engine.twilio.lastCodeTo(second) },
    });
    expect(right.status).toBe(200);
    const status = await json(await engine.request("GET", "/v1/mfa", { cookie: user.token }));
    expect((status.sms as Record<string, unknown>).phone_number_hint).toBe(`+44 ••••••• ${second.slice(-3)}`);
  });

  it("an enrolment code works only from the session that asked for it", async () => {
    const user = await engine.signUp();
    const other = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: user.email, password: user.password },
    });
    const otherCookie = cookieFrom(other, engine.cookieName)!;
    const phoneNumber = uniqueMobileNumber();
    await engine.request("POST", "/v1/mfa/sms", {
      cookie: user.token,
      json: { phone_number: phoneNumber },
      remoteAddress: freshIP(),
    });
    const code = engine.twilio.lastCodeTo(phoneNumber);
    const elsewhere = await engine.request("POST", "/v1/mfa/sms/confirm", { cookie: otherCookie, json: { code } });
    expect(await codeOf(elsewhere)).toBe("invalid_code");
    expect((await engine.request("POST", "/v1/mfa/sms/confirm", { cookie: user.token, json: { code } })).status).toBe(
      200,
    );
  });

  it("the development mailbox and no provider: without one every SMS endpoint answers not_available", async () => {
    const plain = await createTestEngine({ encryptionKey: TEST_ENCRYPTION_KEY });
    try {
      const user = await plain.signUp();
      for (const [path, body] of [
        ["/v1/mfa/sms", { phone_number: "+447911123456" }],
        ["/v1/mfa/sms/confirm", { code: "123456" }],
        ["/v1/mfa/sms/send", {}],
      ] as const) {
        const response = await plain.request("POST", path, { cookie: user.token, json: body });
        expect(response.status).toBe(409);
        expect(await codeOf(response)).toBe("not_available");
      }
      const status = await json(await plain.request("GET", "/v1/mfa", { cookie: user.token }));
      expect(status.sms).toEqual({ available: false, enabled: false, phone_number_hint: null, confirmed_at: null });
      expect(plain.gatehouse.features.sms).toBe(false);
      expect(engine.gatehouse.features.sms).toBe(true);
    } finally {
      await plain.close();
    }
  });
});

describe("configuration", () => {
  it("an SMS provider without an encryption key, or one without send, stops the start", async () => {
    const sms = { send: async () => {} };
    await expect(createTestEngine({ sms })).rejects.toMatchObject({ code: "configuration_error" });
    await expect(
      createTestEngine({ encryptionKey: TEST_ENCRYPTION_KEY, sms: {} as unknown as typeof sms }),
    ).rejects.toMatchObject({ code: "configuration_error" });
  });
});

describe("switching the provider off", () => {
  it("keeps SMS users challenged (no bypass): sends are not_available, a backup code completes", async () => {
    const user = await smsUser();
    const off = await createTestEngine({ database, encryptionKey: TEST_ENCRYPTION_KEY });
    try {
      const status = await json(await off.request("GET", "/v1/mfa", { cookie: user.token }));
      expect(status.sms).toMatchObject({
        available: false,
        enabled: true,
        phone_number_hint: `+44 ••••••• ${user.phoneNumber.slice(-3)}`,
      });
      const response = await off.request("POST", "/v1/sign-in/password", {
        json: { email: user.email, password: user.password },
      });
      expect(((await response.clone().json()) as { factors: string[] }).factors).toEqual(["sms", "backup_code"]);
      const challenge = await expectChallengeOnly(response);
      const send = await off.request("POST", "/v1/sign-in/second-factor/sms", { json: { challenge } });
      expect(await codeOf(send)).toBe("not_available");
      const completed = await off.request("POST", "/v1/sign-in/second-factor", {
        json: { challenge, factor: "backup_code", code: user.backupCodes[0] },
      });
      expect(completed.status).toBe(200);
    } finally {
      await off.close();
    }
  });
});

describe("SMS codes at sign-in", () => {
  it("a user with only SMS gets a challenge listing sms; a texted code completes it once", async () => {
    const user = await smsUser();
    const response = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: user.email, password: user.password },
    });
    const body = (await response.clone().json()) as { factors: string[] };
    expect(body.factors).toEqual(["sms", "backup_code"]);
    const challenge = await expectChallengeOnly(response);
    const sent = await sendSignInCode(challenge);
    expect(sent.status).toBe(200);
    expect(await json(sent)).toEqual({
      phone_number_hint: `+44 ••••••• ${user.phoneNumber.slice(-3)}`,
      expires_in: 300,
    });
    const code = engine.twilio.lastCodeTo(user.phoneNumber);
    expect(await codeOf(await complete(challenge, code, "totp"))).toBe("invalid_code");
    const signedIn = await complete(challenge, code);
    expect(signedIn.status).toBe(200);
    expect((await json(signedIn)).session).toBeDefined();
    // Single-use: the same code on a new challenge does nothing.
    const next = await signInChallenge(user);
    expect(await codeOf(await complete(next, code))).toBe("invalid_code");
  });

  it("a code works for 5 minutes, not a moment longer", async () => {
    const user = await smsUser();
    const verify = (code: string) =>
      engine.request("POST", "/v1/mfa/verify", { cookie: user.token, json: { factor: "sms", code } });
    await engine.request("POST", "/v1/mfa/sms/send", { cookie: user.token, remoteAddress: freshIP() });
    const late = engine.twilio.lastCodeTo(user.phoneNumber);
    engine.clock.now += 5 * 60 * 1000;
    expect(await codeOf(await verify(late))).toBe("invalid_code");
    await engine.request("POST", "/v1/mfa/sms/send", { cookie: user.token, remoteAddress: freshIP() });
    const inTime = engine.twilio.lastCodeTo(user.phoneNumber);
    engine.clock.now += 5 * 60 * 1000 - 1;
    expect((await verify(inTime)).status).toBe(200);
  });

  it("a code sent for one challenge does not complete another, nor another user's", async () => {
    const alice = await smsUser();
    const mallory = await smsUser();
    const [first, second] = [await signInChallenge(alice), await signInChallenge(alice)];
    await sendSignInCode(first);
    const code = engine.twilio.lastCodeTo(alice.phoneNumber);
    expect(await codeOf(await complete(second, code))).toBe("invalid_code");
    // Mallory's own code against Alice's challenge, and Alice's code against Mallory's.
    const malloryChallenge = await signInChallenge(mallory);
    await sendSignInCode(malloryChallenge);
    expect(await codeOf(await complete(first, engine.twilio.lastCodeTo(mallory.phoneNumber)))).toBe("invalid_code");
    expect(await codeOf(await complete(malloryChallenge, code))).toBe("invalid_code");
    // The code was not burnt by the tries above.
    expect((await complete(first, code)).status).toBe(200);
  });

  it("a new send replaces the earlier code", async () => {
    const user = await smsUser();
    const challenge = await signInChallenge(user);
    await sendSignInCode(challenge);
    const earlier = engine.twilio.lastCodeTo(user.phoneNumber);
    await sendSignInCode(challenge);
    const later = engine.twilio.lastCodeTo(user.phoneNumber);
    if (earlier !== later) expect(await codeOf(await complete(challenge, earlier))).toBe("invalid_code");
    expect((await complete(challenge, later)).status).toBe(200);
  });

  it("the enrolment code and a step-up code cannot complete a sign-in, nor a sign-in code a step-up", async () => {
    const user = await engine.signUp();
    const phoneNumber = uniqueMobileNumber();
    await engine.request("POST", "/v1/mfa/sms", {
      cookie: user.token,
      json: { phone_number: phoneNumber },
      remoteAddress: freshIP(),
    });
    const enrolmentCode = engine.twilio.lastCodeTo(phoneNumber);
    await engine.request("POST", "/v1/mfa/sms/confirm", { cookie: user.token, json: { code: enrolmentCode } });
    const challenge = await signInChallenge(user);
    expect(await codeOf(await complete(challenge, enrolmentCode))).toBe("invalid_code");

    await engine.request("POST", "/v1/mfa/sms/send", { cookie: user.token, remoteAddress: freshIP() });
    const stepUpCode = engine.twilio.lastCodeTo(phoneNumber);
    expect(await codeOf(await complete(challenge, stepUpCode))).toBe("invalid_code");

    await sendSignInCode(challenge);
    const signInCode = engine.twilio.lastCodeTo(phoneNumber);
    const stepUp = await engine.request("POST", "/v1/mfa/verify", {
      cookie: user.token,
      json: { factor: "sms", code: signInCode },
    });
    expect(await codeOf(stepUp)).toBe("invalid_code");
    expect((await complete(challenge, signInCode)).status).toBe(200);
  });

  it("sending needs a live sign-in challenge of a user with a number", async () => {
    const user = await engine.signUp();
    await enableTOTP(engine, user.token);
    const challenge = await signInChallenge(user);
    const noNumber = await sendSignInCode(challenge);
    expect(noNumber.status).toBe(409);
    expect(await codeOf(noNumber)).toBe("mfa_not_enabled");
    for (const bogus of ["nope", `${challenge.split(".")[0]}.${"A".repeat(43)}`]) {
      expect(await codeOf(await sendSignInCode(bogus))).toBe("invalid_challenge");
    }
    const smsOnly = await smsUser();
    const expired = await signInChallenge(smsOnly);
    engine.clock.now += 5 * 60 * 1000;
    const sent = engine.twilio.requests;
    expect(await codeOf(await sendSignInCode(expired))).toBe("invalid_challenge");
    expect(engine.twilio.requests).toBe(sent);
  });

  it("tries count against the challenge's cap: after 5 wrong codes the right one is refused", async () => {
    const user = await smsUser();
    const challenge = await signInChallenge(user);
    await sendSignInCode(challenge);
    const code = engine.twilio.lastCodeTo(user.phoneNumber);
    for (let i = 0; i < 5; i++) expect(await codeOf(await complete(challenge, wrongCode(code)))).toBe("invalid_code");
    expect(await codeOf(await complete(challenge, code))).toBe("invalid_challenge");
    const failures = events.filter((event) => event.type === "mfa.challenge_failed" && event.userId === user.userId);
    expect(failures.every((event) => event.data?.factor === "sms")).toBe(true);
    expect(JSON.stringify(failures)).not.toContain(code);
    expect(JSON.stringify(failures)).not.toContain(user.phoneNumber.slice(1));
  });

  it("parallel guesses across challenges cannot exceed the account's 10 tries", async () => {
    const user = await smsUser();
    const challenges = await Promise.all(Array.from({ length: 6 }, () => signInChallenge(user)));
    await sendSignInCode(challenges[0]!);
    const code = engine.twilio.lastCodeTo(user.phoneNumber);
    const guesses = challenges.flatMap((challenge) =>
      Array.from({ length: 5 }, () => complete(challenge, wrongCode(code))),
    );
    const codes = await Promise.all((await Promise.all(guesses)).map(codeOf));
    expect(codes.filter((each) => each === "invalid_code").length).toBeLessThanOrEqual(10);
    expect(codes.filter((each) => each === "rate_limited").length).toBeGreaterThanOrEqual(20);
    // Locked: a fresh challenge with its right code is refused too.
    const fresh = await signInChallenge(user);
    await sendSignInCode(fresh);
    const locked = await complete(fresh, engine.twilio.lastCodeTo(user.phoneNumber));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("sending limits", () => {
  it("3 texts per number per 15 minutes, whoever asks; a refused send texts and stores nothing", async () => {
    const user = await smsUser();
    // The enrolment text was the first of the window.
    const challenge = await signInChallenge(user);
    for (let i = 0; i < 2; i++) expect((await sendSignInCode(challenge)).status).toBe(200);
    const code = engine.twilio.lastCodeTo(user.phoneNumber);
    const refused = await sendSignInCode(challenge);
    expect(refused.status).toBe(429);
    expect(await codeOf(refused)).toBe("rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(engine.twilio.messagesTo(user.phoneNumber)).toHaveLength(3);
    // Enrolling the same number on another account counts against the same number.
    const other = await engine.signUp();
    const viaOther = await engine.request("POST", "/v1/mfa/sms", {
      cookie: other.token,
      json: { phone_number: user.phoneNumber },
      remoteAddress: freshIP(),
    });
    expect(viaOther.status).toBe(429);
    expect(await database.getSMS(other.userId)).toBeNull();
    expect(engine.twilio.messagesTo(user.phoneNumber)).toHaveLength(3);
    // The refused sends replaced nothing: the last code sent still works.
    expect((await complete(challenge, code)).status).toBe(200);
  });

  it("a daily cap per number holds beside the short window", async () => {
    const daily = await createSMSTestEngine({
      throttle: {
        smsPerNumber: { points: 100, durationSeconds: 900 },
        smsPerNumberPerDay: { points: 4, durationSeconds: 86_400 },
      },
    });
    try {
      const user = await daily.signUp();
      const { phoneNumber } = await enableSMS(daily, user.token);
      const challenge = await expectChallengeOnly(
        await daily.request("POST", "/v1/sign-in/password", { json: { email: user.email, password: user.password } }),
      );
      const send = () =>
        daily.request("POST", "/v1/sign-in/second-factor/sms", { json: { challenge }, remoteAddress: freshIP() });
      for (let i = 0; i < 3; i++) expect((await send()).status).toBe(200);
      expect(await codeOf(await send())).toBe("rate_limited");
      expect(daily.twilio.messagesTo(phoneNumber)).toHaveLength(4);
    } finally {
      await daily.close();
    }
  });

  it("10 texts per hour from one client network, whatever the numbers", async () => {
    const network = "203.0.113.77";
    const sentBefore = engine.twilio.messages.length;
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const user = await engine.signUp();
      const response = await engine.request("POST", "/v1/mfa/sms", {
        cookie: user.token,
        json: { phone_number: uniqueMobileNumber() },
        remoteAddress: network,
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses[10]).toBe(429);
    expect(engine.twilio.messages.length - sentBefore).toBe(10);
  });
});

describe("step-up with SMS", () => {
  it("a texted code bound to the session renews second_factor_verified_at", async () => {
    const user = await smsUser();
    engine.clock.now += 60_000;
    const sent = await engine.request("POST", "/v1/mfa/sms/send", { cookie: user.token, remoteAddress: freshIP() });
    expect(sent.status).toBe(200);
    const code = engine.twilio.lastCodeTo(user.phoneNumber);
    const stepUp = await engine.request("POST", "/v1/mfa/verify", {
      cookie: user.token,
      json: { factor: "sms", code },
    });
    expect(stepUp.status).toBe(200);
    expect(((await json(stepUp)).session as Record<string, unknown>).second_factor_verified_at).toBe(
      new Date(engine.clock.now).toISOString(),
    );
    const replay = await engine.request("POST", "/v1/mfa/verify", {
      cookie: user.token,
      json: { factor: "sms", code },
    });
    expect(await codeOf(replay)).toBe("invalid_code");
  });

  it("another session's step-up code does not verify this one", async () => {
    const user = await smsUser();
    const second = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: user.email, password: user.password },
    });
    const challenge = await expectChallengeOnly(second);
    await sendSignInCode(challenge);
    const signedIn = await complete(challenge, engine.twilio.lastCodeTo(user.phoneNumber));
    const otherCookie = cookieFrom(signedIn, engine.cookieName)!;
    await engine.request("POST", "/v1/mfa/sms/send", { cookie: otherCookie, remoteAddress: freshIP() });
    const code = engine.twilio.lastCodeTo(user.phoneNumber);
    const here = await engine.request("POST", "/v1/mfa/verify", { cookie: user.token, json: { factor: "sms", code } });
    expect(await codeOf(here)).toBe("invalid_code");
  });

  it("sending needs a confirmed number", async () => {
    const user = await engine.signUp();
    const response = await engine.request("POST", "/v1/mfa/sms/send", { cookie: user.token });
    expect(await codeOf(response)).toBe("mfa_not_enabled");
    expect((await engine.request("POST", "/v1/mfa/sms/send")).status).toBe(401);
  });
});

describe("backup codes with more than one factor", () => {
  it("are made by the first factor only; a second factor answers [] and keeps them valid", async () => {
    const user = await engine.signUp();
    const { backupCodes } = await enableTOTP(engine, user.token);
    expect(backupCodes).toHaveLength(10);
    const sms = await enableSMS(engine, user.token);
    expect(sms.backupCodes).toEqual([]);
    expect(await database.countUnusedBackupCodes(user.userId)).toBe(10);
    const challenge = await signInChallenge(user);
    expect((await complete(challenge, backupCodes[0]!, "backup_code")).status).toBe(200);

    // The other order: SMS first, then TOTP.
    const other = await engine.signUp();
    const first = await enableSMS(engine, other.token);
    expect(first.backupCodes).toHaveLength(10);
    const totp = await enableTOTP(engine, other.token);
    expect(totp.backupCodes).toEqual([]);
    const factors = (
      (await (
        await engine.request("POST", "/v1/sign-in/password", { json: { email: other.email, password: other.password } })
      ).json()) as { factors: string[] }
    ).factors;
    expect(factors).toEqual(["totp", "sms", "backup_code"]);
  });

  it("survive disabling one factor and are deleted with the last one", async () => {
    const user = await engine.signUp();
    const { secret, backupCodes } = await enableTOTP(engine, user.token);
    await enableSMS(engine, user.token);
    expect((await engine.request("POST", "/v1/mfa/totp/disable", { cookie: user.token, json: {} })).status).toBe(204);
    expect(await database.countUnusedBackupCodes(user.userId)).toBe(10);
    const challenge = await signInChallenge(user);
    expect(await codeOf(await complete(challenge, currentCode(engine, secret), "totp"))).toBe("invalid_code");
    expect((await complete(challenge, backupCodes[0]!, "backup_code")).status).toBe(200);
    expect((await engine.request("POST", "/v1/mfa/sms/disable", { cookie: user.token, json: {} })).status).toBe(204);
    expect(await database.countUnusedBackupCodes(user.userId)).toBe(0);
    const signIn = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: user.email, password: user.password },
    });
    expect((await json(signIn)).session).toBeDefined();
  });

  it("regenerating works with SMS as the only factor", async () => {
    const user = await smsUser();
    const response = await engine.request("POST", "/v1/mfa/backup-codes", { cookie: user.token, json: {} });
    expect(response.status).toBe(200);
    expect((await json(response)).backup_codes).toHaveLength(10);
  });
});

describe("disabling SMS", () => {
  it("needs the current password or a fresh session, then emails a notice and stops asking", async () => {
    const user = await smsUser();
    engine.clock.now += 11 * 60 * 1000;
    for (const body of [{}, { current_password: "wrong-password-123" }]) {
      const refused = await engine.request("POST", "/v1/mfa/sms/disable", { cookie: user.token, json: body });
      expect(refused.status).toBe(403);
      expect(await codeOf(refused)).toBe("reauthentication_required");
    }
    expect((await database.getSMS(user.userId))?.confirmedAt).not.toBeNull();
    const response = await engine.request("POST", "/v1/mfa/sms/disable", {
      cookie: user.token,
      json: { current_password: user.password },
    });
    expect(response.status).toBe(204);
    expect(await database.getSMS(user.userId)).toBeNull();
    const notice = await engine.lastMailTo(user.email);
    expect(notice.template).toBe("mfa-disabled");
    expect(notice.text).toContain("text-message codes");
    expect(notice.text).not.toContain(user.phoneNumber.slice(1));
    expect(events.filter((event) => event.type === "mfa.disabled" && event.userId === user.userId)).toMatchObject([
      { data: { factor: "sms" } },
    ]);
    const again = await engine.request("POST", "/v1/mfa/sms/disable", {
      cookie: user.token,
      json: { current_password: user.password },
    });
    expect(await codeOf(again)).toBe("mfa_not_enabled");
  });
});

describe("provider failures", () => {
  it("a refusal is 502 sms_delivery_failed naming Twilio's code, never the number or the token", async () => {
    const user = await engine.signUp();
    const phoneNumber = uniqueMobileNumber();
    engine.twilio.failNext(400, 21614, `'To' number ${phoneNumber} is not a mobile number`);
    const response = await engine.request("POST", "/v1/mfa/sms", {
      cookie: user.token,
      json: { phone_number: phoneNumber },
      remoteAddress: freshIP(),
    });
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ code: "sms_delivery_failed", status: 502 });
    expect(text).toContain("21614");
    expect(text).not.toContain(phoneNumber.slice(1));
    expect(text).not.toContain(engine.twilio.authToken);
  });

  it("an outage is 503 sms_delivery_failed", async () => {
    const user = await engine.signUp();
    engine.twilio.failNext(503, 20500, "Service unavailable");
    const response = await engine.request("POST", "/v1/mfa/sms", {
      cookie: user.token,
      json: { phone_number: uniqueMobileNumber() },
      remoteAddress: freshIP(),
    });
    expect(response.status).toBe(503);
    expect(await codeOf(response)).toBe("sms_delivery_failed");
  });
});
