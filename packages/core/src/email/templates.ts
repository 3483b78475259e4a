/**
 * The messages Gatehouse sends, as templates with `{{variable}}` placeholders: a subject, a
 * plain-text body and an HTML body each. Operators override any part of any template (the
 * server reads override files from the data directory); overrides are checked at start, so a
 * misspelt variable stops the start instead of sending a broken email.
 *
 * Values are escaped for where they land: HTML-escaped in the HTML body (a user named
 * `<script>` stays text), control characters removed everywhere, and line breaks folded in the
 * subject. There is deliberately no "raw" placeholder: nothing a user can influence is ever
 * inserted unescaped.
 */
import { ConfigurationError } from "../errors/index.js";

/** Every message Gatehouse sends. */
export type EmailTemplateName =
  | "verify-email"
  | "password-reset"
  | "magic-link"
  | "email-code"
  | "password-changed"
  | "new-sign-in"
  | "email-changed"
  | "mfa-disabled"
  | "passkey-added";

/** The names of every template, in documentation order. */
export const EMAIL_TEMPLATE_NAMES: readonly EmailTemplateName[] = Object.freeze([
  "verify-email",
  "password-reset",
  "magic-link",
  "email-code",
  "password-changed",
  "new-sign-in",
  "email-changed",
  "mfa-disabled",
  "passkey-added",
]);

/** One template: each part may use the template's variables as `{{name}}`. */
export interface EmailTemplate {
  subject: string;
  text: string;
  html: string;
}

/** Per-template replacements for any of the three parts. */
export type EmailTemplateOverrides = Partial<Record<EmailTemplateName, Partial<EmailTemplate>>>;

/** A message ready to send. */
export type RenderedEmail = EmailTemplate;

/** Variables every template gets. */
const COMMON_VARIABLES = ["app_name", "base_url", "email", "name"] as const;

/**
 * The variables each template may use (besides `app_name`, `base_url`, `email` — the
 * recipient's address — and `name` — the user's name, or their address when they gave none).
 */
export const EMAIL_TEMPLATE_VARIABLES: Readonly<Record<EmailTemplateName, readonly string[]>> = Object.freeze({
  "verify-email": [...COMMON_VARIABLES, "link", "code", "expires_in"],
  "password-reset": [...COMMON_VARIABLES, "link", "expires_in"],
  "magic-link": [...COMMON_VARIABLES, "link", "expires_in"],
  "email-code": [...COMMON_VARIABLES, "code", "expires_in"],
  "password-changed": [...COMMON_VARIABLES, "time", "ip", "user_agent", "reset_link"],
  "new-sign-in": [...COMMON_VARIABLES, "time", "ip", "user_agent", "method", "reset_link"],
  "email-changed": [...COMMON_VARIABLES, "new_email", "time"],
  "mfa-disabled": [...COMMON_VARIABLES, "time", "ip", "user_agent", "reset_link", "factor"],
  "passkey-added": [...COMMON_VARIABLES, "passkey_name", "time", "ip", "user_agent", "reset_link"],
});

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>
<body style="margin:0;padding:24px;background:#f4f4f5;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#18181b">
<div style="max-width:520px;margin:0 auto;background:#ffffff;border-radius:8px;padding:32px;line-height:1.5">
${body}
<p style="margin-top:32px;font-size:12px;color:#71717a">{{app_name}} · {{base_url}}</p>
</div>
</body>
</html>
`;
}

function button(label: string): string {
  return `<p style="margin:24px 0"><a href="{{link}}" style="background:#18181b;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${label}</a></p>
<p style="font-size:13px;color:#52525b">Or paste this link into your browser:<br><a href="{{link}}" style="color:#52525b;word-break:break-all">{{link}}</a></p>`;
}

const CODE_STYLE = "font-size:28px;letter-spacing:6px;font-weight:600;font-family:ui-monospace,Menlo,monospace";

const DETAILS = `<table style="font-size:14px;border-collapse:collapse">
<tr><td style="padding:2px 12px 2px 0;color:#71717a">When</td><td>{{time}}</td></tr>
<tr><td style="padding:2px 12px 2px 0;color:#71717a">IP address</td><td>{{ip}}</td></tr>
<tr><td style="padding:2px 12px 2px 0;color:#71717a">Device</td><td>{{user_agent}}</td></tr>
</table>`;

/** The built-in templates. */
const DEFAULT_TEMPLATES: Readonly<Record<EmailTemplateName, EmailTemplate>> = {
  "verify-email": {
    subject: "Verify your email address for {{app_name}}",
    text: `Hi {{name}},

