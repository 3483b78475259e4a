/**
 * Which IP addresses a webhook may be delivered to: the SSRF policy. An admin chooses endpoint
 * URLs, and whoever holds an admin key (or tricks an admin) must not be able to make the server
 * call into its own network — the loopback interface, the private network around it, link-local
 * addresses and above all the cloud metadata service, which hands out credentials.
 *
 * The rule is an allow-list: only globally routable unicast addresses pass. Everything else —
 * loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10),
 * carrier-grade NAT (100.64/10), unspecified, broadcast, multicast, documentation and other
 * reserved ranges — is refused. IPv6 forms that embed an IPv4 address (IPv4-mapped
 * `::ffff:a.b.c.d`, IPv4-translated, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the
 * IPv4 address inside; Teredo is refused outright.
 *
 * `allowPrivateNetworks` (development and tests) admits loopback, private, link-local, CGNAT and
 * unique-local addresses; cloud metadata addresses stay refused even then, since no webhook
 * receiver ever lives there.
 *
 * Pure functions on `ipaddr.js`: the engine decides, the node adapter applies the decision to
 * the address it actually connects to, after DNS resolution.
 */
import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** The verdict on one address; `reason` says what kind of address was refused, for the delivery log. */
export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** Cloud metadata services: AWS/GCP/Azure/OpenStack, AWS over IPv6, Alibaba. */
const METADATA_ADDRESSES = new Set(["169.254.169.254", "fd00:ec2::254", "100.100.100.200"]);

/** Ranges that are "this machine or its own network": admitted only with `allowPrivateNetworks`. */
const PRIVATE_RANGES: Record<string, string> = {
  loopback: "a loopback address",
  private: "a private network address",
  linkLocal: "a link-local address",
  carrierGradeNat: "a carrier-grade NAT address",
  uniqueLocal: "a unique local (private) IPv6 address",
};

const REFUSED_RANGES: Record<string, string> = {
  unspecified: "the unspecified address",
  broadcast: "the broadcast address",
  multicast: "a multicast address",
  teredo: "a Teredo tunnel address",
};

function ipv4FromParts(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** The IPv4 address an IPv6 address stands for, when it embeds one in a well-known way. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const parts = address.parts;
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  // IPv4-translated ::ffff:0:a.b.c.d (RFC 6145) and NAT64's well-known prefix 64:ff9b::/96
  // (RFC 6052) carry the address in the last 32 bits.
  if (address.match(ipaddr.IPv6.parse("::ffff:0:0:0"), 96)) return ipv4FromParts(parts[6]!, parts[7]!);
  if (address.match(ipaddr.IPv6.parse("64:ff9b::"), 96)) return ipv4FromParts(parts[6]!, parts[7]!);
  // 6to4 (RFC 3056): 2002:AABB:CCDD::/48 routes to AA.BB.CC.DD.
  if (address.match(ipaddr.IPv6.parse("2002::"), 16)) return ipv4FromParts(parts[1]!, parts[2]!);
  return null;
}

/**
 * Parses an IP literal (brackets and an IPv6 zone allowed), or null. IPv4 must be the canonical
 * four decimal parts: the legacy inet_aton spellings (`127.1`, `0x7f000001`, `2130706433`) are
 * not taken as addresses here — resolvers and URL parsers turn them into canonical ones first.
 */
export function parseIPAddress(value: string): Address | null {
  const trimmed = value.trim().replace(/^\[(.*)\]$/, "$1");
  if (trimmed.includes(":")) return ipaddr.IPv6.isValid(trimmed) ? ipaddr.IPv6.parse(trimmed) : null;
  return ipaddr.IPv4.isValidFourPartDecimal(trimmed) ? ipaddr.IPv4.parse(trimmed) : null;
}

/**
 * Judges one IP address against the webhook SSRF policy.
 *
 * @example
 * ```ts
 * checkWebhookAddress("10.0.0.5", { allowPrivateNetworks: false });
 * // { allowed: false, reason: "a private network address" }
 * checkWebhookAddress("::ffff:127.0.0.1", { allowPrivateNetworks: false });
 * // { allowed: false, reason: "a loopback address" }
 * ```
 */
export function checkWebhookAddress(value: string, options: { allowPrivateNetworks: boolean }): AddressVerdict {
  const parsed = parseIPAddress(value);
  if (!parsed) return { allowed: false, reason: "not an IP address" };
  let address: Address = parsed;
  if (address.kind() === "ipv6") {
    const inner = embeddedIPv4(address as ipaddr.IPv6);
    if (inner) address = inner;
  }
  // Compared without an IPv6 zone, so fd00:ec2::254%eth0 is still the metadata service.
  const canonical =
    address.kind() === "ipv6" ? new ipaddr.IPv6((address as ipaddr.IPv6).parts).toString() : address.toString();
  if (METADATA_ADDRESSES.has(canonical)) return { allowed: false, reason: "a cloud metadata service address" };

  const range = address.range();
  if (range === "unicast") return { allowed: true };
  const privateReason = PRIVATE_RANGES[range];
  if (privateReason !== undefined) {
    return options.allowPrivateNetworks ? { allowed: true } : { allowed: false, reason: privateReason };
  }
  return { allowed: false, reason: REFUSED_RANGES[range] ?? `a reserved address (${range})` };
}
