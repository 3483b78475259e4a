// The default key source: the issuer's JWKS over HTTP, cached, refetched when a token names an
// unknown kid (a key rotation), but at a bounded rate, so a flood of made-up kids cannot turn
// every request into a JWKS fetch. Date is faked to step over jose's 30 s cooldown.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startFakeIssuer, type FakeIssuer } from "../test-support/fake-issuer.js";
import { bearer, recordingLogger } from "../test-support/helpers.js";
import { createVerifier } from "./create-verifier.js";

let issuer: FakeIssuer;

beforeAll(async () => {
  issuer = await startFakeIssuer();
});
afterAll(async () => {
  await issuer.close();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the JWKS", () => {
  it("is fetched once and cached", async () => {
    const before = issuer.jwksFetches;
    const v = createVerifier({ url: issuer.url, logger: recordingLogger() });
    for (let i = 0; i < 5; i++) {
      expect(await v.authenticateRequest(bearer(await issuer.issueAccessToken()))).toMatchObject({
        status: "signed-in",
      });
    }
    expect(issuer.jwksFetches - before).toBe(1);
  });

  it("is refetched for an unknown kid after the cooldown, and a flood of unknown kids does not refetch every time", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const before = issuer.jwksFetches;
    const v = createVerifier({ url: issuer.url, logger: recordingLogger() });
    expect(await v.authenticateRequest(bearer(await issuer.issueAccessToken()))).toMatchObject({ status: "signed-in" });
    expect(issuer.jwksFetches - before).toBe(1);

    const rotated = await issuer.addKey();
    const fresh = await issuer.issueAccessToken({ kid: rotated });
    // Inside the cooldown the new kid is unknown: refused, and no fetch.
    expect(await v.authenticateRequest(bearer(fresh))).toMatchObject({ reason: "invalid", detail: "unknown-key" });
    for (let i = 0; i < 50; i++) {
      await v.authenticateRequest(bearer(await issuer.issueAccessToken({ kid: `key_flood_${i}` })));
    }
    expect(issuer.jwksFetches - before).toBe(1);

    vi.setSystemTime(Date.now() + 31_000);
    expect(await v.authenticateRequest(bearer(await issuer.issueAccessToken({ kid: rotated })))).toMatchObject({
      status: "signed-in",
    });
    expect(issuer.jwksFetches - before).toBe(2);
    for (let i = 0; i < 50; i++) {
      await v.authenticateRequest(bearer(await issuer.issueAccessToken({ kid: `key_flood_again_${i}` })));
    }
    expect(issuer.jwksFetches - before).toBe(2);
  });
});