Confirm that {{email}} is your email address for {{app_name}} by opening this link:

{{link}}

Or, while signed in, enter this code: {{code}}

The link and the code expire in {{expires_in}}. If you did not ask for this, ignore this email.
`,
    html: layout(
      "Verify your email address",
      `<p>Hi {{name}},</p>
<p>Confirm that <strong>{{email}}</strong> is your email address for {{app_name}}.</p>
${button("Verify email address")}
<p>Or, while signed in, enter this code:</p>
<p style="${CODE_STYLE}">{{code}}</p>
<p style="font-size:13px;color:#52525b">The link and the code expire in {{expires_in}}. If you did not ask for this, ignore this email.</p>`,
    ),
  },
  "password-reset": {
    subject: "Reset your {{app_name}} password",
    text: `Hi {{name}},

Someone, hopefully you, asked to reset the password of the {{app_name}} account {{email}}. Choose a new password here:

{{link}}

The link expires in {{expires_in}} and works once. Resetting signs you out everywhere.
If you did not ask for this, ignore this email: your password stays as it is.
`,
    html: layout(
      "Reset your password",
      `<p>Hi {{name}},</p>
<p>Someone, hopefully you, asked to reset the password of the {{app_name}} account <strong>{{email}}</strong>.</p>
${button("Choose a new password")}
<p style="font-size:13px;color:#52525b">The link expires in {{expires_in}} and works once. Resetting signs you out everywhere. If you did not ask for this, ignore this email: your password stays as it is.</p>`,
    ),
  },
  "magic-link": {
    subject: "Your {{app_name}} sign-in link",
    text: `Hi {{name}},

Open this link to sign in to {{app_name}} as {{email}}:

{{link}}

The link expires in {{expires_in}} and works once. If you did not ask to sign in, ignore this email.
`,
    html: layout(
      "Sign in",
      `<p>Hi {{name}},</p>
<p>Sign in to {{app_name}} as <strong>{{email}}</strong>.</p>
${button("Sign in")}
<p style="font-size:13px;color:#52525b">The link expires in {{expires_in}} and works once. If you did not ask to sign in, ignore this email.</p>`,
    ),
  },
  "email-code": {
    subject: "Your {{app_name}} sign-in code",
    text: `Hi {{name}},

Your code to sign in to {{app_name}} as {{email}} is:

{{code}}

It expires in {{expires_in}}. Never give it to anyone: {{app_name}} will never ask you for it.
If you did not ask to sign in, ignore this email.
`,
    html: layout(
      "Your sign-in code",
      `<p>Hi {{name}},</p>
<p>Your code to sign in to {{app_name}} as <strong>{{email}}</strong> is:</p>
<p style="${CODE_STYLE}">{{code}}</p>
<p style="font-size:13px;color:#52525b">It expires in {{expires_in}}. Never give it to anyone: {{app_name}} will never ask you for it. If you did not ask to sign in, ignore this email.</p>`,
    ),
  },
  "password-changed": {
    subject: "Your {{app_name}} password was changed",
    text: `Hi {{name}},

The password of your {{app_name}} account {{email}} was changed, and your other sessions were signed out.

When: {{time}}
IP address: {{ip}}
Device: {{user_agent}}

If this was you, there is nothing to do. If it was not, reset your password now: {{reset_link}}
`,
    html: layout(
      "Your password was changed",
      `<p>Hi {{name}},</p>
<p>The password of your {{app_name}} account <strong>{{email}}</strong> was changed, and your other sessions were signed out.</p>
${DETAILS}
<p>If this was you, there is nothing to do. If it was not, <a href="{{reset_link}}">reset your password now</a>.</p>`,
    ),
  },
  "new-sign-in": {
    subject: "New sign-in to your {{app_name}} account",
    text: `Hi {{name}},

Your {{app_name}} account {{email}} was just signed in to ({{method}}) from a device we have not seen before.

