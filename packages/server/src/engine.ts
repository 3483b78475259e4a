/**
 * From server configuration to a running engine, in one place for `gatehouse start` and the
 * one-off commands, so a command like `gatehouse keys rotate` runs exactly the engine the server
 * runs: same key algorithm, same token lifetimes (which decide how long a retired key stays
 * published), same encryption key.
 */
import {
  createArgon2idHasher,
  createGatehouse,
  type EmailTemplateOverrides,
  type EmailTransport,
  type Gatehouse,
  type GatehouseConfig,
  type Logger,
  type Observer,
  type SMSProvider,
  type WebhookSender,
} from "@gatehouse/core";
import { createArgon2Pool, type Argon2Pool } from "@gatehouse/core/adapters/argon2-pool";
import type { ServerConfig } from "./config.js";
import { resolveEncryptionKey } from "./encryption-key.js";
import { openDatabase, type Storage } from "./storage.js";

/** What the engine needs beyond the configuration. */
export interface EngineParts {
  storage: Pick<Storage, "database" | "sessionStore" | "rateLimiters" | "revocationLog" | "userChanges">;
  /** The resolved encryption key (base64url). */
  encryptionKey: string;
  logger: Logger;
  observer?: Observer;
  /**
   * How mail leaves, and the template overrides from the data directory. One-off commands send
   * no mail and leave it out.
   */
  email?: { transport: EmailTransport; templates: EmailTemplateOverrides };
  /**
   * Sends webhook deliveries; the server passes the Node sender. One-off commands pass none, so
   * the events they cause are queued for the server to deliver instead of being sent by a
   * process about to exit.
   */
  webhookSender?: WebhookSender;
  /** Sends text-message codes (`GATEHOUSE_SMS_PROVIDER`); one-off commands send none. */
  sms?: SMSProvider;
}

/**
 * One hashing pool per process, below the event loop's CPU priority: a sign-in storm then uses
 * the idle cores without making every other request wait for one.
 */
let argon2Pool: Argon2Pool | undefined;

/** The engine configuration for a server configuration; every unset setting keeps the engine's default. */
export function engineConfig(config: ServerConfig, parts: EngineParts): GatehouseConfig {
  return {
    baseURL: config.url,
    passwordHasher: createArgon2idHasher(undefined, { runner: (argon2Pool ??= createArgon2Pool()) }),
    database: parts.storage.database,
    sessionStore: parts.storage.sessionStore,
    rateLimiters: parts.storage.rateLimiters,
    revocationLog: parts.storage.revocationLog,
    userChanges: parts.storage.userChanges,
    strategy: config.strategy,
    encryptionKey: parts.encryptionKey,
    tokens: {
      accessTokenTTLSeconds: config.accessTokenTTLSeconds ?? undefined,
      refreshGraceSeconds: config.refreshGraceSeconds ?? undefined,
      audience: config.audience ?? undefined,
      algorithm: config.signingAlgorithm,
      keyRotationIntervalSeconds: config.keyRotationIntervalSeconds ?? undefined,
    },
    session: {
      idleTimeoutSeconds: config.sessionIdleTimeoutSeconds ?? undefined,
      maxAgeSeconds: config.sessionMaxAgeSeconds ?? undefined,
    },
    cookie: { domain: config.cookieDomain ?? undefined },
    allowedOrigins: config.allowedOrigins,
    passkeys: {
      rpID: config.webauthnRPID ?? undefined,
      rpName: config.webauthnRPName ?? undefined,
      origins: config.webauthnOrigins ?? undefined,
    },
    trustedProxies: config.trustedProxies,
    securityEvents: { retentionSeconds: config.eventRetentionSeconds ?? undefined },
    email: {
      transport: parts.email?.transport,
      templates: parts.email?.templates,
      from: config.emailFrom ?? undefined,
      appName: config.appName ?? undefined,
      requireVerification: config.requireEmailVerification,
    },
    webhooks: {
      sender: parts.webhookSender,
      allowPrivateNetworks: config.webhooksAllowPrivateNetworks,
    },
    mfa: { required: config.requireMFA },
    sms: parts.sms,
    logger: parts.logger,
    observer: parts.observer,
  };
}

/**
 * Starts the engine for `config`. A wrong encryption key is the engine's ConfigurationError,
 * whose message says what to do (the key itself is never part of it).
 */
export function startEngine(config: ServerConfig, parts: EngineParts): Promise<Gatehouse> {
  return createGatehouse(engineConfig(config, parts));
}

/**
 * Runs `task` with an engine on the configured database and nothing else: no HTTP listener, no
 * Redis (signing keys, accounts and secret keys live in the database), no key generation (a new
 * encryption key could not read what the server stored). Closes the engine afterwards.
 *
 * For one-off commands such as `gatehouse keys rotate`.
 * @throws ServerConfigError when the database or the encryption key is missing or wrong.
 */
export async function withCommandEngine<T>(
  config: ServerConfig,
  logger: Logger,
  task: (engine: Gatehouse) => Promise<T>,
): Promise<T> {
  // The database first: a missing one is the clearer sign of a command pointed at the wrong place.
  const database = await openDatabase(config, { mustExist: true });
  let engine: Gatehouse;
  try {
    const { key } = await resolveEncryptionKey(config, { generate: false });
    engine = await startEngine(config, {
      storage: { database },
      encryptionKey: key,
      logger,
      // One-off commands send no mail; an explicit no-op keeps the engine from warning that
      // mail would be dropped.
      email: { transport: { kind: "none", send: async () => {} }, templates: {} },
    });
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  try {
    return await task(engine);
  } finally {
    await engine.close();
  }
}
