/**
 * Magic-link sign-in: the emailed link signs in once, within 15 minutes, only the account it
 * was requested for, and sends the browser only where the configuration allows.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import { cookieFrom, uniqueEmail } from "../test-support/engine.js";
import { createMailTestEngine, linkIn, tokenIn, type MailTestEngine } from "../test-support/mail.js";

const engines: MailTestEngine[] = [];
async function engineWith(config: Parameters<typeof createMailTestEngine>[0] = {}): Promise<MailTestEngine> {
  const engine = await createMailTestEngine(config);
  engines.push(engine);
  return engine;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

const MINUTE = 60 * 1000;
const VERIFY = "/v1/sign-in/magic-link/verify";

async function requestLink(engine: MailTestEngine, email: string, redirectURL?: string): Promise<URL> {
  const json = redirectURL === undefined ? { email } : { email, redirect_url: redirectURL };
  const response = await engine.request("POST", "/v1/sign-in/magic-link", { json });
  expect(response.status).toBe(202);
  const message = (await engine.mailTo(email)).filter((each) => each.template === "magic-link").at(-1)!;
  return linkIn(message, VERIFY);
}

/** Follows the emailed link as a browser would. */
function follow(engine: MailTestEngine, link: URL, headers: Record<string, string> = {}) {
  return engine.request("GET", `${link.pathname}${link.search}`, { headers });
}

