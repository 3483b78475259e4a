/**
 * Templates: every message in both formats with its documented variables, values escaped for
 * where they land, overrides checked at start, and the preview the CLI prints.
 */
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/index.js";
import { createTestEngine } from "../test-support/engine.js";
import {
  EMAIL_TEMPLATE_NAMES,
  EMAIL_TEMPLATE_VARIABLES,
  createEmailRenderer,
  escapeHTML,
  renderEmailPreview,
} from "./templates.js";

function valuesFor(name: (typeof EMAIL_TEMPLATE_NAMES)[number]): Record<string, string> {
  return Object.fromEntries(EMAIL_TEMPLATE_VARIABLES[name].map((variable) => [variable, `<${variable}>`]));
}

describe("templates", () => {
  it.each(EMAIL_TEMPLATE_NAMES)("%s has a subject, a text and an HTML body using only its variables", (name) => {
    const rendered = createEmailRenderer()(name, valuesFor(name));
    for (const part of [rendered.subject, rendered.text, rendered.html]) {
      expect(part.trim()).not.toBe("");
      expect(part).not.toMatch(/\{\{/);
    }
    expect(rendered.html).toMatch(/^<!doctype html>/);
    // Every variable the template documents as specific to it appears in at least one part.
    for (const variable of EMAIL_TEMPLATE_VARIABLES[name].filter((each) => each !== "base_url")) {
      expect(`${rendered.subject}${rendered.text}${rendered.html}`).toContain(variable);
    }
  });

  it("HTML-escapes every value in the HTML body, keeps the text body literal and folds the subject", () => {
    const render = createEmailRenderer({ "new-sign-in": { subject: "Hi {{name}}" } });
    const name = `<script>alert("x")</script>'&`;
    const rendered = render("new-sign-in", {
      ...valuesFor("new-sign-in"),
      name: `${name}\r\nBcc: eve@evil.example`,
      user_agent: `"><img src=x onerror=alert(1)>`,
    });
    expect(rendered.html).not.toContain("<script>alert");
    expect(rendered.html).not.toContain("<img src=x");
    expect(rendered.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;");
    expect(rendered.html).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(rendered.text).toContain(`${name}  Bcc: eve@evil.example`);
    expect(rendered.subject).toBe(`Hi ${name} Bcc: eve@evil.example`);
    expect(rendered.subject).not.toMatch(/[\r\n]/);
  });

  it("escapes the characters that matter in HTML", () => {
    expect(escapeHTML(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });

  it("applies overrides part by part", () => {
    const render = createEmailRenderer({ "magic-link": { subject: "Sign in to {{app_name}} now" } });
    const rendered = render("magic-link", { ...valuesFor("magic-link"), app_name: "Acme" });
    expect(rendered.subject).toBe("Sign in to Acme now");
    expect(rendered.text).toContain("<link>");
  });

  it.each([
    [{ "magic-link": { text: "{{code}}" } }, /does not have/],
    [{ "magic-link": { html: "{{ linkk }}" } }, /linkk/],
    [{ "magic-lnk": { text: "x" } }, /no email template "magic-lnk"/],
    [{ "magic-link": { body: "x" } }, /no part "body"/],
    [{ "magic-link": { subject: "  " } }, /empty/],
  ])("refuses the override %j with a message saying what is wrong", (overrides, message) => {
    expect(() => createEmailRenderer(overrides as never)).toThrow(ConfigurationError);
    expect(() => createEmailRenderer(overrides as never)).toThrow(message);
  });

  it("refuses a broken override when the engine starts", async () => {
    await expect(createTestEngine({ email: { templates: { "email-code": { text: "{{link}}" } } } })).rejects.toThrow(
      /email-code.*link/,
    );
  });

  it.each(EMAIL_TEMPLATE_NAMES)("previews %s with sample values", (name) => {
    const preview = renderEmailPreview(name, { baseURL: "https://auth.example.com", appName: "Acme" });
    expect(preview.subject).toContain("Acme");
    expect(preview.text).toMatch(/Ada Lovelace/);
    expect(preview.html).toContain("https://auth.example.com");
  });

  it("previews with overrides and refuses unknown templates", () => {
    expect(
      renderEmailPreview("email-code", { overrides: { "email-code": { subject: "Code: {{code}}" } } }).subject,
    ).toBe("Code: 123456");
    expect(() => renderEmailPreview("welcome")).toThrow(/no email template "welcome"/);
  });
});
