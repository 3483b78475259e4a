/**
 * The second factor is enforced on every sign-in path, for every strategy and transport, for a
 * user with an authenticator and for one with only a phone number: the first step answers a
 * challenge and nothing usable (no Set-Cookie, no token), and only
 * `POST /v1/sign-in/second-factor` creates the session, a fresh one, through the sign-in seam.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Strategy } from "../config.js";
import { cookieFrom, TEST_ENCRYPTION_KEY } from "../test-support/engine.js";
import { codeIn, tokenIn } from "../test-support/mail.js";
import { currentCode, enableTOTP, expectChallengeOnly, type TOTPUser } from "../test-support/mfa.js";
import { createSMSTestEngine, enableSMS, type SMSTestEngine } from "../test-support/sms.js";

type Transport = "cookie" | "bearer";
const BEARER = { "auth-transport": "bearer" };

describe.each<Strategy>(["session", "jwt", "hybrid"])("second factor on every sign-in path (%s)", (strategy) => {
  type User = { email: string; password: string; userId: string; token: string };
  let engine: SMSTestEngine;
  let user: User;
  let totp: TOTPUser;
  let smsUser: User & { phoneNumber: string };

  beforeAll(async () => {
    engine = await createSMSTestEngine({
      strategy,
      encryptionKey: TEST_ENCRYPTION_KEY,
      // Six first steps per transport text this user; the send limits have their own tests.
      throttle: {
        smsPerNumber: { points: 100, durationSeconds: 900 },
        smsPerNumberPerDay: { points: 100, durationSeconds: 86_400 },
      },
    });
    user = await engine.signUp();
    totp = await enableTOTP(engine, user.token);
    const phoneUser = await engine.signUp();
    smsUser = { ...phoneUser, ...(await enableSMS(engine, phoneUser.token)) };
  });
  afterAll(() => engine.close());

  const headersFor = (transport: Transport): Record<string, string> => (transport === "bearer" ? BEARER : {});

  /** Completes a challenge (with a TOTP code, or a texted code for the SMS user) and checks the answer carries working credentials. */
  async function complete(challenge: string, transport: Transport, factor: "totp" | "sms" = "totp"): Promise<void> {
    engine.clock.now += 30_000;
    let code: string;
    if (factor === "sms") {
      const sent = await engine.request("POST", "/v1/sign-in/second-factor/sms", {
        json: { challenge },
        headers: headersFor(transport),
      });
      expect(sent.status).toBe(200);
      code = engine.twilio.lastCodeTo(smsUser.phoneNumber);
    } else {
      code = currentCode(engine, totp.secret);
    }
    const response = await engine.request("POST", "/v1/sign-in/second-factor", {
      json: { challenge, factor, code },
      headers: headersFor(transport),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    let credential: { cookie?: string; bearer?: string };
    if (transport === "bearer") {
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(body.token_type).toBe("Bearer");
      credential = { bearer: body.access_token as string };
    } else {
      credential = { cookie: cookieFrom(response, engine.cookieName)! };
      expect(credential.cookie).toBeTruthy();
    }
    const me = await engine.request("GET", "/v1/session", { ...credential, headers: headersFor(transport) });
    expect(me.status).toBe(200);
    const session = ((await me.json()) as { session: { second_factor_verified_at: string | null } }).session;
    expect(session.second_factor_verified_at).toBe(new Date(engine.clock.now).toISOString());
  }

  const firstSteps: Record<string, (transport: Transport, who: User) => Promise<Response>> = {
    password: (transport, who) =>
      engine.request("POST", "/v1/sign-in/password", {
        json: { email: who.email, password: who.password },
        headers: headersFor(transport),
      }),
    magic_link: async (transport, who) => {
      await engine.request("POST", "/v1/sign-in/magic-link", { json: { email: who.email } });
      const token = tokenIn(await engine.lastMailTo(who.email), "/v1/sign-in/magic-link/verify");
      return engine.request("POST", "/v1/sign-in/magic-link/verify", {
        json: { token },
        headers: headersFor(transport),
      });
    },
    email_code: async (transport, who) => {
      await engine.request("POST", "/v1/sign-in/email-code", { json: { email: who.email } });
      const code = codeIn(await engine.lastMailTo(who.email));
      return engine.request("POST", "/v1/sign-in/email-code/verify", {
        json: { email: who.email, code },
        headers: headersFor(transport),
      });
    },
  };

  for (const [path, firstStep] of Object.entries(firstSteps)) {
    for (const transport of ["cookie", "bearer"] as const) {
      it(`${path} over ${transport}: a challenge and nothing usable, then a session only with the code`, async () => {
        const challenge = await expectChallengeOnly(await firstStep(transport, user));
        await complete(challenge, transport);
      });
      it(`${path} over ${transport}, SMS-only user: a challenge and nothing usable, then a session only with the texted code`, async () => {
        const response = await firstStep(transport, smsUser);
        expect(((await response.clone().json()) as { factors: string[] }).factors).toEqual(["sms", "backup_code"]);
        const challenge = await expectChallengeOnly(response);
        await complete(challenge, transport, "sms");
      });
    }
  }

  it("the emailed magic link opened in a browser sets no cookie and hands the challenge to the sign-in page", async () => {
    await engine.request("POST", "/v1/sign-in/magic-link", { json: { email: user.email } });
    const token = tokenIn(await engine.lastMailTo(user.email), "/v1/sign-in/magic-link/verify");
    const response = await engine.request("GET", `/v1/sign-in/magic-link/verify?token=${token}`);
    expect(response.status).toBe(303);
    expect(response.headers.getSetCookie()).toEqual([]);
    const location = new URL(response.headers.get("location")!);
    expect(location.pathname).toBe("/sign-in");
    expect(location.search).toBe("");
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get("status")).toBe("needs_second_factor");
    expect(fragment.get("factors")).toBe("totp,backup_code");
    await complete(fragment.get("challenge")!, "cookie");
  });

  it("a session presented with the completing request is ended, never adopted", async () => {
    const challenge = await expectChallengeOnly(await firstSteps.password!("cookie", user));
    const old = await engine.signUp();
    engine.clock.now += 30_000;
    const response = await engine.request("POST", "/v1/sign-in/second-factor", {
      json: { challenge, factor: "totp", code: currentCode(engine, totp.secret) },
      cookie: old.token,
    });
    expect(response.status).toBe(200);
    expect(cookieFrom(response, engine.cookieName)).not.toBe(old.token);
    expect((await engine.request("GET", "/v1/session", { cookie: old.token })).status).toBe(401);
  });
});
