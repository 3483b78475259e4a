/**
 * The server's configuration: read from the environment, overridden by the common command-line
 * flags, validated up front so a mistake stops the start with one clear line that names the
 * variable (or flag) at fault instead of a stack trace from deep inside the engine.
 *
 * Values that can carry credentials (DATABASE_URL, REDIS_URL, SMTP_URL, GATEHOUSE_SECRET_KEY,
 * GATEHOUSE_ENCRYPTION_KEY, GATEHOUSE_TWILIO_AUTH_TOKEN) are never echoed back in an error message: a typo in a connection
 * string must not print its password.
 */
import { isIP } from "node:net";
import { resolve } from "node:path";
import { DEFAULTS as ENGINE_DEFAULTS } from "@gatehouse/core";

/**
 * How clients stay signed in (`GATEHOUSE_STRATEGY`): `session` (opaque token checked against the
 * store), `jwt` (access JWT plus rotating refresh token), `hybrid` (short access JWT in a cookie
 * over a server session).
 */
export type ServerStrategy = "session" | "jwt" | "hybrid";

/** The algorithms access tokens can be signed with (`GATEHOUSE_SIGNING_ALGORITHM`). */
export type ServerSigningAlgorithm = "EdDSA" | "ES256";

/** pino's levels, plus `silent` to turn logging off (`GATEHOUSE_LOG_LEVEL`). */
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/**
 * Where text-message codes go (`GATEHOUSE_SMS_PROVIDER`): the development mailbox, or Twilio's
 * Messages API (or a service speaking it) with its credentials.
 */
export type ServerSMSConfig =
  { provider: "mailbox" } | { provider: "twilio"; accountSID: string; authToken: string; from: string; apiURL: string };

/** Everything `startServer` needs, with every default applied. */
export interface ServerConfig {
  /**
   * TCP port to listen on (`PORT`, `--port`). `0` picks a free port (for tests and embedding;
   * the environment and flags accept 1–65535 only).
   * @default 4000
   */
  port: number;
  /**
   * Interface to bind (`HOST`, `--host`). The default listens on every IPv4 interface, which
   * is what a container needs; use `127.0.0.1` to keep the server private to the machine.
   * @default "0.0.0.0"
   */
  host: string;
  /**
   * Public base URL (`GATEHOUSE_URL`, `--url`): issuer, email links and the cookie's `Secure`
   * flag come from it, never from the Host header.
   * @default "http://localhost:<port>"
   */
  url: string;
  /**
   * Directory for the embedded SQLite database, as an absolute path (`GATEHOUSE_DATA_DIR`, `--data-dir`).
   * @default "<cwd>/.gatehouse"
   */
  dataDir: string;
  /** PostgreSQL connection string (`DATABASE_URL`, `--database-url`); null = SQLite in `dataDir`. */
  databaseURL: string | null;
  /** Redis connection string (`REDIS_URL`, `--redis-url`); null = sessions in the database, throttle in memory. */
  redisURL: string | null;
  /**
   * Prefix of every Redis key (`GATEHOUSE_REDIS_PREFIX`), so several deployments can share one Redis.
   * @default "gatehouse:"
   */
  redisPrefix: string;
  /** @default "session" */
  strategy: ServerStrategy;
  /** Admin secret key to record (`GATEHOUSE_SECRET_KEY`); null = generate one on first start. */
  secretKey: string | null;
  /**
   * 32 random bytes in base64url (`GATEHOUSE_ENCRYPTION_KEY`): encrypts the signing keys at rest
   * and keys refresh tokens. Null = the one in `<dataDir>/encryption.key`, generated on the
   * first start. A credential: never log or print it.
   */
  encryptionKey: string | null;
  /** Access-token lifetime in seconds (`GATEHOUSE_ACCESS_TOKEN_TTL`); null = the engine's default (10 min for jwt, 60 s for hybrid). */
  accessTokenTTLSeconds: number | null;
  /** Refresh grace window in seconds, 0-60 (`GATEHOUSE_REFRESH_GRACE`); null = the engine's default (20 s). */
  refreshGraceSeconds: number | null;
  /** `aud` of access tokens (`GATEHOUSE_AUDIENCE`); null = the issuer (the public URL). */
  audience: string | null;
  /** @default "EdDSA" */
  signingAlgorithm: ServerSigningAlgorithm;
  /** Rotate the signing key automatically at this age, in seconds (`GATEHOUSE_KEY_ROTATION_INTERVAL`); null = on demand only. */
  keyRotationIntervalSeconds: number | null;
  /** CIDRs or addresses whose `X-Forwarded-For` is believed (`GATEHOUSE_TRUSTED_PROXIES`). @default [] */
  trustedProxies: string[];
  /** Domain the session cookie is shared across (`GATEHOUSE_COOKIE_DOMAIN`); null = this host only. */
  cookieDomain: string | null;
  /** Extra origins whose cookie-authenticated writes are accepted (`GATEHOUSE_ALLOWED_ORIGINS`). @default [] */
  allowedOrigins: string[];
  /** Passkey RP ID (`GATEHOUSE_WEBAUTHN_RP_ID`); null = the host name of `url`. */
  webauthnRPID: string | null;
  /** Name browsers show when creating a passkey (`GATEHOUSE_WEBAUTHN_RP_NAME`); null = the app name. */
  webauthnRPName: string | null;
  /** Origins whose pages may use passkeys (`GATEHOUSE_WEBAUTHN_ORIGINS`); null = the origin of `url`. */
  webauthnOrigins: string[] | null;
  /** Idle timeout in seconds (`GATEHOUSE_SESSION_IDLE_TIMEOUT`); null = the engine's default (7 days). */
  sessionIdleTimeoutSeconds: number | null;
  /** Absolute session lifetime in seconds (`GATEHOUSE_SESSION_MAX_AGE`); null = the engine's default (30 days). */
  sessionMaxAgeSeconds: number | null;
  /** @default "info" */
  logLevel: LogLevel;
  /** How long security events are kept, in seconds (`GATEHOUSE_EVENT_RETENTION`); null = the engine's default (90 days). */
  eventRetentionSeconds: number | null;
  /**
   * SMTP server for outgoing mail (`SMTP_URL`), `smtp://` or `smtps://` with credentials;
   * null = the development mailbox in `<dataDir>/mailbox`.
   */
  smtpURL: string | null;
  /** Sender of every message (`GATEHOUSE_EMAIL_FROM`); null = `no-reply@<GATEHOUSE_URL host name>`. */
  emailFrom: string | null;
  /** Product name in messages (`GATEHOUSE_APP_NAME`); null = the host of `GATEHOUSE_URL`. */
  appName: string | null;
  /** Sign-in waits until the address is verified (`GATEHOUSE_REQUIRE_EMAIL_VERIFICATION`). @default false */
  requireEmailVerification: boolean;
  /** Every user must have a second factor (`GATEHOUSE_REQUIRE_MFA`); needs the encryption key. @default false */
  requireMFA: boolean;
  /**
   * How text-message codes are sent; null = SMS codes are off (`not_available`).
   * @default the development mailbox when email goes there too outside production, else null
   */
  sms: ServerSMSConfig | null;
  /**
   * `NODE_ENV` is `production`: no `/dev/mailbox`, and the development mailbox prints no links.
   * @default false
   */
  production: boolean;
  /**
   * Let webhooks use plain http and reach private networks (`GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS`).
   * Development and tests only.
   * @default false
   */
  webhooksAllowPrivateNetworks: boolean;
}

