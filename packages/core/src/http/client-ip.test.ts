import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/index.js";
import { parseTrustedProxies, resolveClientIP, throttleKeyForIP } from "./client-ip.js";

const headers = (forwardedFor?: string) => new Headers(forwardedFor ? { "x-forwarded-for": forwardedFor } : {});

describe("resolveClientIP", () => {
  const trusted = parseTrustedProxies(["10.0.0.0/8", "2001:db8:ffff::/48", "192.168.1.1"]);

  it("uses the peer address when no proxy is trusted", () => {
    expect(resolveClientIP(headers("1.2.3.4"), "203.0.113.5", [])).toBe("203.0.113.5");
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    expect(resolveClientIP(headers("1.2.3.4"), "203.0.113.5", trusted)).toBe("203.0.113.5");
  });

  it("walks trusted hops from the right to the first untrusted address", () => {
    expect(resolveClientIP(headers("6.6.6.6, 1.2.3.4, 10.9.9.9"), "10.0.0.1", trusted)).toBe("1.2.3.4");
    expect(resolveClientIP(headers("1.2.3.4"), "192.168.1.1", trusted)).toBe("1.2.3.4");
    expect(resolveClientIP(headers("2001:db8:1::7"), "2001:db8:ffff:1::1", trusted)).toBe("2001:db8:1::7");
  });

  it("stops at a malformed hop rather than believing what lies beyond it", () => {
    expect(resolveClientIP(headers("1.2.3.4, not-an-ip"), "10.0.0.1", trusted)).toBe("10.0.0.1");
  });

  it("keeps the proxy address when the header is missing or every hop is trusted", () => {
    expect(resolveClientIP(headers(), "10.0.0.1", trusted)).toBe("10.0.0.1");
    expect(resolveClientIP(headers("10.1.1.1"), "10.0.0.1", trusted)).toBe("10.1.1.1");
  });

  it("normalises IPv4-mapped IPv6 and returns null without a peer", () => {
    expect(resolveClientIP(headers(), "::ffff:203.0.113.5", [])).toBe("203.0.113.5");
    expect(resolveClientIP(headers(), undefined, trusted)).toBeNull();
  });

  it("refuses entries that are not addresses or ranges", () => {
    expect(() => parseTrustedProxies(["10.0.0.0/33"])).toThrow(ConfigurationError);
    expect(() => parseTrustedProxies(["proxy.internal"])).toThrow(/GATEHOUSE_TRUSTED_PROXIES/);
  });
});

describe("throttleKeyForIP", () => {
  it("keys IPv4 by address and IPv6 by /64", () => {
    expect(throttleKeyForIP("203.0.113.5")).toBe("203.0.113.5");
    expect(throttleKeyForIP("2001:db8:a:b:1:2:3:4")).toBe(throttleKeyForIP("2001:db8:a:b::9"));
    expect(throttleKeyForIP("2001:db8:a:b::1")).not.toBe(throttleKeyForIP("2001:db8:a:c::1"));
  });
});
