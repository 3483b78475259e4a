// Where a sign-in may send the user afterwards, and the address typo check.
import { afterEach, describe, expect, it } from "vitest";
import { destination, looksLikeEmail, sameOriginRedirectFromQuery } from "./form.js";

function onPage(href: string): void {
  const url = new URL(href);
  (globalThis as { window?: unknown }).window = {
    location: { href: url.href, origin: url.origin, search: url.search },
  };
}

afterEach(() => {
  delete (globalThis as { window?: unknown }).window;
});

describe("redirects after sign-in", () => {
  it("follows ?redirect_url= only on the page's own origin", () => {
    const page = "https://app.example.com/sign-in?redirect_url=";
    onPage(`${page}${encodeURIComponent("/projects?tab=2")}`);
    expect(sameOriginRedirectFromQuery()).toBe("https://app.example.com/projects?tab=2");
    onPage(`${page}${encodeURIComponent("https://app.example.com/x")}`);
    expect(sameOriginRedirectFromQuery()).toBe("https://app.example.com/x");
    for (const refused of [
      "https://evil.example/",
      "//evil.example/",
      "/\\evil.example",
      "https:evil.example",
      "https://app.example.com@evil.example/",
      "javascript:alert(1)",
      "/x\u0000y",
      "https://user:pass@app.example.com/",
    ]) {
      onPage(`${page}${encodeURIComponent(refused)}`);
      expect(sameOriginRedirectFromQuery(), refused).toBeNull();
    }
  });

  it("prefers the explicit redirect, then the query, then the default", () => {
    onPage("https://app.example.com/sign-in?redirect_url=%2Fnext");
    expect(destination("/explicit", "/default")).toBe("/explicit");
    expect(destination(undefined, "/default")).toBe("https://app.example.com/next");
    onPage("https://app.example.com/sign-in");
    expect(destination(null, "/default")).toBe("/default");
  });

  it("catches obvious address typos before a round trip", () => {
    expect(looksLikeEmail("ada@example.com")).toBe(true);
    expect(looksLikeEmail("ada@example")).toBe(false);
    expect(looksLikeEmail("ada example.com")).toBe(false);
  });
});
