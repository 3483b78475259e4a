/**
 * The delivery worker: claims due deliveries from the database, signs and sends each one, and
 * records the attempt — success, a retry scheduled with exponential backoff and jitter, or
 * final failure once the attempts run out.
 *
 * Deliveries live in the database, not in memory, so a restart loses nothing: whichever engine
 * runs the worker next (this one restarted, or another instance on the same PostgreSQL) picks
 * up what is due. Claims are atomic and leased, so two workers never make the same attempt;
 * an engine shutting down aborts its in-flight requests and gives those claims back.
 *
 * Time: due times and leases follow the engine's clock (tests freeze it); the poll timer and
 * request timeouts are real time.
 */
import type { Logger } from "../lib/logger.js";
import type { ClaimedWebhookDelivery, WebhookEndpointRecord, WebhookStore } from "../storage/ports.js";
import { VERSION } from "../version.js";
import { WebhookSecretUnreadableError, type WebhookSecretBox } from "./secrets.js";
import { WebhookSendError, type WebhookSender } from "./sender.js";
import { signWebhook } from "./signing.js";

/** First retry delay; each next one is {@link RETRY_FACTOR} times longer. */
export const RETRY_BASE_DELAY_MS = 10_000;
/** Growth of the retry delay per attempt. */
export const RETRY_FACTOR = 5;
/** Longest wait between two attempts. */
export const RETRY_MAX_DELAY_MS = 12 * 60 * 60 * 1000;
/** Each delay is scaled by a random factor in [1 - JITTER, 1 + JITTER], so retries of many deliveries spread out. */
export const RETRY_JITTER = 0.2;

/** How much of a receiver's answer is read, and how much of that is kept in the log. */
const MAX_RESPONSE_BYTES = 4096;
const LOGGED_RESPONSE_CHARACTERS = 1024;
/** Deliveries claimed at once by one pass, and sent concurrently. */
const BATCH_SIZE = 10;
/** A pass stops after this many batches, so one pass can never run forever. */
const MAX_BATCHES_PER_PASS = 100;
/** A claim outlives the request timeout by this much, so it cannot lapse mid-attempt. */
const LEASE_MARGIN_MS = 60_000;

/**
 * The wait before the next attempt after `attempts` failed ones, before jitter:
 * 10 s, 50 s, 4 min 10 s, 20 min 50 s, 1 h 44 min, 8 h 41 min, then 12 h.
 *
 * @param random - a number in [0, 1), for the jitter. @default Math.random
 * @example
 * ```ts
 * retryDelayMs(1, () => 0.5); // 10000
 * ```
 */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * RETRY_FACTOR ** Math.max(0, attempts - 1));
  return Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
}

/** Options of {@link createWebhookWorker}. */
export interface WebhookWorkerOptions {
  store: WebhookStore;
  sender: WebhookSender;
  /** Decrypts signing secrets; null when no encryption key is configured (attempts then fail). */
  secrets: WebhookSecretBox | null;
  allowPrivateNetworks: boolean;
  timeoutMs: number;
  /** 0: no background loop; deliveries go out only through `deliverDue()`. */
  pollIntervalMs: number;
  clock: () => number;
  logger: Logger;
}

/** The worker's controls. */
export interface WebhookWorker {
  /** Starts the background loop (a first pass at once, then one per poll interval). */
  start(): void;
  /** Asks the background loop for a pass now, e.g. after deliveries were queued. */
  nudge(): void;
  /** One pass: attempts every delivery due now; resolves with the number of attempts made. */
  deliverDue(): Promise<number>;
  /** Stops the loop, aborts in-flight requests (their claims are given back) and waits for the pass. */
  stop(): Promise<void>;
}

/**
 * The secrets that sign an attempt made at `now`: the current one, and the previous one while it
 * overlaps. An unreadable previous secret (sealed under an encryption key since replaced, which
 * is why it was rotated) is left out rather than failing the delivery.
 */
async function signingSecrets(
  endpoint: WebhookEndpointRecord,
  box: WebhookSecretBox,
  now: number,
  logger: Logger,
): Promise<string[]> {
  const secrets = [await box.open(endpoint.id, endpoint.secretCiphertext)];
  if (
    endpoint.previousSecretCiphertext !== null &&
    endpoint.previousSecretExpiresAt !== null &&
    now < endpoint.previousSecretExpiresAt
  ) {
    try {
      secrets.push(await box.open(endpoint.id, endpoint.previousSecretCiphertext));
    } catch (error) {
      if (!(error instanceof WebhookSecretUnreadableError)) throw error;
      logger.warn({ webhookId: endpoint.id }, "previous webhook secret unreadable; signing with the current one only");
    }
  }
  return secrets;
}

/**
 * Creates the delivery worker.
 *
 * @example
 * ```ts
 * const worker = createWebhookWorker({ store: database, sender, secrets, allowPrivateNetworks: false,
 *   timeoutMs: 10_000, pollIntervalMs: 5_000, clock: Date.now, logger });
 * worker.start();
 * await worker.stop();
 * ```
 */
