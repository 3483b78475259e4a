/**
 * Changing the password (current password or a fresh session) and the address (the new one
 * verified first, the old one notified).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import type { GatehouseEvent } from "../events/bus.js";
import { createLocalUserChangeFeed } from "../storage/user-change-feed.js";
import { cookieFrom, strongPassword, uniqueEmail } from "../test-support/engine.js";
import { codeIn, createMailTestEngine, tokenIn, type MailTestEngine } from "../test-support/mail.js";

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

const signIn = (engine: MailTestEngine, email: string, password: string) =>
  engine.request("POST", "/v1/sign-in/password", { json: { email, password } });

const changePassword = (engine: MailTestEngine, session: string, json: unknown) =>
  engine.request("POST", "/v1/account/password", { json, cookie: session });

const changeEmail = (engine: MailTestEngine, session: string, json: unknown) =>
  engine.request("POST", "/v1/account/email", { json, cookie: session });

describe("change password", () => {
  it("with the current password: ends the other sessions, keeps this one, emails a notice", async () => {
    const engine = await engineWith();
    const events: GatehouseEvent[] = [];
    engine.gatehouse.events.subscribe((event) => void events.push(event));
    const { email, password, token: current } = await engine.signUp();
    const other = cookieFrom(await signIn(engine, email, password), engine.cookieName)!;
    engine.clock.now += 60 * MINUTE;

    const newPassword = strongPassword();
    const response = await changePassword(engine, current, { current_password: password, password: newPassword });
    expect(response.status).toBe(204);
    expect((await engine.request("GET", "/v1/session", { cookie: current })).status).toBe(200);
    expect((await engine.request("GET", "/v1/session", { cookie: other })).status).toBe(401);
    expect((await signIn(engine, email, password)).status).toBe(401);
    expect((await signIn(engine, email, newPassword)).status).toBe(200);

    const notice = (await engine.mailTo(email)).find((message) => message.template === "password-changed");
    expect(notice).toBeDefined();
    await engine.gatehouse.events.flush();
    expect(events.find((event) => event.type === "session.revoked")?.data).toEqual({ reason: "password_changed" });
    expect(events.filter((event) => event.type === "password.changed")).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain(newPassword);
  });

  it("checks the current password against the stored hash, not the session check's cached user", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const engine = await engineWith({ database });
    const { userId, password, token } = await engine.signUp();
    const other = await engine.signUp();
    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(200);
    // Another instance changed the password and its announcement has not arrived yet.
    const { passwordHash } = (await database.getUserById(other.userId))!;
    await database.updatePasswordHash(userId, passwordHash!, engine.clock.now);

    const old = await changePassword(engine, token, { current_password: password, password: strongPassword() });
    expect(old.status).toBe(403);
    const current = await changePassword(engine, token, {
      current_password: other.password,
      password: strongPassword(),
    });
    expect(current.status).toBe(204);
  });

  it("without the current password only from a session that signed in within 10 minutes", async () => {
    const engine = await engineWith();
    const { email, password, token } = await engine.signUp();
    engine.clock.now += 10 * MINUTE + 1;
    const stale = await changePassword(engine, token, { password: strongPassword() });
    expect(stale.status).toBe(403);
    expect(await stale.json()).toMatchObject({ code: "reauthentication_required" });
    expect((await signIn(engine, email, password)).status).toBe(200);

    const fresh = cookieFrom(await signIn(engine, email, password), engine.cookieName)!;
    engine.clock.now += 9 * MINUTE;
    expect((await changePassword(engine, fresh, { password: strongPassword() })).status).toBe(204);
  });

  it("refuses a wrong current password, counting it as a sign-in guess, and changes nothing", async () => {
    const engine = await engineWith({ throttle: { signInPerAccount: { points: 2, durationSeconds: 900 } } });
    const { email, password, token } = await engine.signUp();
    for (let i = 0; i < 2; i++) {
      const wrong = await changePassword(engine, token, {
        current_password: strongPassword(),
        password: strongPassword(),
      });
      expect(wrong.status).toBe(403);
      expect(await wrong.json()).toMatchObject({ code: "reauthentication_required" });
    }
    const blocked = await changePassword(engine, token, { current_password: password, password: strongPassword() });
    expect(blocked.status).toBe(429);
    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(200);
    expect((await engine.mailTo(email)).filter((message) => message.template === "password-changed")).toEqual([]);
  });

  it("refuses a weak new password and needs a session", async () => {
    const engine = await engineWith();
    const { password, token } = await engine.signUp();
    const weak = await changePassword(engine, token, { current_password: password, password: "password123" });
    expect(weak.status).toBe(422);
    expect(await weak.json()).toMatchObject({ code: "password_too_common" });
    expect(
      (await engine.request("POST", "/v1/account/password", { json: { password: strongPassword() } })).status,
    ).toBe(401);
  });

  it("voids a reset link requested before the change", async () => {
    const engine = await engineWith();
    const { email, password, token } = await engine.signUp();
    await engine.request("POST", "/v1/password-reset", { json: { email } });
    const reset = tokenIn(
      (await engine.mailTo(email)).find((m) => m.template === "password-reset")!,
      "/reset-password",
    );
    expect(
      (await changePassword(engine, token, { current_password: password, password: strongPassword() })).status,
    ).toBe(204);
    const late = await engine.request("POST", "/v1/password-reset/confirm", {
      json: { token: reset, password: strongPassword() },
    });
    expect(late.status).toBe(400);
  });

  it("refuses a cookie-authenticated change from a foreign origin", async () => {
    const engine = await engineWith();
    const { password, token } = await engine.signUp();
    const response = await engine.request("POST", "/v1/account/password", {
      json: { current_password: password, password: strongPassword() },
      cookie: token,
      headers: { origin: "https://evil.example" },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "origin_forbidden" });
  });
});

describe("change email", () => {
  it("verifies the new address first, then switches and notifies the old one", async () => {
    const engine = await engineWith();
    const events: GatehouseEvent[] = [];
    engine.gatehouse.events.subscribe((event) => void events.push(event));
    const { email: oldEmail, password, token, userId } = await engine.signUp();
    const newEmail = uniqueEmail();
    const response = await changeEmail(engine, token, { email: newEmail, current_password: password });
    expect(response.status).toBe(202);

    // Nothing changed yet; the new address got the verification.
    const me = async () => (await (await engine.request("GET", "/v1/session", { cookie: token })).json()).user;
    expect((await me()).email).toBe(oldEmail);
    const verification = (await engine.mailTo(newEmail)).find((message) => message.template === "verify-email")!;
    expect(verification.to).toBe(newEmail);
    expect((await engine.mailTo(oldEmail)).filter((m) => m.template === "email-changed")).toEqual([]);

    const confirmed = await engine.request("POST", "/v1/email-verification/confirm", {
      json: { token: tokenIn(verification, "/verify-email") },
    });
    expect(confirmed.status).toBe(200);
    expect((await confirmed.json()).user).toMatchObject({ id: userId, email: newEmail, email_verified: true });
    expect(await me()).toMatchObject({ email: newEmail, email_verified: true });

    const notice = (await engine.mailTo(oldEmail)).find((message) => message.template === "email-changed")!;
    expect(notice.to).toBe(oldEmail);
    expect(notice.text).toContain(newEmail);
    expect((await signIn(engine, newEmail, password)).status).toBe(200);
    expect((await signIn(engine, oldEmail, password)).status).toBe(401);
    await engine.gatehouse.events.flush();
    expect(events.find((event) => event.type === "email.changed")?.data).toEqual({
      previous_email: oldEmail,
      email: newEmail,
    });
  });

  it("can be confirmed with the code while signed in", async () => {
    const engine = await engineWith();
    const { password, token } = await engine.signUp();
    const newEmail = uniqueEmail();
    await changeEmail(engine, token, { email: newEmail, current_password: password });
    const code = codeIn((await engine.mailTo(newEmail)).find((message) => message.template === "verify-email")!);
    const confirmed = await engine.request("POST", "/v1/email-verification/confirm", { json: { code }, cookie: token });
    expect(confirmed.status).toBe(200);
    expect((await confirmed.json()).user.email).toBe(newEmail);
  });

  it("answers the same for an address another account has, and mails nothing to it", async () => {
    const engine = await engineWith();
    const alice = await engine.signUp();
    const bob = await engine.signUp();
    await engine.gatehouse.email.flush();
    engine.transport.clear();
    const taken = await changeEmail(engine, alice.token, {
      email: bob.email.toUpperCase(),
      current_password: alice.password,
    });
    const free = await changeEmail(engine, alice.token, { email: uniqueEmail(), current_password: alice.password });
    expect([taken.status, await taken.text()]).toEqual([free.status, await free.text()]);
    expect(await engine.mailTo(bob.email)).toEqual([]);
  });

  it("refuses to complete a change to an address taken in the meantime", async () => {
    const engine = await engineWith();
    const alice = await engine.signUp();
    const target = uniqueEmail();
    await changeEmail(engine, alice.token, { email: target, current_password: alice.password });
    const token = tokenIn(
      (await engine.mailTo(target)).find((m) => m.template === "verify-email")!,
      "/verify-email",
    );
    await engine.signUp({ email: target });
    const response = await engine.request("POST", "/v1/email-verification/confirm", { json: { token } });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: "email_taken" });
  });

  it("needs the current password or a fresh session, and a valid address", async () => {
    const engine = await engineWith();
    const { token, password } = await engine.signUp();
    engine.clock.now += 11 * MINUTE;
    const stale = await changeEmail(engine, token, { email: uniqueEmail() });
    expect(stale.status).toBe(403);
    expect(await stale.json()).toMatchObject({ code: "reauthentication_required" });
    const wrong = await changeEmail(engine, token, { email: uniqueEmail(), current_password: strongPassword() });
    expect(wrong.status).toBe(403);
    const injected = await changeEmail(engine, token, {
      email: "new@example.com\r\nBcc: eve@evil.example",
      current_password: password,
    });
    expect(injected.status).toBe(422);
  });

  it("an old verification link cannot switch the address back", async () => {
    const engine = await engineWith();
    const { email: original, password, token } = await engine.signUp();
    const firstLink = tokenIn(
      (await engine.mailTo(original)).find((m) => m.template === "verify-email")!,
      "/verify-email",
    );
    engine.clock.now += 1;
    const next = uniqueEmail();
    await changeEmail(engine, token, { email: next, current_password: password });
    const changeLink = tokenIn(
      (await engine.mailTo(next)).find((m) => m.template === "verify-email")!,
      "/verify-email",
    );
    expect(
      (await engine.request("POST", "/v1/email-verification/confirm", { json: { token: changeLink } })).status,
    ).toBe(200);
    const old = await engine.request("POST", "/v1/email-verification/confirm", { json: { token: firstLink } });
    expect(old.status).toBe(400);
    const me = await (await engine.request("GET", "/v1/session", { cookie: token })).json();
    expect(me.user.email).toBe(next);
  });

  it("a change of address made elsewhere (an administrator, say) voids pending links and codes", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const userChanges = createLocalUserChangeFeed();
    const engine = await engineWith({ database, userChanges });
    const { email, password, token, userId } = await engine.signUp();
    const verifyOld = tokenIn(
      (await engine.mailTo(email)).find((m) => m.template === "verify-email")!,
      "/verify-email",
    );
    const pending = uniqueEmail();
    engine.clock.now += 1;
    await changeEmail(engine, token, { email: pending, current_password: password });
    const pendingMail = (await engine.mailTo(pending)).find((m) => m.template === "verify-email")!;

    const byAdmin = uniqueEmail();
    await database.updateEmail(
      userId,
      { expectedEmailNormalized: email, email: byAdmin, emailNormalized: byAdmin, emailVerifiedAt: null },
      engine.clock.now,
    );
    // As the instance that made the change announces it.
    await userChanges.publish(userId);
    for (const json of [{ token: tokenIn(pendingMail, "/verify-email") }, { token: verifyOld }]) {
      const response = await engine.request("POST", "/v1/email-verification/confirm", { json });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: "invalid_token" });
    }
    const byCode = await engine.request("POST", "/v1/email-verification/confirm", {
      json: { code: codeIn(pendingMail) },
      cookie: token,
    });
    expect(byCode.status).toBe(400);
    expect(await byCode.json()).toMatchObject({ code: "invalid_code" });
    const me = await (await engine.request("GET", "/v1/session", { cookie: token })).json();
    expect(me.user.email).toBe(byAdmin);
  });
});
