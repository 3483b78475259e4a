/**
 * Throttles credential guessing: sign-in per account and per client network, sign-up per
 * client network; and text messages per phone number and per client network. Limits live in the configured backend (Redis when there is one, so they
 * hold across instances).
 */
import type { ThrottleLimit } from "../config.js";
import { RateLimitedError } from "../errors/index.js";
import { throttleKeyForIP } from "../http/client-ip.js";
import type { Logger } from "../lib/logger.js";
import type { RateLimiter, RateLimiterFactory } from "../storage/ports.js";

/** The throttle checks the accounts service makes. */
export interface Throttle {
  /** Counts a sign-in attempt; throws {@link RateLimitedError} when over a limit. */
  signInAttempt(ip: string | null, emailNormalized: string): Promise<void>;
  /** Clears the account's count after a successful sign-in. */
  signInSucceeded(emailNormalized: string): Promise<void>;
  /** Counts a sign-up attempt; throws {@link RateLimitedError} when over the limit. */
  signUpAttempt(ip: string | null): Promise<void>;
  /**
   * Counts a text message about to be sent to the number with this keyed hash; throws
   * {@link RateLimitedError} when the client network or the number is over a limit.
   */
  smsSend(ip: string | null, phoneNumberHash: string): Promise<void>;
}

/** Options of {@link createThrottle}. */
export interface ThrottleOptions {
  rateLimiters: RateLimiterFactory;
  limits: {
    signInPerAccount: ThrottleLimit;
    signInPerIP: ThrottleLimit;
    signUpPerIP: ThrottleLimit;
    smsPerNumber: ThrottleLimit;
    smsPerNumberPerDay: ThrottleLimit;
    smsPerIP: ThrottleLimit;
  };
  logger: Logger;
}

/** Creates the throttle over a limiter backend. */
export function createThrottle({ rateLimiters, limits, logger }: ThrottleOptions): Throttle {
  const signInPerAccount = rateLimiters({ name: "sign-in-account", ...limits.signInPerAccount });
  const signInPerIP = rateLimiters({ name: "sign-in-ip", ...limits.signInPerIP });
  const signUpPerIP = rateLimiters({ name: "sign-up-ip", ...limits.signUpPerIP });
  const smsPerNumber = rateLimiters({ name: "sms-number", ...limits.smsPerNumber });
  const smsPerNumberPerDay = rateLimiters({ name: "sms-number-day", ...limits.smsPerNumberPerDay });
  const smsPerIP = rateLimiters({ name: "sms-ip", ...limits.smsPerIP });
  let warnedNoIP = false;

  async function consume(limiter: RateLimiter, key: string): Promise<void> {
    const result = await limiter.consume(key);
    if (!result.allowed) throw new RateLimitedError(result.retryAfterSeconds);
  }

  async function consumeForIP(limiter: RateLimiter, ip: string | null): Promise<void> {
    if (ip === null) {
      // Without a peer address every client would share one bucket, letting anyone lock
      // everyone out; the per-account limit still applies.
      if (!warnedNoIP) {
        warnedNoIP = true;
        logger.warn({}, "no client address given to the handler: per-IP throttling is off");
      }
      return;
    }
    await consume(limiter, throttleKeyForIP(ip));
  }

  return {
    async signInAttempt(ip, emailNormalized) {
      await consumeForIP(signInPerIP, ip);
      await consume(signInPerAccount, emailNormalized);
    },
    signInSucceeded: (emailNormalized) => signInPerAccount.reset(emailNormalized),
    signUpAttempt: (ip) => consumeForIP(signUpPerIP, ip),
    async smsSend(ip, phoneNumberHash) {
      await consumeForIP(smsPerIP, ip);
      await consume(smsPerNumber, phoneNumberHash);
      await consume(smsPerNumberPerDay, phoneNumberHash);
    },
  };
}
