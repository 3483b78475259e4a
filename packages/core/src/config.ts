/**
 * Engine configuration: what `createGatehouse` accepts, and `resolveConfig`, which applies
 * the documented defaults and refuses settings that cannot work.
 */
import type { EmailTemplateOverrides } from "./email/templates.js";
import { createEmailRenderer } from "./email/templates.js";
import { formatEmailSender, parseEmailSender, type EmailTransport } from "./email/transport.js";
import ipaddr from "ipaddr.js";
import { ConfigurationError } from "./errors/index.js";
import type { Logger } from "./lib/logger.js";
import type { PasswordHasher } from "./passwords/hasher.js";
import type { SigningAlgorithm } from "./keys/service.js";
import type { Database, RateLimiterFactory, RevocationLog, SessionStore, UserChangeFeed } from "./storage/ports.js";
import { createLocalUserChangeFeed } from "./storage/user-change-feed.js";
import { parseEncryptionKey } from "./lib/encryption.js";
import type { WebhookSender } from "./webhooks/sender.js";
import type { SMSProvider } from "./mfa/sms-provider.js";

/**
 * How clients stay signed in: `session` (opaque token, checked against the store), `jwt`
 * (access JWT of about 10 minutes + rotating refresh token), `hybrid` (access JWT of about 60 s
 * in a cookie over a server session).
 */
export type Strategy = "session" | "jwt" | "hybrid";

/** One sign-in outcome, as counted by metrics. */
export type SignInOutcome = "success" | "invalid_credentials" | "rate_limited";

