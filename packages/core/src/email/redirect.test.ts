/**
 * `redirect_url` checking: every spelling a browser could read as another site is refused;
 * paths and allowed origins are accepted and returned absolute.
 */
import { describe, expect, it } from "vitest";
import { InvalidRedirectURLError } from "../errors/index.js";
import { resolveRedirectURL } from "./redirect.js";

const options = {
  baseURL: new URL("https://auth.example.com"),
  allowedOrigins: new Set(["https://auth.example.com", "https://app.example.com", "http://localhost:5173"]),
};

describe("resolveRedirectURL", () => {
  it.each([
    ["/", "https://auth.example.com/"],
    ["/dashboard?tab=security#top", "https://auth.example.com/dashboard?tab=security#top"],
    ["/%2F%2Fevil.example", "https://auth.example.com/%2F%2Fevil.example"],
    ["/%5Cevil.example", "https://auth.example.com/%5Cevil.example"],
    ["/..//evil.example", "https://auth.example.com//evil.example"],
    ["/a/../b", "https://auth.example.com/b"],
    ["https://app.example.com/welcome", "https://app.example.com/welcome"],
    ["HTTPS://APP.EXAMPLE.COM/Welcome", "https://app.example.com/Welcome"],
    ["https://app.example.com:443/", "https://app.example.com/"],
    ["http://localhost:5173/after-sign-in", "http://localhost:5173/after-sign-in"],
  ])("accepts %j as %j", (value, expected) => {
    const resolved = resolveRedirectURL(value, options);
    expect(resolved).toBe(expected);
    // Whatever is accepted stays on an allowed origin.
    expect(options.allowedOrigins.has(new URL(resolved).origin)).toBe(true);
  });

  it.each([
    ["protocol-relative", "//evil.example"],
    ["protocol-relative with a path", "//evil.example/welcome"],
    ["slash-backslash", "/\\evil.example"],
    ["backslash-backslash", "\\\\evil.example"],
    ["backslash-slash", "\\/evil.example"],
    ["a backslash inside the authority", "https://app.example.com\\@evil.example"],
    ["scheme without slashes", "https:evil.example"],
    ["scheme with one slash", "https:/evil.example"],
    ["scheme with three slashes", "https:///evil.example"],
    ["userinfo naming an allowed host", "https://app.example.com@evil.example"],
    ["userinfo on an allowed host", "https://user:pass@app.example.com/"],
    ["a foreign origin", "https://evil.example/"],
    ["an allowed host as a subdomain of a foreign one", "https://app.example.com.evil.example/"],
    ["another port", "https://app.example.com:8443/"],
    ["another scheme of an allowed host", "http://app.example.com/"],
    ["javascript:", "javascript:alert(document.cookie)"],
    ["JavaScript: in mixed case", "JaVaScRiPt:alert(1)"],
    ["javascript: with a tab", "java\tscript:alert(1)"],
    ["javascript: with a newline", "javascript\n:alert(1)"],
    ["data:", "data:text/html,<script>alert(1)</script>"],
    ["vbscript:", "vbscript:msgbox(1)"],
    ["file:", "file:///etc/passwd"],
    ["ftp:", "ftp://app.example.com/"],
    ["a bare host", "evil.example"],
    ["a relative path without a slash", "welcome"],
    ["a leading space", " /welcome"],
    ["a trailing newline", "/welcome\n"],
    ["a NUL", "/welcome\u0000"],
    ["empty", ""],
    ["too long", `/${"a".repeat(2048)}`],
  ])("refuses %s", (_, value) => {
    expect(() => resolveRedirectURL(value, options)).toThrow(InvalidRedirectURLError);
  });
});
