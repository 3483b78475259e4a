/**
 * The server configuration parser: defaults, flag precedence, and every validator fed bad
 * input, with messages that name the variable and never echo a credential.
 */
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SETTINGS, ServerConfigError, isEncryptionKey, loadServerConfig, parseDuration } from "./config.js";

function failure(env: Record<string, string>, flags = {}): ServerConfigError {
  try {
    loadServerConfig(env, flags, "/srv");
  } catch (error) {
    expect(error).toBeInstanceOf(ServerConfigError);
    return error as ServerConfigError;
  }
  throw new Error("expected the configuration to be refused");
}

describe("loadServerConfig", () => {
  it("applies the documented defaults", () => {
    expect(loadServerConfig({}, {}, "/srv")).toEqual({
      port: 4000,
      host: "0.0.0.0",
      url: "http://localhost:4000",
      dataDir: "/srv/.gatehouse",
      databaseURL: null,
      redisURL: null,
      redisPrefix: "gatehouse:",
      strategy: "session",
      secretKey: null,
      encryptionKey: null,
      accessTokenTTLSeconds: null,
      refreshGraceSeconds: null,
      audience: null,
      signingAlgorithm: "EdDSA",
      keyRotationIntervalSeconds: null,
      trustedProxies: [],
      cookieDomain: null,
      allowedOrigins: [],
      webauthnRPID: null,
      webauthnRPName: null,
      webauthnOrigins: null,
      sessionIdleTimeoutSeconds: null,
      sessionMaxAgeSeconds: null,
      logLevel: "info",
      eventRetentionSeconds: null,
      smtpURL: null,
      emailFrom: null,
      appName: null,
      requireEmailVerification: false,
      requireMFA: false,
      sms: { provider: "mailbox" },
      production: false,
      webhooksAllowPrivateNetworks: false,
    });
  });

  it("reads every variable", () => {
    const secretKey = `gh_sk_${"a".repeat(43)}`;
    const encryptionKey = randomBytes(32).toString("base64url");
    const config = loadServerConfig(
      {
        PORT: "8080",
        HOST: "127.0.0.1",
        GATEHOUSE_URL: "https://auth.example.com/",
        GATEHOUSE_DATA_DIR: "data",
        DATABASE_URL: "postgresql://gatehouse@db:5432/gatehouse",
        REDIS_URL: "rediss://cache:6380",
        GATEHOUSE_STRATEGY: "hybrid",
        GATEHOUSE_SECRET_KEY: secretKey,
        GATEHOUSE_ENCRYPTION_KEY: encryptionKey,
        GATEHOUSE_ACCESS_TOKEN_TTL: "2m",
        GATEHOUSE_REFRESH_GRACE: "0",
        GATEHOUSE_AUDIENCE: "https://api.example.com",
        GATEHOUSE_SIGNING_ALGORITHM: "es256",
        GATEHOUSE_KEY_ROTATION_INTERVAL: "30d",
        GATEHOUSE_TRUSTED_PROXIES: "10.0.0.0/8, 192.168.1.1 ,fd00::/8",
        GATEHOUSE_COOKIE_DOMAIN: "example.com",
        GATEHOUSE_ALLOWED_ORIGINS: "https://app.example.com,http://localhost:5173/",
        GATEHOUSE_WEBAUTHN_RP_ID: "Example.com",
        GATEHOUSE_WEBAUTHN_RP_NAME: "Acme Accounts",
        GATEHOUSE_WEBAUTHN_ORIGINS: "https://auth.example.com, https://app.example.com/",
        GATEHOUSE_SESSION_IDLE_TIMEOUT: "30m",
        GATEHOUSE_SESSION_MAX_AGE: "7d",
        GATEHOUSE_LOG_LEVEL: "DEBUG",
        GATEHOUSE_REDIS_PREFIX: "auth:",
        GATEHOUSE_EVENT_RETENTION: "30d",
        SMTP_URL: "smtps://mailer:s3cret@smtp.example.com:465",
        GATEHOUSE_EMAIL_FROM: "Acme <no-reply@acme.example>",
        GATEHOUSE_APP_NAME: "Acme",
        GATEHOUSE_REQUIRE_EMAIL_VERIFICATION: "TRUE",
        GATEHOUSE_REQUIRE_MFA: "true",
        GATEHOUSE_SMS_PROVIDER: "Twilio",
        GATEHOUSE_TWILIO_ACCOUNT_SID: `AC${"0a".repeat(16)}`,
        GATEHOUSE_TWILIO_AUTH_TOKEN: "0123456789abcdef0123456789abcdef",
        GATEHOUSE_TWILIO_FROM: `MG${"1b".repeat(16)}`,
        GATEHOUSE_TWILIO_API_URL: "https://api.dublin.ie1.twilio.com/",
        NODE_ENV: "production",
        GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: "TRUE",
      },
      {},
      "/srv",
    );
    expect(config).toEqual({
      port: 8080,
      host: "127.0.0.1",
      url: "https://auth.example.com",
      dataDir: resolve("/srv", "data"),
      databaseURL: "postgresql://gatehouse@db:5432/gatehouse",
      redisURL: "rediss://cache:6380",
      redisPrefix: "auth:",
      strategy: "hybrid",
      secretKey,
      encryptionKey,
      accessTokenTTLSeconds: 120,
      refreshGraceSeconds: 0,
      audience: "https://api.example.com",
      signingAlgorithm: "ES256",
      keyRotationIntervalSeconds: 2_592_000,
      trustedProxies: ["10.0.0.0/8", "192.168.1.1", "fd00::/8"],
      cookieDomain: "example.com",
      allowedOrigins: ["https://app.example.com", "http://localhost:5173"],
      webauthnRPID: "example.com",
      webauthnRPName: "Acme Accounts",
      webauthnOrigins: ["https://auth.example.com", "https://app.example.com"],
      sessionIdleTimeoutSeconds: 1800,
      sessionMaxAgeSeconds: 604_800,
      logLevel: "debug",
      eventRetentionSeconds: 2_592_000,
      smtpURL: "smtps://mailer:s3cret@smtp.example.com:465",
      emailFrom: "Acme <no-reply@acme.example>",
      appName: "Acme",
      requireEmailVerification: true,
      requireMFA: true,
      sms: {
        provider: "twilio",
        accountSID: `AC${"0a".repeat(16)}`,
        authToken: "0123456789abcdef0123456789abcdef",
        from: `MG${"1b".repeat(16)}`,
        apiURL: "https://api.dublin.ie1.twilio.com",
      },
      production: true,
      webhooksAllowPrivateNetworks: true,
    });
  });

  it("lets flags override the environment and derives the default URL from the port", () => {
    const config = loadServerConfig(
      { PORT: "5000", HOST: "::", GATEHOUSE_STRATEGY: "hybrid" },
      { port: "6000", host: "127.0.0.1", "data-dir": "/var/lib/gatehouse", strategy: "jwt" },
      "/srv",
    );
    expect(config).toMatchObject({
      port: 6000,
      host: "127.0.0.1",
      url: "http://localhost:6000",
      dataDir: "/var/lib/gatehouse",
      strategy: "jwt",
    });
  });

  it("treats empty variables as unset", () => {
    expect(loadServerConfig({ PORT: "", DATABASE_URL: " ", REDIS_URL: "" }, {}, "/srv")).toMatchObject({
      port: 4000,
      databaseURL: null,
      redisURL: null,
    });
  });

  it.each([
    [{ PORT: "0" }, "PORT"],
    [{ PORT: "65536" }, "PORT"],
    [{ PORT: "80a" }, "PORT"],
    [{ PORT: "-1" }, "PORT"],
    [{ HOST: "not a host" }, "HOST"],
    [{ GATEHOUSE_URL: "auth.example.com" }, "GATEHOUSE_URL"],
    [{ GATEHOUSE_URL: "ftp://auth.example.com" }, "GATEHOUSE_URL"],
    [{ GATEHOUSE_URL: "https://auth.example.com/?a=1" }, "GATEHOUSE_URL"],
    [{ DATABASE_URL: "sqlite:///tmp/x.db" }, "DATABASE_URL"],
    [{ DATABASE_URL: "not a url" }, "DATABASE_URL"],
    [{ REDIS_URL: "http://cache:6379" }, "REDIS_URL"],
    [{ GATEHOUSE_STRATEGY: "cookies" }, "GATEHOUSE_STRATEGY"],
    [{ GATEHOUSE_SECRET_KEY: "gh_sk_short" }, "GATEHOUSE_SECRET_KEY"],
    [{ GATEHOUSE_SECRET_KEY: `sk_${"a".repeat(40)}` }, "GATEHOUSE_SECRET_KEY"],
    [{ GATEHOUSE_TRUSTED_PROXIES: "10.0.0.0/33" }, "GATEHOUSE_TRUSTED_PROXIES"],
    [{ GATEHOUSE_TRUSTED_PROXIES: "10.0.0.0/8,proxy.internal" }, "GATEHOUSE_TRUSTED_PROXIES"],
    [{ GATEHOUSE_TRUSTED_PROXIES: "fd00::/129" }, "GATEHOUSE_TRUSTED_PROXIES"],
    [{ GATEHOUSE_COOKIE_DOMAIN: "example.com/path" }, "GATEHOUSE_COOKIE_DOMAIN"],
    [{ GATEHOUSE_ALLOWED_ORIGINS: "https://app.example.com/login" }, "GATEHOUSE_ALLOWED_ORIGINS"],
    [{ GATEHOUSE_ALLOWED_ORIGINS: "app.example.com" }, "GATEHOUSE_ALLOWED_ORIGINS"],
    [{ GATEHOUSE_WEBAUTHN_RP_ID: "127.0.0.1" }, "GATEHOUSE_WEBAUTHN_RP_ID"],
    [{ GATEHOUSE_WEBAUTHN_RP_ID: "https://example.com" }, "GATEHOUSE_WEBAUTHN_RP_ID"],
    [{ GATEHOUSE_WEBAUTHN_RP_ID: "example.com:443" }, "GATEHOUSE_WEBAUTHN_RP_ID"],
    [{ GATEHOUSE_WEBAUTHN_ORIGINS: "https://app.example.com/login" }, "GATEHOUSE_WEBAUTHN_ORIGINS"],
    [{ GATEHOUSE_SESSION_IDLE_TIMEOUT: "0" }, "GATEHOUSE_SESSION_IDLE_TIMEOUT"],
    [{ GATEHOUSE_SESSION_IDLE_TIMEOUT: "1w" }, "GATEHOUSE_SESSION_IDLE_TIMEOUT"],
    [{ GATEHOUSE_SESSION_MAX_AGE: "-5m" }, "GATEHOUSE_SESSION_MAX_AGE"],
    [{ GATEHOUSE_LOG_LEVEL: "verbose" }, "GATEHOUSE_LOG_LEVEL"],
    [{ SMTP_URL: "http://smtp.example.com" }, "SMTP_URL"],
    [{ SMTP_URL: "smtp.example.com:587" }, "SMTP_URL"],
    [{ GATEHOUSE_EMAIL_FROM: "no-reply" }, "GATEHOUSE_EMAIL_FROM"],
    [{ GATEHOUSE_EMAIL_FROM: "a@example.com, b@example.com" }, "GATEHOUSE_EMAIL_FROM"],
    [{ GATEHOUSE_EMAIL_FROM: "a@example.com\r\nBcc: eve@evil.example" }, "GATEHOUSE_EMAIL_FROM"],
    [{ GATEHOUSE_REQUIRE_EMAIL_VERIFICATION: "maybe" }, "GATEHOUSE_REQUIRE_EMAIL_VERIFICATION"],
    [{ GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: "yes please" }, "GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS"],
    [{ GATEHOUSE_REQUIRE_MFA: "yes please" }, "GATEHOUSE_REQUIRE_MFA"],
    [{ GATEHOUSE_ENCRYPTION_KEY: "too-short" }, "GATEHOUSE_ENCRYPTION_KEY"],
    // Standard base64 with padding, as `openssl rand -base64 32` prints it.
    [{ GATEHOUSE_ENCRYPTION_KEY: randomBytes(32).toString("base64") }, "GATEHOUSE_ENCRYPTION_KEY"],
    [{ GATEHOUSE_ENCRYPTION_KEY: randomBytes(24).toString("base64url") }, "GATEHOUSE_ENCRYPTION_KEY"],
    [{ GATEHOUSE_ENCRYPTION_KEY: randomBytes(33).toString("base64url") }, "GATEHOUSE_ENCRYPTION_KEY"],
    [{ GATEHOUSE_ACCESS_TOKEN_TTL: "0" }, "GATEHOUSE_ACCESS_TOKEN_TTL"],
    [{ GATEHOUSE_ACCESS_TOKEN_TTL: "2d" }, "GATEHOUSE_ACCESS_TOKEN_TTL"],
    [{ GATEHOUSE_ACCESS_TOKEN_TTL: "soon" }, "GATEHOUSE_ACCESS_TOKEN_TTL"],
    [{ GATEHOUSE_REFRESH_GRACE: "61" }, "GATEHOUSE_REFRESH_GRACE"],
    [{ GATEHOUSE_REFRESH_GRACE: "2m" }, "GATEHOUSE_REFRESH_GRACE"],
    [{ GATEHOUSE_REFRESH_GRACE: "-1s" }, "GATEHOUSE_REFRESH_GRACE"],
    [{ GATEHOUSE_REFRESH_GRACE: "1.5s" }, "GATEHOUSE_REFRESH_GRACE"],
    [{ GATEHOUSE_AUDIENCE: "my api" }, "GATEHOUSE_AUDIENCE"],
    [{ GATEHOUSE_AUDIENCE: "x".repeat(513) }, "GATEHOUSE_AUDIENCE"],
    [{ GATEHOUSE_SIGNING_ALGORITHM: "RS256" }, "GATEHOUSE_SIGNING_ALGORITHM"],
    [{ GATEHOUSE_SIGNING_ALGORITHM: "none" }, "GATEHOUSE_SIGNING_ALGORITHM"],
    [{ GATEHOUSE_KEY_ROTATION_INTERVAL: "30s" }, "GATEHOUSE_KEY_ROTATION_INTERVAL"],
    [{ GATEHOUSE_KEY_ROTATION_INTERVAL: "monthly" }, "GATEHOUSE_KEY_ROTATION_INTERVAL"],
    [{ GATEHOUSE_EVENT_RETENTION: "forever" }, "GATEHOUSE_EVENT_RETENTION"],
    [{ GATEHOUSE_EVENT_RETENTION: "0" }, "GATEHOUSE_EVENT_RETENTION"],
  ])("refuses %j with a message naming %s", (env, name) => {
    expect(failure(env).message).toContain(name);
  });

  it("names the flag when the bad value came from one", () => {
    expect(failure({}, { port: "http" }).message).toMatch(/^--port \(overrides PORT\)/);
    expect(failure({}, { port: "" }).message).toMatch(/--port needs a value/);
  });

  it("never echoes a value that can carry a credential", () => {
    const secret = "hunter2-very-secret";
    expect(failure({ DATABASE_URL: `mysql://admin:${secret}@db/auth` }).message).not.toContain(secret);
    expect(failure({ REDIS_URL: `http://:${secret}@cache:6379` }).message).not.toContain(secret);
    expect(failure({ GATEHOUSE_SECRET_KEY: `gh_sk_${secret}` }).message).not.toContain(secret);
    expect(failure({ GATEHOUSE_URL: `https://admin:${secret}@auth.example.com` }).message).not.toContain(secret);
    expect(failure({ SMTP_URL: `http://mailer:${secret}@smtp.example.com` }).message).not.toContain(secret);
    expect(failure({ GATEHOUSE_ENCRYPTION_KEY: secret }).message).not.toContain(secret);
    const almost = `${randomBytes(32).toString("base64url")}=`;
    expect(failure({ GATEHOUSE_ENCRYPTION_KEY: almost }).message).not.toContain(almost);
  });

  it("accepts the whole refresh grace range, zero included", () => {
    for (const [value, seconds] of [
      ["0", 0],
      ["0s", 0],
      ["20s", 20],
      ["60", 60],
      ["1m", 60],
    ] as const) {
      expect(loadServerConfig({ GATEHOUSE_REFRESH_GRACE: value }, {}, "/srv").refreshGraceSeconds).toBe(seconds);
    }
  });

  it("documents every variable it reads in SETTINGS, with a one-line description", () => {
    const documented = new Set(SETTINGS.map((setting) => setting.env));
    for (const name of [
      "GATEHOUSE_ENCRYPTION_KEY",
      "GATEHOUSE_ACCESS_TOKEN_TTL",
      "GATEHOUSE_REFRESH_GRACE",
      "GATEHOUSE_AUDIENCE",
      "GATEHOUSE_SIGNING_ALGORITHM",
      "GATEHOUSE_KEY_ROTATION_INTERVAL",
      "SMTP_URL",
      "GATEHOUSE_EMAIL_FROM",
      "GATEHOUSE_APP_NAME",
      "GATEHOUSE_REQUIRE_EMAIL_VERIFICATION",
      "GATEHOUSE_REQUIRE_MFA",
      "GATEHOUSE_SMS_PROVIDER",
      "GATEHOUSE_TWILIO_ACCOUNT_SID",
      "GATEHOUSE_TWILIO_AUTH_TOKEN",
      "GATEHOUSE_TWILIO_FROM",
      "GATEHOUSE_TWILIO_API_URL",
      "NODE_ENV",
    ]) {
      expect(documented.has(name), name).toBe(true);
    }
    for (const setting of SETTINGS) expect(setting.description).not.toContain("\n");
  });
});