/** Hooks for metrics; all optional, all synchronous and cheap. */
export interface Observer {
  /**
   * After every request the engine answered. `route` is the route pattern, not the raw path;
   * `request` is the object the handler was given, so a host can tie the event to its own record.
   * `eventStream` says the answer is a Server-Sent Events stream (the revocation feed), which
   * stays open until its client leaves: a host shutting down has to cut it.
   */
  onRequest?(event: {
    request: Request;
    method: string;
    route: string;
    status: number;
    eventStream: boolean;
    durationSeconds: number;
  }): void;
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

/** Webhook delivery settings (`webhooks` in {@link GatehouseConfig}). */
export interface WebhooksConfig {
  /**
   * Sends deliveries over HTTP, with the SSRF policy applied after DNS resolution:
   * `createNodeWebhookSender()` from `@gatehouse/core/adapters/node-webhooks` on Node (the
   * standalone server's default). Without one this engine still queues deliveries in the
   * database, and another engine with a sender on the same database delivers them.
   */
  sender?: WebhookSender;
  /**
   * Let endpoints use plain http and reach loopback, private, link-local and CGNAT addresses
   * (`GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS`). For development and tests only: in production
   * it lets whoever manages webhooks make the server call into its own network.
   * @default false
   */
  allowPrivateNetworks?: boolean;
  /** Attempts per delivery before it is marked failed (1-20). @default 8 */
  maxAttempts?: number;
  /** Time allowed for one attempt, connection to answer, in seconds (1-60). @default 10 */
  timeoutSeconds?: number;
  /**
   * How often the background worker looks for due deliveries, in milliseconds. 0 runs no
   * background worker: call `gatehouse.webhooks.deliverDue()` yourself (a cron, a test).
   * @default 5000
   */
  pollIntervalMs?: number;
  /** How long finished deliveries stay in the delivery log, in days. @default 30 */
  retentionDays?: number;
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
  /**
   * 32 random bytes in base64url (`GATEHOUSE_ENCRYPTION_KEY`): encrypts signing keys and webhook
   * signing secrets at rest and keys refresh tokens. Required for `jwt` and `hybrid`, and to
   * create webhook endpoints; every instance must share it.
   */
  encryptionKey?: string;
  /** Where revocations are logged for the feed. @default database.revocations (one instance) */
  revocationLog?: RevocationLog;
  /**
   * Tells every instance that a user changed, so each drops its cached copy (the session check
   * keeps users for up to 10 s). Give Redis storage's `userChanges` wherever `sessionStore` or
   * `revocationLog` is shared between instances. @default in-process (one instance) when neither
   * `sessionStore` nor `revocationLog` is given; otherwise none, and users are not cached.
   */
  userChanges?: UserChangeFeed;
  tokens?: {
    /** Access-token lifetime. @default 600 for `jwt`, 60 for `hybrid` */
    accessTokenTTLSeconds?: number;
    /**
     * How long after a rotation the previous refresh token still yields the same successor, so
     * parallel refreshes (tabs, retries) never log a user out. @default 20
     */
    refreshGraceSeconds?: number;
    /** `aud` of access tokens. @default the issuer (the base URL) */
    audience?: string;
    /** @default "EdDSA" (Ed25519) */
    algorithm?: SigningAlgorithm;
    /** Rotate the signing key automatically at this age; unset: only on demand. */
    keyRotationIntervalSeconds?: number;
  };
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
   * Origins, besides the base URL's, whose cookie-authenticated writes are accepted and that a
   * magic link's `redirect_url` may point to.
   * @example ["https://app.example.com"]
   */
  allowedOrigins?: string[];
  /** CIDRs of proxies whose `X-Forwarded-For` is believed (`GATEHOUSE_TRUSTED_PROXIES`). @default [] */
  trustedProxies?: string[];
  /**
   * Passkeys (WebAuthn). The relying party is only ever what is configured here, never taken from
   * a request's `Host` or `Origin`.
   */
  passkeys?: {
    /**
     * RP ID (`GATEHOUSE_WEBAUTHN_RP_ID`): the domain passkeys are bound to, the host name of every
     * origin or a parent domain of it (`example.com` serves `auth.example.com` and `app.example.com`).
     * Never an IP address.
     * @default the base URL's host name; when that is an IP address, passkeys are off (`not_available`)
     */
    rpID?: string;
    /** Name the browser shows when creating a passkey (`GATEHOUSE_WEBAUTHN_RP_NAME`). @default the email app name */
    rpName?: string;
    /**
     * Origins whose pages may create and use passkeys (`GATEHOUSE_WEBAUTHN_ORIGINS`); each on the RP ID.
     * @default [the base URL's origin]
     * @example ["https://auth.example.com", "https://app.example.com"]
     */
    origins?: string[];
  };
  throttle?: {
    /** @default { points: 10, durationSeconds: 900 } */
    signInPerAccount?: ThrottleLimit;
    /** @default { points: 100, durationSeconds: 900 } */
    signInPerIP?: ThrottleLimit;
    /** @default { points: 20, durationSeconds: 3600 } */
    signUpPerIP?: ThrottleLimit;
    /**
     * Emails one address can be sent per kind of request (reset, magic link, code,
     * verification), counted alike for addresses with and without an account.
     * @default { points: 5, durationSeconds: 900 }
     */
    emailPerAddress?: ThrottleLimit;
    /** Email requests of every kind from one client network. @default { points: 30, durationSeconds: 900 } */
    emailPerIP?: ThrottleLimit;
    /** Text messages to one phone number, short window. @default { points: 3, durationSeconds: 900 } */
    smsPerNumber?: ThrottleLimit;
    /** Text messages to one phone number per day. @default { points: 10, durationSeconds: 86400 } */
    smsPerNumberPerDay?: ThrottleLimit;
    /** Text messages requested from one client network. @default { points: 10, durationSeconds: 3600 } */
    smsPerIP?: ThrottleLimit;
  };
  /** Email delivery and the email flows. */
  email?: {
    /**
     * How messages leave: `createSMTPTransport` (`@gatehouse/core/adapters/smtp`),
     * `createFileMailbox` (`/adapters/mailbox`) or `createMemoryEmailTransport` (`/adapters/memory`).
     * @default none: messages are dropped and a warning is logged
     */
    transport?: EmailTransport;
    /**
     * Sender of every message, `Name <address>` or an address (`GATEHOUSE_EMAIL_FROM`).
     * @default "no-reply@<base URL host name>"
     */
    from?: string;
    /** Product name used in messages (`{{app_name}}`). @default the base URL's host */
    appName?: string;
    /** Replacements for parts of the built-in templates; checked at start. */
    templates?: EmailTemplateOverrides;
    /**
     * Sign-in waits until the address is verified (`GATEHOUSE_REQUIRE_EMAIL_VERIFICATION`).
     * @default false
     */
    requireVerification?: boolean;
    /**
     * Waits before each retry of a failed delivery, in milliseconds.
     * @default [5000, 30000, 120000, 600000, 1800000]
     */
    retryDelaysMs?: number[];
    /**
     * Page a password-reset link opens, with `?token=…` appended; must be on an allowed origin.
     * @default "<base URL>/reset-password" (a minimal page Gatehouse serves)
     */
    passwordResetPageURL?: string;
    /**
     * Page a verification link opens, with `?token=…` appended; must be on an allowed origin.
     * @default "<base URL>/verify-email" (a minimal page Gatehouse serves)
     */
    verificationPageURL?: string;
  };
  /** Webhook delivery; see {@link WebhooksConfig}. */
  webhooks?: WebhooksConfig;
  /**
   * Sends text-message codes, the `sms` second factor: `createTwilioSMSProvider(…)`, the
   * development mailbox's `mailbox.sms` (`@gatehouse/core/adapters/mailbox`) or your own
   * {@link SMSProvider}. Needs `encryptionKey` (phone numbers are stored encrypted).
   * @default none: the SMS endpoints answer `not_available`
   */
  sms?: SMSProvider;
  /** Second factors (TOTP, SMS codes, backup codes). They need `encryptionKey` to protect their secrets. */
  mfa?: {
    /**
     * Every user must have a second factor (`GATEHOUSE_REQUIRE_MFA`): a user without one enrols
     * during sign-in before getting a session. Needs `encryptionKey`.
     * @default false
     */
    required?: boolean;
    /** The issuer authenticator apps show next to the account. @default the email app name */
    issuer?: string;
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
   * @default Argon2id with `DEFAULT_ARGON2ID` (20 MiB, 2 iterations, 1 lane)
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
  revocationLog: RevocationLog;
  /** null: stores are shared with other instances that no feed reaches, so users are not cached. */
  userChanges: UserChangeFeed | null;
  strategy: Strategy;
  /** The `iss` of access tokens: the base URL without a trailing slash. */
  issuer: string;
  encryptionKey: Uint8Array<ArrayBuffer> | null;
  tokens: {
    accessTokenTTLSeconds: number;
    refreshGraceSeconds: number;
    audience: string;
    algorithm: SigningAlgorithm;
    keyRotationIntervalSeconds: number | null;
  };
  session: { idleTimeoutSeconds: number; maxAgeSeconds: number };
  /** `name` is the credential cookie: the session token, or the access JWT for `jwt`/`hybrid`. */
  cookie: { name: string; refreshName: string; domain: string | null; secure: boolean };
  allowedOrigins: Set<string>;
  trustedProxies: string[];
  /** The WebAuthn relying party; null when passkeys are off (no RP ID configured and the base URL's host is an IP address). */
  passkeys: { rpID: string; rpName: string; origins: string[] } | null;
  throttle: {
    signInPerAccount: ThrottleLimit;
    signInPerIP: ThrottleLimit;
    signUpPerIP: ThrottleLimit;
    emailPerAddress: ThrottleLimit;
    emailPerIP: ThrottleLimit;
    smsPerNumber: ThrottleLimit;
    smsPerNumberPerDay: ThrottleLimit;
    smsPerIP: ThrottleLimit;
  };
  email: {
    transport: EmailTransport | null;
    /** The formatted sender header. */
    from: string;
    appName: string;
    templates: EmailTemplateOverrides;
    requireVerification: boolean;
    retryDelaysMs: number[];
    passwordResetPageURL: URL;
    verificationPageURL: URL;
  };
  bodyLimitBytes: number;
  securityEvents: { retentionSeconds: number };
  webhooks: {
    sender: WebhookSender | null;
    allowPrivateNetworks: boolean;
    maxAttempts: number;
    timeoutMs: number;
    pollIntervalMs: number;
    retentionMs: number;
  };
  mfa: { required: boolean; issuer: string };
  /** The SMS provider, or null when text-message codes are off. */
  sms: SMSProvider | null;
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
  emailPerAddress: { points: 5, durationSeconds: 900 },
  emailPerIP: { points: 30, durationSeconds: 900 },
  smsPerNumber: { points: 3, durationSeconds: 900 },
  smsPerNumberPerDay: { points: 10, durationSeconds: 86_400 },
  smsPerIP: { points: 10, durationSeconds: 3600 },
  emailRetryDelaysMs: [5_000, 30_000, 120_000, 600_000, 1_800_000],
  jwtAccessTokenTTLSeconds: 600,
  hybridAccessTokenTTLSeconds: 60,
  refreshGraceSeconds: 20,
  eventRetentionSeconds: 90 * 24 * 3600,
  webhookMaxAttempts: 8,
  webhookTimeoutSeconds: 10,
  webhookPollIntervalMs: 5000,
  webhookRetentionDays: 30,
} as const;

function pageURL(value: string | undefined, fallback: string, baseURL: URL, allowed: Set<string>, what: string): URL {
  const url = value === undefined ? new URL(fallback, baseURL.href.replace(/\/?$/, "/")) : parseOrigin(value, what);
  if (!allowed.has(url.origin) || url.username || url.password || url.hash) {
    throw new ConfigurationError(
      `${what} must be a URL on the base URL's origin or an allowed origin, got "${value}".`,
    );
  }
  return url;
}

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

function integerInRange(value: number | undefined, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`${what} must be a whole number from ${min} to ${max}, got ${value}.`);
  }
  return value;
}

