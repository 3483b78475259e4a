/**
 * Passkey helpers for tests: ask the engine for options over HTTP and answer them with the
 * software authenticator, so every response goes through the real verification.
 */
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import { expect } from "vitest";
import {
  softwareAuthenticate,
  softwareRegister,
  type ResponseOptions,
  type SoftwareCredential,
} from "./authenticator.js";
import type { TestEngine, TestRequest } from "./engine.js";

/** A passkey as `GET /v1/passkeys` shows it. */
export interface PasskeyJSON {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  device_type: string;
  backed_up: boolean;
  transports: string[];
}

/** Registration options for the user signed in with `token` (cookie transport). */
export async function registrationOptions(
  engine: TestEngine,
  token: string,
  request: Omit<TestRequest, "cookie"> = {},
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const response = await engine.request("POST", "/v1/passkeys/registration/options", {
    json: {},
    ...request,
    cookie: token,
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { options: PublicKeyCredentialCreationOptionsJSON }).options;
}

/** Posts a registration response; returns the raw answer. */
export function postRegistration(
  engine: TestEngine,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return engine.request("POST", "/v1/passkeys/registration", { cookie: token, json: body, headers });
}

/** Registers a new passkey for the user signed in with `token`; returns the authenticator's credential. */
export async function registerPasskey(
  engine: TestEngine,
  token: string,
  options: { name?: string; bend?: ResponseOptions; credential?: SoftwareCredential } = {},
): Promise<{ credential: SoftwareCredential; passkey: PasskeyJSON }> {
  const creation = await registrationOptions(engine, token);
  const { response, credential } = softwareRegister(creation, options.bend, options.credential);
  const answer = await postRegistration(engine, token, {
    response,
    ...(options.name === undefined ? {} : { name: options.name }),
  });
  expect(answer.status, await answer.clone().text()).toBe(201);
  return { credential, passkey: ((await answer.json()) as { passkey: PasskeyJSON }).passkey };
}

/** Sign-in options, as an anonymous client with `headers` asks for them. */
export async function signInOptions(
  engine: TestEngine,
  headers: Record<string, string> = {},
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const response = await engine.request("POST", "/v1/sign-in/passkey/options", { json: {}, headers });
  expect(response.status).toBe(200);
  return ((await response.json()) as { options: PublicKeyCredentialRequestOptionsJSON }).options;
}

/** Posts a sign-in response; returns the raw answer. */
export function postSignIn(
  engine: TestEngine,
  response: AuthenticationResponseJSON,
  request: Omit<TestRequest, "json"> = {},
): Promise<Response> {
  return engine.request("POST", "/v1/sign-in/passkey", { json: { response }, ...request });
}

/** Asks for options and signs in with `credential`, bent by `bend`; returns the raw answer. */
export async function signInWithPasskey(
  engine: TestEngine,
  credential: SoftwareCredential,
  bend: ResponseOptions & { userHandle?: string | null } = {},
  headers: Record<string, string> = {},
): Promise<Response> {
  const options = await signInOptions(engine, headers);
  return postSignIn(engine, softwareAuthenticate(options, credential, bend), { headers });
}

/** Asserts the answer is the one `invalid_passkey` problem, identical for every failure. */
export async function expectInvalidPasskey(response: Response): Promise<void> {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toContain("application/problem+json");
  expect(response.headers.getSetCookie()).toEqual([]);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toEqual({
    type: body.type,
    title: body.title,
    status: 400,
    code: "invalid_passkey",
    detail: "The passkey could not be verified. Try again.",
  });
}