export function createWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const { store, sender, secrets, clock, logger } = options;
  const shutdown = new AbortController();
  // One controller per request rather than the shutdown signal shared by all: a busy worker
  // would otherwise pile up listeners on one signal.
  const inFlight = new Set<AbortController>();
  const passes = new Set<Promise<number>>();
  let started = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let loopPass: Promise<number> | null = null;
  let passRequested = false;

  /** Makes one attempt; returns false when the attempt was abandoned (shutdown) and not counted. */
  async function attempt({ delivery, claimToken }: ClaimedWebhookDelivery): Promise<boolean> {
    const startedAt = clock();
    const began = performance.now();
    let responseStatus: number | null = null;
    let responseBody: string | null = null;
    let error: string | null = null;

    const endpoint = await store.getWebhookEndpoint(delivery.endpointId);
    // Deleted meanwhile: its deliveries went with it, there is nothing to record.
    if (!endpoint) return false;
    const request = new AbortController();
    inFlight.add(request);
    if (shutdown.signal.aborted) request.abort();
    try {
      if (!secrets) {
        throw new WebhookSecretUnreadableError({ cause: new Error("no encryption key is configured") });
      }
      const headers = await signWebhook({
        id: delivery.id,
        timestamp: Math.floor(startedAt / 1000),
        body: delivery.payload,
        secrets: await signingSecrets(endpoint, secrets, startedAt, logger),
      });
      const response = await sender.send({
        url: endpoint.url,
        headers: {
          "content-type": "application/json",
          "user-agent": `Gatehouse-Webhooks/${VERSION}`,
          ...headers,
        },
        body: delivery.payload,
        timeoutMs: options.timeoutMs,
        allowPrivateNetworks: options.allowPrivateNetworks,
        maxResponseBytes: MAX_RESPONSE_BYTES,
        signal: request.signal,
      });
      responseStatus = response.status;
      responseBody = response.body.slice(0, LOGGED_RESPONSE_CHARACTERS);
      if (response.status >= 300 && response.status < 400) {
        error = `HTTP ${response.status}: redirects are not followed; point the endpoint at the final URL.`;
      } else if (response.status < 200 || response.status >= 300) {
        error = `HTTP ${response.status}`;
      }
    } catch (caught) {
      if (shutdown.signal.aborted) {
        await store.releaseWebhookDelivery(delivery.id, claimToken);
        return false;
      }
      if (caught instanceof WebhookSendError) {
        error = caught.message;
      } else if (caught instanceof WebhookSecretUnreadableError) {
        error = caught.message;
        logger.error({ err: caught, webhookId: endpoint.id }, "webhook signing secret cannot be decrypted");
      } else {
        error = "The delivery failed unexpectedly; see the server log.";
        logger.error({ err: caught, deliveryId: delivery.id }, "webhook delivery failed unexpectedly");
      }
    } finally {
      inFlight.delete(request);
    }

    const finishedAt = clock();
    const succeeded = error === null;
    const exhausted = delivery.attemptCount >= delivery.maxAttempts;
    const outcome = succeeded
      ? { status: "succeeded" as const, nextAttemptAt: null, completedAt: finishedAt }
      : exhausted
        ? { status: "failed" as const, nextAttemptAt: null, completedAt: finishedAt }
        : {
            status: "pending" as const,
            nextAttemptAt: finishedAt + retryDelayMs(delivery.attemptCount),
            completedAt: null,
          };
    const held = await store.finishWebhookAttempt({
      claimToken,
      attempt: {
        deliveryId: delivery.id,
        attempt: delivery.attemptCount,
        startedAt,
        durationMs: Math.round(performance.now() - began),
        responseStatus,
        responseBody,
        error,
      },
      outcome: { ...outcome, lastResponseStatus: responseStatus, lastError: error },
    });
    if (!held) logger.warn({ deliveryId: delivery.id }, "webhook delivery claim expired during its attempt");
    const fields = { deliveryId: delivery.id, webhookId: endpoint.id, attempt: delivery.attemptCount, responseStatus };
    if (outcome.status === "failed") logger.warn({ ...fields, error }, "webhook delivery failed for good");
    else if (!succeeded)
      logger.info({ ...fields, error, nextAttemptAt: outcome.nextAttemptAt }, "webhook attempt failed");
    else logger.debug(fields, "webhook delivered");
    return true;
  }

  async function pass(): Promise<number> {
    let attempts = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS && !shutdown.signal.aborted; batch++) {
      const now = clock();
      const claimed = await store.claimDueWebhookDeliveries({
        now,
        limit: BATCH_SIZE,
        leaseUntil: now + options.timeoutMs + LEASE_MARGIN_MS,
      });
      const results = await Promise.allSettled(claimed.map(attempt));
      for (const result of results) {
        if (result.status === "fulfilled") attempts += result.value ? 1 : 0;
        // The database failed mid-attempt; the claim lapses and the delivery is retried later.
        else logger.error({ err: result.reason }, "recording a webhook attempt failed");
      }
      if (claimed.length < BATCH_SIZE) break;
    }
    return attempts;
  }

  function deliverDue(): Promise<number> {
    // After stop() the database may be closing: nothing more is claimed.
    if (stopped) return Promise.resolve(0);
    const running = pass();
    passes.add(running);
    void running.finally(() => passes.delete(running)).catch(() => {});
    return running;
  }

  function schedule(): void {
    if (stopped || options.pollIntervalMs <= 0) return;
    timer = setTimeout(runLoopPass, options.pollIntervalMs);
    // The worker must never keep a process alive on its own.
    (timer as { unref?: () => void }).unref?.();
  }

  function runLoopPass(): void {
    timer = undefined;
    if (stopped) return;
    if (loopPass) {
      passRequested = true;
      return;
    }
    loopPass = deliverDue();
    loopPass
      .catch((err: unknown) => logger.error({ err }, "webhook delivery pass failed"))
      .finally(() => {
        loopPass = null;
        if (passRequested && !stopped) {
          passRequested = false;
          runLoopPass();
        } else {
          schedule();
        }
      });
  }

  return {
    start() {
      if (started || stopped || options.pollIntervalMs <= 0) return;
      started = true;
      runLoopPass();
    },

    nudge() {
      if (!started || stopped) return;
      if (timer !== undefined) clearTimeout(timer);
      runLoopPass();
    },

    deliverDue,

    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      shutdown.abort();
      for (const request of inFlight) request.abort();
      await Promise.allSettled([...passes]);
    },
  };
}
