// The browser client's second-factor and passkey methods against the fake API speaking the
// pinned contract: what each sends, what it returns, sign-in completion (state, other tabs),
// required-MFA enrolment, re-authentication, step-up, and how passkey prompts fail.
import { afterEach, describe, expect, it } from "vitest";
import {
  createFakeAPI,
  FAKE_CHALLENGE,
  FAKE_CODES,
  FAKE_QR_SVG,
  memoryLocks,
  memoryStorage,
  type FakeAPI,
  type FakeAPIOptions,
} from "../test-support/fake-api.js";
import { GatehouseAPIError } from "./api.js";
import { createGatehouseClient, type GatehouseClient, type GatehouseClientOptions } from "./client.js";
import { ceremonyError, type WebAuthnCeremonies } from "./passkeys.js";

const clients: GatehouseClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

/** A fake authenticator: answers every ceremony with a credential of this id, or throws. */
function authenticator(behaviour: { credentialId?: string; error?: unknown; supported?: boolean } = {}) {
  const calls: unknown[] = [];
  const answer = async (options: unknown) => {
    calls.push(options);
    if (behaviour.error !== undefined) throw behaviour.error;
    const id = behaviour.credentialId ?? "cred-1";
    return { id, rawId: id, type: "public-key", response: {}, clientExtensionResults: {} };
  };
  const ceremonies = {
    supported: () => behaviour.supported ?? true,
    register: answer,
    authenticate: answer,
  } as unknown as WebAuthnCeremonies;
  return { ceremonies, calls };
}

function setUp(options: FakeAPIOptions = {}, overrides: Partial<GatehouseClientOptions> = {}) {
  const api = createFakeAPI({ accessTokenSeconds: 60, ...options });
  const storage = memoryStorage();
  const locks = memoryLocks();
  const url = `http://auth-${Math.random().toString(36).slice(2)}.test`;
  const open = (more: Partial<GatehouseClientOptions> = {}) => {
    const client = createGatehouseClient({ url, fetch: api.fetch, storage, locks, load: false, ...overrides, ...more });
    clients.push(client);
    return client;
  };
  return { api, client: open(), open };
}

async function signedIn(options: FakeAPIOptions = {}, overrides: Partial<GatehouseClientOptions> = {}) {
  const setup = setUp(options, overrides);
  setup.api.signIn();
  await setup.client.load();
  return setup;
}

const lastRequest = (api: FakeAPI) => api.log.at(-1)!;

async function rejection(promise: Promise<unknown>): Promise<GatehouseAPIError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof GatehouseAPIError)) throw new Error(`expected a GatehouseAPIError, got ${String(error)}`);
  return error;
}