/**
 * Applies defaults and validates. Throws {@link ConfigurationError} with a hint on anything
 * that cannot work.
 */
export function resolveConfig(config: GatehouseConfig): ResolvedConfig {
  const baseURL = parseOrigin(config.baseURL, "baseURL (GATEHOUSE_URL)");
  const strategy = config.strategy ?? "session";
  if (!["session", "jwt", "hybrid"].includes(strategy)) {
    throw new ConfigurationError(`strategy (GATEHOUSE_STRATEGY) must be session, jwt or hybrid, got "${strategy}".`);
  }
  const encryptionKey = config.encryptionKey === undefined ? null : parseEncryptionKey(config.encryptionKey);
  if (strategy !== "session" && encryptionKey === null) {
    throw new ConfigurationError(
      `The "${strategy}" strategy needs encryptionKey (GATEHOUSE_ENCRYPTION_KEY): 32 random bytes in base64url.`,
    );
  }
  const issuer = baseURL.href.replace(/\/+$/, "");
  const algorithm = config.tokens?.algorithm ?? "EdDSA";
  if (algorithm !== "EdDSA" && algorithm !== "ES256") {
    throw new ConfigurationError(`tokens.algorithm (GATEHOUSE_SIGNING_ALGORITHM) must be EdDSA or ES256.`);
  }
  const refreshGraceSeconds = config.tokens?.refreshGraceSeconds ?? DEFAULTS.refreshGraceSeconds;
  if (!Number.isInteger(refreshGraceSeconds) || refreshGraceSeconds < 0 || refreshGraceSeconds > 60) {
    throw new ConfigurationError(`tokens.refreshGraceSeconds must be a whole number from 0 to 60.`);
  }
  const tokens = {
    accessTokenTTLSeconds: positiveInteger(
      config.tokens?.accessTokenTTLSeconds,
      strategy === "hybrid" ? DEFAULTS.hybridAccessTokenTTLSeconds : DEFAULTS.jwtAccessTokenTTLSeconds,
      "tokens.accessTokenTTLSeconds",
    ),
    refreshGraceSeconds,
    audience: config.tokens?.audience ?? issuer,
    algorithm,
    keyRotationIntervalSeconds:
      config.tokens?.keyRotationIntervalSeconds === undefined
        ? null
        : positiveInteger(config.tokens.keyRotationIntervalSeconds, 0, "tokens.keyRotationIntervalSeconds"),
  };
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
  const credential = strategy === "session" ? "gatehouse_session" : "gatehouse_access";
  const cookieName = secure && domain === null ? `__Host-${credential}` : credential;
  // The refresh cookie is scoped to /v1/token, which __Host- forbids; __Secure- still pins it to https.
  const refreshCookieName = secure ? "__Secure-gatehouse_refresh" : "gatehouse_refresh";
  const requireMFA = config.mfa?.required ?? false;
  if (requireMFA && encryptionKey === null) {
    throw new ConfigurationError(
      "Requiring MFA (GATEHOUSE_REQUIRE_MFA) needs encryptionKey (GATEHOUSE_ENCRYPTION_KEY): it protects the TOTP secrets.",
    );
  }
  if (config.sms !== undefined && encryptionKey === null) {
    throw new ConfigurationError(
      "Text-message codes (sms) need encryptionKey (GATEHOUSE_ENCRYPTION_KEY): phone numbers are stored encrypted.",
    );
  }
  if (config.sms !== undefined && typeof config.sms?.send !== "function") {
    throw new ConfigurationError("sms must be an SMS provider: an object with a send({ to, body }) method.");
  }
  const allowedOrigins = new Set([baseURL.origin]);
  for (const origin of config.allowedOrigins ?? []) {
    allowedOrigins.add(parseOrigin(origin, "allowedOrigins (GATEHOUSE_ALLOWED_ORIGINS)").origin);
  }
  return {
    baseURL,
    database: config.database,
    sessionStore: config.sessionStore ?? config.database.sessions,
    revocationLog: config.revocationLog ?? config.database.revocations,
    // A shared store means other instances, whose user changes only a shared feed would report.
    userChanges:
      config.userChanges ??
      (config.sessionStore === undefined && config.revocationLog === undefined ? createLocalUserChangeFeed() : null),
    strategy,
    issuer,
    encryptionKey,
    tokens,
    session: { idleTimeoutSeconds, maxAgeSeconds },
    cookie: { name: cookieName, refreshName: refreshCookieName, domain, secure },
    allowedOrigins,
    trustedProxies: config.trustedProxies ?? [],
    passkeys: resolvePasskeys(config, baseURL),
    throttle: {
      signInPerAccount: limit(
        config.throttle?.signInPerAccount,
        DEFAULTS.signInPerAccount,
        "throttle.signInPerAccount",
      ),
      signInPerIP: limit(config.throttle?.signInPerIP, DEFAULTS.signInPerIP, "throttle.signInPerIP"),
      signUpPerIP: limit(config.throttle?.signUpPerIP, DEFAULTS.signUpPerIP, "throttle.signUpPerIP"),
      emailPerAddress: limit(config.throttle?.emailPerAddress, DEFAULTS.emailPerAddress, "throttle.emailPerAddress"),
      emailPerIP: limit(config.throttle?.emailPerIP, DEFAULTS.emailPerIP, "throttle.emailPerIP"),
      smsPerNumber: limit(config.throttle?.smsPerNumber, DEFAULTS.smsPerNumber, "throttle.smsPerNumber"),
      smsPerNumberPerDay: limit(
        config.throttle?.smsPerNumberPerDay,
        DEFAULTS.smsPerNumberPerDay,
        "throttle.smsPerNumberPerDay",
      ),
      smsPerIP: limit(config.throttle?.smsPerIP, DEFAULTS.smsPerIP, "throttle.smsPerIP"),
    },
    email: resolveEmailConfig(config.email, baseURL, allowedOrigins),
    mfa: { required: requireMFA, issuer: config.mfa?.issuer?.trim() || (config.email?.appName ?? baseURL.host).trim() },
    sms: config.sms ?? null,
    bodyLimitBytes: positiveInteger(config.bodyLimitBytes, DEFAULTS.bodyLimitBytes, "bodyLimitBytes"),
    securityEvents: {
      retentionSeconds: positiveInteger(
        config.securityEvents?.retentionSeconds,
        DEFAULTS.eventRetentionSeconds,
        "securityEvents.retentionSeconds",
      ),
    },
    webhooks: {
      sender: config.webhooks?.sender ?? null,
      allowPrivateNetworks: config.webhooks?.allowPrivateNetworks ?? false,
      maxAttempts: integerInRange(
        config.webhooks?.maxAttempts,
        DEFAULTS.webhookMaxAttempts,
        1,
        20,
        "webhooks.maxAttempts",
      ),
      timeoutMs:
        1000 *
        integerInRange(
          config.webhooks?.timeoutSeconds,
          DEFAULTS.webhookTimeoutSeconds,
          1,
          60,
          "webhooks.timeoutSeconds",
        ),
      pollIntervalMs: integerInRange(
        config.webhooks?.pollIntervalMs,
        DEFAULTS.webhookPollIntervalMs,
        0,
        3_600_000,
        "webhooks.pollIntervalMs",
      ),
      retentionMs:
        86_400_000 *
        integerInRange(
          config.webhooks?.retentionDays,
          DEFAULTS.webhookRetentionDays,
          1,
          3650,
          "webhooks.retentionDays",
        ),
    },
    clock: config.clock ?? Date.now,
  };
}

