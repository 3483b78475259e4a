/**
 * Passkeys in a real browser: Debian's Chromium (playwright-core) with a CDP virtual
 * authenticator (CTAP2, internal, resident keys, user verification) against a real
 * `gatehouse start` on http://localhost:<port>, the RP ID a browser accepts. The page signs up,
 * registers a passkey with `navigator.credentials.create`, signs out, and signs back in with
 * `navigator.credentials.get` and no email or password (a discoverable credential); the
 * authenticator must hold the credential as resident, and the new session must work.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchTestBrowser, probeChromium, type TestBrowser } from "./test-support/browser.js";
import { freePort, runCLI, strongPassword, uniqueEmail, type CLIProcess } from "./test-support/cli-process.js";

const chromium = probeChromium();

let dataDir: string;
let server: CLIProcess;
let base: string;
let browser: TestBrowser;
let context: BrowserContext | undefined;

/**
 * What a page needs to turn @simplewebauthn's JSON options into WebAuthn's ArrayBuffers and the
 * credential back into JSON, as @simplewebauthn/browser does. Plain JavaScript, evaluated in the
 * page, so nothing the test compiler adds can end up in the browser.
 */
const WEBAUTHN_JSON = `
window.webauthnJSON = (() => {
  const toBytes = (value) => {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  };
  const toText = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const descriptors = (list) => (list ?? []).map((each) => ({ ...each, id: toBytes(each.id) }));
  return {
    async create(options) {
      const credential = await navigator.credentials.create({
        publicKey: {
          ...options,
          challenge: toBytes(options.challenge),
          user: { ...options.user, id: toBytes(options.user.id) },
          excludeCredentials: descriptors(options.excludeCredentials),
        },
      });
      return {
        id: credential.id,
        rawId: toText(credential.rawId),
        type: credential.type,
        authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
        clientExtensionResults: credential.getClientExtensionResults(),
        response: {
          clientDataJSON: toText(credential.response.clientDataJSON),
          attestationObject: toText(credential.response.attestationObject),
          transports: credential.response.getTransports(),
        },
      };
    },
    async get(options) {
      const credential = await navigator.credentials.get({
        publicKey: { ...options, challenge: toBytes(options.challenge), allowCredentials: descriptors(options.allowCredentials) },
      });
      return {
        id: credential.id,
        rawId: toText(credential.rawId),
        type: credential.type,
        authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
        clientExtensionResults: credential.getClientExtensionResults(),
        response: {
          clientDataJSON: toText(credential.response.clientDataJSON),
          authenticatorData: toText(credential.response.authenticatorData),
          signature: toText(credential.response.signature),
          userHandle: credential.response.userHandle ? toText(credential.response.userHandle) : undefined,
        },
      };
    },
  };
})();
`;

/** A same-origin JSON call from inside the page, with its cookies: status and body. */
function call(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return page.evaluate(
    async ([method, path, body]) => {
      const response = await fetch(path as string, {
        method: method as string,
        credentials: "include",
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, json: text ? (JSON.parse(text) as unknown) : null };
    },
    [method, path, body] as const,
  );
}

describe.skipIf(!chromium.available)(`passkeys in Chromium with a virtual authenticator ${chromium.reason}`, () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "gatehouse-passkeys-"));
    const port = await freePort();
    // localhost, not 127.0.0.1: browsers refuse an IP address as RP ID.
    base = `http://localhost:${port}`;
    server = runCLI(["start"], {
      PORT: String(port),
      HOST: "127.0.0.1",
      GATEHOUSE_URL: base,
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_WEBAUTHN_RP_NAME: "Acme Passkeys",
      GATEHOUSE_LOG_LEVEL: "warn",
    });
    await server.waitForOutput(/Gatehouse listening on/);
    browser = await launchTestBrowser();
  });

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    if (server && server.child.exitCode === null) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it("registers a passkey, signs out, and signs back in with it and nothing else", async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const cdp: CDPSession = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });

    await page.goto(`${base}/healthz`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    await page.evaluate(WEBAUTHN_JSON);

    const email = uniqueEmail();
    const signedUp = await call(page, "POST", "/v1/sign-up", { email, password: strongPassword() });
    expect(signedUp.status).toBe(201);
    const userId = (signedUp.json as { user: { id: string } }).user.id;

    const started = await call(page, "POST", "/v1/passkeys/registration/options", {});
    expect(started.status).toBe(200);
    const creation = (started.json as { options: { rp: { id: string; name: string }; user: { id: string } } }).options;
    expect(creation.rp).toEqual({ id: "localhost", name: "Acme Passkeys" });
    const registration = await page.evaluate(
      (options) =>
        (window as unknown as { webauthnJSON: { create(o: unknown): Promise<unknown> } }).webauthnJSON.create(options),
      creation,
    );
    const registered = await call(page, "POST", "/v1/passkeys/registration", {
      response: registration,
      name: "Virtual authenticator",
    });
    expect(registered.status, JSON.stringify(registered.json)).toBe(201);
    const passkey = (registered.json as { passkey: { id: string; name: string; transports: string[] } }).passkey;
    expect(passkey).toMatchObject({ name: "Virtual authenticator", transports: ["internal"] });

    // The authenticator holds a discoverable credential for the RP, for this account's user handle.
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: "localhost" });
    expect(Buffer.from(credentials[0]!.userHandle!, "base64").toString("base64url")).toBe(creation.user.id);

    expect((await call(page, "POST", "/v1/sign-out")).status).toBe(204);
    expect((await call(page, "GET", "/v1/session")).status).toBe(401);

    const options = await call(page, "POST", "/v1/sign-in/passkey/options", {});
    expect(options.status).toBe(200);
    const request = (options.json as { options: { allowCredentials: unknown[] } }).options;
    expect(request.allowCredentials).toEqual([]);
    const assertion = await page.evaluate(
      (options) =>
        (window as unknown as { webauthnJSON: { get(o: unknown): Promise<unknown> } }).webauthnJSON.get(options),
      request,
    );
    const signedIn = await call(page, "POST", "/v1/sign-in/passkey", { response: assertion });
    expect(signedIn.status, JSON.stringify(signedIn.json)).toBe(200);
    expect(signedIn.json).not.toHaveProperty("challenge");

    const session = await call(page, "GET", "/v1/session");
    expect(session.status).toBe(200);
    const current = session.json as { user: { id: string }; session: { second_factor_verified_at: string | null } };
    expect(current.user.id).toBe(userId);
    expect(current.session.second_factor_verified_at).not.toBeNull();

    const listed = await call(page, "GET", "/v1/passkeys");
    const [stored] = (listed.json as { passkeys: { id: string; last_used_at: string | null }[] }).passkeys;
    expect(stored).toMatchObject({ id: passkey.id, last_used_at: expect.any(String) });

    // The same assertion again: its challenge is used up.
    const replayed = await call(page, "POST", "/v1/sign-in/passkey", { response: assertion });
    expect(replayed.status).toBe(400);
    expect((replayed.json as { code: string }).code).toBe("invalid_passkey");
  });
});