/**
 * A configuration value is wrong. The message names the variable or flag and says what is
 * expected; it is meant to be printed as is, without a stack trace.
 */
export class ServerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServerConfigError";
  }
}

/** The command-line flags that override environment variables, as `node:util` `parseArgs` returns them. */
export interface ConfigFlags {
  port?: string;
  host?: string;
  url?: string;
  "data-dir"?: string;
  "database-url"?: string;
  "redis-url"?: string;
  strategy?: string;
}

/** One documented setting: shown by `--help`, in this order. */
export interface SettingDoc {
  /** Environment variable. */
  env: string;
  /** Flag that overrides it, if any. */
  flag?: string;
  /** Default, as shown to the user. */
  default: string;
  description: string;
}

/** Default values, shared by the parser and the help text so the two cannot drift apart. */
export const SERVER_DEFAULTS = {
  port: 4000,
  host: "0.0.0.0",
  dataDir: "./.gatehouse",
  redisPrefix: "gatehouse:",
  strategy: "session",
  signingAlgorithm: "EdDSA",
  logLevel: "info",
} as const;

/** Name of the file in the data directory that holds the generated encryption key. */
export const ENCRYPTION_KEY_FILE = "encryption.key";

/**
 * The longest accepted access-token lifetime. An access JWT cannot be recalled from a verifier
 * that does not follow the revocation feed, so a longer one only widens that gap.
 */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 86_400;
/** The engine's bound on the refresh grace window. */
export const MAX_REFRESH_GRACE_SECONDS = 60;
/** Each instance checks whether a rotation is due once a minute; a shorter interval would mean the same. */
export const MIN_KEY_ROTATION_INTERVAL_SECONDS = 60;