describe("browser client: managing second factors", () => {
  it("enrols an authenticator: status, secret and QR, wrong then right code, backup codes once", async () => {
    const { api, client } = await signedIn();
    expect(await client.getMFAStatus()).toMatchObject({ enabled: false, totp: { enabled: false } });
    const enrollment = await client.startTOTPEnrollment();
    expect(enrollment).toEqual({
      secret: FAKE_CODES.secret,
      otpauth_url: expect.stringMatching(/^otpauth:/),
      qr_svg: FAKE_QR_SVG,
    });
    expect((await rejection(client.confirmTOTPEnrollment({ code: "000000" }))).code).toBe("invalid_code");
    const codes = await client.confirmTOTPEnrollment({ code: FAKE_CODES.totp });
    expect(codes).toHaveLength(10);
    expect(lastRequest(api)).toMatchObject({ path: "/v1/mfa/totp/confirm", body: { code: FAKE_CODES.totp } });
    expect(await client.getMFAStatus()).toMatchObject({
      enabled: true,
      totp: { enabled: true },
      backup_codes: { remaining: 10 },
    });
    expect((await rejection(client.startTOTPEnrollment())).code).toBe("mfa_already_enabled");
  });

  it("sends current_password only when given, and reports reauthentication_required", async () => {
    const { api, client } = await signedIn({ staleSession: true, enabled: { totp: true } });
    const refused = await rejection(client.disableTOTP());
    expect(refused).toMatchObject({ status: 403, code: "reauthentication_required" });
    expect(lastRequest(api).body).toEqual({});
    await rejection(client.regenerateBackupCodes({ currentPassword: "" }));
    expect(lastRequest(api).body).toEqual({});
    const codes = await client.regenerateBackupCodes({ currentPassword: FAKE_CODES.password });
    expect(codes).toHaveLength(10);
    expect(lastRequest(api).body).toEqual({ current_password: FAKE_CODES.password });
    await client.disableTOTP({ currentPassword: FAKE_CODES.password });
    expect(await client.getMFAStatus()).toMatchObject({ enabled: false, backup_codes: { remaining: 0 } });
  });

  it("enrols SMS as a second factor: no new backup codes, the old ones stay; disabling the last factor voids them", async () => {
    const { api, client } = await signedIn({ enabled: { totp: true } });
    expect((await rejection(client.startSMSEnrollment({ phoneNumber: "07700 900123" }))).code).toBe(
      "invalid_phone_number",
    );
    expect(await client.startSMSEnrollment({ phoneNumber: "+447700900123" })).toEqual({
      phone_number_hint: "+44 •••• ••• 123",
      expires_in: 300,
    });
    expect(lastRequest(api).body).toEqual({ phone_number: "+447700900123" });
    expect(await client.confirmSMSEnrollment({ code: FAKE_CODES.sms })).toEqual([]);
    expect(await client.getMFAStatus()).toMatchObject({
      sms: { enabled: true, phone_number_hint: "+44 •••• ••• 123" },
      backup_codes: { remaining: 10 },
    });
    await client.disableTOTP();
    await client.disableSMS();
    expect(await client.getMFAStatus()).toMatchObject({ enabled: false, backup_codes: { remaining: 0 } });
  });

  it("steps up with a texted code, refreshes the access token at once and re-reads the session", async () => {
    const { api, client } = await signedIn({ enabled: { sms: true } });
    expect(await client.sendStepUpSMS()).toMatchObject({ phone_number_hint: "+44 •••• ••• 678" });
    expect((await rejection(client.verifySecondFactor({ factor: "sms", code: "111111" }))).code).toBe("invalid_code");
    const before = api.log.length;
    const session = await client.verifySecondFactor({ factor: "sms", code: FAKE_CODES.sms });
    expect(session.second_factor_verified_at).toEqual(expect.any(String));
    expect(api.log.slice(before).map((each) => `${each.method} ${each.path}`)).toEqual([
      "POST /v1/mfa/verify",
      "POST /v1/token",
      "GET /v1/session",
    ]);
  });

  it("needs a session: signed out, a management call is unauthenticated", async () => {
    const { client } = setUp();
    expect((await rejection(client.getMFAStatus())).code).toBe("unauthenticated");
  });
});

