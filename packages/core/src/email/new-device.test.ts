/**
 * The new-device sign-in notice: browsers are recognised by a device cookie, bearer clients by
 * user agent and network; a sign-in from an unrecognised device emails the account, whatever the
 * sign-in method, and a user's first device never does.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import type { GatehouseEvent } from "../events/bus.js";
import { strongPassword } from "../test-support/engine.js";
import { codeIn, createMailTestEngine, type MailTestEngine } from "../test-support/mail.js";

const engines: MailTestEngine[] = [];
async function engineWith(config: Parameters<typeof createMailTestEngine>[0] = {}): Promise<MailTestEngine> {
  const engine = await createMailTestEngine(config);
  engines.push(engine);
  return engine;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

/** The device cookie's `Set-Cookie` value, if the response set one. */
function deviceCookieOf(response: Response): string | null {
  return response.headers.getSetCookie().find((cookie) => /^(__Host-)?gatehouse_device=/.test(cookie)) ?? null;
}

async function notices(engine: MailTestEngine, email: string) {
  return (await engine.mailTo(email)).filter((message) => message.template === "new-sign-in");
}

describe("new-device sign-in notice", () => {
  it("stays quiet for the browser the account was made on and mails the account for another one", async () => {
    const engine = await engineWith();
    const events: GatehouseEvent[] = [];
    engine.gatehouse.events.subscribe((event) => void events.push(event));
    const email = `dev-${Date.now()}@example.com`;
    const password = strongPassword();
    const signUp = await engine.request("POST", "/v1/sign-up", { json: { email, password } });
    const device = deviceCookieOf(signUp)!.split(";")[0]!;

    const sameBrowser = await engine.request("POST", "/v1/sign-in/password", {
      json: { email, password },
      headers: { cookie: device },
    });
    expect(sameBrowser.status).toBe(200);
    expect(await notices(engine, email)).toEqual([]);

    const otherBrowser = await engine.request("POST", "/v1/sign-in/password", {
      json: { email, password },
      headers: { "user-agent": "Mozilla/5.0 (Other Browser)" },
      remoteAddress: "198.51.100.77",
    });
    expect(otherBrowser.status).toBe(200);
    const [notice] = await notices(engine, email);
    expect(notice!.to).toBe(email);
    expect(notice!.text).toContain("198.51.100.77");
    expect(notice!.text).toContain("Mozilla/5.0 (Other Browser)");
    expect(notice!.text).toContain("password");
    await engine.gatehouse.events.flush();
    const signIns = events.filter((event) => event.type === "sign_in.succeeded");
    expect(signIns.map((event) => event.data?.new_device)).toEqual([false, true]);

    // That browser is known from now on.
    const again = await engine.request("POST", "/v1/sign-in/password", {
      json: { email, password },
      headers: { cookie: deviceCookieOf(otherBrowser)!.split(";")[0]! },
    });
    expect(again.status).toBe(200);
    expect(await notices(engine, email)).toHaveLength(1);
  });

  it("sets an HttpOnly, SameSite=Lax, year-long device cookie, __Host- prefixed on https", async () => {
    const engine = await engineWith({ baseURL: "https://auth.example.com" });
    const response = await engine.request("POST", "/v1/sign-up", {
      json: { email: `c-${Date.now()}@example.com`, password: strongPassword() },
    });
    const cookie = deviceCookieOf(response)!;
    expect(cookie).toMatch(/^__Host-gatehouse_device=[\w-]{43};/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; Max-Age=31536000/);
    expect(cookie).not.toMatch(/Domain=/);
  });

  it("recognises bearer clients by user agent and network", async () => {
    const engine = await engineWith();
    const email = `app-${Date.now()}@example.com`;
    const password = strongPassword();
    const bearer = (userAgent: string, remoteAddress: string) =>
      engine.request("POST", "/v1/sign-in/password", {
        json: { email, password },
        headers: { "auth-transport": "bearer", "user-agent": userAgent },
        remoteAddress,
      });
    await engine.request("POST", "/v1/sign-up", {
      json: { email, password },
      headers: { "auth-transport": "bearer", "user-agent": "AcmeApp/2.1 iOS" },
      remoteAddress: "192.0.2.10",
    });
    const sameNetwork = await bearer("AcmeApp/2.1 iOS", "192.0.2.99");
    expect(deviceCookieOf(sameNetwork)).toBeNull();
    expect(await notices(engine, email)).toEqual([]);
    await bearer("AcmeApp/2.1 iOS", "203.0.113.50");
    expect(await notices(engine, email)).toHaveLength(1);
    await bearer("OtherApp/1.0", "192.0.2.10");
    expect(await notices(engine, email)).toHaveLength(2);
  });

  it("does not notify at a user's very first sign-in", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const engine = await engineWith({ database });
    const email = `imported-${Date.now()}@example.com`;
    const password = strongPassword();
    const { createArgon2idHasher } = await import("../passwords/hasher.js");
    await database.createUser({
      id: "user_imported",
      email,
      emailNormalized: email,
      name: null,
      passwordHash: await createArgon2idHasher().hash(password),
      emailVerifiedAt: 1,
      createdAt: 1,
    });
    expect((await engine.request("POST", "/v1/sign-in/password", { json: { email, password } })).status).toBe(200);
    expect(await notices(engine, email)).toEqual([]);
  });

  it("notifies for email-code and magic-link sign-ins from a new device too, naming the method", async () => {
    const engine = await engineWith();
    const { email } = await engine.signUp();
    await engine.request("POST", "/v1/sign-in/email-code", { json: { email } });
    const code = codeIn((await engine.mailTo(email)).find((message) => message.template === "email-code")!);
    const response = await engine.request("POST", "/v1/sign-in/email-code/verify", { json: { email, code } });
    expect(response.status).toBe(200);
    const [notice] = await notices(engine, email);
    expect(notice!.text).toContain("email code");
  });

  it("escapes a hostile user agent in the notice's HTML", async () => {
    const engine = await engineWith();
    const { email, password } = await engine.signUp();
    await engine.request("POST", "/v1/sign-in/password", {
      json: { email, password },
      headers: { "user-agent": `<script>alert(1)</script><img src=x onerror=alert(2)>` },
    });
    const [notice] = await notices(engine, email);
    expect(notice!.html).not.toMatch(/<script>alert|<img src=x/);
    expect(notice!.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });
});

describe("names in messages", () => {
  it("HTML-escapes a user's name in every message", async () => {
    const engine = await engineWith();
    const email = `n-${Date.now()}@example.com`;
    const response = await engine.request("POST", "/v1/sign-up", {
      json: { email, password: strongPassword(), name: `<script>alert("pwned")</script>` },
    });
    expect(response.status).toBe(201);
    const [verification] = await engine.mailTo(email);
    expect(verification!.html).not.toContain("<script>alert");
    expect(verification!.html).toContain("Hi &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;,");
    expect(verification!.text).toContain(`Hi <script>alert("pwned")</script>,`);
  });
});
