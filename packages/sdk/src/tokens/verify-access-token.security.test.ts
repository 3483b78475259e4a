// Every attack on access-token verification from issue 3 point 2, against verifyAccessToken
// (which the verifier and the engine share): none may pass, and none may throw.
import { createPublicKey, type JsonWebKey } from "node:crypto";
import {
  base64url,
  createLocalJWKSet,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyAccessToken, type AccessTokenResult, type VerifyAccessTokenOptions } from "./verify-access-token.js";

const ISSUER = "https://auth.example.com";
const NOW = new Date("2026-03-01T12:00:00Z");
const NOW_S = Math.floor(NOW.getTime() / 1000);
const KID = "key_main";

let privateKey: CryptoKey;
let publicJWK: JWK;
let attackerKey: CryptoKey;
let attackerJWK: JWK;
let options: VerifyAccessTokenOptions;

beforeAll(async () => {
  const pair = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  privateKey = pair.privateKey;
  publicJWK = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: "EdDSA", use: "sig" };
  const attacker = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  attackerKey = attacker.privateKey;
  attackerJWK = await exportJWK(attacker.publicKey);
  options = {
    keys: createLocalJWKSet({ keys: [publicJWK] }),
    issuer: ISSUER,
    audience: ISSUER,
    algorithms: ["EdDSA"],
    now: NOW,
  };
});

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: ISSUER,
    sub: "user_a",
    sid: "sess_a",
    jti: "at_1",
    iat: NOW_S,
    exp: NOW_S + 600,
    ...overrides,
  };
}

function sign(payload: JWTPayload, header: Record<string, unknown> = {}, key: CryptoKey | Uint8Array = privateKey) {
  return new SignJWT(payload).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: KID, ...header }).sign(key);
}

