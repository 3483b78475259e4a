/**
 * The email flows next to the back office: what an administrator does to an account (ban,
 * change of address, deletion, creation, import) holds for emailed links and codes too.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TEST_SECRET_KEY, strongPassword, uniqueEmail, type TestRequest } from "../test-support/engine.js";
import { codeIn, createMailTestEngine, tokenIn, type MailTestEngine } from "../test-support/mail.js";

const engines: MailTestEngine[] = [];
async function engineWith(): Promise<MailTestEngine> {
  const engine = await createMailTestEngine();
  engines.push(engine);
  return engine;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

/** A request to the admin API, with the test engine's secret key. */
const admin = (engine: MailTestEngine, method: string, path: string, options: TestRequest = {}) =>
  engine.request(method, path, { ...options, bearer: TEST_SECRET_KEY });

const latest = async (engine: MailTestEngine, email: string, template: string) =>
  (await engine.mailTo(email)).filter((message) => message.template === template).at(-1);

describe("email flows and the admin API", () => {
  it("a banned user can sign in neither with a magic link nor with a code, and is mailed neither", async () => {
    const engine = await engineWith();
    const { email, userId } = await engine.signUp();
    await engine.request("POST", "/v1/sign-in/magic-link", { json: { email } });
    await engine.request("POST", "/v1/sign-in/email-code", { json: { email } });
    const link = tokenIn((await latest(engine, email, "magic-link"))!, "/v1/sign-in/magic-link/verify");
    const code = codeIn((await latest(engine, email, "email-code"))!);

    expect((await admin(engine, "POST", `/v1/admin/users/${userId}/ban`)).status).toBe(200);
    const byLink = await engine.request("POST", "/v1/sign-in/magic-link/verify", { json: { token: link } });
    expect(byLink.status).toBe(403);
    expect(await byLink.json()).toMatchObject({ code: "user_banned" });
    const byCode = await engine.request("POST", "/v1/sign-in/email-code/verify", { json: { email, code } });
    expect(byCode.status).toBe(403);
    expect(await byCode.json()).toMatchObject({ code: "user_banned" });

    // Asking again gets the usual answer, and no mail.
    engine.transport.clear();
    for (const path of ["/v1/sign-in/magic-link", "/v1/sign-in/email-code", "/v1/password-reset"]) {
      const response = await engine.request("POST", path, { json: { email } });
      expect(response.status).toBe(202);
    }
    expect(await engine.mailTo(email)).toEqual([]);
  });

  it("an administrator's change of address voids the links and codes sent to the old one", async () => {
    const engine = await engineWith();
    const { email, userId, token: session } = await engine.signUp();
    await engine.request("POST", "/v1/password-reset", { json: { email } });
    const reset = tokenIn((await latest(engine, email, "password-reset"))!, "/reset-password");
    const verification = (await latest(engine, email, "verify-email"))!;

    const moved = uniqueEmail();
    expect((await admin(engine, "PATCH", `/v1/admin/users/${userId}`, { json: { email: moved } })).status).toBe(200);

    const resetAfter = await engine.request("POST", "/v1/password-reset/confirm", {
      json: { token: reset, password: strongPassword() },
    });
    expect(resetAfter.status).toBe(400);
    const verifyAfter = await engine.request("POST", "/v1/email-verification/confirm", {
      json: { token: tokenIn(verification, "/verify-email") },
    });
    expect(verifyAfter.status).toBe(400);
    const codeAfter = await engine.request("POST", "/v1/email-verification/confirm", {
      json: { code: codeIn(verification) },
      cookie: session,
    });
    expect(codeAfter.status).toBe(400);
    // The address the administrator set stands.
    const user = await (await admin(engine, "GET", `/v1/admin/users/${userId}`)).json();
    expect(user.email).toBe(moved);
  });

  it("a deleted user's links no longer work", async () => {
    const engine = await engineWith();
    const { email, userId } = await engine.signUp();
    await engine.request("POST", "/v1/sign-in/magic-link", { json: { email } });
    const link = tokenIn((await latest(engine, email, "magic-link"))!, "/v1/sign-in/magic-link/verify");
    expect((await admin(engine, "DELETE", `/v1/admin/users/${userId}`)).status).toBeLessThan(300);
    const response = await engine.request("POST", "/v1/sign-in/magic-link/verify", { json: { token: link } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_token" });
  });

  it("users an administrator creates are not mailed unasked; people who sign up are", async () => {
    const engine = await engineWith();
    const created = uniqueEmail();
    expect((await admin(engine, "POST", "/v1/admin/users", { json: { email: created } })).status).toBe(201);
    expect(await engine.mailTo(created)).toEqual([]);
    const { email } = await engine.signUp();
    expect(await latest(engine, email, "verify-email")).toBeDefined();
  });
});
