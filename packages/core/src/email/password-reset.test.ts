import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import type { GatehouseEvent } from "../events/bus.js";
import { strongPassword, uniqueEmail } from "../test-support/engine.js";
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

const HOUR = 60 * 60 * 1000;

function requestReset(engine: MailTestEngine, email: unknown, remoteAddress?: string) {
  return engine.request("POST", "/v1/password-reset", { json: { email }, remoteAddress });
}

function confirm(engine: MailTestEngine, token: string, password: string) {
  return engine.request("POST", "/v1/password-reset/confirm", { json: { token, password } });
}

async function resetToken(engine: MailTestEngine, email: string): Promise<string> {
  expect((await requestReset(engine, email)).status).toBe(202);
  const mail = (await engine.mailTo(email)).filter((message) => message.template === "password-reset");
  return tokenIn(mail.at(-1)!, "/reset-password");
}

const signIn = (engine: MailTestEngine, email: string, password: string) =>
  engine.request("POST", "/v1/sign-in/password", { json: { email, password } });

describe("password reset", () => {
  it("emails a link to the reset page on GATEHOUSE_URL whose 256-bit token is stored only as a hash", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const engine = await engineWith({ database });
    const { email, userId } = await engine.signUp();
    const response = await requestReset(engine, email);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "accepted" });

    const [message] = (await engine.mailTo(email)).filter((each) => each.template === "password-reset");
    expect(message!.subject).toMatch(/reset/i);
    const link = linkIn(message!, "/reset-password");
    expect(link.origin).toBe("http://localhost:4000");
    const token = link.searchParams.get("token")!;
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    expect(message!.html).toContain(link.href.replace(/&/g, "&amp;"));

    const stored = await database.getLatestEmailToken(userId, "password_reset");
    expect(stored!.secretHash).toBe(createHash("sha256").update(`link:${token}`).digest("base64url"));
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored!.expiresAt - stored!.createdAt).toBe(HOUR);
  });

  it("sets the new password, ends every session, emails a notice and signs nobody in", async () => {
    const engine = await engineWith();
    const events: GatehouseEvent[] = [];
    engine.gatehouse.events.subscribe((event) => void events.push(event));
    const { email, password, token: firstSession } = await engine.signUp();
    const second = await signIn(engine, email, password);
    expect(second.status).toBe(200);
    const secondSession = (second.headers.getSetCookie()[0] ?? "").split(";")[0]!.split("=")[1]!;

    const token = await resetToken(engine, email);
    const newPassword = strongPassword();
    const response = await confirm(engine, token, newPassword);
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()).toEqual([]);

    for (const session of [firstSession, secondSession]) {
      expect((await engine.request("GET", "/v1/session", { cookie: session })).status).toBe(401);
    }
    expect((await signIn(engine, email, password)).status).toBe(401);
    expect((await signIn(engine, email, newPassword)).status).toBe(200);

    const notice = (await engine.mailTo(email)).find((message) => message.template === "password-changed");
    expect(notice).toBeDefined();
    expect(notice!.text).toContain("203.0.113.10");

    await engine.gatehouse.events.flush();
    const revoked = events.filter((event) => event.type === "session.revoked");
    expect(revoked.map((event) => event.data?.reason)).toEqual(["password_reset", "password_reset"]);
    expect(events.filter((event) => event.type === "password.reset")).toHaveLength(1);
    const serialized = JSON.stringify(events);
    for (const secret of [token, newPassword, password]) expect(serialized).not.toContain(secret);
  });

  it("is single-use even when several confirms arrive at once", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const token = await resetToken(engine, email);
    const passwords = Array.from({ length: 6 }, () => strongPassword());
    const responses = await Promise.all(passwords.map((password) => confirm(engine, token, password)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 204)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(5);
    const winner = passwords[statuses.indexOf(204)]!;
    expect((await signIn(engine, email, winner)).status).toBe(200);
    // Used: a second try with the winning password fails too.
    const again = await confirm(engine, token, strongPassword());
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ code: "invalid_token" });
  });

  it("expires after one hour", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const early = await resetToken(engine, email);
    engine.clock.now += HOUR - 1;
    expect((await confirm(engine, early, strongPassword())).status).toBe(204);

    const late = await resetToken(engine, email);
    engine.clock.now += HOUR;
    const response = await confirm(engine, late, strongPassword());
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_token" });
  });

  it("a newer request voids the older link", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const older = await resetToken(engine, email);
    engine.clock.now += 1_000;
    const newer = await resetToken(engine, email);
    expect(newer).not.toBe(older);
    expect((await confirm(engine, older, strongPassword())).status).toBe(400);
    expect((await confirm(engine, newer, strongPassword())).status).toBe(204);
  });

  it("is bound to its user and to the address it was sent to", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const engine = await engineWith({ database });
    const alice = await engine.signUp();
    const bob = await engine.signUp();
    const token = await resetToken(engine, alice.email);
    expect((await confirm(engine, token, strongPassword())).status).toBe(204);
    // Only Alice's password changed.
    expect((await signIn(engine, bob.email, bob.password)).status).toBe(200);

    // A link sent to an address the account no longer has is void.
    const stale = await resetToken(engine, alice.email);
    const user = (await database.getUserById(alice.userId))!;
    const moved = uniqueEmail();
    await database.updateEmail(
      alice.userId,
      { expectedEmailNormalized: user.emailNormalized, email: moved, emailNormalized: moved, emailVerifiedAt: 1 },
      engine.clock.now,
    );
    const response = await confirm(engine, stale, strongPassword());
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_token" });
  });

  it("a refused new password leaves the link usable", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const token = await resetToken(engine, email);
    const weak = await confirm(engine, token, "password123");
    expect(weak.status).toBe(422);
    expect(await weak.json()).toMatchObject({ code: "password_too_common" });
    expect((await confirm(engine, token, strongPassword())).status).toBe(204);
  });

  it.each([
    ["malformed", "not a token"],
    ["unknown", "A".repeat(43)],
    ["empty", ""],
  ])("refuses a %s token with a problem and changes nothing", async (_, token) => {
    const engine = await engineWith();
    const { email, password } = await engine.signUp();
    const response = await confirm(engine, token, strongPassword());
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect((await response.json()).code).toMatch(/^(invalid_token|validation_failed)$/);
    expect((await signIn(engine, email, password)).status).toBe(200);
  });

  it("refuses a token issued for another purpose (a magic link)", async () => {
    const engine = await engineWith();
    const { email, password } = await engine.signUp();
    await engine.request("POST", "/v1/sign-in/magic-link", { json: { email } });
    const magic = (await engine.mailTo(email)).find((message) => message.template === "magic-link")!;
    const token = tokenIn(magic, "/v1/sign-in/magic-link/verify");
    const response = await confirm(engine, token, strongPassword());
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_token" });
    expect((await signIn(engine, email, password)).status).toBe(200);
  });

  it("answers an unknown address exactly like a known one, and mails nothing to it", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    const unknown = uniqueEmail();
    const known = await requestReset(engine, email);
    const other = await requestReset(engine, unknown);
    const describe = async (response: Response) => ({
      status: response.status,
      headers: [...response.headers.entries()],
      body: await response.text(),
    });
    expect(await describe(other)).toEqual(await describe(known));
    expect(await engine.mailTo(unknown)).toEqual([]);
    expect((await engine.mailTo(email)).filter((message) => message.template === "password-reset")).toHaveLength(1);
  });

  it("throttles per address, known or not, with 429 and Retry-After", async () => {
    const engine = await engineWith({ throttle: { emailPerAddress: { points: 2, durationSeconds: 900 } } });
    const { email } = await engine.signUp();
    for (const address of [email, uniqueEmail()]) {
      expect((await requestReset(engine, address, "192.0.2.1")).status).toBe(202);
      expect((await requestReset(engine, address.toUpperCase(), "192.0.2.2")).status).toBe(202);
      const blocked = await requestReset(engine, address, "192.0.2.3");
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await blocked.json()).toMatchObject({ code: "rate_limited" });
    }
    expect((await engine.mailTo(email)).filter((message) => message.template === "password-reset")).toHaveLength(2);
  });

  it("throttles per client network", async () => {
    const engine = await engineWith({ throttle: { emailPerIP: { points: 3, durationSeconds: 900 } } });
    for (let i = 0; i < 3; i++) expect((await requestReset(engine, uniqueEmail(), "198.51.100.4")).status).toBe(202);
    const blocked = await requestReset(engine, uniqueEmail(), "198.51.100.4");
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await requestReset(engine, uniqueEmail(), "198.51.100.5")).status).toBe(202);
  });

  it("builds the link from GATEHOUSE_URL even when Host and X-Forwarded-Host lie", async () => {
    const engine = await engineWith({ baseURL: "https://auth.example.com", trustedProxies: ["0.0.0.0/0"] });
    const { email } = await engine.signUp();
    const response = await engine.gatehouse.handler(
      new Request("http://evil.example/v1/password-reset", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          host: "evil.example",
          "x-forwarded-host": "evil.example",
          "x-forwarded-proto": "http",
          forwarded: "host=evil.example;proto=http",
        },
        body: JSON.stringify({ email }),
      }),
      { remoteAddress: "192.0.2.10" },
    );
    expect(response.status).toBe(202);
    const message = (await engine.mailTo(email)).find((each) => each.template === "password-reset")!;
    expect(linkIn(message, "/reset-password").origin).toBe("https://auth.example.com");
    expect(message.text + message.html).not.toContain("evil.example");
  });

  it("mails the address stored on the account, whatever case the request used", async () => {
    const engine = await engineWith();
    const stored = `Ada.Lovelace-${Date.now()}@Example.com`;
    await engine.signUp({ email: stored });
    expect((await requestReset(engine, stored.toUpperCase())).status).toBe(202);
    await engine.gatehouse.email.flush();
    const resets = engine.transport.messages.filter((message) => message.template === "password-reset");
    expect(resets).toHaveLength(1);
    expect(resets[0]!.to).toBe(stored);
  });

  it.each([
    ["a CRLF and a Bcc header", "victim@example.com\r\nBcc: eve@evil.example"],
    ["a list", "victim@example.com, eve@evil.example"],
    ["a display name", "Victim <eve@evil.example>"],
    ["an array", ["victim@example.com", "eve@evil.example"]],
  ])("refuses an address with %s (422) and sends nothing", async (_, email) => {
    const engine = await engineWith();
    await engine.signUp({ email: "victim@example.com" });
    await engine.gatehouse.email.flush();
    engine.transport.clear();
    const response = await requestReset(engine, email);
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: "validation_failed" });
    await engine.gatehouse.email.flush();
    expect(engine.transport.messages).toEqual([]);
  });
});
