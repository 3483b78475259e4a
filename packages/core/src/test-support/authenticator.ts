/**
 * A software WebAuthn authenticator for tests: real ES256 keys (node:crypto), real
 * authenticator data, a CBOR attestation object (`fmt: "none"`) and client data, signed the way a
 * browser and a platform authenticator would. Responses go through @simplewebauthn/server's full
 * verification, and every part can be bent (origin, RP ID, counter, flags, user handle, type) to
 * prove each check refuses what it must.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { isoCBOR } from "@simplewebauthn/server/helpers";

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

/** A credential the authenticator holds (a discoverable one: it remembers the user handle). */
export interface SoftwareCredential {
  /** base64url. */
  id: string;
  rpID: string;
  /** base64url, as the registration options gave it. */
  userHandle: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The signature counter; each assertion adds one unless `counter` is given. */
  counter: number;
}

/** Ways to bend a response, each defaulting to what an honest browser and authenticator do. */
export interface ResponseOptions {
  /** The page's origin, as the browser puts it in the client data. @default "http://localhost:4000" */
  origin?: string;
  /** The RP ID whose hash goes into the authenticator data. @default the options' RP ID */
  rpID?: string;
  /** `type` in the client data. @default "webauthn.create" / "webauthn.get" */
  type?: string;
  /** Replaces the challenge the options gave. */
  challenge?: string;
  /** User verified (UV flag). @default true */
  userVerified?: boolean;
  /** Backup eligible and backed up (BE and BS flags). @default false */
  backedUp?: boolean;
  /** The signature counter to report (and keep). @default registration 0, assertions one more than before */
  counter?: number;
}

/** What a registration produced: the browser's JSON and the credential the authenticator keeps. */
export interface SoftwareRegistration {
  response: RegistrationResponseJSON;
  credential: SoftwareCredential;
}

type CBORValue = Parameters<typeof isoCBOR.encode>[0];

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");
const sha256 = (data: Uint8Array | string): Buffer => createHash("sha256").update(data).digest();

function clientData(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

function flagsOf(options: ResponseOptions, extra: number): number {
  let flags = FLAG_UP | extra;
  if (options.userVerified ?? true) flags |= FLAG_UV;
  if (options.backedUp) flags |= FLAG_BE | FLAG_BS;
  return flags;
}

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter);
  return bytes;
}

/** The credential's public key as a COSE EC2 key (ES256, P-256). */
function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: "jwk" });
  return isoCBOR.encode(
    new Map<number, unknown>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, "base64url")],
      [-3, Buffer.from(jwk.y!, "base64url")],
    ]) as CBORValue,
  );
}

/** A new credential for `rpID` and `userHandle` with a fresh key pair. */
export function newSoftwareCredential(rpID: string, userHandle: string): SoftwareCredential {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { id: b64(randomBytes(32)), rpID, userHandle, privateKey, publicKey, counter: 0 };
}

/**
 * Answers registration options the way `navigator.credentials.create` would, with a new
 * credential (or `credential`, to register a copy of one that exists: a replay across accounts).
 */
export function softwareRegister(
  options: PublicKeyCredentialCreationOptionsJSON,
  response: ResponseOptions = {},
  credential: SoftwareCredential = newSoftwareCredential(options.rp.id!, options.user.id),
): SoftwareRegistration {
  const counter = response.counter ?? 0;
  credential.counter = counter;
  const credentialId = Buffer.from(credential.id, "base64url");
  const lengthBytes = Buffer.alloc(2);
  lengthBytes.writeUInt16BE(credentialId.length);
  const authData = Buffer.concat([
    sha256(response.rpID ?? options.rp.id!),
    Buffer.from([flagsOf(response, FLAG_AT)]),
    counterBytes(counter),
    Buffer.alloc(16), // AAGUID: all zeros, as "none" attestation reports
    lengthBytes,
    credentialId,
    coseKey(credential.publicKey),
  ]);
  const attestationObject = isoCBOR.encode(
    new Map<string, unknown>([
      ["fmt", "none"],
      ["attStmt", new Map()],
      ["authData", authData],
    ]) as CBORValue,
  );
  const data = clientData(
    response.type ?? "webauthn.create",
    response.challenge ?? options.challenge,
    response.origin ?? "http://localhost:4000",
  );
  return {
    credential,
    response: {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      response: {
        clientDataJSON: b64(data),
        attestationObject: b64(attestationObject),
        transports: ["internal"],
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    },
  };
}

/**
 * Answers request options the way `navigator.credentials.get` would with `credential`: signs the
 * authenticator data and the client data hash with the credential's private key.
 * `userHandle` replaces the handle the credential returns (null: none at all).
 */
export function softwareAuthenticate(
  options: PublicKeyCredentialRequestOptionsJSON,
  credential: SoftwareCredential,
  response: ResponseOptions & { userHandle?: string | null } = {},
): AuthenticationResponseJSON {
  credential.counter = response.counter ?? credential.counter + 1;
  const authData = Buffer.concat([
    sha256(response.rpID ?? options.rpId ?? credential.rpID),
    Buffer.from([flagsOf(response, 0)]),
    counterBytes(credential.counter),
  ]);
  const data = clientData(
    response.type ?? "webauthn.get",
    response.challenge ?? options.challenge,
    response.origin ?? "http://localhost:4000",
  );
  const signature = sign("sha256", Buffer.concat([authData, sha256(data)]), credential.privateKey);
  const userHandle = response.userHandle === undefined ? credential.userHandle : response.userHandle;
  return {
    id: credential.id,
    rawId: credential.id,
    type: "public-key",
    response: {
      clientDataJSON: b64(data),
      authenticatorData: b64(authData),
      signature: b64(signature),
      ...(userHandle === null ? {} : { userHandle }),
    },
    authenticatorAttachment: "platform",
    clientExtensionResults: {},
  };
}
