/**
 * The email flows under the `jwt` and `hybrid` strategies: emailed sign-ins hand out the
 * strategy's credentials (access JWT and refresh token) like a password sign-in does, and a
 * password reset or change ends refresh tokens along with their sessions.
 */
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { cookieFrom, strongPassword, uniqueEmail } from "../test-support/engine.js";
import { codeIn, createMailTestEngine, linkIn, tokenIn, type MailTestEngine } from "../test-support/mail.js";

const engines: MailTestEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

interface TokenResponse {
  access_token: string;
  refresh_token: string;
  session_id: string;
}

const refresh = (engine: MailTestEngine, refreshToken: string) =>
  engine.request("POST", "/v1/token", { json: { grant_type: "refresh_token", refresh_token: refreshToken } });

async function bearerAccount(engine: MailTestEngine): Promise<TokenResponse & { email: string; password: string }> {
  const email = uniqueEmail();
  const password = strongPassword();
  const response = await engine.request("POST", "/v1/sign-up", {
    json: { email, password },
    headers: { "auth-transport": "bearer" },
  });
  expect(response.status).toBe(201);
  return { ...((await response.json()) as TokenResponse), email, password };
}

describe.each(["jwt", "hybrid"] as const)("%s strategy", (strategy) => {
  async function engineWith(): Promise<MailTestEngine> {
    const engine = await createMailTestEngine({ strategy });
    engines.push(engine);
    return engine;
  }

  it("a magic link sets the access and refresh cookies on its redirect", async () => {
    const engine = await engineWith();
    const { email } = await bearerAccount(engine);
    await engine.request("POST", "/v1/sign-in/magic-link", { json: { email, redirect_url: "/home" } });
    const link = linkIn(
      (await engine.mailTo(email)).find((m) => m.template === "magic-link")!,
      "/v1/sign-in/magic-link/verify",
    );
    const response = await engine.request("GET", `${link.pathname}${link.search}`);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("http://localhost:4000/home");
    const cookies = response.headers.getSetCookie();
    expect(cookies.find((cookie) => cookie.startsWith("gatehouse_access=ey"))).toContain("HttpOnly");
    expect(cookies.find((cookie) => cookie.startsWith("gatehouse_refresh=sess_"))).toContain("Path=/v1/token");
    const access = cookieFrom(response, "gatehouse_access")!;
    expect(decodeJwt(access).sub).toMatch(/^user_/);
    expect((await engine.request("GET", "/v1/session", { cookie: access })).status).toBe(200);
  });

  it("an email code gives bearer clients an access JWT and a working refresh token", async () => {
    const engine = await engineWith();
    const { email } = await bearerAccount(engine);
    await engine.request("POST", "/v1/sign-in/email-code", { json: { email } });
    const code = codeIn((await engine.mailTo(email)).find((m) => m.template === "email-code")!);
    const response = await engine.request("POST", "/v1/sign-in/email-code/verify", {
      json: { email, code },
      headers: { "auth-transport": "bearer" },
    });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as TokenResponse;
    expect(decodeJwt(tokens.access_token).sid).toBe(tokens.session_id);
    expect((await refresh(engine, tokens.refresh_token)).status).toBe(200);
  });

  it("a password reset ends every session's refresh token and access token at the server", async () => {
    const engine = await engineWith();
    const account = await bearerAccount(engine);
    await engine.request("POST", "/v1/password-reset", { json: { email: account.email } });
    const token = tokenIn(
      (await engine.mailTo(account.email)).find((m) => m.template === "password-reset")!,
      "/reset-password",
    );
    expect(
      (await engine.request("POST", "/v1/password-reset/confirm", { json: { token, password: strongPassword() } }))
        .status,
    ).toBe(204);
    const refused = await refresh(engine, account.refresh_token);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: "invalid_grant" });
    expect((await engine.request("GET", "/v1/session", { bearer: account.access_token })).status).toBe(401);
  });

  it("a password change ends the other sessions' refresh tokens and keeps the caller's", async () => {
    const engine = await engineWith();
    const first = await bearerAccount(engine);
    const second = (await (
      await engine.request("POST", "/v1/sign-in/password", {
        json: { email: first.email, password: first.password },
        headers: { "auth-transport": "bearer" },
      })
    ).json()) as TokenResponse;
    const changed = await engine.request("POST", "/v1/account/password", {
      json: { current_password: first.password, password: strongPassword() },
      bearer: second.access_token,
    });
    expect(changed.status).toBe(204);
    expect((await refresh(engine, first.refresh_token)).status).toBe(400);
    expect((await refresh(engine, second.refresh_token)).status).toBe(200);
  });
});
