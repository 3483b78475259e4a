/**
 * `createGatehouse`: wires configuration, storage, services and routes into a running engine.
 * This is the embedded mode's entry point and what `gatehouse start` runs.
 */
import { accountRoutes } from "./accounts/routes.js";
import { createAccountService } from "./accounts/service.js";
import { resolveConfig, type GatehouseConfig } from "./config.js";
import { ConfigurationError } from "./errors/index.js";
import { createMemoryRateLimiters } from "./adapters/memory/index.js";
import { createOutbox } from "./email/outbox.js";
import { emailPageRoutes } from "./email/pages.js";
import { emailRoutes } from "./email/routes.js";
import { createEmailService } from "./email/service.js";
import { createDroppingTransport } from "./email/transport.js";
import { createEventBus } from "./events/bus.js";
import { parseTrustedProxies } from "./http/client-ip.js";
import { createHandler } from "./http/handler.js";
import { buildOpenAPIDocument } from "./http/openapi.js";
import { defineRoute, jsonResponse, type AnyRoute } from "./http/route.js";
import { base64url, randomBytes, randomId, sha256base64url } from "./lib/encoding.js";
import { silentLogger } from "./lib/logger.js";
import { createArgon2idHasher } from "./passwords/hasher.js";
import { sessionRoutes } from "./sessions/routes.js";
import { createSessionService } from "./sessions/service.js";
import { createThrottle } from "./throttle/throttle.js";
import type { Gatehouse, ReadinessReport } from "./types.js";
import { VERSION } from "./version.js";

/** How often expired sessions are swept from stores that do not expire them themselves. */
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** Prefix of admin secret keys, so they are recognisable in code and by secret scanners. */
const SECRET_KEY_PREFIX = "gh_sk_";

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
  const hasher = config.passwordHasher ?? createArgon2idHasher();
  const { database, sessionStore, clock } = resolved;
  const trustedProxies = parseTrustedProxies(resolved.trustedProxies);

  await database.migrate();
  // Verified against when an account does not exist, so that answer costs one real Argon2id
  // verification like a wrong password does. Made once, at start, with current parameters.
  const dummyHash = await hasher.hash(base64url(randomBytes(24)));

  const events = createEventBus({ clock, logger });
  const sessions = createSessionService({
    store: sessionStore,
    events,
    users: database,
    idleTimeoutSeconds: resolved.session.idleTimeoutSeconds,
    maxAgeSeconds: resolved.session.maxAgeSeconds,
    clock,
  });
  const rateLimiters = config.rateLimiters ?? createMemoryRateLimiters();
  const throttle = createThrottle({
    rateLimiters,
    limits: resolved.throttle,
    logger,
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

  const routes: AnyRoute[] = [
    ...accountRoutes({ accounts, sessions, cookie: resolved.cookie, clock }),
    ...sessionRoutes({ sessions, cookie: resolved.cookie }),
    ...emailRoutes({ email, sessions, cookie: resolved.cookie, clock }),
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
    sessions,
    cookie: resolved.cookie,
    allowedOrigins: resolved.allowedOrigins,
    trustedProxies,
    bodyLimitBytes: resolved.bodyLimitBytes,
    logger,
    observer,
  });

  const sweep = setInterval(() => {
    sessionStore.deleteExpiredSessions(clock()).catch((err: unknown) => {
      logger.warn({ err }, "sweeping expired sessions failed");
    });
    database.deleteExpiredEmailTokens(clock()).catch((err: unknown) => {
      logger.warn({ err }, "sweeping expired email tokens failed");
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

  return {
    handler,
    openAPIDocument,
    events: { subscribe: events.subscribe, flush: events.flush },
    email: {
      async flush() {
        // Event listeners queue notices; the outbox's tasks and deliveries come after them.
        await events.flush();
        await outbox.flush();
      },
    },

    async checkReadiness(): Promise<ReadinessReport> {
      const checks: ReadinessReport["checks"] = { database: await check(() => database.ping()) };
      if (sessionStore !== database.sessions) checks.sessions = await check(() => sessionStore.ping());
      return { ok: Object.values(checks).every((each) => each.ok), checks };
    },

    async ensureSecretKey(provided) {
      if (provided !== undefined) {
        if (!provided.startsWith(SECRET_KEY_PREFIX) || provided.length < SECRET_KEY_PREFIX.length + 32) {
          throw new ConfigurationError(
            `GATEHOUSE_SECRET_KEY must start with "${SECRET_KEY_PREFIX}" followed by at least 32 random characters.`,
          );
        }
        const keyHash = await sha256base64url(provided);
        if (!(await database.findActiveSecretKey(keyHash))) {
          await database.createSecretKey({ id: randomId("sk"), keyHash, createdAt: clock(), revokedAt: null });
        }
        return null;
      }
      if ((await database.countActiveSecretKeys()) > 0) return null;
      const key = `${SECRET_KEY_PREFIX}${base64url(randomBytes(32))}`;
      await database.createSecretKey({
        id: randomId("sk"),
        keyHash: await sha256base64url(key),
        createdAt: clock(),
        revokedAt: null,
      });
      return key;
    },

    async close() {
      clearInterval(sweep);
      await events.flush();
      // Before the database closes: background email work still reads and writes it.
      await outbox.close();
      if (sessionStore !== database.sessions) await sessionStore.close();
      await database.close();
    },
  };
}
