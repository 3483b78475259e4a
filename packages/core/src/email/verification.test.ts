/**
 * Email verification: a link and a code after sign-up and on request; the link works without a
 * session, the code only with the session of its account; GATEHOUSE_REQUIRE_EMAIL_VERIFICATION
 * makes sign-in wait for it; and the page the link opens.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { GatehouseEvent } from "../events/bus.js";
import { cookieFrom, strongPassword, uniqueEmail } from "../test-support/engine.js";
import { codeIn, createMailTestEngine, linkIn, tokenIn, type MailTestEngine } from "../test-support/mail.js";

const engines: MailTestEngine[] = [];
async function engineWith(config: Parameters<typeof createMailTestEngine>[0] = {}): Promise<MailTestEngine> {
  const engine = await createMailTestEngine(config);
  engines.push(engine);
  return engine;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

const HOUR = 60 * 60 * 1000;

async function verificationMail(engine: MailTestEngine, email: string) {
  return (await engine.mailTo(email)).filter((message) => message.template === "verify-email").at(-1)!;
}

const confirm = (engine: MailTestEngine, json: unknown, cookie?: string) =>
  engine.request("POST", "/v1/email-verification/confirm", { json, cookie });

describe("email verification", () => {
  it("sends a link and a code after sign-up; the link verifies without a session", async () => {
    const engine = await engineWith();
    const events: GatehouseEvent[] = [];
    engine.gatehouse.events.subscribe((event) => void events.push(event));
    const { email, token: session, userId } = await engine.signUp();
    const message = await verificationMail(engine, email);
    expect(message.to).toBe(email);
    const link = linkIn(message, "/verify-email");
    expect(link.origin).toBe("http://localhost:4000");
    expect(codeIn(message)).toMatch(/^\d{6}$/);

    const response = await confirm(engine, { token: link.searchParams.get("token") });
    expect(response.status).toBe(200);
    expect((await response.json()).user).toMatchObject({ id: userId, email, email_verified: true });
    const me = await engine.request("GET", "/v1/session", { cookie: session });
    expect((await me.json()).user.email_verified).toBe(true);
    await engine.gatehouse.events.flush();
    expect(events.filter((event) => event.type === "email.verified")).toHaveLength(1);

    // Used.
    const again = await confirm(engine, { token: link.searchParams.get("token") });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ code: "invalid_token" });
  });

  it("the code verifies only with the session of its own account", async () => {
    const engine = await engineWith();
    const alice = await engine.signUp();
    const bob = await engine.signUp();
    const code = codeIn(await verificationMail(engine, alice.email));

    const anonymous = await confirm(engine, { code });
    expect(anonymous.status).toBe(400);
    expect(await anonymous.json()).toMatchObject({ code: "invalid_code" });
    const asBob = await confirm(engine, { code }, bob.token);
    expect(asBob.status).toBe(400);
    const asAlice = await confirm(engine, { code }, alice.token);
    expect(asAlice.status).toBe(200);
    expect((await asAlice.json()).user).toMatchObject({ id: alice.userId, email_verified: true });
  });

  it("expires after 24 hours", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const token = tokenIn(await verificationMail(engine, email), "/verify-email");
    engine.clock.now += 24 * HOUR;
    expect((await confirm(engine, { token })).status).toBe(400);
  });

  it("can be requested again while signed in; the newer mail voids the older", async () => {
    const engine = await engineWith();
    const { email, token: session } = await engine.signUp();
    const first = tokenIn(await verificationMail(engine, email), "/verify-email");
    engine.clock.now += 1;
    const resend = await engine.request("POST", "/v1/email-verification", { cookie: session });
    expect(resend.status).toBe(202);
    const second = tokenIn(await verificationMail(engine, email), "/verify-email");
    expect(second).not.toBe(first);
    expect((await confirm(engine, { token: first })).status).toBe(400);
    expect((await confirm(engine, { token: second })).status).toBe(200);

    const verified = await engine.request("POST", "/v1/email-verification", { cookie: session });
    expect(verified.status).toBe(409);
    expect(await verified.json()).toMatchObject({ code: "email_already_verified" });
    expect((await engine.request("POST", "/v1/email-verification")).status).toBe(401);
  });

  it("throttles requests for verification mail", async () => {
    const engine = await engineWith({ throttle: { emailPerAddress: { points: 2, durationSeconds: 900 } } });
    const { token: session } = await engine.signUp();
    expect((await engine.request("POST", "/v1/email-verification", { cookie: session })).status).toBe(202);
    expect((await engine.request("POST", "/v1/email-verification", { cookie: session })).status).toBe(202);
    const blocked = await engine.request("POST", "/v1/email-verification", { cookie: session });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("retry-after")).not.toBeNull();
  });

  it.each([
    ["neither token nor code", {}],
    ["both token and code", { token: "x".repeat(43), code: "123456" }],
    ["a malformed code", { code: "12ab56" }],
    ["a number token", { token: 5 }],
  ])("refuses %s with 422", async (_, json) => {
    const engine = await engineWith();
    const response = await confirm(engine, json);
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: "validation_failed" });
  });

  it("refuses a magic-link token", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    await engine.request("POST", "/v1/sign-in/magic-link", { json: { email } });
    const magic = (await engine.mailTo(email)).find((message) => message.template === "magic-link")!;
    const response = await confirm(engine, { token: tokenIn(magic, "/v1/sign-in/magic-link/verify") });
    expect(response.status).toBe(400);
  });
});

describe("GATEHOUSE_REQUIRE_EMAIL_VERIFICATION", () => {
  it("makes sign-up issue no session and password sign-in wait until the address is verified", async () => {
    const engine = await engineWith({ email: { requireVerification: true } });
    const email = uniqueEmail();
    const password = strongPassword();
    const signUp = await engine.request("POST", "/v1/sign-up", { json: { email, password } });
    expect(signUp.status).toBe(202);
    expect(cookieFrom(signUp, engine.cookieName)).toBeNull();
    expect(await signUp.json()).toMatchObject({ status: "needs_email_verification", user: { email_verified: false } });

    const bearer = await engine.request("POST", "/v1/sign-in/password", {
      json: { email, password },
      headers: { "auth-transport": "bearer" },
    });
    expect(bearer.status).toBe(403);
    const refused = await bearer.json();
    expect(refused).toMatchObject({ code: "email_not_verified" });
    expect(refused).not.toHaveProperty("access_token");

    // A wrong password still gets the usual answer: the state is only revealed to the password's owner.
    const wrong = await engine.request("POST", "/v1/sign-in/password", { json: { email, password: strongPassword() } });
    expect(wrong.status).toBe(401);

    // The refused sign-in mailed a fresh link; it verifies, and then sign-in works.
    const messages = (await engine.mailTo(email)).filter((message) => message.template === "verify-email");
    expect(messages).toHaveLength(2);
    const token = tokenIn(messages.at(-1)!, "/verify-email");
    expect((await confirm(engine, { token })).status).toBe(200);
    const signIn = await engine.request("POST", "/v1/sign-in/password", { json: { email, password } });
    expect(signIn.status).toBe(200);
  });

  it("email-code sign-in proves the address, so it signs in an unverified account", async () => {
    const engine = await engineWith({ email: { requireVerification: true } });
    const email = uniqueEmail();
    await engine.request("POST", "/v1/sign-up", { json: { email, password: strongPassword() } });
    await engine.request("POST", "/v1/sign-in/email-code", { json: { email } });
    const code = codeIn((await engine.mailTo(email)).find((message) => message.template === "email-code")!);
    const response = await engine.request("POST", "/v1/sign-in/email-code/verify", { json: { email, code } });
    expect(response.status).toBe(200);
  });
});

describe("the pages the links open", () => {
  it.each(["/verify-email", "/reset-password"])("%s is a self-contained page under a strict CSP", async (path) => {
    const engine = await engineWith();
    const response = await engine.request("GET", `${path}?token=%3Cscript%3Ealert(1)%3C/script%3E`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'nonce-[\w-]{22}'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    const html = await response.text();
    // The token is read by the script from the address, never written into the page.
    expect(html).not.toContain("alert(1)");
    const nonce = /'nonce-([\w-]+)'/.exec(csp)![1];
    expect(html.match(/<script[^>]*>/g)).toEqual([`<script nonce="${nonce}">`]);
  });

  it("the reset page has the labelled inputs", async () => {
    const engine = await engineWith();
    const html = await (await engine.request("GET", "/reset-password")).text();
    expect(html).toMatch(/<label for="email">Email<\/label>/);
    expect(html).toMatch(/<label for="password">New password<\/label>/);
  });
});
