/**
 * The one suite every framework adapter (Express, Hono, Fastify) runs: a real app on a real
 * port, called with fetch. Each adapter's test file only says how to build its app with these
 * routes:
 * - `GET /whoami`: the auth state as JSON (no guard);
 * - `GET|POST /private`: `requireAuth()`, then `{ userId }`;
 * - `GET /page`: `requireAuth({ refreshExpired: true, signInURL: "/sign-in" })`, then text.
 * With `verifier: null` the app is built without the auth middleware (misuse).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JWTVerifyGetKey } from "jose";
import type { VerifierLogger } from "../lib/logger.js";
import { createVerifier, type Verifier } from "../verifier/create-verifier.js";
import { startFakeIssuer, type FakeIssuer } from "./fake-issuer.js";
import { countingKeys, recordingLogger } from "./helpers.js";

/** A started app. */
export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/** Builds and starts the app for one framework. */
export type StartApp = (verifier: Verifier | null) => Promise<RunningApp>;

/** A verifier trusting the issuer's key. */
function workingVerifier(issuer: FakeIssuer, logger: VerifierLogger): Verifier {
  return createVerifier({ url: issuer.url, keys: countingKeys([issuer.publicJWK]), logger });
}

/** A verifier whose JWKS cannot be fetched: every token check is `unavailable`. */
function failingVerifier(issuer: FakeIssuer, logger: VerifierLogger): Verifier {
  const broken: JWTVerifyGetKey = async () => {
    throw Object.assign(new Error("JWKS down"), { code: "ECONNREFUSED" });
  };
  return createVerifier({ url: issuer.url, keys: broken, logger });
}

/** A request to a running app, redirects not followed. */
function call(target: RunningApp, path: string, headers: Record<string, string> = {}, method = "GET") {
  return fetch(`${target.url}${path}`, { method, headers, redirect: "manual" });
}

/**
 * Declares the shared adapter tests.
 *
 * @example
 * ```ts
 * describeAdapter("express", async (verifier) => { … return { url, close }; });
 * ```
 */
export function describeAdapter(name: string, start: StartApp): void {
  describe(`${name} adapter over HTTP`, () => {
    let issuer: FakeIssuer;
    let app: RunningApp;
    let failing: RunningApp;
    let bare: RunningApp;

    beforeAll(async () => {
      issuer = await startFakeIssuer();
      const logger = recordingLogger();
      app = await start(workingVerifier(issuer, logger));
      failing = await start(failingVerifier(issuer, logger));
      bare = await start(null);
    });

    afterAll(async () => {
      await Promise.all([app?.close(), failing?.close(), bare?.close()]);
      await issuer?.close();
    });

    it("sets the auth state on every request, signed in or not", async () => {
      const token = await issuer.issueAccessToken({ sub: "user_adapter", sid: "sess_adapter" });
      expect(await (await call(app, "/whoami")).json()).toEqual({ status: "signed-out", reason: "no-credential" });
      expect(await (await call(app, "/whoami", { authorization: `Bearer ${token}` })).json()).toMatchObject({
        status: "signed-in",
        userId: "user_adapter",
        sessionId: "sess_adapter",
        credential: "access-token",
      });
      expect(
        await (await call(app, "/whoami", { cookie: `theme=dark; gatehouse_access=${token}` })).json(),
      ).toMatchObject({
        status: "signed-in",
        userId: "user_adapter",
      });
    });

    it("requireAuth lets a signed-in request through, for any method", async () => {
      const token = await issuer.issueAccessToken({ sub: "user_ok" });
      for (const method of ["GET", "POST"]) {
        const response = await call(app, "/private", { authorization: `Bearer ${token}` }, method);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ userId: "user_ok" });
      }
    });

    it("requireAuth answers 401 problem+json with the reason", async () => {
      const response = await call(app, "/private");
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(response.headers.get("www-authenticate")).toBe("Bearer");
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(await response.json()).toEqual({
        type: "urn:gatehouse:error:unauthenticated",
        title: "Unauthorized",
        status: 401,
        detail: "You are not signed in.",
        code: "unauthenticated",
        reason: "no-credential",
      });
      const invalid = await call(app, "/private", { authorization: "Bearer not.a.token" });
      expect(invalid.status).toBe(401);
      expect(invalid.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      expect(await invalid.json()).toMatchObject({ reason: "invalid" });
    });

    it("requireAuth({ refreshExpired }) sends an expired cookie on a page load to the server's refresh path", async () => {
      const expired = await issuer.issueAccessToken({ now: Date.now() - 120_000, lifetimeSeconds: 60 });
      const response = await call(app, "/page?tab=1", { cookie: `gatehouse_access=${expired}` });
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get("location")!);
      expect(`${location.origin}${location.pathname}`).toBe(`${issuer.url}/v1/token/refresh`);
      expect(location.searchParams.get("redirect_url")).toBe(`${app.url}/page?tab=1`);
    });

    it("requireAuth({ signInURL }) sends a signed-out page load to sign in", async () => {
      const response = await call(app, "/page?tab=1");
      expect(response.status).toBe(303);
      const location = response.headers.get("location")!;
      expect(location.startsWith("/sign-in?")).toBe(true);
      expect(new URLSearchParams(location.split("?")[1]).get("redirect_url")).toBe(`${app.url}/page?tab=1`);
    });

    it("requireAuth answers 503 when the verifier cannot check, not 401", async () => {
      const token = await issuer.issueAccessToken();
      const response = await call(failing, "/private", { authorization: `Bearer ${token}` });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      expect(await response.json()).toMatchObject({ code: "verification_unavailable", reason: "unavailable" });
    });

    it("a hostile Host header or request target never crashes the app", async () => {
      const token = await issuer.issueAccessToken({ sub: "user_host" });
      const response = await call(app, "/whoami", { authorization: `Bearer ${token}`, host: "bad host" });
      expect(response.status).toBeLessThan(500);
      const expired = await issuer.issueAccessToken({ now: Date.now() - 120_000, lifetimeSeconds: 60 });
      const page = await call(app, "//evil.example/page", { cookie: `gatehouse_access=${expired}` });
      expect(page.status).toBeLessThan(500);
    });

    it("requireAuth without the auth middleware is a server error, not an open door", async () => {
      const response = await call(bare, "/private");
      expect(response.status).toBe(500);
    });
  });
}

