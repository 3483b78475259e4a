/**
 * The outbound HTTP port of the webhooks feature. The engine is web-standard and cannot open
 * sockets with the control SSRF protection needs (which address a name resolved to, and
 * connecting to exactly that one), so the sender is an adapter handed in through the
 * configuration: `createNodeWebhookSender()` from `@gatehouse/core/adapters/node-webhooks` on
 * Node, which the standalone server uses by default.
 *
 * A sender must: apply `checkWebhookAddress` to the address it connects to, after resolution
 * (IP literals included); never follow redirects (a 3xx is returned as is and counts as a
 * failure); give up after `timeoutMs` in total; read at most `maxResponseBytes` of the answer.
 */

/** One signed delivery attempt to send. */
export interface WebhookRequest {
  /** The endpoint's URL, validated when it was saved. */
  url: string;
  /** Content type, user agent and the Standard Webhooks headers. */
  headers: Record<string, string>;
  body: string;
  /** The whole exchange (resolution, connection, answer) must finish within this. */
  timeoutMs: number;
  /** Whether addresses of this machine's own networks may be reached (development and tests). */
  allowPrivateNetworks: boolean;
  /** Read at most this many bytes of the response body. */
  maxResponseBytes: number;
  /** Aborted when the engine shuts down. */
  signal: AbortSignal;
}

/** The receiver's answer. */
export interface WebhookResponse {
  status: number;
  /** The start of the response body (at most `maxResponseBytes`), decoded as UTF-8. */
  body: string;
}

/** Why an attempt got no answer. */
export type WebhookSendFailure =
  "invalid_url" | "forbidden_address" | "dns_failure" | "timeout" | "connection_failed" | "aborted";

/**
 * An attempt that got no HTTP answer. The message is recorded in the delivery log, so it names
 * the host or address at fault but never a secret.
 */
export class WebhookSendError extends Error {
  /** Machine-readable cause. */
  readonly reason: WebhookSendFailure;

  constructor(reason: WebhookSendFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WebhookSendError";
    this.reason = reason;
  }
}

/**
 * Sends webhook requests over HTTP. Resolves with the answer for any HTTP status; rejects with a
 * {@link WebhookSendError} when there is none.
 */
export interface WebhookSender {
  send(request: WebhookRequest): Promise<WebhookResponse>;
}