function resolveEmailConfig(
  email: GatehouseConfig["email"],
  baseURL: URL,
  allowedOrigins: Set<string>,
): ResolvedConfig["email"] {
  const retryDelaysMs = email?.retryDelaysMs ?? [...DEFAULTS.emailRetryDelaysMs];
  if (!Array.isArray(retryDelaysMs) || retryDelaysMs.some((delay) => !Number.isInteger(delay) || delay < 0)) {
    throw new ConfigurationError("email.retryDelaysMs must be a list of whole, non-negative milliseconds.");
  }
  const appName = (email?.appName ?? baseURL.host).trim();
  if (appName === "" || /\p{Cc}/u.test(appName)) {
    throw new ConfigurationError("email.appName (GATEHOUSE_APP_NAME) must be a non-empty single line.");
  }
  const templates = email?.templates ?? {};
  // Checked now, so a broken override stops the start rather than the first email.
  createEmailRenderer(templates);
  return {
    transport: email?.transport ?? null,
    from: formatEmailSender(parseEmailSender(email?.from ?? `no-reply@${baseURL.hostname}`)),
    appName,
    templates,
    requireVerification: email?.requireVerification ?? false,
    retryDelaysMs,
    passwordResetPageURL: pageURL(
      email?.passwordResetPageURL,
      "reset-password",
      baseURL,
      allowedOrigins,
      "email.passwordResetPageURL",
    ),
    verificationPageURL: pageURL(
      email?.verificationPageURL,
      "verify-email",
      baseURL,
      allowedOrigins,
      "email.verificationPageURL",
    ),
  };
}

