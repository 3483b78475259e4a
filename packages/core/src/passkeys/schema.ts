/**
 * Wire shapes of passkeys. The WebAuthn members are @simplewebauthn's JSON shapes
 * (`RegistrationResponseJSON`, `AuthenticationResponseJSON`, and the options types), as
 * `startRegistration` / `startAuthentication` of @simplewebauthn/browser produce and take them.
 * The schemas check the JSON's shape only; whether the contents verify is the service's answer
 * (`invalid_passkey`).
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { z } from "zod";
import { reauthenticationBody } from "../mfa/schema.js";
import type { PasskeyRecord } from "../storage/ports.js";
import { isoTime, isoTimeOrNull } from "../lib/iso-time.js";

/** Longest accepted base64url member: generous for attestation objects, far below the body limit. */
const MAX_ENCODED = 16_384;

const encoded = (name: string, max = MAX_ENCODED) =>
  z.string({ error: `${name} must be a base64url string.` }).max(max, { error: `${name} is too long.` });

/** Members every credential response has. */
const credentialFields = {
  id: encoded("response.id", 1_024),
  rawId: encoded("response.rawId", 1_024),
  type: z.string({ error: "response.type must be a string." }).max(32, { error: "response.type is too long." }),
  authenticatorAttachment: z.string().max(32).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).optional(),
};

const registrationResponse = z.object(
  {
    ...credentialFields,
    response: z.object(
      {
        clientDataJSON: encoded("response.response.clientDataJSON"),
        attestationObject: encoded("response.response.attestationObject"),
        authenticatorData: encoded("response.response.authenticatorData").optional(),
        transports: z.array(z.string().max(32)).max(16).optional(),
        publicKeyAlgorithm: z.number().optional(),
        publicKey: encoded("response.response.publicKey").optional(),
      },
      { error: "response.response must be an object." },
    ),
  },
  { error: "response must be a registration response (RegistrationResponseJSON)." },
);

const authenticationResponse = z.object(
  {
    ...credentialFields,
    response: z.object(
      {
        clientDataJSON: encoded("response.response.clientDataJSON"),
        authenticatorData: encoded("response.response.authenticatorData"),
        signature: encoded("response.response.signature"),
        userHandle: encoded("response.response.userHandle", 1_024).optional(),
      },
      { error: "response.response must be an object." },
    ),
  },
  { error: "response must be an authentication response (AuthenticationResponseJSON)." },
);

/** A passkey's name: trimmed, 1–64 characters, one line. */
export const passkeyName = z
  .string({ error: "name must be a string." })
  .trim()
  .min(1, { error: "name cannot be empty." })
  .max(64, { error: "name can be at most 64 characters." })
  .refine((value) => !/\p{Cc}/u.test(value), { error: "name must be a single line without control characters." });

/** `POST /v1/passkeys/registration/options`: `current_password` unless the session is fresh. */
export const registrationOptionsBody = reauthenticationBody;

/** `POST /v1/passkeys/registration`. */
export const registrationBody = z.object({
  response: registrationResponse.transform((value) => value as RegistrationResponseJSON),
  name: passkeyName.optional(),
});

/** `PATCH /v1/passkeys/{id}`. */
export const renameBody = z.object({ name: passkeyName });

/** `POST /v1/sign-in/passkey/options`: nothing to send. */
export const signInOptionsBody = z.object({});

/** `POST /v1/sign-in/passkey`. */
export const signInBody = z.object({
  response: authenticationResponse.transform((value) => value as AuthenticationResponseJSON),
});

/** A passkey as the API shows it. Never the public key or the credential id. */
export const passkeyJSON = z.object({
  id: z.string().describe("`pk_…`"),
  name: z.string(),
  created_at: z.string().describe("ISO 8601"),
  last_used_at: z.string().nullable().describe("ISO 8601: the last sign-in with it, or null"),
  device_type: z
    .enum(["singleDevice", "multiDevice"])
    .describe("`multiDevice`: the passkey can be synced (e.g. through a password manager)"),
  backed_up: z.boolean().describe("Whether the authenticator said the passkey is backed up"),
  transports: z.array(z.string()).describe("How the browser can reach the authenticator (`internal`, `hybrid`, …)"),
});

/** Serialises a passkey for the client. */
export function toPasskeyJSON(passkey: PasskeyRecord): z.infer<typeof passkeyJSON> {
  return {
    id: passkey.id,
    name: passkey.name,
    created_at: isoTime(passkey.createdAt),
    last_used_at: isoTimeOrNull(passkey.lastUsedAt),
    device_type: passkey.deviceType,
    backed_up: passkey.backedUp,
    transports: passkey.transports,
  };
}

/** `{options}` of a registration: pass `options` as `optionsJSON` to `startRegistration`. */
export const registrationOptionsJSON = z.object({
  options: z
    .record(z.string(), z.unknown())
    .describe(
      "PublicKeyCredentialCreationOptionsJSON: `residentKey` and `userVerification` required, `excludeCredentials` lists the user's passkeys",
    ),
});

/** `{options}` of a sign-in: pass `options` as `optionsJSON` to `startAuthentication`. */
export const signInOptionsJSON = z.object({
  options: z
    .record(z.string(), z.unknown())
    .describe(
      "PublicKeyCredentialRequestOptionsJSON: empty `allowCredentials` (discoverable), `userVerification` required",
    ),
});