/** Every setting the server reads, for `--help`. */
export const SETTINGS: readonly SettingDoc[] = [
  {
    env: "PORT",
    flag: "--port",
    default: String(SERVER_DEFAULTS.port),
    description: "TCP port to listen on (1-65535).",
  },
  {
    env: "HOST",
    flag: "--host",
    default: SERVER_DEFAULTS.host,
    description:
      "Interface to bind. 0.0.0.0 listens on every IPv4 interface (what a container needs); 127.0.0.1 keeps the server local; :: for IPv6.",
  },
  {
    env: "GATEHOUSE_URL",
    flag: "--url",
    default: "http://localhost:<PORT>",
    description:
      "Public base URL. The issuer, email links and the cookie's Secure flag come from it, never from the Host header.",
  },
  {
    env: "GATEHOUSE_DATA_DIR",
    flag: "--data-dir",
    default: SERVER_DEFAULTS.dataDir,
    description:
      "Directory of the embedded SQLite database (gatehouse.db), used when DATABASE_URL is unset, and of the generated encryption key (encryption.key).",
  },
  {
    env: "DATABASE_URL",
    flag: "--database-url",
    default: "none (SQLite at <data dir>/gatehouse.db)",
    description: "PostgreSQL connection string (postgres://... or postgresql://...).",
  },
  {
    env: "REDIS_URL",
    flag: "--redis-url",
    default: "none (sessions in the database, throttle in memory)",
    description:
      "Redis connection string (redis://... or rediss://...) for sessions, the sign-in throttle and the revocation log every instance shares; needed to run more than one instance.",
  },
  {
    env: "GATEHOUSE_STRATEGY",
    flag: "--strategy",
    default: SERVER_DEFAULTS.strategy,
    description:
      "session | jwt | hybrid. session: an opaque token (cookie or Bearer) checked against the store on every request. jwt: a short-lived access JWT, verifiable anywhere against the JWKS, plus a rotating refresh token for POST /v1/token. hybrid: a very short-lived access JWT in an HttpOnly cookie over a server session, refreshed against it.",
  },
  {
    env: "GATEHOUSE_SECRET_KEY",
    default: "none (generated on first start, printed once, stored hashed)",
    description: "Admin secret key (gh_sk_...) for the /v1/admin API and the revocation feed. Only its hash is stored.",
  },
  {
    env: "GATEHOUSE_ENCRYPTION_KEY",
    default: `none (generated once into <data dir>/${ENCRYPTION_KEY_FILE}, mode 0600, and reused)`,
    description:
      "32 random bytes in base64url (43 characters) that encrypt the signing keys at rest and key refresh tokens. Every instance sharing a database must use the same one: set it here on all of them. Never printed or logged.",
  },
  {
    env: "GATEHOUSE_ACCESS_TOKEN_TTL",
    default: `${ENGINE_DEFAULTS.jwtAccessTokenTTLSeconds / 60}m (jwt), ${ENGINE_DEFAULTS.hybridAccessTokenTTLSeconds}s (hybrid)`,
    description: `Lifetime of access tokens (jwt and hybrid strategies), at most ${MAX_ACCESS_TOKEN_TTL_SECONDS / 3600}h. Duration: 90s, 10m, 1h or plain seconds.`,
  },
  {
    env: "GATEHOUSE_REFRESH_GRACE",
    default: `${ENGINE_DEFAULTS.refreshGraceSeconds}s`,
    description: `For this long after a refresh, the refresh token just used still yields the same successor, so parallel tabs and retries never log a user out. 0 to ${MAX_REFRESH_GRACE_SECONDS}s.`,
  },
  {
    env: "GATEHOUSE_AUDIENCE",
    default: "the issuer (GATEHOUSE_URL)",
    description: "The aud claim of access tokens; verifiers must expect the same value.",
  },
  {
    env: "GATEHOUSE_SIGNING_ALGORITHM",
    default: SERVER_DEFAULTS.signingAlgorithm,
    description:
      "EdDSA (Ed25519) | ES256 (P-256). Changing it rotates the signing key on the next start, and access tokens of the old algorithm are refused from then on: clients must refresh once.",
  },
  {
    env: "GATEHOUSE_KEY_ROTATION_INTERVAL",
    default: "none (rotate on demand: gatehouse keys rotate or POST /v1/admin/signing-keys/rotate)",
    description:
      "Rotate the signing key automatically once it is this old (at least 1m). Retired keys stay published until the tokens they signed have expired.",
  },
  {
    env: "GATEHOUSE_TRUSTED_PROXIES",
    default: "none",
    description:
      "Comma-separated CIDRs or addresses of proxies whose X-Forwarded-For is believed; from anyone else it is ignored.",
  },
  {
    env: "GATEHOUSE_COOKIE_DOMAIN",
    default: "none (this host only)",
    description: "Domain to share the session cookie across subdomains, e.g. example.com.",
  },
  {
    env: "GATEHOUSE_ALLOWED_ORIGINS",
    default: "none",
    description:
      "Comma-separated origins, besides GATEHOUSE_URL's, whose cookie-authenticated writes are accepted and that a magic link's redirect_url may point to.",
  },
  {
    env: "GATEHOUSE_WEBAUTHN_RP_ID",
    default: "host name of GATEHOUSE_URL",
    description:
      "Passkey RP ID: a domain every passkey origin is on (e.g. example.com for auth. and app.example.com). Never an IP address: with an IP in GATEHOUSE_URL and no RP ID, passkeys are off.",
  },
  {
    env: "GATEHOUSE_WEBAUTHN_RP_NAME",
    default: "GATEHOUSE_APP_NAME",
    description: "Name browsers show when a passkey is created.",
  },
  {
    env: "GATEHOUSE_WEBAUTHN_ORIGINS",
    default: "origin of GATEHOUSE_URL",
    description:
      "Comma-separated origins whose pages may create and use passkeys (add an SPA's origin here), each on the RP ID. Request headers never change it.",
  },
  {
    env: "GATEHOUSE_SESSION_IDLE_TIMEOUT",
    default: "7d",
    description: "A session unused this long ends. Duration: 30m, 12h, 7d, 90s or plain seconds.",
  },
  {
    env: "GATEHOUSE_SESSION_MAX_AGE",
    default: "30d",
    description: "A session ends this long after sign-in, however active. Same duration format.",
  },
  {
    env: "GATEHOUSE_EVENT_RETENTION",
    default: "90d",
    description:
      "Security events (sign-ins, revocations, admin actions) older than this are deleted hourly. Same duration format.",
  },
  {
    env: "GATEHOUSE_LOG_LEVEL",
    default: SERVER_DEFAULTS.logLevel,
    description: "fatal | error | warn | info | debug | trace | silent. Logs are JSON lines on stdout.",
  },
  {
    env: "GATEHOUSE_REDIS_PREFIX",
    default: SERVER_DEFAULTS.redisPrefix,
    description: "Prefix of every Redis key, so several deployments can share one Redis.",
  },
  {
    env: "SMTP_URL",
    default: "none (the development mailbox in <data dir>/mailbox)",
    description:
      "SMTP server for outgoing mail: smtp://user:password@host:587 (STARTTLS when offered) or smtps://user:password@host:465.",
  },
  {
    env: "GATEHOUSE_EMAIL_FROM",
    default: "no-reply@<host name of GATEHOUSE_URL>",
    description: 'Sender of every email: "Name <address>" or an address.',
  },
  {
    env: "GATEHOUSE_APP_NAME",
    default: "the host of GATEHOUSE_URL",
    description:
      "Product name used in emails ({{app_name}} in templates) and on the hosted pages (which use generic wording when it is unset).",
  },
  {
    env: "GATEHOUSE_REQUIRE_EMAIL_VERIFICATION",
    default: "false",
    description:
      "true: sign-up issues no session and password sign-in waits until the email address is verified (magic links and email codes verify it).",
  },
  {
    env: "GATEHOUSE_REQUIRE_MFA",
    default: "false",
    description:
      "true: every user must have a second factor; one without enrols an authenticator app (or, with an SMS provider, a phone number) during sign-in before getting a session. Needs GATEHOUSE_ENCRYPTION_KEY.",
  },
  {
    env: "GATEHOUSE_SMS_PROVIDER",
    default: "mailbox when SMTP_URL is unset outside production, else none (SMS codes off)",
    description:
      "twilio | mailbox. How text-message codes (the sms second factor) are sent: twilio through Twilio's Messages API (set the GATEHOUSE_TWILIO_* variables), mailbox into the development mailbox at /dev/mailbox (refused in production).",
  },
  {
    env: "GATEHOUSE_TWILIO_ACCOUNT_SID",
    default: "none",
    description: "Twilio account SID (AC followed by 32 hex digits); needed with GATEHOUSE_SMS_PROVIDER=twilio.",
  },
  {
    env: "GATEHOUSE_TWILIO_AUTH_TOKEN",
    default: "none",
    description: "Twilio auth token; needed with GATEHOUSE_SMS_PROVIDER=twilio. A credential: never printed or logged.",
  },
  {
    env: "GATEHOUSE_TWILIO_FROM",
    default: "none",
    description:
      "Sender of the texts: an E.164 number of the Twilio account (+15017122661) or a messaging service SID (MG followed by 32 hex digits).",
  },
  {
    env: "GATEHOUSE_TWILIO_API_URL",
    default: "https://api.twilio.com",
    description: "Base URL of the Messages API: a regional edge, or a service that speaks the same protocol.",
  },
  {
    env: "NODE_ENV",
    default: "none (development)",
    description:
      "production: /dev/mailbox is not served and the development mailbox prints no links (set SMTP_URL in production).",
  },
  {
    env: "GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS",
    default: "false",
    description:
      "true lets webhook endpoints use plain http and reach loopback, private and link-local addresses. Development and tests only.",
  },
];

