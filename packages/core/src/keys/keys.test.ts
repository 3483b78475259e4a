import { createLocalJWKSet, jwtVerify, decodeProtectedHeader } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import { createEncrypter, parseEncryptionKey } from "../lib/encryption.js";
import {
  BASE_URL,
  createTestEngine,
  strongPassword,
  TEST_ENCRYPTION_KEY,
  TEST_SECRET_KEY,
  uniqueEmail,
  type TestEngine,
} from "../test-support/engine.js";

const engines: TestEngine[] = [];
async function engineWith(config: Parameters<typeof createTestEngine>[0] = {}): Promise<TestEngine> {
  const engine = await createTestEngine({ strategy: "jwt", ...config });
  engines.push(engine);
  return engine;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

async function accessTokenFrom(engine: TestEngine): Promise<string> {
  const response = await engine.request("POST", "/v1/sign-up", {
    json: { email: uniqueEmail(), password: strongPassword() },
    headers: { "auth-transport": "bearer" },
  });
  return (await response.json()).access_token;
}

async function jwks(engine: TestEngine): Promise<{ keys: Record<string, unknown>[] }> {
  return (await engine.request("GET", "/.well-known/jwks.json")).json();
}

const rotate = (engine: TestEngine, headers: Record<string, string> = { authorization: `Bearer ${TEST_SECRET_KEY}` }) =>
  engine.request("POST", "/v1/admin/signing-keys/rotate", { headers });

describe("JWKS and discovery", () => {
  it("publishes public keys only, cacheable, with an ETag that answers 304", async () => {
    const engine = await engineWith();
    const response = await engine.request("GET", "/.well-known/jwks.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    const { keys } = await response.json();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    for (const privateMember of ["d", "p", "q", "dp", "dq", "qi", "k"])
      expect(keys[0]).not.toHaveProperty(privateMember);
    const etag = response.headers.get("etag")!;
    const again = await engine.request("GET", "/.well-known/jwks.json", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
  });

  it("names the issuer and the JWKS in the discovery document", async () => {
    const engine = await engineWith();
    const document = await (await engine.request("GET", "/.well-known/openid-configuration")).json();
    expect(document).toMatchObject({ issuer: BASE_URL, jwks_uri: `${BASE_URL}/.well-known/jwks.json` });
  });

  it("verifies issued tokens with jose against the published JWKS", async () => {
    const engine = await engineWith();
    const token = await accessTokenFrom(engine);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet((await jwks(engine)) as never), {
      issuer: BASE_URL,
      audience: BASE_URL,
      typ: "at+jwt",
      currentDate: new Date(engine.clock.now),
    });
    expect(protectedHeader.alg).toBe("EdDSA");
    expect(payload.sid).toMatch(/^sess_/);
  });

  it("signs with ES256 when configured", async () => {
    const engine = await engineWith({ tokens: { algorithm: "ES256" } });
    const token = await accessTokenFrom(engine);
    expect(decodeProtectedHeader(token).alg).toBe("ES256");
    expect((await jwks(engine)).keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256" });
    expect((await engine.request("GET", "/v1/session", { bearer: token })).status).toBe(200);
  });
});

describe("signing keys at rest", () => {
  it("stores the private key encrypted, readable only with the configured key", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const engine = await engineWith({ database });
    const [stored] = await database.listSigningKeys(engine.clock.now);
    expect(stored!.encryptedPrivateJWK).toMatch(/^v1\./);
    expect(stored!.encryptedPrivateJWK).not.toContain('"d"');
    const right = await createEncrypter(parseEncryptionKey(TEST_ENCRYPTION_KEY), "signing-keys");
    expect(JSON.parse(await right.decrypt(stored!.encryptedPrivateJWK))).toHaveProperty("d");
    const wrong = await createEncrypter(parseEncryptionKey("A".repeat(43)), "signing-keys");
    await expect(wrong.decrypt(stored!.encryptedPrivateJWK)).rejects.toThrow();
    const otherPurpose = await createEncrypter(parseEncryptionKey(TEST_ENCRYPTION_KEY), "webhooks");
    await expect(otherPurpose.decrypt(stored!.encryptedPrivateJWK)).rejects.toThrow();
  });

  it("refuses to start jwt or hybrid without an encryption key, and refuses a malformed one", async () => {
    const { createGatehouse } = await import("../gatehouse.js");
    const database = createMemoryDatabase({ warn: () => {} });
    await expect(createGatehouse({ baseURL: BASE_URL, database, strategy: "jwt" })).rejects.toThrow(
      /GATEHOUSE_ENCRYPTION_KEY/,
    );
    await expect(
      createGatehouse({ baseURL: BASE_URL, database, strategy: "hybrid", encryptionKey: "too-short" }),
    ).rejects.toThrow(/GATEHOUSE_ENCRYPTION_KEY/);
  });
});

describe("rotation", () => {
  it("rotates on the admin API; tokens signed by the old key stay valid while it stays published", async () => {
    const engine = await engineWith();
    const before = await accessTokenFrom(engine);
    const oldKid = decodeProtectedHeader(before).kid;
    const response = await rotate(engine);
    expect(response.status).toBe(200);
    const { kid } = await response.json();
    expect(kid).not.toBe(oldKid);
    const after = await accessTokenFrom(engine);
    expect(decodeProtectedHeader(after).kid).toBe(kid);
    const published = (await jwks(engine)).keys.map((key) => key.kid);
    expect(published).toEqual([kid, oldKid]);
    expect((await engine.request("GET", "/v1/session", { bearer: before })).status).toBe(200);
    expect((await engine.request("GET", "/v1/session", { bearer: after })).status).toBe(200);
  });

  it("retires the old key from the JWKS once every token it signed has expired", async () => {
    const engine = await engineWith();
    const oldKid = decodeProtectedHeader(await accessTokenFrom(engine)).kid;
    await rotate(engine);
    // 10 min tokens + 60 s skew + 60 s reload interval.
    engine.clock.now += (600 + 60 + 60) * 1000 - 1;
    await engine.gatehouse.rotateSigningKey();
    expect((await jwks(engine)).keys.map((key) => key.kid)).toContain(oldKid);
    engine.clock.now += 2;
    await engine.gatehouse.rotateSigningKey();
    expect((await jwks(engine)).keys.map((key) => key.kid)).not.toContain(oldKid);
  });

  it("rotates automatically at start when the signing key is older than the interval", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const first = await engineWith({ database, tokens: { keyRotationIntervalSeconds: 86_400 } });
    const firstKid = (await jwks(first)).keys[0]!.kid;
    const second = await engineWith({
      database,
      tokens: { keyRotationIntervalSeconds: 86_400 },
      clock: () => first.clock.now + 86_400_000,
    });
    const kids = (await jwks(second)).keys.map((key) => key.kid);
    expect(kids).toHaveLength(2);
    expect(kids[1]).toBe(firstKid);
  });

  it.each([
    ["no key", {}],
    ["a user's session token as bearer", { authorization: "Bearer sess_x.y" }],
    ["an unknown secret key", { authorization: `Bearer gh_sk_${"u".repeat(43)}` }],
    ["the key in another scheme", { authorization: `Basic ${TEST_SECRET_KEY}` }],
  ])("refuses rotation with %s", async (_, headers) => {
    const engine = await engineWith();
    const response = await rotate(engine, headers);
    expect(response.status).toBe(401);
    expect((await jwks(engine)).keys).toHaveLength(1);
  });

  it("refuses rotation with a user's access token or cookie", async () => {
    const engine = await engineWith();
    const token = await accessTokenFrom(engine);
    expect((await rotate(engine, { authorization: `Bearer ${token}` })).status).toBe(401);
    const cookie = await engine.request("POST", "/v1/admin/signing-keys/rotate", { cookie: token });
    expect(cookie.status).toBe(401);
    const query = await engine.request("POST", `/v1/admin/signing-keys/rotate?secret_key=${TEST_SECRET_KEY}`);
    expect(query.status).toBe(403);
  });
});

describe("changes of configuration", () => {
  it("keeps tokens of the previous algorithm valid after switching EdDSA → ES256", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const before = await engineWith({ database });
    const token = await accessTokenFrom(before);
    const after = await engineWith({ database, tokens: { algorithm: "ES256" }, clock: () => before.clock.now });
    expect((await jwks(after)).keys.map((key) => key.alg)).toEqual(["ES256", "EdDSA"]);
    expect((await after.request("GET", "/v1/session", { bearer: token })).status).toBe(200);
    expect(decodeProtectedHeader(await accessTokenFrom(after)).alg).toBe("ES256");
  });

  it("refuses to start with an encryption key other than the one the signing keys were made with", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    await engineWith({ database });
    await expect(createTestEngine({ strategy: "jwt", database, encryptionKey: "B".repeat(43) })).rejects.toThrow(
      /different encryption key/,
    );
  });

  it("records a provided secret key once even when instances start together", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const engine = await engineWith({ database });
    const key = `gh_sk_${"k".repeat(43)}`;
    await Promise.all([engine.gatehouse.ensureSecretKey(key), engine.gatehouse.ensureSecretKey(key)]);
    expect((await rotate(engine, { authorization: `Bearer ${key}` })).status).toBe(200);
  });
});
