/**
 * The outbox: sends messages after the HTTP response has been decided, retrying failures with
 * backoff, and runs the background work of the email request endpoints (so their answer never
 * depends on whether the account exists, in content or in time).
 *
 * It lives in memory on purpose: a queued message carries a live token, and writing it to the
 * database would break the rule that the store never holds a usable credential. A restart
 * drops undelivered mail; the user asks again. Failures are logged with the template name and a
 * redacted error, never with the message, its link or its code.
 */
import type { Logger } from "../lib/logger.js";
import { isSinglePlainAddress, type EmailMessage, type EmailTransport } from "./transport.js";

/** Options of {@link createOutbox}. */
export interface OutboxOptions {
  transport: EmailTransport;
  /** The formatted sender put on every message. */
  from: string;
  logger: Logger;
  /** Waits before each retry; one more attempt than there are entries. */
  retryDelaysMs: readonly number[];
}

/** Queued delivery and background tasks. */
export interface Outbox {
  /** Queues a message; returns at once. A recipient that is not one plain address is refused (logged). */
  send(message: Omit<EmailMessage, "from">): void;
  /** Runs `task` in the background; a failure is logged, never thrown. */
  run(task: () => Promise<void>): void;
  /** Resolves once every queued message is delivered or given up, and every task finished. */
  flush(): Promise<void>;
  /** Stops retrying (dropping messages still waiting), waits for sends in flight, closes the transport. */
  close(): Promise<void>;
}

/**
 * What may be logged of a failure: the error's name and codes, and its message with anything
 * that looks like a link, a token or a code removed (an SMTP server may echo parts of a message).
 */
export function describeDeliveryError(error: unknown): Record<string, unknown> {
  const failure = (error ?? {}) as { name?: unknown; code?: unknown; responseCode?: unknown; message?: unknown };
  const message = typeof failure.message === "string" ? failure.message : String(error);
  return {
    error: typeof failure.name === "string" ? failure.name : "Error",
    errorCode: typeof failure.code === "string" ? failure.code : null,
    responseCode: typeof failure.responseCode === "number" ? failure.responseCode : null,
    detail: message
      .replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, "[link]")
      .replace(/[A-Za-z0-9_-]{20,}/g, "[redacted]")
      .replace(/\b\d{6}\b/g, "[redacted]")
      .slice(0, 300),
  };
}

/**
 * Creates an outbox over a transport.
 *
 * @example
 * ```ts
 * const outbox = createOutbox({ transport, from: "no-reply@example.com", logger, retryDelaysMs: [1000, 5000] });
 * outbox.send({ to: "ada@example.com", subject, text, html, template: "magic-link" });
 * await outbox.flush();
 * ```
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const { transport, from, logger, retryDelaysMs } = options;
  const pending = new Set<Promise<void>>();
  const sleepers = new Set<() => void>();
  let closing = false;

  function track(work: Promise<void>): void {
    const tracked = work.finally(() => pending.delete(tracked));
    pending.add(tracked);
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      // A retry waiting must never keep a process alive on its own.
      (timer as { unref?: () => void }).unref?.();
      sleepers.add(wake);
    });
  }

  async function deliver(message: EmailMessage): Promise<void> {
    const fields = { template: message.template, transport: transport.kind };
    for (let attempt = 1; ; attempt++) {
      try {
        await transport.send(message);
        logger.info({ ...fields, attempt }, "email sent");
        return;
      } catch (error) {
        const delay = retryDelaysMs[attempt - 1];
        if (delay === undefined || closing) {
          logger.error({ ...fields, attempt, ...describeDeliveryError(error) }, "email delivery failed; giving up");
          return;
        }
        logger.warn(
          { ...fields, attempt, retryInMs: delay, ...describeDeliveryError(error) },
          "email delivery failed; retrying",
        );
        await sleep(delay);
        if (closing) {
          logger.error({ ...fields, attempt }, "email dropped: shutting down before the retry");
          return;
        }
      }
    }
  }

  return {
    send(message) {
      if (!isSinglePlainAddress(message.to)) {
        // Never "fixed up": a stored value that is not one plain address is a data problem,
        // and guessing which recipient was meant could hand a token to the wrong person.
        logger.error({ template: message.template }, "email refused: the recipient is not one plain address");
        return;
      }
      track(deliver({ ...message, from }));
    },

    run(task) {
      track(
        Promise.resolve()
          .then(task)
          .catch((error: unknown) => {
            logger.error(describeDeliveryError(error), "background email task failed");
          }),
      );
    },

    async flush() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },

    async close() {
      closing = true;
      for (const wake of [...sleepers]) wake();
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await transport.close?.();
    },
  };
}