const STRATEGIES: readonly ServerStrategy[] = ["session", "jwt", "hybrid"];
const SIGNING_ALGORITHMS: readonly ServerSigningAlgorithm[] = ["EdDSA", "ES256"];
const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
// RFC 1123 host name: labels of letters, digits and hyphens, optionally with a leading dot
// (the older cookie-domain spelling, which browsers accept).
const HOST_NAME =
  /^\.?(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** The name a value came from, for messages: the flag when one was given, else the variable. */
function source(env: string, flag: string | undefined, fromFlag: boolean): string {
  return fromFlag && flag ? `${flag} (overrides ${env})` : env;
}

/** Empty variables count as unset: container tooling often exports `FOO=` for "not set". */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function parsePort(value: string, what: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65_535) {
    throw new ServerConfigError(`${what} must be a whole number from 1 to 65535, got "${value}".`);
  }
  return Number(value);
}

function parseHost(value: string, what: string): string {
  if (isIP(value) === 0 && (value.startsWith(".") || !HOST_NAME.test(value))) {
    throw new ServerConfigError(`${what} must be an IP address or a host name, got "${value}".`);
  }
  return value;
}

function parsePublicURL(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ServerConfigError(
      `${what} must be an absolute http(s) URL such as https://auth.example.com, got "${value}".`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ServerConfigError(`${what} must use http or https, got "${url.protocol}".`);
  }
  if (url.username || url.password) {
    // Not echoed: the value holds credentials.
    throw new ServerConfigError(`${what} must not contain a user name or password.`);
  }
  if (url.search || url.hash) {
    throw new ServerConfigError(`${what} must not have a query string or fragment, got "${value}".`);
  }
  // The engine builds links by appending paths to this; a trailing slash would double them.
  return url.toString().replace(/\/$/, "");
}

