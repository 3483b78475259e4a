/**
 * Adapts a rate-limiter-flexible limiter to the {@link RateLimiter} port, once for every backend
 * (memory, Redis), so they all report "over the limit" and failures the same way.
 */
import { RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { RateLimiter } from "./ports.js";

/**
 * Wraps a rate-limiter-flexible limiter. The library signals "over the limit" by rejecting with
 * a `RateLimiterRes`; that becomes `{ allowed: false, retryAfterSeconds }`. A rejection with an
 * `Error` (e.g. Redis unreachable) is a real fault and is rethrown.
 *
 * @example
 * ```ts
 * const limiter = fromFlexibleRateLimiter(new RateLimiterMemory({ points: 5, duration: 60 }));
 * const { allowed, retryAfterSeconds } = await limiter.consume("203.0.113.7");
 * ```
 */
export function fromFlexibleRateLimiter(limiter: RateLimiterAbstract): RateLimiter {
  return {
    async consume(key: string): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
      try {
        await limiter.consume(key);
        return { allowed: true, retryAfterSeconds: 0 };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          // At least 1 s: a `Retry-After: 0` would invite an immediate retry that fails again.
          return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
        }
        if (rejection instanceof Error) throw rejection;
        throw new Error("The rate limiter failed.", { cause: rejection });
      }
    },

    async reset(key: string): Promise<void> {
      await limiter.delete(key);
    },
  };
}
