/**
 * The public shape of a running engine, kept apart from its construction so edges (the
 * server, the SDK later) depend on a small interface.
 */

import type { Verifier } from "@gatehouse/sdk";
import type { EventListener } from "./events/bus.js";
import type { SecretKeyService } from "./secret-keys/service.js";
import type { SecurityEventLog } from "./security-events/recorder.js";
import type { UserAdminService } from "./user-admin/service.js";
import type { UserImporter } from "./user-import/importer.js";

/** What the edge knows about the connection, which a web `Request` cannot carry. */
export interface RequestContext {
  /** The TCP peer's address. `X-Forwarded-For` is believed only when this is a trusted proxy. */
  remoteAddress?: string;
  /**
   * The request target's path exactly as it arrived (Node's `IncomingMessage.url` without the
   * query), before URL parsing resolved `..` segments. The admin API refuses any admin path
   * that is not already canonical; without this, only what survives URL parsing can be checked.
   * @default the parsed request URL's pathname
   */
  rawPath?: string;
  /**
   * Reads the request body as the edge received it, giving up once it exceeds `limitBytes`
   * (then null). A Node edge reads its `IncomingMessage` directly this way, where reading
   * `request.body` would first build a web `Request` and a stream adapter around it.
   * @default the body read from `request.body`
   */
  readBody?: (limitBytes: number) => Promise<Uint8Array | null>;
}

/** Result of `checkReadiness`: one entry per dependency. */
export interface ReadinessReport {
  ok: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

/**
 * The back office from code: what the admin API does, for embedders and the CLI. Pass an
 * `actor` to name who acted in the security events (`{ type: "system", id: null }` for scripts).
 */
export interface GatehouseAdmin {
  secretKeys: SecretKeyService;
  users: UserAdminService;
  securityEvents: SecurityEventLog;
  /** Import (JSONL, CSV, Firebase JSON; foreign password hashes kept) and export (JSONL). */
  importer: UserImporter;
}

/** A running Gatehouse engine. */
export interface Gatehouse {
  /**
   * Answers one HTTP request of the Gatehouse API. Never throws: every failure becomes a
   * problem+json response.
   */
  handler(request: Request, context?: RequestContext): Promise<Response>;
  /** Pings the database and the session store; never throws. */
  checkReadiness(): Promise<ReadinessReport>;
  /**
   * Makes sure an admin secret key exists. With `provided` (from `GATEHOUSE_SECRET_KEY`) its hash
   * is recorded; without it, a key is generated the first time only and returned once so the
   * caller can show it. Returns null when no new key was generated.
   */
  ensureSecretKey(provided?: string): Promise<string | null>;
  /**
   * Verifies requests in-process (embedded mode): the same verifier as `@gatehouse/sdk`'s
   * `createVerifier`, fed from this engine's keys, session store and revocation log, so there is
   * no network between the app and its auth. Created on first use; closed with the engine.
   *
   * @example
   * ```ts
   * const state = await gatehouse.verifier.authenticateRequest(request);
   * if (state.status === "signed-in") console.log(state.userId);
   * ```
   */
  readonly verifier: Verifier;
  /**
   * What this engine offers beyond passwords and email links, for a UI deciding what to show:
   * `passkeys` (a WebAuthn relying party is configured), `sms` (an SMS provider and the
   * encryption key are there).
   */
  readonly features: { passkeys: boolean; sms: boolean };
  /**
   * In-process subscription to what happens (sign-ups, sign-ins, revocations). Listeners run
   * after the response is decided and never delay or fail it; `flush` waits for them.
   */
  events: {
    subscribe(listener: EventListener): () => void;
    flush(): Promise<void>;
  };
  /** Email delivery, which happens after responses are sent. */
  email: {
    /**
     * Resolves once every message queued so far is delivered (or given up after its retries) and
     * the background work of email requests has finished. For tests and shutdown; never needed
     * to answer a request.
     */
    flush(): Promise<void>;
  };
  /**
   * Makes a new signing key and retires the current one (still published until its tokens have
   * expired). For `gatehouse keys rotate`; the admin API offers the same.
   * @throws NotAvailableError when the engine runs without an encryption key.
   */
  rotateSigningKey(): Promise<{ kid: string }>;
  /** Users, secret keys, security events, import and export, without HTTP. */
  admin: GatehouseAdmin;
  /** Webhook delivery controls. */
  webhooks: {
    /**
     * Runs one pass of the delivery worker now: attempts every delivery that is due and resolves
     * with the number of attempts made. The background worker does this on its own; call it
     * when it is off (`webhooks.pollIntervalMs: 0`), e.g. from a cron in a serverless deployment.
     * @throws ConfigurationError when the engine has no webhook sender.
     */
    deliverDue(): Promise<number>;
  };
  /** The OpenAPI 3.1 document generated from the engine's routes. */
  openAPIDocument(): Record<string, unknown>;
  /**
   * Stops timers and the webhook worker (in-flight deliveries are aborted and retried later),
   * then closes the database and session store.
   */
  close(): Promise<void>;
}