function parseOrigin(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ServerConfigError(`${what} must list origins such as https://app.example.com, got "${value}".`);
  }
  if (
    (url.protocol !== "http:" && url.protocol !== "https:") ||
    url.pathname !== "/" ||
    url.search ||
    url.hash ||
    url.username
  ) {
    throw new ServerConfigError(`${what} must list origins (scheme://host[:port], no path), got "${value}".`);
  }
  return url.origin;
}

function parseRPID(value: string, what: string): string {
  // The engine checks it against the origins; this names the variable for the common mistakes.
  if (isIP(value) !== 0 || value.startsWith(".") || !HOST_NAME.test(value)) {
    throw new ServerConfigError(
      `${what} must be a domain name such as example.com (no scheme, port or IP address), got "${value}".`,
    );
  }
  return value.toLowerCase();
}

function parseConnectionURL(value: string, what: string, schemes: readonly string[]): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  // The value is never echoed: connection strings usually carry a password.
  if (url === null || !schemes.includes(url.protocol) || !url.hostname) {
    const expected = schemes.map((scheme) => `${scheme}//...`).join(" or ");
    throw new ServerConfigError(`${what} must be a ${expected} URL with a host.`);
  }
  return value;
}

function parseStrategy(value: string, what: string): ServerStrategy {
  const strategy = STRATEGIES.find((candidate) => candidate === value);
  if (!strategy) throw new ServerConfigError(`${what} must be one of ${STRATEGIES.join(", ")}, got "${value}".`);
  return strategy;
}

function parseLogLevel(value: string, what: string): LogLevel {
  const level = LOG_LEVELS.find((candidate) => candidate === value.toLowerCase());
  if (!level) throw new ServerConfigError(`${what} must be one of ${LOG_LEVELS.join(", ")}, got "${value}".`);
  return level;
}

function parseSecretKey(value: string, what: string): string {
  // Not echoed. The same rule as the engine's; the length floor keeps a placeholder like
  // "gh_sk_changeme" from becoming the only thing guarding the admin API.
  if (!/^gh_sk_\S{32,}$/.test(value)) {
    throw new ServerConfigError(
      `${what} must be "gh_sk_" followed by at least 32 random characters (unset it to have one generated).`,
    );
  }
  return value;
}

/**
 * Whether `value` is an encryption key as the engine accepts it: exactly 32 bytes in unpadded
 * base64url, which is 43 characters.
 */
export function isEncryptionKey(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value) && Buffer.from(value, "base64url").length === 32;
}

function parseEncryptionKey(value: string, what: string): string {
  // Not echoed: it is the key that protects every signing key.
  if (!isEncryptionKey(value)) {
    throw new ServerConfigError(
      `${what} must be 32 random bytes in base64url (43 characters of A-Z a-z 0-9 - _, no padding); ` +
        "generate one with: openssl rand -base64 32 | tr '+/' '-_' | tr -d '='",
    );
  }
  return value;
}

function parseSigningAlgorithm(value: string, what: string): ServerSigningAlgorithm {
  const algorithm = SIGNING_ALGORITHMS.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (!algorithm) {
    throw new ServerConfigError(`${what} must be one of ${SIGNING_ALGORITHMS.join(", ")}, got "${value}".`);
  }
  return algorithm;
}

function parseAudience(value: string, what: string): string {
  // Printable ASCII without spaces: what a URI or a plain service name is made of.
  if (!/^[\x21-\x7e]{1,512}$/.test(value)) {
    throw new ServerConfigError(`${what} must be a URI or name of printable characters without spaces, at most 512.`);
  }
  return value;
}

