import { describe, expect, it } from "vitest";
import { safeRedirect } from "./redirects.js";

const base = new URL("https://auth.example.com");
const allowed = new Set(["https://auth.example.com", "https://app.example.com"]);
const fallback = "https://auth.example.com/";

describe("safeRedirect", () => {
  it.each([
    ["/account?tab=sessions", "https://auth.example.com/account?tab=sessions"],
    ["https://app.example.com/dashboard", "https://app.example.com/dashboard"],
    ["HTTPS://APP.EXAMPLE.COM/x", "https://app.example.com/x"],
  ])("keeps %s", (candidate, expected) => {
    expect(safeRedirect(candidate, base, allowed)).toBe(expected);
  });

  it.each([
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "https://app.example.com@evil.example/",
    "https://evil.example@app.example.com/",
    "https://evil.example/",
    "https://app.example.com.evil.example/",
    "http://app.example.com/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\tevil",
    "https://app.example.com/\nx",
    "evil.example",
    "",
    null,
  ])("refuses %s", (candidate) => {
    expect(safeRedirect(candidate, base, allowed)).toBe(fallback);
  });
});
