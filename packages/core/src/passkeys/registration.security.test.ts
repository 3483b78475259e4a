/**
 * Registering a passkey: needs a fresh session or the password; the options ask for a
 * discoverable, user-verified credential and exclude the user's own; the challenge is used once,
 * expires after 5 minutes, belongs to the session and client that asked, and never stands in for
 * a sign-in challenge; a credential id is registered once across all accounts; and each
 * verification (origin, RP ID, user verification, type) refuses what it must.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import type { GatehouseEvent } from "../events/bus.js";
import type { Database } from "../storage/ports.js";
import { softwareRegister } from "../test-support/authenticator.js";
import { createTestEngine, type TestEngine } from "../test-support/engine.js";
import {
  expectInvalidPasskey,
  postRegistration,
  registerPasskey,
  registrationOptions,
  signInOptions,
} from "../test-support/passkeys.js";

let engine: TestEngine;
let database: Database;
const events: GatehouseEvent[] = [];

beforeAll(async () => {
  database = createMemoryDatabase({ warn: () => {} });
  engine = await createTestEngine({ database });
  engine.gatehouse.events.subscribe((event) => void events.push(event));
});
afterAll(() => engine.close());

const codeOf = async (response: Response): Promise<string> => ((await response.json()) as { code: string }).code;
const passkeysOf = async (token: string): Promise<unknown[]> =>
  ((await (await engine.request("GET", "/v1/passkeys", { cookie: token })).json()) as { passkeys: unknown[] }).passkeys;

describe("registration options", () => {
  it("ask for a discoverable, user-verified credential for the configured RP, with a random user handle", async () => {
    const user = await engine.signUp();
    const options = await registrationOptions(engine, user.token);
    expect(options.rp).toEqual({ id: "localhost", name: "localhost:4000" });
    expect(options.authenticatorSelection).toMatchObject({
      residentKey: "required",
      requireResidentKey: true,
      userVerification: "required",
    });
    expect(options.attestation).toBe("none");
    expect(options.user.name).toBe(user.email);
    // The WebAuthn user handle is 32 random bytes, not the user id, and stays the same per user.
    expect(Buffer.from(options.user.id, "base64url")).toHaveLength(32);
    expect(Buffer.from(options.user.id, "base64url").toString()).not.toContain(user.userId);
    expect((await registrationOptions(engine, user.token)).user.id).toBe(options.user.id);
    expect((await registrationOptions(engine, (await engine.signUp()).token)).user.id).not.toBe(options.user.id);
    expect(Buffer.from(options.challenge, "base64url")).toHaveLength(32);
    expect(options.excludeCredentials).toEqual([]);
  });

  it("list the user's own passkeys in excludeCredentials, and nobody else's", async () => {
    const user = await engine.signUp();
    const other = await engine.signUp();
    const { credential } = await registerPasskey(engine, user.token);
    await registerPasskey(engine, other.token);
    const options = await registrationOptions(engine, user.token);
    expect(options.excludeCredentials).toEqual([{ id: credential.id, type: "public-key", transports: ["internal"] }]);
  });

  it("need a fresh session or the current password (403 reauthentication_required otherwise)", async () => {
    const user = await engine.signUp();
    engine.clock.now += 11 * 60 * 1000;
    const stale = await engine.request("POST", "/v1/passkeys/registration/options", { cookie: user.token, json: {} });
    expect(stale.status).toBe(403);
    expect(await codeOf(stale)).toBe("reauthentication_required");
    const wrong = await engine.request("POST", "/v1/passkeys/registration/options", {
      cookie: user.token,
      json: { current_password: "not-the-password" },
    });
    expect(wrong.status).toBe(403);
    const right = await engine.request("POST", "/v1/passkeys/registration/options", {
      cookie: user.token,
      json: { current_password: user.password },
    });
    expect(right.status).toBe(200);
  });

  it("need a session", async () => {
    const response = await engine.request("POST", "/v1/passkeys/registration/options", { json: {} });
    expect(response.status).toBe(401);
    expect(await codeOf(response)).toBe("unauthenticated");
  });
});

describe("registration", () => {
  it("stores the passkey with its public key, counter and flags, answers 201 with the public shape, and announces it", async () => {
    const user = await engine.signUp();
    const { credential, passkey } = await registerPasskey(engine, user.token, {
      name: "  Work laptop  ",
      bend: { backedUp: true },
    });
    expect(passkey).toEqual({
      id: expect.stringMatching(/^pk_/),
      name: "Work laptop",
      created_at: new Date(engine.clock.now).toISOString(),
      last_used_at: null,
      device_type: "multiDevice",
      backed_up: true,
      transports: ["internal"],
    });
    const stored = (await database.getPasskeyByCredentialId(credential.id))!;
    expect(stored).toMatchObject({ id: passkey.id, userId: user.userId, counter: 0, backedUp: true });
    expect(JSON.stringify(passkey)).not.toContain(credential.id);
    await engine.gatehouse.events.flush();
    const created = events.find((event) => event.type === "passkey.created" && event.userId === user.userId);
    expect(created?.data).toMatchObject({ passkeyId: passkey.id, passkeyName: "Work laptop" });
  });

  it("names a passkey 'Passkey' when no name is given and refuses bad names", async () => {
    const user = await engine.signUp();
    expect((await registerPasskey(engine, user.token)).passkey.name).toBe("Passkey");
    for (const name of ["", "   ", "x".repeat(65), "two\nlines", 42]) {
      const options = await registrationOptions(engine, user.token);
      const response = await postRegistration(engine, user.token, {
        response: softwareRegister(options).response,
        name,
      });
      expect(response.status).toBe(422);
      expect(await codeOf(response)).toBe("validation_failed");
    }
    expect(await passkeysOf(user.token)).toHaveLength(1);
  });

  it("uses a challenge once: a replayed registration response is refused", async () => {
    const user = await engine.signUp();
    const options = await registrationOptions(engine, user.token);
    const { response } = softwareRegister(options);
    expect((await postRegistration(engine, user.token, { response })).status).toBe(201);
    await expectInvalidPasskey(await postRegistration(engine, user.token, { response }));
    // Another credential answering the same, used challenge: still refused.
    await expectInvalidPasskey(
      await postRegistration(engine, user.token, { response: softwareRegister(options).response }),
    );
    expect(await passkeysOf(user.token)).toHaveLength(1);
  });

  it("uses a challenge once under parallel posts: exactly one of many answers registers", async () => {
    const user = await engine.signUp();
    const options = await registrationOptions(engine, user.token);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        postRegistration(engine, user.token, { response: softwareRegister(options).response }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 400, 400, 400, 400, 400]);
    expect(await passkeysOf(user.token)).toHaveLength(1);
  });

  it("expires a challenge after 5 minutes", async () => {
    const user = await engine.signUp({});
    const options = await registrationOptions(engine, user.token);
    engine.clock.now += 5 * 60 * 1000;
    await expectInvalidPasskey(
      await postRegistration(engine, user.token, { response: softwareRegister(options).response }),
    );
  });

  it("binds a challenge to its session: another session of the same user, or another user, cannot use it", async () => {
    const user = await engine.signUp();
    const secondSession = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: user.email, password: user.password },
    });
    const { cookieFrom } = await import("../test-support/engine.js");
    const otherToken = cookieFrom(secondSession, engine.cookieName)!;
    const mallory = await engine.signUp();
    const options = await registrationOptions(engine, user.token);
    const { response } = softwareRegister(options);
    await expectInvalidPasskey(await postRegistration(engine, otherToken, { response }));
    await expectInvalidPasskey(await postRegistration(engine, mallory.token, { response }));
    expect(await passkeysOf(mallory.token)).toEqual([]);
  });

  it("binds a challenge to its client: another user agent or transport cannot use it", async () => {
    const user = await engine.signUp();
    const options = await registrationOptions(engine, user.token, { headers: { "user-agent": "Browser A" } });
    const { response } = softwareRegister(options);
    await expectInvalidPasskey(await postRegistration(engine, user.token, { response }, { "user-agent": "Browser B" }));
    expect((await postRegistration(engine, user.token, { response }, { "user-agent": "Browser A" })).status).toBe(201);
  });

  it("never takes a sign-in challenge, and a sign-in cannot take a registration challenge", async () => {
    const user = await engine.signUp();
    const signIn = await signInOptions(engine);
    const options = await registrationOptions(engine, user.token);
    // A registration response whose client data echoes the sign-in challenge.
    const forged = softwareRegister(options, { challenge: signIn.challenge }).response;
    await expectInvalidPasskey(await postRegistration(engine, user.token, { response: forged }));
    // The registration challenge itself still works: the failed try did not touch it.
    expect((await postRegistration(engine, user.token, { response: softwareRegister(options).response })).status).toBe(
      201,
    );
  });

  it("refuses a response of the wrong type (webauthn.get) even with the right challenge", async () => {
    const user = await engine.signUp();
    const options = await registrationOptions(engine, user.token);
    await expectInvalidPasskey(
      await postRegistration(engine, user.token, {
        response: softwareRegister(options, { type: "webauthn.get" }).response,
      }),
    );
  });

  it("refuses a response made for another origin or RP ID, or without user verification", async () => {
    const user = await engine.signUp();
    const bends = [
      { origin: "http://evil.localhost:4000" },
      { origin: "https://localhost:4000" },
      { rpID: "evil.example" },
      { userVerified: false },
    ];
    for (const bend of bends) {
      const options = await registrationOptions(engine, user.token);
      await expectInvalidPasskey(
        await postRegistration(engine, user.token, { response: softwareRegister(options, bend).response }),
      );
    }
    expect(await passkeysOf(user.token)).toEqual([]);
  });

  it("refuses a response whose reported id is not the attested credential's", async () => {
    const user = await engine.signUp();
    const options = await registrationOptions(engine, user.token);
    const { response } = softwareRegister(options);
    const other = softwareRegister(options).response.id;
    await expectInvalidPasskey(
      await postRegistration(engine, user.token, { response: { ...response, id: other, rawId: other } }),
    );
  });

  it("refuses a credential id already registered, to this account or another (409 passkey_already_registered)", async () => {
    const alice = await engine.signUp();
    const mallory = await engine.signUp();
    const { credential } = await registerPasskey(engine, alice.token);
    // The same credential (same key, same id) answering a fresh challenge of another account.
    const theirs = softwareRegister(await registrationOptions(engine, mallory.token), {}, { ...credential });
    const refused = await postRegistration(engine, mallory.token, { response: theirs.response });
    expect(refused.status).toBe(409);
    expect(await codeOf(refused)).toBe("passkey_already_registered");
    // And again on the owner's own account.
    const again = softwareRegister(await registrationOptions(engine, alice.token), {}, { ...credential });
    expect(await codeOf(await postRegistration(engine, alice.token, { response: again.response }))).toBe(
      "passkey_already_registered",
    );
    expect((await database.getPasskeyByCredentialId(credential.id))!.userId).toBe(alice.userId);
    expect(await passkeysOf(mallory.token)).toEqual([]);
  });

  it("answers malformed responses with 422 or 400, never a crash, and stores nothing", async () => {
    const user = await engine.signUp();
    const options = await registrationOptions(engine, user.token);
    const { response } = softwareRegister(options);
    const shapes: unknown[] = [
      null,
      "response",
      { ...response, response: "x" },
      { ...response, id: 7 },
      { ...response, response: { ...response.response, attestationObject: null } },
    ];
    for (const shape of shapes) {
      const answer = await postRegistration(engine, user.token, { response: shape });
      expect(answer.status).toBe(422);
    }
    const contents = [
      { ...response, response: { ...response.response, clientDataJSON: "!!!" } },
      {
        ...response,
        response: { ...response.response, clientDataJSON: Buffer.from("not json").toString("base64url") },
      },
      { ...response, response: { ...response.response, attestationObject: "AAAA" } },
      { ...response, type: "password" },
    ];
    for (const content of contents) {
      await expectInvalidPasskey(await postRegistration(engine, user.token, { response: content }));
    }
    expect(await passkeysOf(user.token)).toEqual([]);
  });
});