/** A duration that may be zero, within `[0, max]` seconds (the refresh grace window). */
function parseBoundedDuration(value: string, what: string, max: number): number {
  const match = /^(\d{1,10})\s*([smhd]?)$/i.exec(value.trim());
  const amount = match ? Number(match[1]) * (DURATION_UNITS[(match[2] || "s").toLowerCase()] ?? 1) : NaN;
  if (!match || !(amount >= 0 && amount <= max)) {
    throw new ServerConfigError(`${what} must be a duration from 0s to ${max}s such as 20s, got "${value}".`);
  }
  return amount;
}

function parseAccessTokenTTL(value: string, what: string): number {
  const seconds = parseDuration(value, what);
  if (seconds > MAX_ACCESS_TOKEN_TTL_SECONDS) {
    throw new ServerConfigError(`${what} must be at most ${MAX_ACCESS_TOKEN_TTL_SECONDS / 3600}h, got "${value}".`);
  }
  return seconds;
}

function parseRotationInterval(value: string, what: string): number {
  const seconds = parseDuration(value, what);
  if (seconds < MIN_KEY_ROTATION_INTERVAL_SECONDS) {
    throw new ServerConfigError(`${what} must be at least 1m (rotation is checked once a minute), got "${value}".`);
  }
  return seconds;
}

function parseCIDR(entry: string, what: string): string {
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  const maxPrefix = family === 4 ? 32 : 128;
  const prefixOK = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
  if (family === 0 || !prefixOK || rest.length > 0) {
    throw new ServerConfigError(`${what} must list IP addresses or CIDRs such as 10.0.0.0/8, got "${entry}".`);
  }
  return entry;
}

function parseBoolean(value: string, what: string): boolean {
  const normalized = value.toLowerCase();
  if (["true", "1", "yes", "on"].includes(normalized)) return true;
  if (["false", "0", "no", "off"].includes(normalized)) return false;
  throw new ServerConfigError(`${what} must be true or false, got "${value}".`);
}

function parseSender(value: string, what: string): string {
  // The engine checks the full form; this catches what would otherwise surface later as a
  // confusing error (and a line break, which has no place in a header).
  if (/[\r\n]/.test(value) || !/^[^@\s<>]+@[^@\s<>]+$|<[^@\s<>]+@[^@\s<>]+>$/.test(value)) {
    throw new ServerConfigError(`${what} must be "Name <address>" or an address, got "${value}".`);
  }
  return value;
}

const TWILIO_VARIABLES = [
  "GATEHOUSE_TWILIO_ACCOUNT_SID",
  "GATEHOUSE_TWILIO_AUTH_TOKEN",
  "GATEHOUSE_TWILIO_FROM",
  "GATEHOUSE_TWILIO_API_URL",
] as const;

/** `GATEHOUSE_SMS_PROVIDER` and the Twilio variables; see {@link ServerSMSConfig}. */
function parseSMS(env: NodeJS.ProcessEnv, options: { smtp: boolean; production: boolean }): ServerSMSConfig | null {
  const provider = read(env, "GATEHOUSE_SMS_PROVIDER")?.toLowerCase();
  const stray = TWILIO_VARIABLES.filter((name) => read(env, name) !== undefined);
  if (provider !== "twilio" && stray.length > 0) {
    throw new ServerConfigError(
      `${stray.join(", ")} ${stray.length === 1 ? "is" : "are"} set but GATEHOUSE_SMS_PROVIDER is not twilio.`,
    );
  }
  if (provider === undefined) return !options.smtp && !options.production ? { provider: "mailbox" } : null;
  if (provider === "mailbox") {
    if (options.production) {
      throw new ServerConfigError(
        "GATEHOUSE_SMS_PROVIDER=mailbox keeps texts in a local folder and reaches nobody: not in production (NODE_ENV=production). Use twilio.",
      );
    }
    return { provider: "mailbox" };
  }
  if (provider !== "twilio") {
    throw new ServerConfigError(`GATEHOUSE_SMS_PROVIDER must be twilio or mailbox, got "${provider}".`);
  }
  const missing = TWILIO_VARIABLES.slice(0, 3).filter((name) => read(env, name) === undefined);
  if (missing.length > 0) {
    throw new ServerConfigError(`GATEHOUSE_SMS_PROVIDER=twilio needs ${missing.join(", ")}.`);
  }
  const accountSID = read(env, "GATEHOUSE_TWILIO_ACCOUNT_SID")!;
  const authToken = read(env, "GATEHOUSE_TWILIO_AUTH_TOKEN")!;
  const from = read(env, "GATEHOUSE_TWILIO_FROM")!;
  if (!/^AC[0-9a-fA-F]{32}$/.test(accountSID)) {
    throw new ServerConfigError(
      `GATEHOUSE_TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits, got "${accountSID}".`,
    );
  }
  // Not echoed: it is the credential.
  if (!/^\S{16,}$/.test(authToken)) {
    throw new ServerConfigError("GATEHOUSE_TWILIO_AUTH_TOKEN must be the account's auth token (32 characters).");
  }
  if (!/^\+[1-9]\d{6,14}$/.test(from) && !/^MG[0-9a-fA-F]{32}$/.test(from)) {
    throw new ServerConfigError(
      `GATEHOUSE_TWILIO_FROM must be an E.164 number such as +15017122661 or a messaging service SID (MG...), got "${from}".`,
    );
  }
  const apiURL = read(env, "GATEHOUSE_TWILIO_API_URL");
  return {
    provider: "twilio",
    accountSID,
    authToken,
    from,
    apiURL: apiURL === undefined ? "https://api.twilio.com" : parsePublicURL(apiURL, "GATEHOUSE_TWILIO_API_URL"),
  };
}

