/**
 * `createGatehouse`: wires configuration, storage, services and routes into a running engine.
 * This is the embedded mode's entry point and what `gatehouse start` runs.
 */
import { createVerifier, type Verifier } from "@gatehouse/sdk";
import { accountRoutes } from "./accounts/routes.js";
import { createAccountService } from "./accounts/service.js";
import { createUserCache } from "./accounts/user-cache.js";
import { createAdminGuard } from "./admin/guard.js";
import { resolveConfig, type GatehouseConfig } from "./config.js";
import { ConfigurationError, NotAvailableError } from "./errors/index.js";
import { createMemoryRateLimiters } from "./adapters/memory/index.js";
import { createOutbox } from "./email/outbox.js";
import { emailPageRoutes } from "./email/pages.js";
import { emailRoutes } from "./email/routes.js";
import { createEmailService } from "./email/service.js";
import { createDroppingTransport } from "./email/transport.js";
import { createEventBus } from "./events/bus.js";
import { createSigningKeyManager, KEY_RELOAD_INTERVAL_MS } from "./keys/service.js";
import { keyRoutes } from "./keys/routes.js";
import { mfaRoutes } from "./mfa/routes.js";
import { createMFAService } from "./mfa/service.js";
import { passkeyRoutes } from "./passkeys/routes.js";
import { createPasskeyService } from "./passkeys/service.js";
import { createSMSCodes } from "./mfa/sms.js";
import { createEncrypter, createMAC } from "./lib/encryption.js";
import { createSessionTransport } from "./sessions/transport.js";
import { revocationFeedRoutes } from "./tokens/feed.js";
import { tokenRoutes } from "./tokens/routes.js";
import { createTokenService } from "./tokens/service.js";
import { parseTrustedProxies } from "./http/client-ip.js";
import { createHandler } from "./http/handler.js";
import { buildOpenAPIDocument } from "./http/openapi.js";
import { defineRoute, jsonResponse, type AnyRoute } from "./http/route.js";
import { base64url, randomBytes } from "./lib/encoding.js";
import { silentLogger } from "./lib/logger.js";
import { createImportAwareHasher } from "./passwords/imported.js";
import { createArgon2idHasher } from "./passwords/hasher.js";
import { secretKeyRoutes } from "./secret-keys/routes.js";
import { createSecretKeyService } from "./secret-keys/service.js";
import { createSecurityEventLog } from "./security-events/recorder.js";
import { securityEventRoutes } from "./security-events/routes.js";
import { sessionRoutes } from "./sessions/routes.js";
import { createSessionService } from "./sessions/service.js";
import { userAdminRoutes } from "./user-admin/routes.js";
import { createUserAdminService } from "./user-admin/service.js";
import { createUserImporter } from "./user-import/importer.js";
import { userImportRoutes } from "./user-import/routes.js";
import { createThrottle } from "./throttle/throttle.js";
import type { Gatehouse, ReadinessReport } from "./types.js";
import { VERSION } from "./version.js";
import { webhookRoutes } from "./webhooks/routes.js";
import { createWebhookSecretBox } from "./webhooks/secrets.js";
import { createWebhookService } from "./webhooks/service.js";
import { createWebhookWorker, type WebhookWorker } from "./webhooks/worker.js";

/** How often expired sessions and dead revocations are swept. */
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
/** The most a verifier's clock may differ from ours; revocations and retired keys outlive tokens by it. */
const MAX_CLOCK_SKEW_MS = 60_000;

/**
 * Creates an engine: applies pending migrations, then returns the handler and its companions.
 *
 * @example
 * ```ts
 * import { createGatehouse } from "@gatehouse/core";
 * import { createSQLiteDatabase } from "@gatehouse/core/adapters/sqlite";
 *
 * const gatehouse = await createGatehouse({
 *   baseURL: "https://auth.example.com",
 *   database: createSQLiteDatabase({ filename: ".gatehouse/gatehouse.db" }),
 * });
 * const response = await gatehouse.handler(request, { remoteAddress });
 * ```
 * @throws ConfigurationError when the configuration cannot work.
 */