When: {{time}}
IP address: {{ip}}
Device: {{user_agent}}

If this was you, there is nothing to do. If it was not, reset your password now: {{reset_link}}
`,
    html: layout(
      "New sign-in",
      `<p>Hi {{name}},</p>
<p>Your {{app_name}} account <strong>{{email}}</strong> was just signed in to ({{method}}) from a device we have not seen before.</p>
${DETAILS}
<p>If this was you, there is nothing to do. If it was not, <a href="{{reset_link}}">reset your password now</a>.</p>`,
    ),
  },
  "email-changed": {
    subject: "The email address of your {{app_name}} account was changed",
    text: `Hi {{name}},

On {{time}} the email address of your {{app_name}} account was changed from {{email}} to {{new_email}}. Messages about the account now go to the new address.

If you did not make this change, contact support right away: someone else may control your account.
`,
    html: layout(
      "Your email address was changed",
      `<p>Hi {{name}},</p>
<p>On {{time}} the email address of your {{app_name}} account was changed from <strong>{{email}}</strong> to <strong>{{new_email}}</strong>. Messages about the account now go to the new address.</p>
<p>If you did not make this change, contact support right away: someone else may control your account.</p>`,
    ),
  },
  "mfa-disabled": {
    subject: "A two-step verification method was turned off for your {{app_name}} account",
    text: `Hi {{name}},

Two-step verification by {{factor}} was just turned off for your {{app_name}} account {{email}}. It can no longer be used to sign in; if it was your last method, signing in now needs only your password, link or email code.

When: {{time}}
IP address: {{ip}}
Device: {{user_agent}}

If this was you, there is nothing to do. If it was not, reset your password now and turn two-step verification back on: {{reset_link}}
`,
    html: layout(
      "Two-step verification turned off",
      `<p>Hi {{name}},</p>
<p>Two-step verification by {{factor}} was just turned off for your {{app_name}} account <strong>{{email}}</strong>. It can no longer be used to sign in; if it was your last method, signing in now needs only your password, link or email code.</p>
${DETAILS}
<p>If this was you, there is nothing to do. If it was not, <a href="{{reset_link}}">reset your password now</a> and turn two-step verification back on.</p>`,
    ),
  },
  "passkey-added": {
    subject: "A passkey was added to your {{app_name}} account",
    text: `Hi {{name}},

A passkey named "{{passkey_name}}" was just added to your {{app_name}} account {{email}}. It can sign in to the account without a password.

When: {{time}}
IP address: {{ip}}
Device: {{user_agent}}

If this was you, there is nothing to do. If it was not, reset your password now and remove the passkey from your account settings: {{reset_link}}
`,
    html: layout(
      "A passkey was added",
      `<p>Hi {{name}},</p>
