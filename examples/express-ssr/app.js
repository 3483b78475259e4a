/**
 * A server-rendered Express app whose users sign in with Gatehouse (`session` strategy).
 *
 * Gatehouse's hosted pages do the signing in; they set the HttpOnly session cookie, which the
 * browser also sends to this app (cookies are per host, not per port, so `localhost:4000` and
 * `localhost:3000` share it — in production, serve both under one domain and set
 * `GATEHOUSE_COOKIE_DOMAIN`). The SDK's Express middleware verifies it on every request, and
 * `requireAuth` sends signed-out visitors to the hosted sign-in page and back.
 */
import express from "express";
import { createVerifier } from "@gatehouse/sdk";
import { authMiddleware, requireAuth } from "@gatehouse/sdk/express";

/** Markup that is already safe; anything else interpolated into `html` is escaped. */
class SafeHTML {
  constructor(value) {
    this.value = value;
  }
}

/** Escapes every interpolated value (all of them are user data) except nested `html` results. */
function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, index) => {
    const text =
      value instanceof SafeHTML ? value.value : String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    out += text + strings[index + 1];
  });
  return new SafeHTML(out);
}

const STYLE = `body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f5f6f8; color: #111827; }
header { display: flex; justify-content: space-between; align-items: center; padding: 16px 24px; background: #fff; border-bottom: 1px solid #e4e7ec; }
nav { display: flex; gap: 16px; align-items: center; }
main { max-width: 640px; margin: 40px auto; padding: 0 16px; }
.card { background: #fff; border: 1px solid #e4e7ec; border-radius: 12px; padding: 24px; }
a { color: #4338ca; font-weight: 600; }
button { font: inherit; font-weight: 600; background: #fff; border: 1px solid #c9ced6; border-radius: 8px; padding: 6px 12px; cursor: pointer; }`;

function page(title, header, content) {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Express example</title>
        <style>
          ${new SafeHTML(STYLE)}
        </style>
      </head>
      <body>
        ${header}
        <main>
          <div class="card">
            <h1>${title}</h1>
            ${content}
          </div>
        </main>
      </body>
    </html>`.value;
}

/**
 * Creates the app.
 *
 * @param {{ gatehouseURL: string, appURL: string }} options - where Gatehouse and this app are.
 * @returns {{ app: import("express").Express, close(): Promise<void> }}
 * @example
 * const { app } = createApp({ gatehouseURL: "http://localhost:4000", appURL: "http://localhost:3000" });
 * app.listen(3000);
 */
export function createApp({ gatehouseURL, appURL }) {
  // Session tokens are checked with Gatehouse (GET /v1/session). With the server's Redis or
  // database at hand, pass `sessions` to check them in-process instead.
  const verifier = createVerifier({ url: gatehouseURL });
  const app = express();
  app.disable("x-powered-by");
  app.use(authMiddleware(verifier));

  /** The signed-in user's details, asked of Gatehouse with the same session cookie. */
  async function currentUser(req) {
    if (req.auth.status !== "signed-in") return null;
    const response = await fetch(`${gatehouseURL}/v1/session`, { headers: { cookie: req.headers.cookie ?? "" } });
    return response.ok ? (await response.json()).user : null;
  }

  function header(user) {
    const signIn = `${gatehouseURL}/sign-in?redirect_url=${encodeURIComponent(`${appURL}/dashboard`)}`;
    const account = user
      ? html`<a href="${gatehouseURL}/account">${user.name ?? user.email}</a>
          <form method="post" action="/sign-out"><button type="submit">Sign out</button></form>`
      : html`<a href="${signIn}">Sign in</a>`;
    return html`<header>
      <strong>Express example</strong>
      <nav><a href="/">Home</a><a href="/dashboard">Dashboard</a>${account}</nav>
    </header>`;
  }

  app.get("/", async (req, res) => {
    const user = await currentUser(req);
    const content = user
      ? html`<p>You are signed in as <strong>${user.email}</strong>.</p>`
      : html`<p>You are not signed in. The dashboard is for members only.</p>`;
    res.send(page("Home", header(user), content));
  });

  // Signed-out visitors go to Gatehouse's hosted sign-in page, which brings them back here.
  app.get("/dashboard", requireAuth({ signInURL: `${gatehouseURL}/sign-in` }), async (req, res) => {
    const user = await currentUser(req);
    const content = html`<p>
        Welcome, ${user?.name ?? user?.email}. This page was rendered on the server for user
        <code>${req.auth.userId}</code> (session <code>${req.auth.sessionId}</code>).
      </p>
      <p><a href="${gatehouseURL}/account">Manage your account and sessions</a></p>`;
    res.send(page("Dashboard", header(user), content));
  });

  app.post("/sign-out", async (req, res) => {
    // A form on another site must not sign anyone out here: only this app's own pages may.
    const origin = req.get("origin");
    if (origin && origin !== appURL) {
      res.status(403).send("Forbidden");
      return;
    }
    // Gatehouse ends the session; its answer clears the cookie, and we pass that on. (A
    // server-side call sends no Origin: only browsers' cross-site writes are refused.)
    const answer = await fetch(`${gatehouseURL}/v1/sign-out`, {
      method: "POST",
      headers: { cookie: req.headers.cookie ?? "" },
    });
    for (const cookie of answer.headers.getSetCookie()) res.append("set-cookie", cookie);
    res.redirect(303, "/");
  });

  return { app, close: () => verifier.close() };
}