function parseList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/**
 * Parses a duration into whole seconds: `90`, `90s`, `30m`, `12h`, `7d`.
 * @throws ServerConfigError naming `what` when the value is not a positive duration.
 * @example parseDuration("12h", "GATEHOUSE_SESSION_MAX_AGE") // 43200
 */
export function parseDuration(value: string, what: string): number {
  const match = /^(\d{1,10})\s*([smhd]?)$/i.exec(value.trim());
  const amount = match ? Number(match[1]) * (DURATION_UNITS[(match[2] || "s").toLowerCase()] ?? 1) : 0;
  if (!match || amount <= 0 || !Number.isSafeInteger(amount)) {
    throw new ServerConfigError(
      `${what} must be a positive duration such as 30m, 12h, 7d or a number of seconds, got "${value}".`,
    );
  }
  return amount;
}

/**
 * Builds the server configuration from environment variables, with `flags` taking precedence.
 *
 * @param env - usually `process.env`.
 * @param flags - the parsed command-line flags of `gatehouse start`.
 * @param cwd - base for a relative data directory. @default process.cwd()
 * @throws ServerConfigError with a message naming the offending variable or flag.
 * @example
 * ```ts
 * const config = loadServerConfig(process.env, { port: "8080" });
 * ```
 */
export function loadServerConfig(
  env: NodeJS.ProcessEnv,
  flags: ConfigFlags = {},
  cwd: string = process.cwd(),
): ServerConfig {
  const pick = (name: string, flag: keyof ConfigFlags | undefined): { value: string | undefined; what: string } => {
    const flagValue = flag ? flags[flag]?.trim() : undefined;
    if (flag && flags[flag] !== undefined) {
      if (!flagValue) throw new ServerConfigError(`--${flag} needs a value.`);
      return { value: flagValue, what: source(name, `--${flag}`, true) };
    }
    return { value: read(env, name), what: name };
  };

  const port = pick("PORT", "port");
  const portNumber = port.value === undefined ? SERVER_DEFAULTS.port : parsePort(port.value, port.what);
  const host = pick("HOST", "host");
  const url = pick("GATEHOUSE_URL", "url");
  const dataDir = pick("GATEHOUSE_DATA_DIR", "data-dir");
  const databaseURL = pick("DATABASE_URL", "database-url");
  const redisURL = pick("REDIS_URL", "redis-url");
  const strategy = pick("GATEHOUSE_STRATEGY", "strategy");
  const secretKey = read(env, "GATEHOUSE_SECRET_KEY");
  const cookieDomain = read(env, "GATEHOUSE_COOKIE_DOMAIN");
  const idle = read(env, "GATEHOUSE_SESSION_IDLE_TIMEOUT");
  const maxAge = read(env, "GATEHOUSE_SESSION_MAX_AGE");
  const logLevel = read(env, "GATEHOUSE_LOG_LEVEL");
  const smtpURL = read(env, "SMTP_URL");
  const emailFrom = read(env, "GATEHOUSE_EMAIL_FROM");
  const appName = read(env, "GATEHOUSE_APP_NAME");
  const requireVerification = read(env, "GATEHOUSE_REQUIRE_EMAIL_VERIFICATION");
  const requireMFA = read(env, "GATEHOUSE_REQUIRE_MFA");
  const encryptionKey = read(env, "GATEHOUSE_ENCRYPTION_KEY");
  const accessTokenTTL = read(env, "GATEHOUSE_ACCESS_TOKEN_TTL");
  const refreshGrace = read(env, "GATEHOUSE_REFRESH_GRACE");
  const audience = read(env, "GATEHOUSE_AUDIENCE");
  const signingAlgorithm = read(env, "GATEHOUSE_SIGNING_ALGORITHM");
  const rotationInterval = read(env, "GATEHOUSE_KEY_ROTATION_INTERVAL");
  const eventRetention = read(env, "GATEHOUSE_EVENT_RETENTION");
  const allowPrivateNetworks = read(env, "GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS");
  const webauthnRPID = read(env, "GATEHOUSE_WEBAUTHN_RP_ID");
  const webauthnRPName = read(env, "GATEHOUSE_WEBAUTHN_RP_NAME");
  const webauthnOrigins = read(env, "GATEHOUSE_WEBAUTHN_ORIGINS");
  const production = env.NODE_ENV?.trim() === "production";

  if (cookieDomain !== undefined && !HOST_NAME.test(cookieDomain)) {
    throw new ServerConfigError(
      `GATEHOUSE_COOKIE_DOMAIN must be a host name such as example.com, got "${cookieDomain}".`,
    );
  }

  return {
    port: portNumber,
    host: host.value === undefined ? SERVER_DEFAULTS.host : parseHost(host.value, host.what),
    url: url.value === undefined ? `http://localhost:${portNumber}` : parsePublicURL(url.value, url.what),
    dataDir: resolve(cwd, dataDir.value ?? SERVER_DEFAULTS.dataDir),
    databaseURL:
      databaseURL.value === undefined
        ? null
        : parseConnectionURL(databaseURL.value, databaseURL.what, ["postgres:", "postgresql:"]),
    redisURL:
      redisURL.value === undefined ? null : parseConnectionURL(redisURL.value, redisURL.what, ["redis:", "rediss:"]),
    redisPrefix: env.GATEHOUSE_REDIS_PREFIX?.trim() || SERVER_DEFAULTS.redisPrefix,
    strategy: strategy.value === undefined ? SERVER_DEFAULTS.strategy : parseStrategy(strategy.value, strategy.what),
    secretKey: secretKey === undefined ? null : parseSecretKey(secretKey, "GATEHOUSE_SECRET_KEY"),
    encryptionKey: encryptionKey === undefined ? null : parseEncryptionKey(encryptionKey, "GATEHOUSE_ENCRYPTION_KEY"),
    accessTokenTTLSeconds:
      accessTokenTTL === undefined ? null : parseAccessTokenTTL(accessTokenTTL, "GATEHOUSE_ACCESS_TOKEN_TTL"),
    refreshGraceSeconds:
      refreshGrace === undefined
        ? null
        : parseBoundedDuration(refreshGrace, "GATEHOUSE_REFRESH_GRACE", MAX_REFRESH_GRACE_SECONDS),
    audience: audience === undefined ? null : parseAudience(audience, "GATEHOUSE_AUDIENCE"),
    signingAlgorithm:
      signingAlgorithm === undefined
        ? SERVER_DEFAULTS.signingAlgorithm
        : parseSigningAlgorithm(signingAlgorithm, "GATEHOUSE_SIGNING_ALGORITHM"),
    keyRotationIntervalSeconds:
      rotationInterval === undefined
        ? null
        : parseRotationInterval(rotationInterval, "GATEHOUSE_KEY_ROTATION_INTERVAL"),
    trustedProxies: parseList(read(env, "GATEHOUSE_TRUSTED_PROXIES")).map((entry) =>
      parseCIDR(entry, "GATEHOUSE_TRUSTED_PROXIES"),
    ),
    cookieDomain: cookieDomain ?? null,
    allowedOrigins: parseList(read(env, "GATEHOUSE_ALLOWED_ORIGINS")).map((entry) =>
      parseOrigin(entry, "GATEHOUSE_ALLOWED_ORIGINS"),
    ),
    webauthnRPID: webauthnRPID === undefined ? null : parseRPID(webauthnRPID, "GATEHOUSE_WEBAUTHN_RP_ID"),
    webauthnRPName: webauthnRPName ?? null,
    webauthnOrigins:
      webauthnOrigins === undefined
        ? null
        : parseList(webauthnOrigins).map((entry) => parseOrigin(entry, "GATEHOUSE_WEBAUTHN_ORIGINS")),
    sessionIdleTimeoutSeconds: idle === undefined ? null : parseDuration(idle, "GATEHOUSE_SESSION_IDLE_TIMEOUT"),
    sessionMaxAgeSeconds: maxAge === undefined ? null : parseDuration(maxAge, "GATEHOUSE_SESSION_MAX_AGE"),
    logLevel: logLevel === undefined ? SERVER_DEFAULTS.logLevel : parseLogLevel(logLevel, "GATEHOUSE_LOG_LEVEL"),
    eventRetentionSeconds:
      eventRetention === undefined ? null : parseDuration(eventRetention, "GATEHOUSE_EVENT_RETENTION"),
    smtpURL: smtpURL === undefined ? null : parseConnectionURL(smtpURL, "SMTP_URL", ["smtp:", "smtps:"]),
    emailFrom: emailFrom === undefined ? null : parseSender(emailFrom, "GATEHOUSE_EMAIL_FROM"),
    appName: appName ?? null,
    requireEmailVerification:
      requireVerification === undefined
        ? false
        : parseBoolean(requireVerification, "GATEHOUSE_REQUIRE_EMAIL_VERIFICATION"),
    requireMFA: requireMFA === undefined ? false : parseBoolean(requireMFA, "GATEHOUSE_REQUIRE_MFA"),
    sms: parseSMS(env, { smtp: smtpURL !== undefined, production }),
    production,
    webhooksAllowPrivateNetworks:
      allowPrivateNetworks === undefined
        ? false
        : parseBoolean(allowPrivateNetworks, "GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS"),
  };
}
