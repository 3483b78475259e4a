/**
 * The relying party comes from the configuration only: the RP ID, name and expected origins are
 * what `passkeys` (or the base URL) says, whatever `Host` or `Origin` a request carries; a second
 * origin works once configured and not before; and settings browsers would refuse stop the start.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import { resolveConfig, type GatehouseConfig } from "../config.js";
import { ConfigurationError } from "../errors/index.js";
import { softwareAuthenticate, softwareRegister } from "../test-support/authenticator.js";
import { createTestEngine, type TestEngine } from "../test-support/engine.js";
import { expectInvalidPasskey, postSignIn, registerPasskey, signInWithPasskey } from "../test-support/passkeys.js";

const APP_ORIGIN = "http://app.localhost:5173";

describe("the relying party, from configuration only", () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await createTestEngine({ bodyLimitBytes: 64 * 1024 });
  });
  afterAll(() => engine.close());

  it("ignores a request's Host and Origin: options name the configured RP, and a response for the other origin is refused", async () => {
    const user = await engine.signUp();
    // The options are asked for under another host name and origin (bearer, so the origin check
    // for cookie writes does not stop the request first).
    const foreign = new Request("http://evil.example:4000/v1/sign-in/passkey/options", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        origin: "http://evil.example:4000",
        "auth-transport": "bearer",
        "x-forwarded-host": "evil.example",
      },
      body: "{}",
    });
    const answer = await engine.gatehouse.handler(foreign, { remoteAddress: "203.0.113.10" });
    expect(answer.status).toBe(200);
    const { options } = (await answer.json()) as { options: Parameters<typeof softwareAuthenticate>[0] };
    expect(options.rpId).toBe("localhost");

    const { credential } = await registerPasskey(engine, user.token);
    // What a page on that origin would produce: refused, for its origin and for its RP ID.
    const forOrigin = softwareAuthenticate(options, credential, { origin: "http://evil.example:4000" });
    await expectInvalidPasskey(await postSignIn(engine, forOrigin, { headers: { "auth-transport": "bearer" } }));
    const forRP = softwareAuthenticate(options, credential, {
      origin: "http://evil.example:4000",
      rpID: "evil.example",
    });
    await expectInvalidPasskey(await postSignIn(engine, forRP, { headers: { "auth-transport": "bearer" } }));
  });

  it("refuses an origin that is on the RP ID but not configured", async () => {
    const user = await engine.signUp();
    const { credential } = await registerPasskey(engine, user.token);
    await expectInvalidPasskey(await signInWithPasskey(engine, credential, { origin: APP_ORIGIN }));
  });
});

describe("a configured second origin", () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await createTestEngine({
      allowedOrigins: [APP_ORIGIN],
      passkeys: { rpID: "localhost", rpName: "Acme", origins: ["http://localhost:4000", APP_ORIGIN] },
    });
  });
  afterAll(() => engine.close());

  it("registers and signs in from either configured origin, under the configured RP name", async () => {
    const user = await engine.signUp();
    const options = await engine.request("POST", "/v1/passkeys/registration/options", { cookie: user.token, json: {} });
    const { options: creation } = (await options.json()) as { options: Parameters<typeof softwareRegister>[0] };
    expect(creation.rp).toEqual({ id: "localhost", name: "Acme" });
    const { response, credential } = softwareRegister(creation, { origin: APP_ORIGIN });
    const registered = await engine.request("POST", "/v1/passkeys/registration", {
      cookie: user.token,
      json: { response },
      headers: { origin: APP_ORIGIN },
    });
    expect(registered.status).toBe(201);
    expect((await signInWithPasskey(engine, credential, { origin: APP_ORIGIN })).status).toBe(200);
    expect((await signInWithPasskey(engine, credential, { origin: "http://localhost:4000" })).status).toBe(200);
    await expectInvalidPasskey(await signInWithPasskey(engine, credential, { origin: "http://other.localhost:5173" }));
  });
});

describe("resolving the relying party", () => {
  const base = (passkeys: GatehouseConfig["passkeys"], baseURL = "https://auth.example.com"): GatehouseConfig => ({
    baseURL,
    database: createMemoryDatabase({ warn: () => {} }),
    passkeys,
  });

  it("defaults to the base URL's host name and origin, and the app name", () => {
    expect(resolveConfig({ ...base(undefined), email: { appName: "Acme" } }).passkeys).toEqual({
      rpID: "auth.example.com",
      rpName: "Acme",
      origins: ["https://auth.example.com"],
    });
  });

  it("takes a parent domain as RP ID for origins on its subdomains", () => {
    const resolved = resolveConfig(
      base({ rpID: "Example.com", origins: ["https://auth.example.com", "https://app.example.com/"] }),
    );
    expect(resolved.passkeys).toEqual({
      rpID: "example.com",
      rpName: "auth.example.com",
      origins: ["https://auth.example.com", "https://app.example.com"],
    });
  });

  it("tells a UI through the engine's features whether passkeys work", async () => {
    for (const [baseURL, passkeys] of [
      ["http://127.0.0.1:4000", false],
      ["http://localhost:4000", true],
    ] as const) {
      const engine = await createTestEngine({ baseURL });
      try {
        expect(engine.gatehouse.features.passkeys).toBe(passkeys);
      } finally {
        await engine.close();
      }
    }
  });

  it("turns passkeys off for an IP base URL without an RP ID", () => {
    expect(resolveConfig(base(undefined, "http://127.0.0.1:4000")).passkeys).toBeNull();
    expect(
      resolveConfig({ ...base(undefined, "http://[::1]:4000"), email: { from: "no-reply@example.com" } }).passkeys,
    ).toBeNull();
  });

  it("refuses what browsers would refuse, naming the setting", () => {
    const wrong: GatehouseConfig["passkeys"][] = [
      { rpID: "127.0.0.1" },
      { rpID: "https://example.com" },
      { rpID: "example.com:443" },
      { rpID: "other.com" },
      { origins: ["https://auth.example.org"] },
      { origins: [] },
      { origins: ["ftp://auth.example.com"] },
      { rpID: "example.com", origins: ["https://notexample.com"] },
      { rpName: " " },
      { rpName: "two\nlines" },
    ];
    for (const passkeys of wrong) {
      expect(() => resolveConfig(base(passkeys)), JSON.stringify(passkeys)).toThrow(ConfigurationError);
    }
    expect(() => resolveConfig(base({ rpID: "other.com" }))).toThrow(/GATEHOUSE_WEBAUTHN_RP_ID/);
    expect(() => resolveConfig(base({ rpID: "10.0.0.1" }, "http://10.0.0.1"))).toThrow(/not an IP address/);
  });
});
