/**
 * Engine configuration: what `createGatehouse` accepts, and `resolveConfig`, which applies
 * the documented defaults and refuses settings that cannot work.
 */
import { ConfigurationError } from "./errors/index.js";
import type { Logger } from "./lib/logger.js";
import type { PasswordHasher } from "./passwords/hasher.js";
import type { Database, RateLimiterFactory, SessionStore } from "./storage/ports.js";

/** How clients stay signed in. Only `session` is available in this release. */
export type Strategy = "session" | "jwt" | "hybrid";

/** One sign-in outcome, as counted by metrics. */
export type SignInOutcome = "success" | "invalid_credentials" | "rate_limited";

/** Hooks for metrics; all optional, all synchronous and cheap. */
export interface Observer {
  /** After every request the engine answered. `route` is the route pattern, not the raw path. */
  onRequest?(event: { method: string; route: string; status: number; durationSeconds: number }): void;
  /** After every password sign-in attempt. */
  onSignIn?(outcome: SignInOutcome): void;
}

/** Limits for one throttled action. */
export interface ThrottleLimit {
  /** Attempts allowed per window. */
  points: number;
  /** Window length in seconds. */
  durationSeconds: number;
}

/** Options of {@link createGatehouse}. */
export interface GatehouseConfig {
  /**
   * Public base URL (`GATEHOUSE_URL`). The issuer, email links and the cookie's `Secure` flag
   * come from it, never from the Host header.
   * @example "https://auth.example.com"
   */
  baseURL: string;
  /** The primary database, from `createSQLiteDatabase`, `createPostgresDatabase` or `createMemoryDatabase`. */
  database: Database;
  /** Where sessions live. @default database.sessions */
  sessionStore?: SessionStore;
  /** Backend of the sign-in throttle. @default in-process memory (one instance only) */
  rateLimiters?: RateLimiterFactory;
  /** @default "session" */
  strategy?: Strategy;
  session?: {
    /** A session unused this long ends. @default 604800 (7 days) */
    idleTimeoutSeconds?: number;
    /** A session ends this long after sign-in, however active. @default 2592000 (30 days) */
    maxAgeSeconds?: number;
  };
  cookie?: {
    /**
     * Share the session cookie across subdomains (`GATEHOUSE_COOKIE_DOMAIN`). The cookie then
     * cannot use the `__Host-` prefix.
     */
    domain?: string;
  };
  /**
   * Origins, besides the base URL's, whose cookie-authenticated writes are accepted.
   * @example ["https://app.example.com"]
   */
  allowedOrigins?: string[];
  /** CIDRs of proxies whose `X-Forwarded-For` is believed (`GATEHOUSE_TRUSTED_PROXIES`). @default [] */
  trustedProxies?: string[];
  throttle?: {
    /** @default { points: 10, durationSeconds: 900 } */
    signInPerAccount?: ThrottleLimit;
    /** @default { points: 100, durationSeconds: 900 } */
    signInPerIP?: ThrottleLimit;
    /** @default { points: 20, durationSeconds: 3600 } */
    signUpPerIP?: ThrottleLimit;
  };
  securityEvents?: {
    /**
     * Security events older than this are removed by an hourly sweep (`GATEHOUSE_EVENT_RETENTION`).
     * @default 7776000 (90 days)
     */
    retentionSeconds?: number;
  };
  /**
   * Hashes new passwords and verifies Argon2id ones. Hashes imported from other systems (bcrypt,
   * scrypt, Firebase scrypt, argon2i/d, PBKDF2) are verified beside it and upgraded to it at the
   * next successful sign-in.
   * @default Argon2id with OWASP parameters
   */
  passwordHasher?: PasswordHasher;
  /** Largest accepted request body, checked before parsing. @default 65536 */
  bodyLimitBytes?: number;
  /** @default a logger that drops everything */
  logger?: Logger;
  observer?: Observer;
  /** Milliseconds since the epoch; tests freeze it. @default Date.now */
  clock?: () => number;
}

/** The configuration with every default applied. */
export interface ResolvedConfig {
  baseURL: URL;
  database: Database;
  sessionStore: SessionStore;
  strategy: "session";
  session: { idleTimeoutSeconds: number; maxAgeSeconds: number };
  cookie: { name: string; domain: string | null; secure: boolean };
  allowedOrigins: Set<string>;
  trustedProxies: string[];
  throttle: { signInPerAccount: ThrottleLimit; signInPerIP: ThrottleLimit; signUpPerIP: ThrottleLimit };
  bodyLimitBytes: number;
  securityEvents: { retentionSeconds: number };
  clock: () => number;
}