/** A compact JWS assembled by hand, for shapes no library would produce. */
function raw(header: unknown, payload: unknown, signature = "c2lnbmF0dXJl"): string {
  const encode = (value: unknown) => base64url.encode(typeof value === "string" ? value : JSON.stringify(value));
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

async function refused(token: string): Promise<AccessTokenResult> {
  const result = await verifyAccessToken(token, options);
  expect(result.ok).toBe(false);
  return result;
}

describe("verifyAccessToken refuses every attack of issue 3", () => {
  it("accepts a well-formed token (the baseline the attacks deviate from)", async () => {
    const result = await verifyAccessToken(await sign(claims()), options);
    expect(result).toMatchObject({ ok: true, claims: { sub: "user_a", sid: "sess_a" } });
  });

  it.each(["none", "None", "NONE", "nOnE", "none "])("alg %j, with or without a signature", async (alg) => {
    const header = { alg, typ: "at+jwt", kid: KID };
    expect(await refused(raw(header, claims()))).toEqual({ ok: false, reason: "algorithm-not-allowed" });
    expect(await refused(`${raw(header, claims()).split(".").slice(0, 2).join(".")}.`)).toMatchObject({ ok: false });
  });

  it("HMAC keyed with the server's public key, in every form it is published", async () => {
    const publicKey = createPublicKey({ key: publicJWK as JsonWebKey, format: "jwk" });
    const secrets = [
      new TextEncoder().encode(JSON.stringify(publicJWK)),
      base64url.decode(publicJWK.x!),
      new TextEncoder().encode(publicJWK.x!),
      new TextEncoder().encode(await exportSPKI(publicKey as unknown as CryptoKey)),
    ];
    for (const alg of ["HS256", "HS384", "HS512"]) {
      for (const secret of secrets) {
        const token = await new SignJWT(claims()).setProtectedHeader({ alg, typ: "at+jwt", kid: KID }).sign(secret);
        expect(await refused(token)).toEqual({ ok: false, reason: "algorithm-not-allowed" });
        const both = await verifyAccessToken(token, { ...options, algorithms: ["EdDSA", "ES256"] });
        expect(both).toEqual({ ok: false, reason: "algorithm-not-allowed" });
      }
    }
  });

  it("a key carried in the token: jwk, jku, x5u, x5c", async () => {
    const headers = [
      { jwk: attackerJWK },
      { jku: "https://attacker.example/jwks.json" },
      { x5u: "https://attacker.example/cert.pem" },
      { x5c: ["MIIBszCCAVmgAwIBAgIU"] },
    ];
    for (const header of headers) {
      const token = await sign(claims(), header, attackerKey);
      expect(await refused(token)).toEqual({ ok: false, reason: "untrusted-header" });
      // Even signed with the real key, a token that names a key of its own is not trusted.
      expect(await refused(await sign(claims(), header))).toEqual({ ok: false, reason: "untrusted-header" });
    }
  });

  it("signed by another key under the server's kid", async () => {
    expect(await refused(await sign(claims(), {}, attackerKey))).toEqual({ ok: false, reason: "invalid-signature" });
  });

  it.each([
    ["JWT", "wrong-type"],
    ["application/jwt", "wrong-type"],
    ["magic-link+jwt", "wrong-type"],
  ])("typ %j (another kind of token)", async (typ, reason) => {
    expect(await refused(await sign(claims(), { typ }))).toEqual({ ok: false, reason });
  });

  it("no typ at all", async () => {
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: "EdDSA", kid: KID }).sign(privateKey);
    expect(await refused(token)).toEqual({ ok: false, reason: "wrong-type" });
  });

  it("wrong issuer and wrong audience", async () => {
    expect(await refused(await sign(claims({ iss: "https://evil.example" })))).toEqual({
      ok: false,
      reason: "wrong-issuer",
    });
    expect(await refused(await sign(claims({ aud: "https://other.example" })))).toEqual({
      ok: false,
      reason: "wrong-audience",
    });
    expect(await refused(await sign(claims({ aud: ["https://a.example", "https://b.example"] })))).toEqual({
      ok: false,
      reason: "wrong-audience",
    });
  });

  it("expired, including exactly at exp", async () => {
    expect(await refused(await sign(claims({ exp: NOW_S - 1 })))).toEqual({ ok: false, reason: "expired" });
    expect(await refused(await sign(claims({ exp: NOW_S })))).toEqual({ ok: false, reason: "expired" });
    // The skew allowance is for clocks running behind, never for expiry.
    expect(await refused(await sign(claims({ exp: NOW_S - 30, iat: NOW_S - 630 })))).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("iat or nbf more than 60 s ahead is refused; within 60 s is accepted", async () => {
    expect(await refused(await sign(claims({ iat: NOW_S + 61, exp: NOW_S + 661 })))).toEqual({
      ok: false,
      reason: "not-yet-valid",
    });
    expect(await refused(await sign(claims({ nbf: NOW_S + 61 })))).toEqual({ ok: false, reason: "not-yet-valid" });
    expect((await verifyAccessToken(await sign(claims({ iat: NOW_S + 59 })), options)).ok).toBe(true);
    expect((await verifyAccessToken(await sign(claims({ nbf: NOW_S + 59 })), options)).ok).toBe(true);
  });

  it.each(["sub", "sid", "jti", "exp", "iat", "iss", "aud"])("missing %s", async (name) => {
    const payload = claims();
    delete payload[name];
    await refused(await sign(payload));
  });

  it.each([
    ["sid as a number", { sid: 42 }],
    ["sub as an object", { sub: { id: "user_a" } }],
    ["exp as a string", { exp: String(NOW_S + 600) }],
    ["iat as a string", { iat: String(NOW_S) }],
  ])("claims of the wrong type: %s", async (_name, overrides) => {
    await refused(await sign(claims(overrides as JWTPayload)));
  });
});

describe("malformed input never throws", () => {
  const shapes: [string, () => string][] = [
    ["empty", () => ""],
    ["a dot", () => "."],
    ["two dots", () => ".."],
    ["three dots", () => "..."],
    ["two parts", () => "eyJhbGciOiJFZERTQSJ9.e30"],
    ["four parts", () => "a.b.c.d"],
    ["JWE-like five parts", () => "a.b.c.d.e"],
    ["spaces", () => "a b.c d.e f"],
    ["newline inside", () => "eyJh\nbGci.e30.sig"],
    ["padding", () => "eyJhbGciOiJFZERTQSJ9==.e30=.c2ln"],
    ["standard base64 characters", () => "ab+/.cd+/.ef+/"],
    ["unicode", () => "ééé.ééé.ééé"],
    ["header not base64url JSON", () => "bm90IGpzb24.e30.c2ln"],
    ["header JSON null", () => raw(null, claims())],
    ["header JSON array", () => raw([], claims())],
    ["header JSON number", () => raw(1, claims())],
    ["header JSON string", () => raw('"EdDSA"', claims())],
    ["alg as a number", () => raw({ alg: 1, typ: "at+jwt" }, claims())],
    ["alg as an array", () => raw({ alg: ["EdDSA"], typ: "at+jwt" }, claims())],
    ["crit header", () => raw({ alg: "EdDSA", typ: "at+jwt", kid: KID, crit: ["exp"] }, claims())],
    ["payload not JSON", () => raw({ alg: "EdDSA", typ: "at+jwt", kid: KID }, "not json")],
    ["payload JSON array", () => raw({ alg: "EdDSA", typ: "at+jwt", kid: KID }, [1, 2])],
    ["payload JSON null", () => raw({ alg: "EdDSA", typ: "at+jwt", kid: KID }, null)],
    ["over 8 KiB", () => raw({ alg: "EdDSA", typ: "at+jwt", kid: KID }, claims({ pad: "x".repeat(9000) }))],
    ["a session token", () => `sess_${"A".repeat(22)}.${"B".repeat(43)}`],
    ["a secret key", () => "gh_sk_0123456789abcdef0123456789"],
  ];

  it.each(shapes)("%s", async (_name, make) => {
    const result = await verifyAccessToken(make(), options);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(typeof result.reason).toBe("string");
  });

  it("a payload that redefines __proto__ is refused without polluting anything", async () => {
    const token = raw({ alg: "EdDSA", typ: "at+jwt", kid: KID }, '{"__proto__":{"polluted":true},"sub":"x"}');
    await refused(token);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