// An RFC 1123 host name, which is what an RP ID must be (no port, no scheme, no IP address).
const RP_ID = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

function isIPHost(hostname: string): boolean {
  return hostname.startsWith("[") || ipaddr.isValid(hostname);
}

/** The WebAuthn relying party: only from the configuration, checked so browsers will accept it. */
function resolvePasskeys(config: GatehouseConfig, baseURL: URL): ResolvedConfig["passkeys"] {
  const configuredID = config.passkeys?.rpID?.trim().toLowerCase();
  // Browsers refuse an IP address as RP ID. Left unconfigured on such a base URL (a local test
  // server on 127.0.0.1), passkeys are simply off; configured so, it is a mistake to report.
  if (configuredID === undefined && isIPHost(baseURL.hostname)) return null;
  const rpID = configuredID ?? baseURL.hostname.toLowerCase();
  if (isIPHost(rpID) || !RP_ID.test(rpID)) {
    throw new ConfigurationError(
      `passkeys.rpID (GATEHOUSE_WEBAUTHN_RP_ID) must be a domain name such as example.com, not an IP address or URL; got "${rpID}".`,
    );
  }
  const configuredOrigins = config.passkeys?.origins;
  if (configuredOrigins !== undefined && configuredOrigins.length === 0) {
    throw new ConfigurationError("passkeys.origins (GATEHOUSE_WEBAUTHN_ORIGINS) needs at least one origin.");
  }
  const origins = (configuredOrigins ?? [baseURL.origin]).map(
    (origin) => parseOrigin(origin, "passkeys.origins (GATEHOUSE_WEBAUTHN_ORIGINS)").origin,
  );
  for (const origin of origins) {
    const host = new URL(origin).hostname;
    if (host !== rpID && !host.endsWith(`.${rpID}`)) {
      throw new ConfigurationError(
        `Passkey origin ${origin} is not on the RP ID "${rpID}": set GATEHOUSE_WEBAUTHN_RP_ID to a domain every origin in GATEHOUSE_WEBAUTHN_ORIGINS shares.`,
      );
    }
  }
  const rpName = (config.passkeys?.rpName ?? config.email?.appName ?? baseURL.host).trim();
  if (rpName === "" || /\p{Cc}/u.test(rpName)) {
    throw new ConfigurationError("passkeys.rpName (GATEHOUSE_WEBAUTHN_RP_NAME) must be a non-empty single line.");
  }
  return { rpID, rpName, origins: [...new Set(origins)] };
}
