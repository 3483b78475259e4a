// Formatting on the account page: device names, relative times, initials.
import { describe, expect, it } from "vitest";
import { mergeMessages } from "../messages/index.js";
import { deviceName, initials, parseUserAgent, relativeTime } from "./format.js";

const messages = mergeMessages();

describe("account page formatting", () => {
  it("names browsers and systems from real User-Agents", () => {
    const cases: [string, string][] = [
      [
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        "Safari on macOS",
      ],
      [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
        "Edge on Windows",
      ],
      ["Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox on Linux"],
      [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0 Mobile/15E148 Safari/604.1",
        "Chrome on iOS",
      ],
      ["curl/8.5.0", "curl"],
    ];
    for (const [userAgent, name] of cases) expect(deviceName(userAgent, messages)).toBe(name);
    expect(deviceName(null, messages)).toBe("Unknown device");
    expect(parseUserAgent("Mozilla/5.0 (Linux; Android 14) Chrome/124.0 Mobile Safari/537.36").mobile).toBe(true);
  });

  it("says how long ago", () => {
    const now = Date.parse("2026-01-02T00:00:00Z");
    expect(relativeTime("2026-01-01T23:59:30Z", now, messages)).toBe("just now");
    expect(relativeTime("2026-01-01T23:55:00Z", now, messages)).toBe("5 min ago");
    expect(relativeTime("2026-01-01T21:00:00Z", now, messages)).toBe("3 h ago");
    expect(relativeTime("2025-12-30T00:00:00Z", now, messages)).toBe("3 d ago");
  });

  it("makes initials from the name, else the address", () => {
    expect(initials("Ada King Lovelace", "a@example.com")).toBe("AL");
    expect(initials("ada", "a@example.com")).toBe("A");
    expect(initials(null, "grace@example.com")).toBe("G");
  });
});