describe("browser client: second factors at sign-in", () => {
  it("texts a code for the challenge and completes with it; the other tab signs in too", async () => {
    const { api, client, open } = setUp({ secondFactor: ["totp", "backup_code", "sms"], enabled: { sms: true } });
    const other = open();
    await Promise.all([client.load(), other.load()]);
    const first = await client.signInWithPassword({ email: "ada@example.com", password: FAKE_CODES.password });
    expect(first).toEqual({
      status: "needs_second_factor",
      challenge: FAKE_CHALLENGE,
      factors: ["totp", "backup_code", "sms"],
      expiresIn: 300,
    });
    expect(await client.sendSignInSMS({ challenge: FAKE_CHALLENGE })).toMatchObject({ expires_in: 300 });
    expect(lastRequest(api)).toMatchObject({
      path: "/v1/sign-in/second-factor/sms",
      body: { challenge: FAKE_CHALLENGE },
    });
    const done = await client.completeSecondFactor({ challenge: FAKE_CHALLENGE, factor: "sms", code: FAKE_CODES.sms });
    expect(done.status).toBe("complete");
    expect(client.getState().status).toBe("signed-in");
    await expect.poll(() => other.getState().status).toBe("signed-in");
  });

  it("a stale challenge is invalid_challenge, a rate limit carries Retry-After", async () => {
    const { api, client } = setUp({ secondFactor: true });
    await client.load();
    await client.signInWithPassword({ email: "ada@example.com", password: FAKE_CODES.password });
    expect(
      (await rejection(client.completeSecondFactor({ challenge: "mfac_old", factor: "totp", code: "123456" }))).code,
    ).toBe("invalid_challenge");
    api.answerNext("POST /v1/sign-in/second-factor", 429, "rate_limited", { retryAfterSeconds: 42 });
    expect(
      await rejection(client.completeSecondFactor({ challenge: FAKE_CHALLENGE, factor: "totp", code: "1" })),
    ).toMatchObject({
      code: "rate_limited",
      retryAfterSeconds: 42,
    });
    expect(client.getState().status).toBe("signed-out");
  });

  it("MFA required: enrols an authenticator on the challenge and signs in with the backup codes", async () => {
    const { api, client } = setUp({ enrollment: ["totp", "sms"] });
    await client.load();
    const first = await client.signInWithPassword({ email: "ada@example.com", password: FAKE_CODES.password });
    expect(first).toEqual({
      status: "needs_second_factor_enrollment",
      challenge: FAKE_CHALLENGE,
      factors: ["totp", "sms"],
      expiresIn: 300,
    });
    expect(client.getState().status).toBe("signed-out");
    expect(await client.startSignInTOTPEnrollment({ challenge: FAKE_CHALLENGE })).toMatchObject({
      secret: FAKE_CODES.secret,
    });
    const done = await client.confirmSignInTOTPEnrollment({ challenge: FAKE_CHALLENGE, code: FAKE_CODES.totp });
    expect(done).toMatchObject({ status: "complete", user: { email: "ada@example.com" } });
    expect(done.backupCodes).toHaveLength(10);
    expect(lastRequest(api).body).toEqual({ challenge: FAKE_CHALLENGE, code: FAKE_CODES.totp });
    expect(client.getState().status).toBe("signed-in");
  });

  it("MFA required: enrols a phone on the challenge", async () => {
    const { api, client } = setUp({ enrollment: ["totp", "sms"] });
    await client.load();
    await client.signInWithPassword({ email: "ada@example.com", password: FAKE_CODES.password });
    await client.startSignInSMSEnrollment({ challenge: FAKE_CHALLENGE, phoneNumber: "+15551234567" });
    expect(lastRequest(api).body).toEqual({ challenge: FAKE_CHALLENGE, phone_number: "+15551234567" });
    expect(
      (await rejection(client.confirmSignInSMSEnrollment({ challenge: FAKE_CHALLENGE, code: "000000" }))).code,
    ).toBe("invalid_code");
    const done = await client.confirmSignInSMSEnrollment({ challenge: FAKE_CHALLENGE, code: FAKE_CODES.sms });
    expect(done.backupCodes).toHaveLength(10);
    expect(client.getState().status).toBe("signed-in");
  });

  it("sign-up with MFA required hands back the enrolment challenge, not a session", async () => {
    const { client } = setUp({ enrollment: ["totp"] });
    await client.load();
    const result = await client.signUp({ email: "new@example.com", password: "long enough" });
    expect(result).toMatchObject({ status: "needs_second_factor_enrollment", factors: ["totp"] });
    expect(client.getState().status).toBe("signed-out");
  });
});