describe("GATEHOUSE_SMS_PROVIDER", () => {
  const twilio = {
    GATEHOUSE_SMS_PROVIDER: "twilio",
    GATEHOUSE_TWILIO_ACCOUNT_SID: `AC${"0a".repeat(16)}`,
    GATEHOUSE_TWILIO_AUTH_TOKEN: "0123456789abcdef0123456789abcdef",
    GATEHOUSE_TWILIO_FROM: "+15017122661",
  };

  it("defaults to the mailbox exactly when email goes there outside production, else off", () => {
    expect(loadServerConfig({}, {}, "/srv").sms).toEqual({ provider: "mailbox" });
    expect(loadServerConfig({ SMTP_URL: "smtp://smtp.example.com" }, {}, "/srv").sms).toBeNull();
    expect(loadServerConfig({ NODE_ENV: "production" }, {}, "/srv").sms).toBeNull();
    expect(
      loadServerConfig({ SMTP_URL: "smtp://smtp.example.com", GATEHOUSE_SMS_PROVIDER: "mailbox" }, {}, "/srv").sms,
    ).toEqual({ provider: "mailbox" });
    expect(loadServerConfig(twilio, {}, "/srv").sms).toEqual({
      provider: "twilio",
      accountSID: twilio.GATEHOUSE_TWILIO_ACCOUNT_SID,
      authToken: twilio.GATEHOUSE_TWILIO_AUTH_TOKEN,
      from: "+15017122661",
      apiURL: "https://api.twilio.com",
    });
  });

  it.each([
    [{ GATEHOUSE_SMS_PROVIDER: "mailbox", NODE_ENV: "production" }, /not in production/],
    [{ GATEHOUSE_SMS_PROVIDER: "carrier-pigeon" }, /must be twilio or mailbox/],
    [
      { GATEHOUSE_SMS_PROVIDER: "twilio" },
      /needs GATEHOUSE_TWILIO_ACCOUNT_SID, GATEHOUSE_TWILIO_AUTH_TOKEN, GATEHOUSE_TWILIO_FROM/,
    ],
    [{ ...twilio, GATEHOUSE_TWILIO_FROM: "" }, /needs GATEHOUSE_TWILIO_FROM/],
    [{ ...twilio, GATEHOUSE_TWILIO_ACCOUNT_SID: "AC123" }, /GATEHOUSE_TWILIO_ACCOUNT_SID must be AC/],
    [{ ...twilio, GATEHOUSE_TWILIO_FROM: "15017122661" }, /GATEHOUSE_TWILIO_FROM must be an E.164 number/],
    [{ ...twilio, GATEHOUSE_TWILIO_AUTH_TOKEN: "short" }, /GATEHOUSE_TWILIO_AUTH_TOKEN must be/],
    [{ ...twilio, GATEHOUSE_TWILIO_API_URL: "ftp://api.example.com" }, /GATEHOUSE_TWILIO_API_URL/],
    [
      { GATEHOUSE_TWILIO_AUTH_TOKEN: twilio.GATEHOUSE_TWILIO_AUTH_TOKEN },
      /GATEHOUSE_TWILIO_AUTH_TOKEN is set but GATEHOUSE_SMS_PROVIDER is not twilio/,
    ],
  ])("refuses %j with a clear message", (env, message) => {
    expect(() => loadServerConfig(env, {}, "/srv")).toThrow(message);
  });

  it("never echoes the auth token", () => {
    const token = "secret token with spaces";
    let message = "";
    try {
      loadServerConfig({ ...twilio, GATEHOUSE_TWILIO_AUTH_TOKEN: token }, {}, "/srv");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("GATEHOUSE_TWILIO_AUTH_TOKEN");
    expect(message).not.toContain(token);
  });
});

describe("isEncryptionKey", () => {
  it("accepts 32 random bytes in unpadded base64url and nothing else", () => {
    expect(isEncryptionKey(randomBytes(32).toString("base64url"))).toBe(true);
    expect(isEncryptionKey(randomBytes(32).toString("base64"))).toBe(false);
    expect(isEncryptionKey(randomBytes(31).toString("base64url"))).toBe(false);
    expect(isEncryptionKey(` ${randomBytes(32).toString("base64url")}`)).toBe(false);
    expect(isEncryptionKey("")).toBe(false);
  });
});

describe("parseDuration", () => {
  it.each([
    ["90", 90],
    ["90s", 90],
    ["30m", 1800],
    ["12h", 43_200],
    ["7d", 604_800],
    ["7D", 604_800],
  ])("parses %s as %i seconds", (value, seconds) => {
    expect(parseDuration(value, "X")).toBe(seconds);
  });

  it.each(["", "m", "1.5h", "0s", "10 minutes", "1e3", "99999999999999d"])("refuses %j", (value) => {
    expect(() => parseDuration(value, "GATEHOUSE_SESSION_MAX_AGE")).toThrow(/GATEHOUSE_SESSION_MAX_AGE/);
  });
});