/** Default lifetimes and limits, exported for the docs and the CLI's help. */
export const DEFAULTS = {
  idleTimeoutSeconds: 7 * 24 * 3600,
  maxAgeSeconds: 30 * 24 * 3600,
  bodyLimitBytes: 64 * 1024,
  signInPerAccount: { points: 10, durationSeconds: 900 },
  signInPerIP: { points: 100, durationSeconds: 900 },
  signUpPerIP: { points: 20, durationSeconds: 3600 },
  eventRetentionSeconds: 90 * 24 * 3600,
} as const;

function parseOrigin(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new ConfigurationError(`${what} must be an absolute http(s) URL, got "${value}".`, { cause });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigurationError(`${what} must use http or https, got "${url.protocol}".`);
  }
  return url;
}

function positiveInteger(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigurationError(`${what} must be a positive whole number, got ${value}.`);
  }
  return value;
}

function limit(value: ThrottleLimit | undefined, fallback: ThrottleLimit, what: string): ThrottleLimit {
  return {
    points: positiveInteger(value?.points, fallback.points, `${what}.points`),
    durationSeconds: positiveInteger(value?.durationSeconds, fallback.durationSeconds, `${what}.durationSeconds`),
  };
}

/**
 * Applies defaults and validates. Throws {@link ConfigurationError} with a hint on anything
 * that cannot work.
 */
export function resolveConfig(config: GatehouseConfig): ResolvedConfig {
  const baseURL = parseOrigin(config.baseURL, "baseURL (GATEHOUSE_URL)");
  const strategy = config.strategy ?? "session";
  if (strategy !== "session") {
    throw new ConfigurationError(
      `The "${strategy}" strategy is not available in this release; set GATEHOUSE_STRATEGY=session.`,
    );
  }
  const idleTimeoutSeconds = positiveInteger(
    config.session?.idleTimeoutSeconds,
    DEFAULTS.idleTimeoutSeconds,
    "session.idleTimeoutSeconds",
  );
  const maxAgeSeconds = positiveInteger(config.session?.maxAgeSeconds, DEFAULTS.maxAgeSeconds, "session.maxAgeSeconds");
  const secure = baseURL.protocol === "https:";
  const domain = config.cookie?.domain?.trim() || null;
  if (domain !== null && !/^\.?[a-z0-9.-]+$/i.test(domain)) {
    throw new ConfigurationError(`cookie.domain (GATEHOUSE_COOKIE_DOMAIN) is not a host name: "${domain}".`);
  }
  // The __Host- prefix makes browsers refuse the cookie unless it is Secure, Path=/ and has no
  // Domain, which pins it to exactly this host; it is only possible without a shared domain.
  const cookieName = secure && domain === null ? "__Host-gatehouse_session" : "gatehouse_session";
  const allowedOrigins = new Set([baseURL.origin]);
  for (const origin of config.allowedOrigins ?? []) {
    allowedOrigins.add(parseOrigin(origin, "allowedOrigins (GATEHOUSE_ALLOWED_ORIGINS)").origin);
  }
  return {
    baseURL,
    database: config.database,
    sessionStore: config.sessionStore ?? config.database.sessions,
    strategy,
    session: { idleTimeoutSeconds, maxAgeSeconds },
    cookie: { name: cookieName, domain, secure },
    allowedOrigins,
    trustedProxies: config.trustedProxies ?? [],
    throttle: {
      signInPerAccount: limit(
        config.throttle?.signInPerAccount,
        DEFAULTS.signInPerAccount,
        "throttle.signInPerAccount",
      ),
      signInPerIP: limit(config.throttle?.signInPerIP, DEFAULTS.signInPerIP, "throttle.signInPerIP"),
      signUpPerIP: limit(config.throttle?.signUpPerIP, DEFAULTS.signUpPerIP, "throttle.signUpPerIP"),
    },
    bodyLimitBytes: positiveInteger(config.bodyLimitBytes, DEFAULTS.bodyLimitBytes, "bodyLimitBytes"),
    securityEvents: {
      retentionSeconds: positiveInteger(
        config.securityEvents?.retentionSeconds,
        DEFAULTS.eventRetentionSeconds,
        "securityEvents.retentionSeconds",
      ),
    },
    clock: config.clock ?? Date.now,
  };
}