describe("browser client: passkeys", () => {
  it("registers: options (with re-authentication) -> the browser's prompt -> registration, then lists, renames, deletes", async () => {
    const { ceremonies, calls } = authenticator({ credentialId: "cred-A" });
    const { api, client } = await signedIn({ staleSession: true }, { webAuthn: ceremonies });
    expect((await rejection(client.registerPasskey({ name: "Laptop" }))).code).toBe("reauthentication_required");
    expect(calls).toEqual([]);
    const passkey = await client.registerPasskey({ name: " Laptop ", currentPassword: FAKE_CODES.password });
    expect(passkey).toMatchObject({ id: "pk_1", name: "Laptop", last_used_at: null });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      rp: { id: "localhost" },
      authenticatorSelection: { userVerification: "required" },
    });
    expect(api.log.slice(-2).map((each) => each.body)).toEqual([
      { current_password: FAKE_CODES.password },
      { response: expect.objectContaining({ id: "cred-A" }), name: "Laptop" },
    ]);
    expect((await rejection(client.registerPasskey({ currentPassword: FAKE_CODES.password }))).code).toBe(
      "passkey_already_registered",
    );
    expect(await client.renamePasskey("pk_1", "Work laptop")).toMatchObject({ name: "Work laptop" });
    expect(lastRequest(api)).toMatchObject({
      method: "PATCH",
      path: "/v1/passkeys/pk_1",
      body: { name: "Work laptop" },
    });
    expect((await client.listPasskeys()).map((each) => each.name)).toEqual(["Work laptop"]);
    await client.deletePasskey("pk_1");
    expect(await client.listPasskeys()).toEqual([]);
    expect((await rejection(client.deletePasskey("pk_1"))).code).toBe("not_found");
  });

  it("signs in with a registered passkey, as any sign-in: state and the other tabs", async () => {
    const { ceremonies } = authenticator({ credentialId: "cred-B" });
    const { api, client, open } = await signedIn({ secondFactor: true }, { webAuthn: ceremonies });
    await client.registerPasskey();
    await client.signOut();
    const other = open();
    await other.load();
    const result = await client.signInWithPasskey();
    // A passkey is itself two factors: no challenge even though the password sign-in asks for one.
    expect(result.status).toBe("complete");
    expect(api.log.slice(-2).map((each) => each.path)).toEqual(["/v1/sign-in/passkey/options", "/v1/sign-in/passkey"]);
    expect(client.getState().status).toBe("signed-in");
    await expect.poll(() => other.getState().status).toBe("signed-in");
  });

  it("an unknown credential is invalid_passkey from the server", async () => {
    const { ceremonies } = authenticator({ credentialId: "never-registered" });
    const { client } = setUp({}, { webAuthn: ceremonies });
    expect((await rejection(client.signInWithPasskey())).code).toBe("invalid_passkey");
    expect(client.getState().status).not.toBe("signed-in");
  });

  it("a dismissed prompt is passkey_cancelled and nothing is posted; no WebAuthn is passkey_not_supported", async () => {
    const dismissed = new DOMException("The operation either timed out or was not allowed.", "NotAllowedError");
    const { ceremonies } = authenticator({ error: dismissed });
    const { api, client } = setUp({}, { webAuthn: ceremonies });
    expect((await rejection(client.signInWithPasskey())).code).toBe("passkey_cancelled");
    expect(api.log.map((each) => each.path)).toEqual(["/v1/sign-in/passkey/options"]);

    const unsupported = setUp({}, { webAuthn: authenticator({ supported: false }).ceremonies });
    expect(unsupported.client.passkeysSupported()).toBe(false);
    expect((await rejection(unsupported.client.signInWithPasskey())).code).toBe("passkey_not_supported");
  });

  it("maps the browser's ceremony errors to client codes", () => {
    expect(ceremonyError(new DOMException("x", "AbortError")).code).toBe("passkey_cancelled");
    expect(ceremonyError(new DOMException("x", "InvalidStateError")).code).toBe("passkey_already_registered");
    expect(ceremonyError(new DOMException("x", "SecurityError")).code).toBe("passkey_failed");
    expect(ceremonyError(new Error("boom"))).toMatchObject({ status: 0, code: "passkey_failed" });
    const fromServer = new GatehouseAPIError({ status: 400, code: "invalid_passkey" });
    expect(ceremonyError(fromServer)).toBe(fromServer);
  });
});
