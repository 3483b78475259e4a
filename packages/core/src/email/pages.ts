/**
 * The two small pages the emailed links open when the application has none of its own
 * (`email.passwordResetPageURL` and `email.verificationPageURL` point elsewhere otherwise):
 * `/reset-password` (request a link, or set a new password with one) and `/verify-email`.
 *
 * They are plain HTML with one inline script that calls the JSON API, under a strict CSP (a
 * per-response nonce, no other script or style, same-origin fetches only), `no-referrer` so the
 * token in the address never leaks, and no framing. The script takes the token from the address
 * and removes it from the history, so nothing user-controlled is ever written into the HTML.
 * They are not part of the API and not in the OpenAPI document.
 */
import { defineRoute, type AnyRoute } from "../http/route.js";
import { base64url, randomBytes } from "../lib/encoding.js";
import { escapeHTML } from "./templates.js";

const STYLE = `body{margin:0;padding:48px 16px;background:#f4f4f5;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#18181b}
main{max-width:400px;margin:0 auto;background:#fff;border-radius:8px;padding:32px}
h1{font-size:20px;margin:0 0 16px}label{display:block;margin:16px 0 4px;font-size:14px}
input{box-sizing:border-box;width:100%;padding:10px;border:1px solid #d4d4d8;border-radius:6px;font-size:16px}
button{margin-top:20px;width:100%;padding:12px;border:0;border-radius:6px;background:#18181b;color:#fff;font-size:16px;cursor:pointer}
[hidden]{display:none}#status{margin-top:16px}`;

function page(title: string, body: string, script: string | null, status = 200): Response {
  const nonce = base64url(randomBytes(16));
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHTML(title)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHTML(title)}</h1>
${body}
</main>
${script === null ? "" : `<script nonce="${nonce}">${script}</script>`}
</body>
</html>
`;
  return new Response(html, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
      "content-security-policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
    },
  });
}

/** A page with one message, e.g. for a magic link that no longer works. */
export function messagePage(title: string, message: string, status: number): Response {
  return page(title, `<p>${escapeHTML(message)}</p>`, null, status);
}

/** JSON for embedding in a script: `<` escaped so no value can close the script element. */
function scriptJSON(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/** The pages, served at the base URL's path. */
export function emailPageRoutes(options: { baseURL: URL }): AnyRoute[] {
  const root = options.baseURL.href.replace(/\/?$/, "/");
  const api = (path: string): string => new URL(path, root).pathname;
  const pagePath = (path: string): string => new URL(path, root).pathname;

  const resetScript = `(() => {
const endpoints = ${scriptJSON({ request: api("v1/password-reset"), confirm: api("v1/password-reset/confirm") })};
const token = new URLSearchParams(location.search).get("token");
if (token) history.replaceState(null, "", location.pathname);
const form = document.getElementById(token ? "confirm" : "request");
const status = document.getElementById("status");
form.hidden = false;
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  status.textContent = "";
  const body = token ? { token, password: form.elements.password.value } : { email: form.elements.email.value };
  try {
    const response = await fetch(token ? endpoints.confirm : endpoints.request, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (response.ok) {
      form.hidden = true;
      status.textContent = token
        ? "Your password was changed and you were signed out everywhere. Sign in with the new password."
        : "If an account exists for this address, a link to reset its password is on its way.";
      return;
    }
    const problem = await response.json().catch(() => ({}));
    status.textContent = problem.detail || "Something went wrong. Try again.";
  } catch {
    status.textContent = "Could not reach the server. Try again.";
  }
});
})();`;

  const verifyScript = `(async () => {
const endpoint = ${scriptJSON(api("v1/email-verification/confirm"))};
const token = new URLSearchParams(location.search).get("token");
const status = document.getElementById("status");
if (!token) { status.textContent = "This link is incomplete. Open the link from the email again."; return; }
history.replaceState(null, "", location.pathname);
try {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  const answer = await response.json().catch(() => ({}));
  status.textContent = response.ok
    ? "Your email address " + answer.user.email + " is verified."
    : answer.detail || "Something went wrong. Try again.";
} catch {
  status.textContent = "Could not reach the server. Try again.";
}
})();`;

  return [
    defineRoute({
      method: "GET",
      path: pagePath("reset-password"),
      summary: "Page: request a password reset, or set a new password with an emailed link",
      tag: "Pages",
      auth: "none",
      responses: { 200: { description: "HTML" } },
      handle: async () =>
        page(
          "Reset your password",
          `<form id="request" hidden>
<p>Enter the email address of your account and we will send you a link to choose a new password.</p>
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required>
<button type="submit">Send the link</button>
</form>
<form id="confirm" hidden>
<label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
<button type="submit">Set the new password</button>
</form>
<p id="status" role="status"></p>`,
          resetScript,
        ),
    }),
    defineRoute({
      method: "GET",
      path: pagePath("verify-email"),
      summary: "Page: confirm an email address with an emailed link",
      tag: "Pages",
      auth: "none",
      responses: { 200: { description: "HTML" } },
      handle: async () =>
        page("Verify your email address", `<p id="status" role="status">Verifying…</p>`, verifyScript),
    }),
  ];
}
