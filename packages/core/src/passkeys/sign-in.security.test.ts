/**
 * Signing in with a passkey: discoverable options; a fresh, second-factor-verified session that
 * never adopts a presented one and never stops at a second-factor challenge; and every failure
 * (replay, expiry, another client, a registration challenge, wrong origin or RP ID, no user
 * verification, a forged signature, an unknown credential, another user's handle, a counter that
 * went backwards) is the same `invalid_passkey`. Bans and email verification apply as on every
 * sign-in path, on every strategy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import type { GatehouseEvent } from "../events/bus.js";
import type { Database } from "../storage/ports.js";
import { newSoftwareCredential, softwareAuthenticate, softwareRegister } from "../test-support/authenticator.js";
import {
  TEST_ENCRYPTION_KEY,
  TEST_SECRET_KEY,
  cookieFrom,
  createTestEngine,
  type TestEngine,
} from "../test-support/engine.js";
import { enableTOTP } from "../test-support/mfa.js";
import {
  expectInvalidPasskey,
  postSignIn,
  registerPasskey,
  registrationOptions,
  signInOptions,
  signInWithPasskey,
} from "../test-support/passkeys.js";

let engine: TestEngine;
let database: Database;
const events: GatehouseEvent[] = [];

beforeAll(async () => {
  database = createMemoryDatabase({ warn: () => {} });
  engine = await createTestEngine({ database, encryptionKey: TEST_ENCRYPTION_KEY });
  engine.gatehouse.events.subscribe((event) => void events.push(event));
});
afterAll(() => engine.close());

interface SignedInBody {
  user: { id: string };
  session: { id: string; second_factor_verified_at: string | null };
}

async function userWithPasskey() {
  const user = await engine.signUp();
  const { credential, passkey } = await registerPasskey(engine, user.token);
  return { ...user, credential, passkey };
}

describe("passkey sign-in options", () => {
  it("are discoverable (no credential list), require user verification, and name the configured RP ID", async () => {
    const options = await signInOptions(engine);
    expect(options.rpId).toBe("localhost");
    expect(options.allowCredentials).toEqual([]);
    expect(options.userVerification).toBe("required");
    expect(Buffer.from(options.challenge, "base64url")).toHaveLength(32);
    expect((await signInOptions(engine)).challenge).not.toBe(options.challenge);
  });
});

describe("passkey sign-in", () => {
  it("signs in with a fresh session that is second-factor verified now, and records the use", async () => {
    const user = await userWithPasskey();
    engine.clock.now += 60_000;
    const response = await signInWithPasskey(engine, user.credential);
    expect(response.status).toBe(200);
    const body = (await response.json()) as SignedInBody;
    expect(body.user.id).toBe(user.userId);
    expect(body.session.id).not.toBe(user.sessionId);
    expect(body.session.second_factor_verified_at).toBe(new Date(engine.clock.now).toISOString());
    const token = cookieFrom(response, engine.cookieName)!;
    const session = await engine.request("GET", "/v1/session", { cookie: token });
    expect(((await session.json()) as SignedInBody).user.id).toBe(user.userId);
    const stored = (await database.getPasskeyByCredentialId(user.credential.id))!;
    expect(stored).toMatchObject({ counter: 1, lastUsedAt: engine.clock.now });
    await engine.gatehouse.events.flush();
    const succeeded = events.find((event) => event.type === "sign_in.succeeded" && event.sessionId === body.session.id);
    expect(succeeded?.data).toMatchObject({ method: "passkey" });
  });

  it("never answers needs_second_factor, even for a user with TOTP", async () => {
    const user = await userWithPasskey();
    await enableTOTP(engine, user.token);
    const response = await signInWithPasskey(engine, user.credential);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty("challenge");
    expect((body as unknown as SignedInBody).session.second_factor_verified_at).not.toBeNull();
  });

  it("ends the session the client presented instead of adopting it (session fixation)", async () => {
    const user = await userWithPasskey();
    const options = await signInOptions(engine);
    const again = await postSignIn(engine, softwareAuthenticate(options, user.credential), { cookie: user.token });
    expect(again.status).toBe(200);
    expect(cookieFrom(again, engine.cookieName)).not.toBe(user.token);
    expect((await engine.request("GET", "/v1/session", { cookie: user.token })).status).toBe(401);
  });

  it("leaves a presented session alone when the passkey fails", async () => {
    const user = await userWithPasskey();
    const options = await signInOptions(engine);
    const bad = softwareAuthenticate(options, user.credential, { origin: "http://evil.example" });
    await expectInvalidPasskey(await postSignIn(engine, bad, { cookie: user.token }));
    expect((await engine.request("GET", "/v1/session", { cookie: user.token })).status).toBe(200);
  });

  it("uses a challenge once: a replayed sign-in response is refused", async () => {
    const user = await userWithPasskey();
    const options = await signInOptions(engine);
    const response = softwareAuthenticate(options, user.credential);
    expect((await postSignIn(engine, response)).status).toBe(200);
    await expectInvalidPasskey(await postSignIn(engine, response));
    // A new, higher-counter assertion of the same, used challenge: still refused.
    await expectInvalidPasskey(await postSignIn(engine, softwareAuthenticate(options, user.credential)));
  });

  it("uses a challenge once under parallel posts: of many genuine answers exactly one signs in", async () => {
    const user = await userWithPasskey();
    const options = await signInOptions(engine);
    const responses = Array.from({ length: 6 }, () => softwareAuthenticate(options, user.credential));
    const answers = await Promise.all(responses.map((response) => postSignIn(engine, response)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
  });

  it("expires a challenge after 5 minutes", async () => {
    const user = await userWithPasskey();
    const options = await signInOptions(engine);
    engine.clock.now += 5 * 60 * 1000;
    await expectInvalidPasskey(await postSignIn(engine, softwareAuthenticate(options, user.credential)));
  });

  it("binds a challenge to its client: another user agent or transport cannot use it", async () => {
    const user = await userWithPasskey();
    const options = await signInOptions(engine, { "user-agent": "Browser A" });
    const response = softwareAuthenticate(options, user.credential);
    await expectInvalidPasskey(await postSignIn(engine, response, { headers: { "user-agent": "Browser B" } }));
    await expectInvalidPasskey(
      await postSignIn(engine, response, { headers: { "user-agent": "Browser A", "auth-transport": "bearer" } }),
    );
    expect((await postSignIn(engine, response, { headers: { "user-agent": "Browser A" } })).status).toBe(200);
  });

  it("never takes a registration challenge", async () => {
    const user = await userWithPasskey();
    const creation = await registrationOptions(engine, user.token);
    const options = await signInOptions(engine);
    await expectInvalidPasskey(
      await postSignIn(engine, softwareAuthenticate(options, user.credential, { challenge: creation.challenge })),
    );
    // Nor does a registration-typed response pass as a sign-in with a genuine sign-in challenge.
    await expectInvalidPasskey(
      await postSignIn(
        engine,
        softwareAuthenticate(await signInOptions(engine), user.credential, { type: "webauthn.create" }),
      ),
    );
  });

  it("refuses a response made for another origin or RP ID, or without user verification", async () => {
    const user = await userWithPasskey();
    for (const bend of [
      { origin: "http://evil.example" },
      { origin: "http://localhost:4001" },
      { rpID: "evil.example" },
      { userVerified: false },
    ]) {
      await expectInvalidPasskey(await signInWithPasskey(engine, user.credential, bend));
    }
  });

  it("refuses a forged signature, an unknown credential and a missing or malformed response", async () => {
    const user = await userWithPasskey();
    // Same credential id and handle, but another key: the signature cannot verify.
    const impostor = { ...newSoftwareCredential("localhost", user.credential.userHandle), id: user.credential.id };
    await expectInvalidPasskey(await signInWithPasskey(engine, impostor));
    await expectInvalidPasskey(await signInWithPasskey(engine, newSoftwareCredential("localhost", "AAAA")));
    const options = await signInOptions(engine);
    const genuine = softwareAuthenticate(options, user.credential);
    await expectInvalidPasskey(
      await postSignIn(engine, { ...genuine, response: { ...genuine.response, signature: "AAAA" } }),
    );
    await expectInvalidPasskey(
      await postSignIn(engine, { ...genuine, response: { ...genuine.response, clientDataJSON: "%%%" } }),
    );
    for (const json of [{}, { response: null }, { response: { ...genuine, response: "x" } }]) {
      const answer = await engine.request("POST", "/v1/sign-in/passkey", { json });
      expect(answer.status).toBe(422);
    }
  });

  it("refuses a credential presented with another user's handle, or with none", async () => {
    const alice = await userWithPasskey();
    const bob = await userWithPasskey();
    await expectInvalidPasskey(
      await signInWithPasskey(engine, alice.credential, { userHandle: bob.credential.userHandle }),
    );
    await expectInvalidPasskey(await signInWithPasskey(engine, alice.credential, { userHandle: null }));
    expect((await signInWithPasskey(engine, alice.credential)).status).toBe(200);
  });

  it("refuses a counter that did not move forward and announces a possibly cloned authenticator", async () => {
    const user = await userWithPasskey();
    expect((await signInWithPasskey(engine, user.credential, { counter: 5 })).status).toBe(200);
    // A clone still at 5, or one behind: both refused, and each announced.
    await expectInvalidPasskey(await signInWithPasskey(engine, user.credential, { counter: 5 }));
    await expectInvalidPasskey(await signInWithPasskey(engine, user.credential, { counter: 3 }));
    await expectInvalidPasskey(await signInWithPasskey(engine, user.credential, { counter: 0 }));
    expect((await database.getPasskeyByCredentialId(user.credential.id))!.counter).toBe(5);
    await engine.gatehouse.events.flush();
    const regressions = events.filter(
      (event) => event.type === "passkey.counter_regressed" && event.userId === user.userId,
    );
    expect(regressions.map((event) => event.data?.presentedCounter)).toEqual([5, 3, 0]);
    expect(regressions[0]?.data).toMatchObject({ passkeyId: user.passkey.id, storedCounter: 5 });
    expect((await signInWithPasskey(engine, user.credential, { counter: 6 })).status).toBe(200);
  });

  it("accepts authenticators without a counter (always 0)", async () => {
    const user = await userWithPasskey();
    expect((await signInWithPasskey(engine, user.credential, { counter: 0 })).status).toBe(200);
    expect((await signInWithPasskey(engine, user.credential, { counter: 0 })).status).toBe(200);
  });

  it("refuses a banned user like every sign-in path (403 user_banned)", async () => {
    const user = await userWithPasskey();
    const ban = await engine.request("POST", `/v1/admin/users/${user.userId}/ban`, { bearer: TEST_SECRET_KEY });
    expect(ban.status).toBe(200);
    const response = await signInWithPasskey(engine, user.credential);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe("user_banned");
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("stops working once the passkey is deleted", async () => {
    const user = await userWithPasskey();
    const deleted = await engine.request("DELETE", `/v1/passkeys/${user.passkey.id}`, { cookie: user.token });
    expect(deleted.status).toBe(204);
    await expectInvalidPasskey(await signInWithPasskey(engine, user.credential));
  });
});

describe("passkey sign-in across strategies and transports", () => {
  it.each(["jwt", "hybrid"] as const)(
    "%s: the access token says both factors were verified now (fva)",
    async (strategy) => {
      const jwtEngine = await createTestEngine({ strategy });
      try {
        const user = await jwtEngine.signUp();
        const { credential } = await registerPasskey(jwtEngine, user.token);
        const response = await signInWithPasskey(jwtEngine, credential, {}, { "auth-transport": "bearer" });
        expect(response.status).toBe(200);
        const body = (await response.json()) as { access_token: string; refresh_token: string };
        expect(body.refresh_token).toBeTruthy();
        const claims = JSON.parse(Buffer.from(body.access_token.split(".")[1]!, "base64url").toString()) as {
          fva?: number[];
        };
        expect(claims.fva).toEqual([0, 0]);
      } finally {
        await jwtEngine.close();
      }
    },
  );

  it("requires a verified email when the engine does, like every sign-in path", async () => {
    const strict = await createTestEngine({});
    const user = await strict.signUp();
    const { credential } = await registerPasskey(strict, user.token);
    await strict.close();
    // Same store, new engine that requires verification: the unverified account is refused.
    const response = await (async () => {
      const requiring = await createTestEngine({ database: strict.database, email: { requireVerification: true } });
      try {
        return await signInWithPasskey(requiring, credential);
      } finally {
        await requiring.close();
      }
    })();
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe("email_not_verified");
  });

  it("answers 409 not_available when the base URL is an IP address and no RP ID is configured", async () => {
    const ipEngine = await createTestEngine({ baseURL: "http://127.0.0.1:4000" });
    try {
      const response = await ipEngine.request("POST", "/v1/sign-in/passkey/options", { json: {} });
      expect(response.status).toBe(409);
      expect(((await response.json()) as { code: string }).code).toBe("not_available");
      const user = await ipEngine.signUp();
      const registration = await ipEngine.request("POST", "/v1/passkeys/registration/options", {
        cookie: user.token,
        json: {},
      });
      expect(registration.status).toBe(409);
    } finally {
      await ipEngine.close();
    }
  });

  it("limits sign-in challenges per client network (429 rate_limited)", async () => {
    const limited = await createTestEngine({ throttle: { signInPerIP: { points: 3, durationSeconds: 900 } } });
    try {
      for (let i = 0; i < 3; i++) await signInOptions(limited);
      const over = await limited.request("POST", "/v1/sign-in/passkey/options", { json: {} });
      expect(over.status).toBe(429);
      expect(over.headers.get("retry-after")).toMatch(/^\d+$/);
      const elsewhere = await limited.request("POST", "/v1/sign-in/passkey/options", {
        json: {},
        remoteAddress: "198.51.100.77",
      });
      expect(elsewhere.status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("a user with several passkeys signs in with any of them", async () => {
    const user = await engine.signUp();
    const first = softwareRegister(await registrationOptions(engine, user.token));
    expect(
      (
        await engine.request("POST", "/v1/passkeys/registration", {
          cookie: user.token,
          json: { response: first.response },
        })
      ).status,
    ).toBe(201);
    await registerPasskey(engine, user.token);
    expect((await signInWithPasskey(engine, first.credential)).status).toBe(200);
  });
});
