/**
 * Client addresses for requests that stand for many different users, sent only as the value
 * of `X-Forwarded-For` to servers on 127.0.0.1 that trust that header from 127.0.0.1 alone. No
 * packet goes to these addresses: they are 198.18.0.0/15, the range RFC 2544 reserves for
 * benchmarks, so they can never name a real client either.
 */

/** Addresses of one /24 network in {@link benchClientIP}'s numbering (.1 to .255). */
export const ADDRESSES_PER_NETWORK = 255;

/**
 * The `index`-th address of 198.18.0.0/15 (131,072 addresses; wraps around after that).
 *
 * @example
 * ```ts
 * benchClientIP(0); // "198.18.0.1"
 * ```
 */
export function benchClientIP(index: number): string {
  // Skip .0 of every /24, so no address looks like a network number.
  const n = index % (2 * 256 * ADDRESSES_PER_NETWORK);
  const host = (n % ADDRESSES_PER_NETWORK) + 1;
  const block = Math.floor(n / ADDRESSES_PER_NETWORK);
  return `198.${18 + (block >> 8)}.${block & 255}.${host}`;
}

/**
 * The address of an account's `attempt`-th sign-in: each account has a /24 network of its own,
 * as a user signs in from home or the office, and each sign-in another address in it, so the
 * per-IP limit never trips however long the storm. Gatehouse recognises a bearer client by its
 * User-Agent and /24, so only an account's first sign-in comes from a new device, as in a real
 * morning rush, not one in four as when addresses ran on across networks.
 *
 * @param firstNetwork index of the first address of the first account's network: a multiple of
 *   {@link ADDRESSES_PER_NETWORK}, from {@link reserveNetworks}.
 * @example
 * ```ts
 * networkClientIP(0, 1, 0); // "198.18.1.1"
 * ```
 */
export function networkClientIP(firstNetwork: number, account: number, attempt: number): string {
  return benchClientIP(firstNetwork + account * ADDRESSES_PER_NETWORK + (attempt % ADDRESSES_PER_NETWORK));
}

/**
 * The first address of `networks` whole /24 networks reserved with `reserve` (which hands out
 * consecutive address indexes), for {@link networkClientIP}.
 */
export function reserveNetworks(networks: number, reserve: (count: number) => number): number {
  // One network more than needed, so the first can start on a network boundary.
  const first = reserve((networks + 1) * ADDRESSES_PER_NETWORK);
  return Math.ceil(first / ADDRESSES_PER_NETWORK) * ADDRESSES_PER_NETWORK;
}
