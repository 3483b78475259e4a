/**
 * Policy and step-up: with `GATEHOUSE_REQUIRE_MFA` a user without a factor enrols before any
 * session exists (sign-up and sign-in alike); the `fva` claim and the session record carry the
 * second factor's age, and a step-up renews it.
 */
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { createGatehouse } from "../gatehouse.js";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import {
  BASE_URL,
  cookieFrom,
  createTestEngine,
  strongPassword,
  TEST_ENCRYPTION_KEY,
  uniqueEmail,
  type TestEngine,
} from "../test-support/engine.js";
import { currentCode, enableTOTP, expectChallengeOnly } from "../test-support/mfa.js";
import { createSMSTestEngine, uniqueMobileNumber } from "../test-support/sms.js";
import { totpCode } from "./lib/totp.js";

const engines: TestEngine[] = [];
async function engineWith(config: Parameters<typeof createTestEngine>[0]): Promise<TestEngine> {
  const engine = await createTestEngine({ encryptionKey: TEST_ENCRYPTION_KEY, ...config });
  engines.push(engine);
  return engine;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

const json = async (response: Response): Promise<Record<string, unknown>> =>
  (await response.json()) as Record<string, unknown>;
const BEARER = { "auth-transport": "bearer" };

describe("GATEHOUSE_REQUIRE_MFA", () => {
  it("refuses to start without an encryption key", async () => {
    await expect(
      createGatehouse({
        baseURL: BASE_URL,
        database: createMemoryDatabase({ warn: () => {} }),
        mfa: { required: true },
      }),
    ).rejects.toMatchObject({ code: "configuration_error" });
  });

  it.each(["session", "jwt"] as const)(
    "(%s) sign-up and sign-in hand out no session until a factor is enrolled, then sign in",
    async (strategy) => {
      const engine = await engineWith({ strategy, mfa: { required: true } });
      const email = uniqueEmail();
      const password = strongPassword();
      const signUp = await engine.request("POST", "/v1/sign-up", { json: { email, password } });
      expect(signUp.status).toBe(202);
      await expectChallengeOnly(signUp, "needs_second_factor_enrollment");

      for (const headers of [{}, BEARER]) {
        const signIn = await engine.request("POST", "/v1/sign-in/password", { json: { email, password }, headers });
        await expectChallengeOnly(signIn, "needs_second_factor_enrollment");
      }
      const challenge = await expectChallengeOnly(
        await engine.request("POST", "/v1/sign-in/password", { json: { email, password }, headers: BEARER }),
        "needs_second_factor_enrollment",
      );
      // The enrolment challenge does not complete a sign-in, and the signed-in endpoints stay shut.
      const misuse = await engine.request("POST", "/v1/sign-in/second-factor", {
        json: { challenge, factor: "totp", code: "123456" },
        headers: BEARER,
      });
      expect((await json(misuse)).code).toBe("invalid_challenge");
      const started = await engine.request("POST", "/v1/sign-in/second-factor/enroll/totp", {
        json: { challenge },
        headers: BEARER,
      });
      expect(started.status).toBe(200);
      const { secret } = (await json(started)) as { secret: string };
      const wrong = await engine.request("POST", "/v1/sign-in/second-factor/enroll/totp/confirm", {
        json: { challenge, code: "000000" },
        headers: BEARER,
      });
      expect((await json(wrong)).code).toBe("invalid_code");
      const confirmed = await engine.request("POST", "/v1/sign-in/second-factor/enroll/totp/confirm", {
        json: { challenge, code: totpCode(secret, engine.clock.now) },
        headers: BEARER,
      });
      expect(confirmed.status).toBe(200);
      const body = await json(confirmed);
      expect(body.access_token).toBeTruthy();
      expect(body.backup_codes).toHaveLength(10);
      // The challenge is spent.
      const replay = await engine.request("POST", "/v1/sign-in/second-factor/enroll/totp/confirm", {
        json: { challenge, code: totpCode(secret, engine.clock.now) },
        headers: BEARER,
      });
      expect((await json(replay)).code).toBe("invalid_challenge");
      // From now on, sign-in asks for the enrolled factor.
      const next = await engine.request("POST", "/v1/sign-in/password", { json: { email, password } });
      await expectChallengeOnly(next);
    },
  );
});

describe("GATEHOUSE_REQUIRE_MFA with an SMS provider", () => {
  it("offers totp and sms; a phone number enrolled with the challenge signs in with backup codes", async () => {
    const engine = await createSMSTestEngine({ mfa: { required: true } });
    engines.push(engine);
    const email = uniqueEmail();
    const password = strongPassword();
    const signUp = await engine.request("POST", "/v1/sign-up", { json: { email, password } });
    expect(((await signUp.clone().json()) as { factors: string[] }).factors).toEqual(["totp", "sms"]);
    await expectChallengeOnly(signUp, "needs_second_factor_enrollment");
    const challengeOf = async () =>
      expectChallengeOnly(
        await engine.request("POST", "/v1/sign-in/password", { json: { email, password }, headers: BEARER }),
        "needs_second_factor_enrollment",
      );
    const [challenge, other] = [await challengeOf(), await challengeOf()];
    const phoneNumber = uniqueMobileNumber();
    const bad = await engine.request("POST", "/v1/sign-in/second-factor/enroll/sms", {
      json: { challenge, phone_number: "+44 123" },
      headers: BEARER,
    });
    expect((await json(bad)).code).toBe("invalid_phone_number");
    const sent = await engine.request("POST", "/v1/sign-in/second-factor/enroll/sms", {
      json: { challenge, phone_number: phoneNumber },
      headers: BEARER,
    });
    expect(sent.status).toBe(200);
    expect(await json(sent)).toEqual({ phone_number_hint: `+44 ••••••• ${phoneNumber.slice(-3)}`, expires_in: 300 });
    const code = engine.twilio.lastCodeTo(phoneNumber);
    // Neither the other enrolment challenge nor a sign-in completion takes this code.
    const elsewhere = await engine.request("POST", "/v1/sign-in/second-factor/enroll/sms/confirm", {
      json: { challenge: other, code },
      headers: BEARER,
    });
    expect((await json(elsewhere)).code).toBe("invalid_code");
    const misuse = await engine.request("POST", "/v1/sign-in/second-factor", {
      json: { challenge, factor: "sms", code },
      headers: BEARER,
    });
    expect((await json(misuse)).code).toBe("invalid_challenge");
    const confirmed = await engine.request("POST", "/v1/sign-in/second-factor/enroll/sms/confirm", {
      json: { challenge, code },
      headers: BEARER,
    });
    expect(confirmed.status).toBe(200);
    const body = await json(confirmed);
    expect(body.access_token).toBeTruthy();
    expect(body.backup_codes).toHaveLength(10);
    const replay = await engine.request("POST", "/v1/sign-in/second-factor/enroll/sms/confirm", {
      json: { challenge, code },
      headers: BEARER,
    });
    expect((await json(replay)).code).toBe("invalid_challenge");
    const next = await engine.request("POST", "/v1/sign-in/password", { json: { email, password } });
    expect(((await next.clone().json()) as { factors: string[] }).factors).toEqual(["sms", "backup_code"]);
    await expectChallengeOnly(next);
  });

  it("without a provider the enrolment challenge offers totp only and the SMS enrolment is not_available", async () => {
    const engine = await engineWith({ mfa: { required: true } });
    const email = uniqueEmail();
    const signUp = await engine.request("POST", "/v1/sign-up", { json: { email, password: strongPassword() } });
    const { factors, challenge } = (await signUp.json()) as { factors: string[]; challenge: string };
    expect(factors).toEqual(["totp"]);
    const response = await engine.request("POST", "/v1/sign-in/second-factor/enroll/sms", {
      json: { challenge, phone_number: uniqueMobileNumber() },
    });
    expect((await json(response)).code).toBe("not_available");
  });
});

describe("step-up: the fva claim", () => {
  it("carries [first, second] factor ages in minutes, -1 without a second factor, and a step-up renews it", async () => {
    const engine = await engineWith({ strategy: "jwt" });
    const user = await engine.signUp();
    expect(decodeJwt(user.token).fva).toEqual([0, -1]);
    const { secret } = await enableTOTP(engine, user.token);

    const challenge = await expectChallengeOnly(
      await engine.request("POST", "/v1/sign-in/password", {
        json: { email: user.email, password: user.password },
        headers: BEARER,
      }),
    );
    const signedIn = await json(
      await engine.request("POST", "/v1/sign-in/second-factor", {
        json: { challenge, factor: "totp", code: currentCode(engine, secret) },
        headers: BEARER,
      }),
    );
    expect(decodeJwt(signedIn.access_token as string).fva).toEqual([0, 0]);

    engine.clock.now += 20 * 60 * 1000;
    const refreshed = await json(
      await engine.request("POST", "/v1/token", {
        json: { grant_type: "refresh_token", refresh_token: signedIn.refresh_token },
      }),
    );
    expect(decodeJwt(refreshed.access_token as string).fva).toEqual([20, 20]);

    const wrong = await engine.request("POST", "/v1/mfa/verify", {
      bearer: refreshed.access_token as string,
      headers: BEARER,
      json: { factor: "totp", code: "000000" },
    });
    expect((await json(wrong)).code).toBe("invalid_code");
    const stepUp = await engine.request("POST", "/v1/mfa/verify", {
      bearer: refreshed.access_token as string,
      headers: BEARER,
      json: { factor: "totp", code: currentCode(engine, secret) },
    });
    expect(stepUp.status).toBe(200);
    expect(((await json(stepUp)).session as Record<string, unknown>).second_factor_verified_at).toBe(
      new Date(engine.clock.now).toISOString(),
    );
    const after = await json(
      await engine.request("POST", "/v1/token", {
        json: { grant_type: "refresh_token", refresh_token: refreshed.refresh_token },
      }),
    );
    expect(decodeJwt(after.access_token as string).fva).toEqual([20, 0]);
  });

  it("is on the session record for the session strategy, and a step-up needs a factor", async () => {
    const engine = await engineWith({});
    const user = await engine.signUp();
    const none = await engine.request("POST", "/v1/mfa/verify", {
      cookie: user.token,
      json: { factor: "totp", code: "123456" },
    });
    expect((await json(none)).code).toBe("mfa_not_enabled");
    const { backupCodes } = await enableTOTP(engine, user.token);
    engine.clock.now += 60_000;
    const stepUp = await engine.request("POST", "/v1/mfa/verify", {
      cookie: user.token,
      json: { factor: "backup_code", code: backupCodes[0]! },
    });
    expect(stepUp.status).toBe(200);
    const me = await json(await engine.request("GET", "/v1/session", { cookie: user.token }));
    expect((me.session as Record<string, unknown>).second_factor_verified_at).toBe(
      new Date(engine.clock.now).toISOString(),
    );
    expect(cookieFrom(stepUp, engine.cookieName)).toBeNull();
  });
});
