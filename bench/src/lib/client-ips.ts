/**
 * Client addresses for requests that stand for many different users, sent only as the value
 * of `X-Forwarded-For` to servers on 127.0.0.1 that trust that header from 127.0.0.1 alone. No
 * packet goes to these addresses: they are 198.18.0.0/15, the range RFC 2544 reserves for
 * benchmarks, so they can never name a real client either.
 */

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
  const n = index % (2 * 256 * 255);
  const host = (n % 255) + 1;
  const block = Math.floor(n / 255);
  return `198.${18 + (block >> 8)}.${block & 255}.${host}`;
}
