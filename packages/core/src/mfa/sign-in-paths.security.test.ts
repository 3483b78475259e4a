/**
 * The second factor is enforced on every sign-in path, for every strategy and transport: the
 * first step answers a challenge and nothing usable (no Set-Cookie, no token), and only
 * `POST /v1/sign-in/second-factor` creates the session, a fresh one, through the sign-in seam.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Strategy } from "../config.js";
import { cookieFrom, TEST_ENCRYPTION_KEY } from "../test-support/engine.js";
import { codeIn, createMailTestEngine, tokenIn, type MailTestEngine } from "../test-support/mail.js";
import { currentCode, enableTOTP, expectChallengeOnly, type TOTPUser } from "../test-support/mfa.js";

type Transport = "cookie" | "bearer";
const BEARER = { "auth-transport": "bearer" };

describe.each<Strategy>(["session", "jwt", "hybrid"])("second factor on every sign-in path (%s)", (strategy) => {
  let engine: MailTestEngine;
  let user: { email: string; password: string; userId: string; token: string };
  let totp: TOTPUser;

  beforeAll(async () => {
    engine = await createMailTestEngine({ strategy, encryptionKey: TEST_ENCRYPTION_KEY });
    user = await engine.signUp();
    totp = await enableTOTP(engine, user.token);
  });
  afterAll(() => engine.close());

  const headersFor = (transport: Transport): Record<string, string> => (transport === "bearer" ? BEARER : {});

  /** Completes a challenge and checks the answer carries working credentials. */
  async function complete(challenge: string, transport: Transport): Promise<void> {
    engine.clock.now += 30_000;
    const response = await engine.request("POST", "/v1/sign-in/second-factor", {
      json: { challenge, factor: "totp", code: currentCode(engine, totp.secret) },
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

  const firstSteps: Record<string, (transport: Transport) => Promise<Response>> = {
    password: (transport) =>
      engine.request("POST", "/v1/sign-in/password", {
        json: { email: user.email, password: user.password },
        headers: headersFor(transport),
      }),
    magic_link: async (transport) => {
      await engine.request("POST", "/v1/sign-in/magic-link", { json: { email: user.email } });
      const token = tokenIn(await engine.lastMailTo(user.email), "/v1/sign-in/magic-link/verify");
      return engine.request("POST", "/v1/sign-in/magic-link/verify", {
        json: { token },
        headers: headersFor(transport),
      });
    },
    email_code: async (transport) => {
      await engine.request("POST", "/v1/sign-in/email-code", { json: { email: user.email } });
      const code = codeIn(await engine.lastMailTo(user.email));
      return engine.request("POST", "/v1/sign-in/email-code/verify", {
        json: { email: user.email, code },
        headers: headersFor(transport),
      });
    },
  };

  for (const [path, firstStep] of Object.entries(firstSteps)) {
    for (const transport of ["cookie", "bearer"] as const) {
      it(`${path} over ${transport}: a challenge and nothing usable, then a session only with the code`, async () => {
        const challenge = await expectChallengeOnly(await firstStep(transport));
        await complete(challenge, transport);
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
    const challenge = await expectChallengeOnly(await firstSteps.password!("cookie"));
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
