/**
 * Node webhook sender (`@gatehouse/core/adapters/node-webhooks`): delivers webhook requests with
 * `node:http`/`node:https` and enforces the SSRF policy where it cannot be fooled — on the
 * address actually connected to.
 *
 * - Host names are resolved by this adapter's own `lookup`, which judges every resolved address
 *   with `checkWebhookAddress` and hands the socket exactly the addresses it approved. There is
 *   no second resolution between check and connect, so DNS rebinding cannot swap the target.
 * - IP literals (which Node connects to without any lookup) are judged before connecting.
 * - Each request gets its own one-off agent: a pooled socket, opened by the application for a
 *   host that resolves privately, must never be reused to reach that host.
 * - Redirects are never followed (Node's `http` does not, and nothing here does): a 3xx comes
 *   back as is and the engine records it as a failed attempt.
 * - One deadline covers resolution, connection and the answer; at most `maxResponseBytes` of the
 *   body is read before the connection is dropped.
 * - Proxy variables (`HTTP_PROXY`…) are ignored: a proxy would make the connection (and the
 *   address check) somewhere else.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { checkWebhookAddress } from "../../webhooks/address-policy.js";
import { WebhookSendError } from "../../webhooks/sender.js";
import type { WebhookRequest, WebhookResponse, WebhookSender } from "../../webhooks/sender.js";

export type { WebhookRequest, WebhookResponse, WebhookSender } from "../../webhooks/sender.js";

/** One resolved address. */
export interface ResolvedAddress {
  address: string;
  /** 4 or 6. */
  family: number;
}

/** Options of {@link createNodeWebhookSender}. */
export interface NodeWebhookSenderOptions {
  /**
   * Resolves a host name to all its addresses. Tests inject one to play a rebinding or
   * private-resolving DNS.
   * @default node:dns `lookup(hostname, { all: true })` (the system resolver, /etc/hosts included)
   */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
}

const defaultResolve = (hostname: string): Promise<ResolvedAddress[]> =>
  dnsLookup(hostname, { all: true, verbatim: true });

function describeFailure(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === "string" ? code : typeof message === "string" ? message : "unknown error";
}

/**
 * The `lookup` a socket uses: resolves, refuses the whole name if any address is forbidden
 * (the name is the attacker's to point anywhere), and answers in whichever form Node asked for.
 */
function guardedLookup(
  resolve: (hostname: string) => Promise<ResolvedAddress[]>,
  allowPrivateNetworks: boolean,
): LookupFunction {
  return (hostname, options, callback) => {
    const done = callback as (error: Error | null, address?: unknown, family?: number) => void;
    resolve(hostname).then(
      (resolved) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const addresses = resolved.filter((each) => wanted === 0 || each.family === wanted);
        if (addresses.length === 0) {
          done(new WebhookSendError("dns_failure", `${hostname} has no address to connect to.`));
          return;
        }
        for (const { address } of addresses) {
          const verdict = checkWebhookAddress(address, { allowPrivateNetworks });
          if (!verdict.allowed) {
            done(
              new WebhookSendError(
                "forbidden_address",
                `${hostname} resolves to ${address}, ${verdict.reason}, which webhooks may not reach.`,
              ),
            );
            return;
          }
        }
        // Node 20+ asks for every address when it races IPv4 and IPv6 (autoSelectFamily).
        if (options.all) done(null, addresses);
        else done(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: unknown) => {
        done(
          new WebhookSendError("dns_failure", `${hostname} could not be resolved (${describeFailure(error)}).`, {
            cause: error,
          }),
        );
      },
    );
  };
}

function readCapped(response: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8"));
    };
    response.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      // Enough for the log: the rest is never read, and the connection is dropped.
      if (total >= maxBytes) {
        finish();
        response.destroy();
      }
    });
    response.on("end", finish);
    // A body cut short still leaves the status, which is what decides the attempt.
    response.on("error", finish);
    response.on("close", finish);
  });
}

/**
 * Creates the Node webhook sender, the standalone server's default.
 *
 * @example
 * ```ts
 * import { createGatehouse } from "@gatehouse/core";
 * import { createNodeWebhookSender } from "@gatehouse/core/adapters/node-webhooks";
 *
 * const gatehouse = await createGatehouse({
 *   baseURL: "https://auth.example.com",
 *   database,
 *   encryptionKey: process.env.GATEHOUSE_ENCRYPTION_KEY,
 *   webhooks: { sender: createNodeWebhookSender() },
 * });
 * ```
 */
export function createNodeWebhookSender(options: NodeWebhookSenderOptions = {}): WebhookSender {
  const resolve = options.resolve ?? defaultResolve;

  return {
    send(request: WebhookRequest): Promise<WebhookResponse> {
      return new Promise<WebhookResponse>((resolvePromise, reject) => {
        let settled = false;
        // Filled in once the request exists; a failure before that has nothing to tear down.
        const pending: { request?: ClientRequest } = {};
        const settle = (outcome: { response: WebhookResponse } | { error: WebhookSendError }): void => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          request.signal.removeEventListener("abort", onAbort);
          if ("response" in outcome) resolvePromise(outcome.response);
          else {
            reject(outcome.error);
            pending.request?.destroy();
          }
        };
        const deadline = setTimeout(() => {
          settle({ error: new WebhookSendError("timeout", `No complete answer within ${request.timeoutMs} ms.`) });
        }, request.timeoutMs);
        const onAbort = (): void => settle({ error: new WebhookSendError("aborted", "The engine is shutting down.") });
        request.signal.addEventListener("abort", onAbort);
        if (request.signal.aborted) return onAbort();

        let url: URL;
        try {
          url = new URL(request.url);
        } catch {
          return settle({ error: new WebhookSendError("invalid_url", "The endpoint URL is not valid.") });
        }
        const plainHTTPAllowed = url.protocol === "http:" && request.allowPrivateNetworks;
        if (url.protocol !== "https:" && !plainHTTPAllowed) {
          return settle({ error: new WebhookSendError("invalid_url", `The ${url.protocol} scheme is not allowed.`) });
        }
        if (url.username || url.password) {
          return settle({ error: new WebhookSendError("invalid_url", "The endpoint URL carries credentials.") });
        }
        const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
        if (isIP(host) !== 0) {
          const verdict = checkWebhookAddress(host, { allowPrivateNetworks: request.allowPrivateNetworks });
          if (!verdict.allowed) {
            return settle({
              error: new WebhookSendError(
                "forbidden_address",
                `${host} is ${verdict.reason}, which webhooks may not reach.`,
              ),
            });
          }
        }

        const body = Buffer.from(request.body, "utf8");
        const requestOptions: RequestOptions = {
          method: "POST",
          headers: { ...request.headers, "content-length": String(body.length) },
          // A fresh agent per request: no socket pooled for anyone else is ever reused.
          agent: false,
          lookup: guardedLookup(resolve, request.allowPrivateNetworks),
        };
        const send = url.protocol === "https:" ? httpsRequest : httpRequest;
        const outgoing = send(url, requestOptions, (response) => {
          readCapped(response, request.maxResponseBytes).then((text) =>
            settle({ response: { status: response.statusCode ?? 0, body: text } }),
          );
        });
        pending.request = outgoing;
        outgoing.on("error", (error) => {
          settle({
            error:
              error instanceof WebhookSendError
                ? error
                : new WebhookSendError(
                    "connection_failed",
                    `Connection to ${url.host} failed (${describeFailure(error)}).`,
                    {
                      cause: error,
                    },
                  ),
          });
        });
        outgoing.end(body);
      });
    },
  };
}