/** Builds and starts an app whose guarded routes authenticate by themselves. */
export type StartGuardedApp = (verifier: Verifier) => Promise<RunningApp>;

/**
 * Declares the tests of `requireAuth(verifier)`, the guard that authenticates by itself (one
 * middleware per protected route instead of two), for the adapters that have it. The app:
 * - `GET|POST /private`: `requireAuth(verifier)` and no auth middleware, then `{ userId }`
 *   read from the auth state the guard set;
 * - `GET /page`: `requireAuth(verifier, { refreshExpired: true, signInURL: "/sign-in" })`, then text;
 * - `GET /both`: the auth middleware, then `requireAuth(verifier)`, then `{ userId }`.
 *
 * @example
 * ```ts
 * describeStandaloneGuard("express", async (verifier) => { … return { url, close }; });
 * ```
 */
export function describeStandaloneGuard(name: string, start: StartGuardedApp): void {
  describe(`${name} requireAuth(verifier), without the auth middleware`, () => {
    let issuer: FakeIssuer;
    let app: RunningApp;
    let failing: RunningApp;
    let authentications = 0;

    beforeAll(async () => {
      issuer = await startFakeIssuer();
      const logger = recordingLogger();
      const verifier = workingVerifier(issuer, logger);
      const counting: Verifier = {
        ...verifier,
        authenticateRequest(request) {
          authentications++;
          return verifier.authenticateRequest(request);
        },
      };
      app = await start(counting);
      failing = await start(failingVerifier(issuer, logger));
    });

    afterAll(async () => {
      await Promise.all([app?.close(), failing?.close()]);
      await issuer?.close();
    });

    it("lets a signed-in request through with the auth state set, for any method and either transport", async () => {
      const token = await issuer.issueAccessToken({ sub: "user_guarded" });
      for (const method of ["GET", "POST"]) {
        const response = await call(app, "/private", { authorization: `Bearer ${token}` }, method);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ userId: "user_guarded" });
      }
      const cookie = await call(app, "/private", { cookie: `gatehouse_access=${token}` });
      expect(await cookie.json()).toEqual({ userId: "user_guarded" });
    });

    it("answers a signed-out or forged request 401 problem+json, and an outage 503", async () => {
      const none = await call(app, "/private");
      expect(none.status).toBe(401);
      expect(none.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(await none.json()).toMatchObject({ code: "unauthenticated", reason: "no-credential" });
      const forged = await call(app, "/private", { authorization: "Bearer not.a.token" });
      expect(forged.status).toBe(401);
      expect(forged.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      const down = await call(failing, "/private", { authorization: `Bearer ${await issuer.issueAccessToken()}` });
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ code: "verification_unavailable", reason: "unavailable" });
    });

    it("applies its options: an expired cookie on a page load goes to refresh, a signed-out one to sign in", async () => {
      const expired = await issuer.issueAccessToken({ now: Date.now() - 120_000, lifetimeSeconds: 60 });
      const refresh = await call(app, "/page", { cookie: `gatehouse_access=${expired}` });
      expect(refresh.status).toBe(303);
      expect(new URL(refresh.headers.get("location")!).pathname).toBe("/v1/token/refresh");
      const signIn = await call(app, "/page");
      expect(signIn.status).toBe(303);
      expect(signIn.headers.get("location")!.startsWith("/sign-in?")).toBe(true);
    });

    it("behind the auth middleware, uses its state: one authentication per request", async () => {
      const token = await issuer.issueAccessToken({ sub: "user_once" });
      const before = authentications;
      const response = await call(app, "/both", { authorization: `Bearer ${token}` });
      expect(await response.json()).toEqual({ userId: "user_once" });
      expect(authentications - before).toBe(1);
    });
  });
}
