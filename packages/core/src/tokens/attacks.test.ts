// Every forged or misused access token gets 401 at the server, never a 5xx, and never a session.
import { base64url } from "@gatehouse/sdk";
import { createHmac } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import { createEncrypter, parseEncryptionKey } from "../lib/encryption.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestEngine,
  TEST_ENCRYPTION_KEY,
  strongPassword,
  uniqueEmail,
  type TestEngine,
} from "../test-support/engine.js";

let engine: TestEngine;
let accessToken: string;
let refreshToken: string;
let sessionToken: string;
let claims: Record<string, unknown>;
let kid: string;
let publicJWK: JWK;

beforeAll(async () => {
  engine = await createTestEngine({ strategy: "jwt" });
  const response = await engine.request("POST", "/v1/sign-up", {
    json: { email: uniqueEmail(), password: strongPassword() },
    headers: { "auth-transport": "bearer" },
  });
  ({ access_token: accessToken, refresh_token: refreshToken } = await response.json());
  claims = decodeJwt(accessToken);
  kid = decodeProtectedHeader(accessToken).kid!;
  publicJWK = (await (await engine.request("GET", "/.well-known/jwks.json")).json()).keys[0];
  const session = await createTestEngine();
  sessionToken = (await session.signUp()).token;
  await session.close();
});
afterAll(() => engine.close());

const json = (value: unknown): string => base64url(new TextEncoder().encode(JSON.stringify(value)));

/** A token with any header and payload, signed (or not) however the attacker likes. */
function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ""): string {
  return `${json(header)}.${json(payload)}.${signature}`;
}

async function expectRefused(token: string): Promise<void> {
  for (const credential of [{ bearer: token }, { cookie: token }]) {
    const response = await engine.request("GET", "/v1/session", credential);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "unauthenticated" });
  }
}

describe("access token attacks", () => {
  it("accepts the genuine token (the control case)", async () => {
    expect((await engine.request("GET", "/v1/session", { bearer: accessToken })).status).toBe(200);
  });

  it.each(["none", "None", "NONE", "nOnE"])('refuses alg "%s"', async (alg) => {
    await expectRefused(unsigned({ alg, typ: "at+jwt", kid }, claims));
    await expectRefused(unsigned({ alg, typ: "at+jwt", kid }, claims, accessToken.split(".")[2]));
  });

  it("refuses HS256 keyed with the server's public key (algorithm confusion)", async () => {
    for (const secret of [JSON.stringify(publicJWK), publicJWK.x!, Buffer.from(publicJWK.x!, "base64url")]) {
      const header = json({ alg: "HS256", typ: "at+jwt", kid });
      const body = json(claims);
      const signature = createHmac("sha256", secret).update(`${header}.${body}`).digest("base64url");
      await expectRefused(`${header}.${body}.${signature}`);
    }
  });

  it.each(["jwk", "jku", "x5u", "x5c"])("refuses a token carrying its own key in `%s`", async (parameter) => {
    const attacker = await generateKeyPair("EdDSA", { extractable: true });
    const attackerJWK = await exportJWK(attacker.publicKey);
    const value = parameter === "jwk" ? attackerJWK : parameter === "x5c" ? ["MIIB"] : "https://evil.example/keys.json";
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid, [parameter]: value })
      .sign(attacker.privateKey);
    await expectRefused(forged);
    // Even a token our own key signed is refused when it names a key source: ours never do.
    const ours = await new SignJWT(claims)
      .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid, [parameter]: value })
      .sign(await signingKeyOf(engine));
    await expectRefused(ours);
  });

  it("refuses a token signed by another key under our kid", async () => {
    const attacker = await generateKeyPair("EdDSA");
    await expectRefused(
      await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid }).sign(attacker.privateKey),
    );
  });

  it("refuses a token whose payload was altered", async () => {
    const [header, , signature] = accessToken.split(".");
    await expectRefused(`${header}.${json({ ...claims, sub: "user_someone_else" })}.${signature}`);
  });

  it.each([
    ["typ JWT", { typ: "JWT" }],
    ["no typ", { typ: undefined }],
  ])("refuses %s (other kinds of JWT never pass as access tokens)", async (_, header) => {
    const privateKey = await signingKeyOf(engine);
    await expectRefused(
      await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid, ...header } as never).sign(privateKey),
    );
  });

  it.each([
    ["another issuer", { iss: "https://evil.example" }],
    ["another audience", { aud: "https://other-api.example" }],
    ["no session id", { sid: undefined }],
    ["no subject", { sub: undefined }],
  ])("refuses a validly signed token with %s", async (_, changes) => {
    const privateKey = await signingKeyOf(engine);
    await expectRefused(
      await new SignJWT({ ...claims, ...changes })
        .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid })
        .sign(privateKey),
    );
  });

  it("refuses expired tokens and tokens issued more than 60 s in the future; tolerates less", async () => {
    const privateKey = await signingKeyOf(engine);
    const now = Math.floor(engine.clock.now / 1000);
    const sign = (payload: Record<string, unknown>) =>
      new SignJWT({ ...claims, ...payload }).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid }).sign(privateKey);
    await expectRefused(await sign({ iat: now - 700, exp: now - 100 }));
    await expectRefused(await sign({ iat: now - 600, exp: now }));
    await expectRefused(await sign({ iat: now + 120, exp: now + 600 }));
    await expectRefused(await sign({ nbf: now + 120 }));
    const skewed = await engine.request("GET", "/v1/session", { bearer: await sign({ iat: now + 30, nbf: now + 30 }) });
    expect(skewed.status).toBe(200);
  });

  it("never lets a refresh token or a session token pass as an access token", async () => {
    await expectRefused(refreshToken);
    await expectRefused(sessionToken);
  });

  it.each([
    () => "",
    () => "a.b.c",
    () => "eyJ.eyJ.",
    () => "....",
    () => `${"A".repeat(9000)}.b.c`,
    () => "e30.e30.e30",
    () => unsigned({ alg: "EdDSA", typ: "at+jwt", kid }, { sub: 1, sid: {}, exp: "tomorrow" }, "AAAA"),
    () => accessToken.split(".").slice(0, 2).join("."),
    () => `${accessToken}.extra`,
    () => "Bearer",
    () => "%00%01",
    () => "ÿ.ÿ.ÿ",
  ])("refuses malformed input %#", async (token) => {
    const response = await engine.request("GET", "/v1/session", { headers: { authorization: `Bearer ${token()}` } });
    expect(response.status).toBe(401);
  });
});

/** The engine's current private signing key, read back from the test store to forge tokens. */
async function signingKeyOf(target: TestEngine): Promise<CryptoKey> {
  const keys = await target.database.listSigningKeys(target.clock.now);
  const encrypter = await createEncrypter(parseEncryptionKey(TEST_ENCRYPTION_KEY), "signing-keys");
  const privateJWK = JSON.parse(await encrypter.decrypt(keys.at(-1)!.encryptedPrivateJWK)) as JWK;
  return (await importJWK(privateJWK, "EdDSA")) as CryptoKey;
}
