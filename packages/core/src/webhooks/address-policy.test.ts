/**
 * The SSRF address policy fed every class of address it must refuse, in the spellings an
 * attacker would try, and the public addresses it must let through.
 */
import { describe, expect, it } from "vitest";
import { checkWebhookAddress } from "./address-policy.js";

const strict = { allowPrivateNetworks: false };
const permissive = { allowPrivateNetworks: true };

describe("checkWebhookAddress", () => {
  it.each([
    ["93.184.215.14", "public IPv4"],
    ["8.8.8.8", "public IPv4"],
    ["2606:4700:4700::1111", "public IPv6"],
    ["[2606:4700:4700::1111]", "bracketed IPv6"],
    ["::ffff:93.184.215.14", "IPv4-mapped public address"],
    ["64:ff9b::808:808", "NAT64 of a public address"],
    ["2002:5db8:d70e::1", "6to4 of a public address"],
  ])("allows %s (%s)", (address) => {
    expect(checkWebhookAddress(address, strict)).toEqual({ allowed: true });
  });

  it.each([
    ["127.0.0.1", /loopback/],
    ["127.10.20.30", /loopback/],
    ["::1", /loopback/],
    ["[::1]", /loopback/],
    ["10.0.0.1", /private/],
    ["172.16.0.1", /private/],
    ["172.31.255.254", /private/],
    ["192.168.1.1", /private/],
    ["fc00::1", /unique local/],
    ["fd12:3456:789a::1", /unique local/],
    ["169.254.1.1", /link-local/],
    ["fe80::1", /link-local/],
    ["fe80::1%eth0", /link-local/],
    ["169.254.169.254", /metadata/],
    ["fd00:ec2::254", /metadata/],
    ["100.100.100.200", /metadata/],
    ["100.64.0.1", /carrier-grade NAT/],
    ["100.127.255.254", /carrier-grade NAT/],
    ["0.0.0.0", /unspecified/],
    ["0.1.2.3", /unspecified/],
    ["::", /unspecified/],
    ["255.255.255.255", /broadcast/],
    ["224.0.0.1", /multicast/],
    ["239.255.255.250", /multicast/],
    ["ff02::1", /multicast/],
    ["::ffff:127.0.0.1", /loopback/],
    ["::ffff:7f00:1", /loopback/],
    ["[::ffff:10.0.0.1]", /private/],
    ["::ffff:169.254.169.254", /metadata/],
    ["::ffff:0:127.0.0.1", /loopback/],
    ["64:ff9b::7f00:1", /loopback/],
    ["64:ff9b::a9fe:a9fe", /metadata/],
    ["2002:7f00:1::1", /loopback/],
    ["2002:c0a8:101::1", /private/],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", /Teredo/],
    ["192.0.2.10", /reserved/],
    ["198.18.0.1", /reserved/],
    ["240.0.0.1", /reserved/],
    ["2001:db8::1", /reserved/],
  ])("refuses %s", (address, reason) => {
    const verdict = checkWebhookAddress(address, strict);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed ? "" : verdict.reason).toMatch(reason);
  });

  it.each(["localhost", "example.com", "", "1.2.3", "127.1", "0x7f000001", "2130706433"])(
    "refuses %j, which is not an IP address (names are resolved first)",
    (value) => {
      expect(checkWebhookAddress(value, strict)).toEqual({ allowed: false, reason: "not an IP address" });
    },
  );

  it("admits this machine's networks only when private networks are allowed, never metadata or multicast", () => {
    for (const address of ["127.0.0.1", "::1", "10.1.2.3", "192.168.0.10", "fd12::1", "169.254.3.4", "100.64.1.1"]) {
      expect(checkWebhookAddress(address, permissive), address).toEqual({ allowed: true });
      if (!address.includes(":")) {
        expect(checkWebhookAddress(`::ffff:${address}`, permissive), address).toEqual({ allowed: true });
      }
    }
    for (const address of ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "0.0.0.0", "224.0.0.1"]) {
      expect(checkWebhookAddress(address, permissive).allowed, address).toBe(false);
    }
  });
});