<p>A passkey named <strong>{{passkey_name}}</strong> was just added to your {{app_name}} account <strong>{{email}}</strong>. It can sign in to the account without a password.</p>
${DETAILS}
<p>If this was you, there is nothing to do. If it was not, <a href="{{reset_link}}">reset your password now</a> and remove the passkey from your account settings.</p>`,
    ),
  },
};

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML element content and quoted attribute values (the templates quote every attribute). */
export function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

function withoutControlCharacters(value: string): string {
  // Tabs and line breaks included: no variable is multi-line, and a CR/LF is the raw material of
  // header injection.
  return value.replace(/\p{Cc}/gu, " ");
}

function fill(template: string, values: Record<string, string>, escape: (value: string) => string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => escape(withoutControlCharacters(values[name] ?? "")));
}

function check(name: EmailTemplateName, part: keyof EmailTemplate, source: string): void {
  const allowed = new Set(EMAIL_TEMPLATE_VARIABLES[name]);
  for (const [, variable] of source.matchAll(PLACEHOLDER)) {
    if (!allowed.has(variable!)) {
      throw new ConfigurationError(
        `Email template "${name}" (${part}) uses {{${variable}}}, which it does not have. Its variables: ${[...allowed].join(", ")}.`,
      );
    }
  }
}

/** Renders templates by name; made once with the operator's overrides, which it checks. */
export type EmailRenderer = (name: EmailTemplateName, values: Record<string, string>) => RenderedEmail;

/**
 * Creates a renderer with `overrides` applied over the built-in templates.
 *
 * @throws ConfigurationError for an unknown template name or part, or a `{{variable}}` the
 * template does not have.
 * @example
 * ```ts
 * const render = createEmailRenderer({ "magic-link": { subject: "Sign in to {{app_name}}" } });
 * const { subject, text, html } = render("magic-link", values);
 * ```
 */
export function createEmailRenderer(overrides: EmailTemplateOverrides = {}): EmailRenderer {
  const templates = new Map<EmailTemplateName, EmailTemplate>();
  for (const name of Object.keys(overrides)) {
    if (!EMAIL_TEMPLATE_NAMES.includes(name as EmailTemplateName)) {
      throw new ConfigurationError(
        `There is no email template "${name}". Templates: ${EMAIL_TEMPLATE_NAMES.join(", ")}.`,
      );
    }
  }
  for (const name of EMAIL_TEMPLATE_NAMES) {
    const override = overrides[name] ?? {};
    for (const part of Object.keys(override)) {
      if (part !== "subject" && part !== "text" && part !== "html") {
        throw new ConfigurationError(`Email template "${name}" has no part "${part}"; parts: subject, text, html.`);
      }
    }
    const template = { ...DEFAULT_TEMPLATES[name], ...override };
    for (const part of ["subject", "text", "html"] as const) {
      if (typeof template[part] !== "string" || template[part].trim() === "") {
        throw new ConfigurationError(`Email template "${name}" (${part}) is empty.`);
      }
      check(name, part, template[part]);
    }
    templates.set(name, template);
  }

  return (name, values) => {
    const template = templates.get(name)!;
    return {
      // Folded to one line and trimmed: a subject is a header.
      subject: fill(template.subject, values, (value) => value)
        .replace(/\s+/g, " ")
        .trim(),
      text: fill(template.text, values, (value) => value),
      html: fill(template.html, values, escapeHTML),
    };
  };
}

/** Options of {@link renderEmailPreview}. */
export interface EmailPreviewOptions {
  overrides?: EmailTemplateOverrides;
  /** @default "http://localhost:4000" */
  baseURL?: string;
  /** @default the base URL's host */
  appName?: string;
}

/**
 * Renders a template with sample values, for `gatehouse email preview` and for checking
 * overrides before deploying them.
 *
 * @throws ConfigurationError for an unknown template or an invalid override.
 * @example
 * ```ts
 * const { subject, text } = renderEmailPreview("password-reset", { baseURL: "https://auth.example.com" });
 * ```
 */
export function renderEmailPreview(name: string, options: EmailPreviewOptions = {}): RenderedEmail {
  if (!EMAIL_TEMPLATE_NAMES.includes(name as EmailTemplateName)) {
    throw new ConfigurationError(
      `There is no email template "${name}". Templates: ${EMAIL_TEMPLATE_NAMES.join(", ")}.`,
    );
  }
  const base = new URL(options.baseURL ?? "http://localhost:4000");
  const root = base.href.replace(/\/?$/, "/");
  const sample: Record<string, string> = {
    app_name: options.appName ?? base.host,
    base_url: base.origin,
    email: "ada@example.com",
    name: "Ada Lovelace",
    link: `${root}reset-password?token=SAMPLE-TOKEN-NOT-VALID`,
    code: "123456",
    expires_in: "1 hour",
    time: "2026-01-01 09:30 UTC",
    ip: "203.0.113.7",
    user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Firefox/128.0",
    method: "password",
    reset_link: `${root}reset-password`,
    new_email: "ada.lovelace@example.org",
    factor: "authenticator app",
    passkey_name: "MacBook Touch ID",
  };
  if (name === "magic-link") sample.link = `${root}v1/sign-in/magic-link/verify?token=SAMPLE-TOKEN-NOT-VALID`;
  if (name === "verify-email") sample.link = `${root}verify-email?token=SAMPLE-TOKEN-NOT-VALID`;
  if (name === "magic-link" || name === "email-code")
    sample.expires_in = name === "magic-link" ? "15 minutes" : "10 minutes";
  if (name === "verify-email") sample.expires_in = "24 hours";
  return createEmailRenderer(options.overrides)(name as EmailTemplateName, sample);
}
