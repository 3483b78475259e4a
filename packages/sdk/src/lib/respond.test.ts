// The one mapping from a signed-out state to an HTTP answer, shared by every adapter.
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/index.js";
import { createVerifier } from "../verifier/create-verifier.js";
import { answerSignedOut, checkRequireAuthOptions, guardArguments, type RequireAuthOptions } from "./respond.js";

const page = { method: "GET", url: "https://app.example.com/page" };
const refreshURL = "https://auth.example.com/v1/token/refresh?redirect_url=x";

describe("answerSignedOut", () => {
  it("answers an outage with 503 and Retry-After, never a 401 and never a redirect to sign in", () => {
    for (const reason of ["unavailable", "feed-unavailable"] as const) {
      const answer = answerSignedOut({ status: "signed-out", reason }, page, { signInURL: "/sign-in" });
      expect(answer.status).toBe(503);
      expect(answer.headers["retry-after"]).toBe("5");
      expect(answer.headers["www-authenticate"]).toBeUndefined();
      expect(JSON.parse(answer.body!)).toMatchObject({ code: "verification_unavailable", reason });
    }
  });

  it("redirects to the refresh URL only when asked and only when the state has one", () => {
    const expired = { status: "signed-out", reason: "expired", refreshURL } as const;
    expect(answerSignedOut(expired, page, { refreshExpired: true })).toMatchObject({
      status: 303,
      headers: { location: refreshURL },
    });
    expect(answerSignedOut(expired, page, {}).status).toBe(401);
    expect(answerSignedOut({ status: "signed-out", reason: "expired" }, page, { refreshExpired: true }).status).toBe(
      401,
    );
  });

  it("sends only GET and HEAD to the sign-in page", () => {
    const state = { status: "signed-out", reason: "no-credential" } as const;
    expect(answerSignedOut(state, { ...page, method: "HEAD" }, { signInURL: "/sign-in" }).status).toBe(303);
    expect(answerSignedOut(state, { ...page, method: "POST" }, { signInURL: "/sign-in" }).status).toBe(401);
  });

  it("marks a refused token as invalid_token (RFC 6750) and a missing one as a plain challenge", () => {
    expect(answerSignedOut({ status: "signed-out", reason: "revoked" }, page, {}).headers["www-authenticate"]).toBe(
      'Bearer error="invalid_token"',
    );
    expect(
      answerSignedOut({ status: "signed-out", reason: "no-credential" }, page, {}).headers["www-authenticate"],
    ).toBe("Bearer");
  });
});

describe("checkRequireAuthOptions", () => {
  it.each(["/sign-in", "https://auth.example.com/sign-in", "http://localhost:4000/sign-in"])("accepts %s", (url) => {
    expect(() => checkRequireAuthOptions({ signInURL: url })).not.toThrow();
  });

  it.each(["sign-in", "//evil.example", "javascript:alert(1)", "ftp://x/y", ""])("refuses %j", (url) => {
    expect(() => checkRequireAuthOptions({ signInURL: url })).toThrow(ConfigurationError);
  });
});

describe("guardArguments (requireAuth's arguments)", () => {
  const verifier = createVerifier({ url: "https://auth.example.com" });

  it("takes a verifier with or without options, or options alone", () => {
    expect(guardArguments(verifier, { signInURL: "/sign-in" })).toEqual({
      verifier,
      options: { signInURL: "/sign-in" },
    });
    expect(guardArguments(verifier, undefined)).toEqual({ verifier, options: {} });
    expect(guardArguments({ refreshExpired: true }, undefined)).toEqual({
      verifier: null,
      options: { refreshExpired: true },
    });
    expect(guardArguments(undefined, undefined)).toEqual({ verifier: null, options: {} });
  });

  it("refuses options without the verifier they were meant for, and anything that is neither", () => {
    expect(() => guardArguments(undefined, { signInURL: "/sign-in" })).toThrow(/given no verifier/);
    const notAVerifier = { authenticate: () => null } as unknown as RequireAuthOptions;
    expect(() => guardArguments(notAVerifier, undefined)).toThrow(/got authenticate/);
    expect(() => guardArguments(verifier, { signInURL: "javascript:alert(1)" })).toThrow(ConfigurationError);
  });
});