describe("magic-link sign-in", () => {
  it("emails a link on GATEHOUSE_URL that signs in with a cookie, verifies the address and redirects", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const engine = await engineWith({ database });
    const { email, userId } = await engine.signUp();
    const link = await requestLink(engine, email);
    expect(link.origin).toBe("http://localhost:4000");
    expect(Buffer.from(link.searchParams.get("token")!, "base64url")).toHaveLength(32);
    const stored = await database.getLatestEmailToken(userId, "magic_link");
    expect(stored!.expiresAt - stored!.createdAt).toBe(15 * MINUTE);
    expect(JSON.stringify(stored)).not.toContain(link.searchParams.get("token"));

    const response = await follow(engine, link);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("http://localhost:4000/");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    const session = cookieFrom(response, engine.cookieName)!;
    const me = await engine.request("GET", "/v1/session", { cookie: session });
    expect(me.status).toBe(200);
    expect((await me.json()).user).toMatchObject({ id: userId, email_verified: true });
  });

  it("sends the browser to a redirect_url on the base origin or an allowed one", async () => {
    const engine = await engineWith({ allowedOrigins: ["https://app.example.com"] });
    const { email } = await engine.signUp();
    const relative = await follow(engine, await requestLink(engine, email, "/settings?tab=security"));
    expect(relative.headers.get("location")).toBe("http://localhost:4000/settings?tab=security");
    const absolute = await follow(engine, await requestLink(engine, email, "https://app.example.com/welcome"));
    expect(absolute.headers.get("location")).toBe("https://app.example.com/welcome");
  });

  it.each([
    "//evil.example",
    "/\\evil.example",
    "https:evil.example",
    "https://localhost:4000@evil.example",
    "https://evil.example/welcome",
    "javascript:alert(document.cookie)",
    "JAVASCRIPT:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://localhost:4000.evil.example/",
    "evil.example",
  ])("refuses redirect_url %j with 400, for known and unknown addresses alike, and sends nothing", async (redirect) => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    await engine.gatehouse.email.flush();
    engine.transport.clear();
    for (const address of [email, uniqueEmail()]) {
      const response = await engine.request("POST", "/v1/sign-in/magic-link", {
        json: { email: address, redirect_url: redirect },
      });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ code: "invalid_redirect_url" });
    }
    await engine.gatehouse.email.flush();
    expect(engine.transport.messages).toEqual([]);
  });

  it("works once, even when opened several times at once", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const link = await requestLink(engine, email);
    const responses = await Promise.all(Array.from({ length: 6 }, () => follow(engine, link)));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([303, 400, 400, 400, 400, 400]);
    expect(responses.filter((response) => cookieFrom(response, engine.cookieName))).toHaveLength(1);
  });

  it("expires after 15 minutes", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const inTime = await requestLink(engine, email);
    engine.clock.now += 15 * MINUTE - 1;
    expect((await follow(engine, inTime)).status).toBe(303);
    const late = await requestLink(engine, email);
    engine.clock.now += 15 * MINUTE;
    const response = await follow(engine, late);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_token" });
  });

  it("is bound to the address it was requested for, and signs in only that account", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const engine = await engineWith({ database });
    const alice = await engine.signUp();
    await engine.signUp();
    const link = await requestLink(engine, alice.email);
    const first = await follow(engine, link);
    const session = await engine.request("GET", "/v1/session", { cookie: cookieFrom(first, engine.cookieName)! });
    expect((await session.json()).user.id).toBe(alice.userId);

    const stale = await requestLink(engine, alice.email);
    const user = (await database.getUserById(alice.userId))!;
    const moved = uniqueEmail();
    await database.updateEmail(
      alice.userId,
      { expectedEmailNormalized: user.emailNormalized, email: moved, emailNormalized: moved, emailVerifiedAt: 1 },
      engine.clock.now,
    );
    expect((await follow(engine, stale)).status).toBe(400);
  });

  it("a link requested after another was used works, even within the same millisecond", async () => {
    const engine = await engineWith({ throttle: { emailPerAddress: { points: 50, durationSeconds: 900 } } });
    const { email } = await engine.signUp();
    // The clock is frozen: every token below has the same time, so only the issuing order can
    // tell them apart.
    for (let i = 0; i < 10; i++) expect((await follow(engine, await requestLink(engine, email))).status).toBe(303);
  });

  it("a newer request voids the older link", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const older = await requestLink(engine, email);
    engine.clock.now += 1;
    const newer = await requestLink(engine, email);
    expect((await follow(engine, older)).status).toBe(400);
    expect((await follow(engine, newer)).status).toBe(303);
  });

  it("answers an unknown address like a known one and mails nothing to it", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const unknown = uniqueEmail();
    const a = await engine.request("POST", "/v1/sign-in/magic-link", { json: { email } });
    const b = await engine.request("POST", "/v1/sign-in/magic-link", { json: { email: unknown } });
    expect([b.status, [...b.headers], await b.text()]).toEqual([a.status, [...a.headers], await a.text()]);
    expect(await engine.mailTo(unknown)).toEqual([]);
  });

  it("refuses a reset token, shows browsers a page and API clients a problem", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    await engine.request("POST", "/v1/password-reset", { json: { email } });
    const reset = (await engine.mailTo(email)).find((message) => message.template === "password-reset")!;
    const resetToken = tokenIn(reset, "/reset-password");
    const asAPI = await engine.request("GET", `${VERIFY}?token=${resetToken}`);
    expect(asAPI.status).toBe(400);
    expect(await asAPI.json()).toMatchObject({ code: "invalid_token" });
    const asBrowser = await engine.request("GET", `${VERIFY}?token=${resetToken}`, {
      headers: { accept: "text/html,application/xhtml+xml" },
    });
    expect(asBrowser.status).toBe(400);
    expect(asBrowser.headers.get("content-type")).toMatch(/^text\/html/);
    expect(asBrowser.headers.getSetCookie()).toEqual([]);
    expect(await asBrowser.text()).toMatch(/does not work/);
    expect((await engine.request("GET", VERIFY)).status).toBe(400);
  });

  it("POST verify signs in bearer clients with the token response", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const token = (await requestLink(engine, email)).searchParams.get("token")!;
    const response = await engine.request("POST", VERIFY, { json: { token }, headers: { "auth-transport": "bearer" } });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([]);
    const body = await response.json();
    expect(body).toMatchObject({ token_type: "Bearer" });
    expect((await engine.request("GET", "/v1/session", { bearer: body.access_token })).status).toBe(200);
    expect((await engine.request("POST", VERIFY, { json: { token } })).status).toBe(400);
  });

  it("ends the session the browser already had instead of adopting it", async () => {
    const engine = await engineWith();
    const { email, token: before } = await engine.signUp();
    const response = await follow(engine, await requestLink(engine, email), {
      cookie: `${engine.cookieName}=${before}`,
    });
    expect(response.status).toBe(303);
    expect((await engine.request("GET", "/v1/session", { cookie: before })).status).toBe(401);
  });

  it("signs in an unverified account while verification is required: the link proves the address", async () => {
    const engine = await engineWith({ email: { requireVerification: true } });
    const email = uniqueEmail();
    const signUp = await engine.request("POST", "/v1/sign-up", { json: { email, password: "a long passphrase 1" } });
    expect(signUp.status).toBe(202);
    const response = await follow(engine, await requestLink(engine, email));
    expect(response.status).toBe(303);
    const me = await engine.request("GET", "/v1/session", { cookie: cookieFrom(response, engine.cookieName)! });
    expect((await me.json()).user.email_verified).toBe(true);
  });
});