export async function createGatehouse(config: GatehouseConfig): Promise<Gatehouse> {
  const resolved = resolveConfig(config);
  const logger = config.logger ?? silentLogger;
  const observer = config.observer ?? {};
  // Imported users keep their old hashes until their next sign-in upgrades them to the main hasher.
  const hasher = createImportAwareHasher(config.passwordHasher ?? createArgon2idHasher());
  const { sessionStore, revocationLog, clock } = resolved;
  // Every part of the engine writes users through `database`, so each change reaches the cache.
  const userCache = createUserCache({ database: resolved.database, changes: resolved.userChanges, clock });
  const { database } = userCache;
  const trustedProxies = parseTrustedProxies(resolved.trustedProxies);

  await database.migrate();
  // Verified against when an account does not exist, so that answer costs one real Argon2id
  // verification like a wrong password does. Made once, at start, with current parameters.
  const dummyHash = await hasher.hash(base64url(randomBytes(24)));

  const events = createEventBus({ clock, logger });
  // Subscribed first, so the log holds every event, including those of the first requests.
  const securityEvents = createSecurityEventLog({
    store: database,
    events,
    clock,
    retentionSeconds: resolved.securityEvents.retentionSeconds,
  });
  const accessTokenTTLMs = resolved.tokens.accessTokenTTLSeconds * 1000;
  const sessions = createSessionService({
    store: sessionStore,
    events,
    revocations: revocationLog,
    // Long enough for any access token of the session to expire, at any verifier's clock.
    revocationRetentionMs: accessTokenTTLMs + MAX_CLOCK_SKEW_MS,
    users: userCache,
    idleTimeoutSeconds: resolved.session.idleTimeoutSeconds,
    maxAgeSeconds: resolved.session.maxAgeSeconds,
    clock,
  });
  // Signing keys need the encryption key; without one (embedded `session` strategy) none exist.
  const keys = resolved.encryptionKey
    ? await createSigningKeyManager({
        store: database,
        encrypter: await createEncrypter(resolved.encryptionKey, "signing-keys"),
        algorithm: resolved.tokens.algorithm,
        publishWindowMs: accessTokenTTLMs + MAX_CLOCK_SKEW_MS + KEY_RELOAD_INTERVAL_MS,
        rotationIntervalMs:
          resolved.tokens.keyRotationIntervalSeconds === null
            ? null
            : resolved.tokens.keyRotationIntervalSeconds * 1000,
        clock,
        events,
        logger,
      })
    : null;
  const tokens =
    resolved.strategy === "session" || !keys || !resolved.encryptionKey
      ? null
      : createTokenService({
          keys,
          store: sessionStore,
          users: userCache,
          sessions,
          events,
          mac: await createMAC(resolved.encryptionKey, "refresh-tokens"),
          issuer: resolved.issuer,
          audience: resolved.tokens.audience,
          accessTokenTTLSeconds: resolved.tokens.accessTokenTTLSeconds,
          refreshGraceSeconds: resolved.tokens.refreshGraceSeconds,
          idleTimeoutSeconds: resolved.session.idleTimeoutSeconds,
          clock,
        });
  const transport = createSessionTransport({
    strategy: resolved.strategy,
    cookie: resolved.cookie,
    sessions,
    store: sessionStore,
    tokens,
    clock,
  });
  const rateLimiters = config.rateLimiters ?? createMemoryRateLimiters();
  const throttle = createThrottle({
    rateLimiters,
    limits: resolved.throttle,
    logger,
  });
  const mfa = createMFAService({
    store: database,
    users: database,
    sessions,
    events,
    clock,
    encrypter: resolved.encryptionKey ? await createEncrypter(resolved.encryptionKey, "totp-secrets") : null,
    mac: resolved.encryptionKey ? await createMAC(resolved.encryptionKey, "backup-codes") : null,
    issuer: resolved.mfa.issuer,
    required: resolved.mfa.required,
    sms: createSMSCodes({
      store: database,
      provider: resolved.sms,
      encrypter: resolved.encryptionKey ? await createEncrypter(resolved.encryptionKey, "sms-phone-numbers") : null,
      mac: resolved.encryptionKey ? await createMAC(resolved.encryptionKey, "sms-codes") : null,
      throttle,
      clock,
      logger,
      appName: resolved.email.appName,
      host: resolved.baseURL.host,
    }),
  });
  const accounts = createAccountService({
    users: database,
    sessions,
    hasher,
    throttle,
    events,
    observer,
    clock,
    dummyHash,
    requireEmailVerification: resolved.email.requireVerification,
    mfa,
  });
  if (resolved.email.transport === null) {
    logger.warn({}, "no email transport configured: emails are dropped (set SMTP_URL, or email.transport)");
  }
  const outbox = createOutbox({
    transport: resolved.email.transport ?? createDroppingTransport(logger),
    from: resolved.email.from,
    logger,
    retryDelaysMs: resolved.email.retryDelaysMs,
  });
  const email = createEmailService({
    database,
    accounts,
    sessions,
    hasher,
    throttle,
    rateLimiters,
    events,
    outbox,
    clock,
    baseURL: resolved.baseURL,
    allowedOrigins: resolved.allowedOrigins,
    appName: resolved.email.appName,
    templates: resolved.email.templates,
    passwordResetPageURL: resolved.email.passwordResetPageURL,
    verificationPageURL: resolved.email.verificationPageURL,
    limits: { emailPerAddress: resolved.throttle.emailPerAddress, emailPerIP: resolved.throttle.emailPerIP },
  });

  const passkeys = createPasskeyService({
    store: database,
    users: database,
    accounts,
    events,
    clock,
    relyingParty: resolved.passkeys,
    rateLimiters,
    signInPerIP: resolved.throttle.signInPerIP,
  });

  const secretKeys = createSecretKeyService({ keys: database, events, clock });
  const userAdmin = createUserAdminService({ users: database, sessions, hasher, events, clock });
  const userImporter = createUserImporter({ users: database, events, clock });

  const webhookSecrets = resolved.encryptionKey ? createWebhookSecretBox(resolved.encryptionKey) : null;
  const webhookSender = resolved.webhooks.sender;
  const webhookWorker: WebhookWorker | null = webhookSender
    ? createWebhookWorker({
        store: database,
        sender: webhookSender,
        secrets: webhookSecrets,
        allowPrivateNetworks: resolved.webhooks.allowPrivateNetworks,
        timeoutMs: resolved.webhooks.timeoutMs,
        pollIntervalMs: resolved.webhooks.pollIntervalMs,
        clock,
        logger,
      })
    : null;
  const webhooks = createWebhookService({
    store: database,
    users: database,
    secrets: webhookSecrets,
    allowPrivateNetworks: resolved.webhooks.allowPrivateNetworks,
    maxAttempts: resolved.webhooks.maxAttempts,
    hasSender: webhookWorker !== null,
    onQueued: () => webhookWorker?.nudge(),
    clock,
    logger,
  });
  // Deliveries are queued in the database after the response, like every listener's work.
  events.subscribe((event) => webhooks.handleEvent(event));
  if (resolved.webhooks.allowPrivateNetworks) {
    logger.warn({}, "webhooks may reach private networks and use plain http: for development and tests only");
  }

  const routes: AnyRoute[] = [
    ...accountRoutes({ accounts, transport, cookie: resolved.cookie }),
    ...sessionRoutes({ sessions, transport, clock }),
    ...tokenRoutes({
      tokens,
      transport,
      cookie: resolved.cookie,
      baseURL: resolved.baseURL,
      allowedOrigins: resolved.allowedOrigins,
    }),
    ...keyRoutes({ keys, issuer: resolved.issuer }),
    ...revocationFeedRoutes({ log: revocationLog }),
    // Import and export before `/v1/admin/users/{id}`, whose pattern would match them too.
    ...userImportRoutes({ importer: userImporter }),
    ...userAdminRoutes({ userAdmin }),
    ...secretKeyRoutes({ secretKeys }),
    ...securityEventRoutes({ log: securityEvents }),
    ...webhookRoutes({ webhooks, clock }),
    ...emailRoutes({ email, transport, cookie: resolved.cookie, baseURL: resolved.baseURL }),
    ...mfaRoutes({ mfa, accounts, transport, cookie: resolved.cookie, clock }),
    ...passkeyRoutes({ passkeys, accounts, transport, cookie: resolved.cookie }),
  ];
  let openAPI: Record<string, unknown> | undefined;
  const openAPIDocument = (): Record<string, unknown> =>
    (openAPI ??= buildOpenAPIDocument(routes, {
      serverURL: resolved.baseURL.origin,
      version: VERSION,
      cookieName: resolved.cookie.name,
    }));
  routes.push(
    defineRoute({
      method: "GET",
      path: "/v1/openapi.json",
      summary: "This document",
      tag: "Meta",
      auth: "none",
      responses: { 200: { description: "The OpenAPI 3.1 document" } },
      handle: async () => jsonResponse(200, openAPIDocument()),
    }),
  );

  const handler = createHandler({
    // The pages are served but are not part of the API document.
    routes: [...routes, ...emailPageRoutes({ baseURL: resolved.baseURL })],
    authenticate: transport.authenticate,
    allowedOrigins: resolved.allowedOrigins,
    trustedProxies,
    bodyLimitBytes: resolved.bodyLimitBytes,
    logger,
    observer,
    adminGuard: createAdminGuard({ keys: database, clock }),
  });

  const sweep = setInterval(() => {
    sessionStore.deleteExpiredSessions(clock()).catch((err: unknown) => {
      logger.warn({ err }, "sweeping expired sessions failed");
    });
    revocationLog.prune(clock()).catch((err: unknown) => {
      logger.warn({ err }, "pruning the revocation log failed");
    });
    securityEvents.sweep().catch((err: unknown) => {
      logger.warn({ err }, "sweeping old security events failed");
    });
    database.deleteExpiredEmailTokens(clock()).catch((err: unknown) => {
      logger.warn({ err }, "sweeping expired email tokens failed");
    });
    database.deleteFinishedWebhookDeliveries(clock() - resolved.webhooks.retentionMs).catch((err: unknown) => {
      logger.warn({ err }, "sweeping old webhook deliveries failed");
    });
    mfa.sweep().catch((err: unknown) => {
      logger.warn({ err }, "sweeping expired second-factor challenges failed");
    });
    passkeys.sweep().catch((err: unknown) => {
      logger.warn({ err }, "sweeping expired passkey challenges failed");
    });
  }, SWEEP_INTERVAL_MS);
  // The sweep must never keep a process alive on its own.
  (sweep as { unref?: () => void }).unref?.();

  async function check(ping: () => Promise<void>): Promise<{ ok: boolean; error?: string }> {
    try {
      await ping();
      return { ok: true };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  let verifier: Verifier | undefined;
  const embeddedVerifier = (): Verifier =>
    (verifier ??= createVerifier({
      url: resolved.baseURL.href,
      issuer: resolved.issuer,
      audience: resolved.tokens.audience,
      algorithms: keys ? keys.publishedAlgorithms() : [resolved.tokens.algorithm],
      ...(keys ? { keys: keys.resolveKey } : {}),
      revocations: revocationLog,
      sessions: sessionStore,
      sessionIdleTimeoutSeconds: resolved.session.idleTimeoutSeconds,
      ...(resolved.cookie.domain ? { cookieDomain: resolved.cookie.domain } : {}),
      logger,
      clock,
    }));

  // Started last, once everything it may touch exists; picks up what was due before a restart.
  webhookWorker?.start();

  return {
    handler,
    openAPIDocument,
    features: {
      passkeys: resolved.passkeys !== null,
      sms: resolved.sms !== null && resolved.encryptionKey !== null,
    },
    get verifier() {
      return embeddedVerifier();
    },
    async rotateSigningKey() {
      if (!keys) throw new NotAvailableError("No signing keys: the engine was started without an encryption key.");
      return keys.rotate({ type: "system", id: null });
    },
    events: { subscribe: events.subscribe, flush: events.flush },
    email: {
      async flush() {
        // Event listeners queue notices; the outbox's tasks and deliveries come after them.
        await events.flush();
        await outbox.flush();
      },
    },
    webhooks: {
      deliverDue() {
        if (!webhookWorker) {
          return Promise.reject(
            new ConfigurationError(
              "This engine has no webhook sender: pass webhooks.sender (createNodeWebhookSender() on Node).",
            ),
          );
        }
        return webhookWorker.deliverDue();
      },
    },

    async checkReadiness(): Promise<ReadinessReport> {
      const checks: ReadinessReport["checks"] = { database: await check(() => database.ping()) };
      if (sessionStore !== database.sessions) checks.sessions = await check(() => sessionStore.ping());
      return { ok: Object.values(checks).every((each) => each.ok), checks };
    },

    ensureSecretKey: (provided) => secretKeys.ensure(provided),

    admin: {
      secretKeys,
      users: userAdmin,
      securityEvents,
      importer: userImporter,
    },

    async close() {
      clearInterval(sweep);
      await verifier?.close();
      keys?.close();
      userCache.close();
      // Listeners first (they may queue deliveries), then the worker, before the database goes.
      await events.flush();
      securityEvents.stop();
      // Before the database closes: background email work still reads and writes it.
      await outbox.close();
      await webhookWorker?.stop();
      if (sessionStore !== database.sessions) await sessionStore.close();
      await database.close();
    },
  };
}
