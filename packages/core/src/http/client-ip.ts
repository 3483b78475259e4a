/**
 * Works out the client's address. `X-Forwarded-For` is believed only hop by hop from the
 * right, and only while each hop is a configured trusted proxy; a client can prepend anything
 * it likes, so the first address not in the trusted set is the client.
 */
import ipaddr from "ipaddr.js";
import { ConfigurationError } from "../errors/index.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

function parseAddress(value: string): Address | null {
  const trimmed = value.trim().replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(trimmed)) return null;
  // IPv4-mapped IPv6 (::ffff:1.2.3.4) is the same client as 1.2.3.4.
  return ipaddr.process(trimmed);
}

/** Parses `GATEHOUSE_TRUSTED_PROXIES` entries (CIDRs or single addresses). */
export function parseTrustedProxies(entries: string[]): Range[] {
  return entries.map((entry) => {
    const value = entry.trim();
    try {
      if (value.includes("/")) return ipaddr.parseCIDR(value) as Range;
      const address = parseAddress(value);
      if (!address) throw new Error("not an IP address");
      return [address, address.kind() === "ipv4" ? 32 : 128] as Range;
    } catch (cause) {
      throw new ConfigurationError(`GATEHOUSE_TRUSTED_PROXIES: "${value}" is not an IP address or CIDR range.`, {
        cause,
      });
    }
  });
}

function isTrusted(address: Address, ranges: Range[]): boolean {
  return ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
}

/**
 * The client's address, normalised (IPv4-mapped IPv6 becomes IPv4), or null when the edge gave
 * no peer address.
 */
export function resolveClientIP(
  headers: Headers,
  remoteAddress: string | undefined,
  trustedProxies: Range[],
): string | null {
  let client = remoteAddress ? parseAddress(remoteAddress) : null;
  if (!client) return null;
  if (trustedProxies.length === 0 || !isTrusted(client, trustedProxies)) return client.toString();
  const hops = (headers.get("x-forwarded-for") ?? "").split(",").filter((hop) => hop.trim() !== "");
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = parseAddress(hops[index]!);
    // A malformed hop means the chain can't be trusted past this point: keep the last good one.
    if (!hop) break;
    client = hop;
    if (!isTrusted(hop, trustedProxies)) break;
  }
  return client.toString();
}

/**
 * The key the throttle counts an address under. IPv6 clients usually own a whole /64, so they
 * are counted per /64; otherwise one client could rotate through 2^64 addresses.
 */
export function throttleKeyForIP(ip: string): string {
  const address = ipaddr.parse(ip);
  if (address.kind() === "ipv4") return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((part) => part.toString(16)).join(":")}::/64`;
}

export type { Range as TrustedProxyRange };
