// The Next.js helpers with plain web Request objects, as middleware.ts and route handlers get them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/index.js";
import { startFakeIssuer, type FakeIssuer } from "../test-support/fake-issuer.js";
import { countingKeys, recordingLogger, withCookies } from "../test-support/helpers.js";
import { createVerifier, type Verifier } from "../verifier/create-verifier.js";
import { createNextAuth } from "./index.js";

let issuer: FakeIssuer;
let verifier: Verifier;

beforeAll(async () => {
  issuer = await startFakeIssuer();
  verifier = createVerifier({ url: issuer.url, keys: countingKeys([issuer.publicJWK]), logger: recordingLogger() });
});
afterAll(async () => {
  await issuer.close();
});

const expiredToken = () => issuer.issueAccessToken({ now: Date.now() - 120_000, lifetimeSeconds: 60 });

describe("createNextAuth", () => {
  it("middleware lets a signed-in request through (undefined)", async () => {
    const token = await issuer.issueAccessToken();
    const { middleware } = createNextAuth(verifier);
    expect(await middleware(withCookies({ gatehouse_access: token }))).toBeUndefined();
  });

  it("middleware answers a signed-out API call with 401 problem+json", async () => {
    const { middleware } = createNextAuth(verifier);
    const response = await middleware(new Request("https://app.example.com/api/me", { method: "POST" }));
    expect(response?.status).toBe(401);
    expect(response?.headers.get("content-type")).toBe("application/problem+json");
    expect(await response?.json()).toMatchObject({ code: "unauthenticated", reason: "no-credential" });
  });

  it("middleware redirects an expired cookie on a page load to the refresh path by default", async () => {
    const { middleware } = createNextAuth(verifier);
    const page = "https://app.example.com/dashboard?view=all";
    const response = await middleware(withCookies({ gatehouse_access: await expiredToken() }, { url: page }));
    expect(response?.status).toBe(303);
    expect(response?.headers.get("location")).toBe(
      `${issuer.url}/v1/token/refresh?redirect_url=${encodeURIComponent(page)}`,
    );
  });

  it("refreshExpired: false answers 401 with reason expired instead", async () => {
    const { middleware } = createNextAuth(verifier, { refreshExpired: false });
    const response = await middleware(withCookies({ gatehouse_access: await expiredToken() }));
    expect(response?.status).toBe(401);
    expect(await response?.json()).toMatchObject({ reason: "expired" });
  });

  it("signInURL sends signed-out page loads to an absolute sign-in page", async () => {
    const { middleware } = createNextAuth(verifier, { signInURL: "https://auth.example.com/sign-in" });
    const response = await middleware(new Request("https://app.example.com/dashboard"));
    const location = new URL(response!.headers.get("location")!);
    expect(location.origin + location.pathname).toBe("https://auth.example.com/sign-in");
    expect(location.searchParams.get("redirect_url")).toBe("https://app.example.com/dashboard");
  });

  it("auth() gives route handlers the state from a Request", async () => {
    const token = await issuer.issueAccessToken({ sub: "user_next" });
    const { auth } = createNextAuth(verifier);
    expect(
      await auth(new Request("https://app.example.com/api", { headers: { authorization: `Bearer ${token}` } })),
    ).toMatchObject({ status: "signed-in", userId: "user_next" });
  });

  it("auth() takes the Headers of a server component, and offers no refresh URL without a page URL", async () => {
    const { auth } = createNextAuth(verifier);
    const token = await issuer.issueAccessToken({ sub: "user_rsc" });
    expect(await auth(new Headers({ cookie: `gatehouse_access=${token}` }))).toMatchObject({
      status: "signed-in",
      userId: "user_rsc",
    });
    expect(await auth(new Headers({ cookie: `gatehouse_access=${await expiredToken()}` }))).toEqual({
      status: "signed-out",
      reason: "expired",
    });
  });

  it("throws ConfigurationError without a verifier or with a signInURL that cannot be a redirect", () => {
    expect(() => createNextAuth(undefined as unknown as Verifier)).toThrow(ConfigurationError);
    expect(() => createNextAuth(verifier, { signInURL: "javascript:alert(1)" })).toThrow(ConfigurationError);
    expect(() => createNextAuth(verifier, { signInURL: "//evil.example/sign-in" })).toThrow(ConfigurationError);
  });
});
