/**
 * Webhook test helpers: real HTTP receivers on 127.0.0.1 (node:http servers that record what
 * arrives and answer as the test says), a test engine with an admin key, an encryption key and
 * the real Node sender (private networks allowed, since receivers live on loopback), and
 * verification with the independent `standardwebhooks` package as of a given instant.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { vi } from "vitest";
import { createNodeWebhookSender } from "../adapters/node-webhooks/index.js";
import type { GatehouseConfig, WebhooksConfig } from "../config.js";
import { generateEncryptionKey } from "../lib/encryption.js";
import { createTestEngine, type TestEngine } from "./engine.js";

/** One request a receiver got. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers one request; may be async, may never answer (to test timeouts). */
export type Responder = (request: IncomingMessage, response: ServerResponse, received: ReceivedRequest) => void;

/** A local HTTP server standing in for an application's webhook endpoint. */
export interface Receiver {
  /** `http://127.0.0.1:<port>/hooks`. */
  url: string;
  port: number;
  received: ReceivedRequest[];
  /** Replaces how it answers from now on. @default 204 No Content */
  respond(responder: Responder): void;
  /** Resolves once `count` requests have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** Answers every request with `status`. */
export function answerWith(status: number, body = ""): Responder {
  return (_request, response) => {
    response.writeHead(status, { "content-type": "text/plain" });
    response.end(body);
  };
}

/** Starts a receiver on 127.0.0.1 at a free port. */
export async function startReceiver(responder: Responder = answerWith(204)): Promise<Receiver> {
  let current = responder;
  const received: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const entry = {
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(entry);
      for (const waiter of waiters) waiter();
      current(request, response, entry);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    respond(next) {
      current = next;
    },
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (received.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(received.slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} webhook requests, got ${received.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A fresh admin secret key in the format the engine accepts. */
export function newSecretKey(): string {
  return `gh_sk_${randomBytes(32).toString("base64url")}`;
}

/** A test engine ready for webhooks, with an admin key and a shortcut for admin calls. */
export interface WebhookTestEngine extends TestEngine {
  adminKey: string;
  /** Calls the admin API with the admin key. */
  admin(method: string, path: string, json?: unknown): Promise<Response>;
  /** Creates an endpoint through the API and returns its JSON (with the secret). */
  createEndpoint(body: Record<string, unknown>): Promise<WebhookCreated>;
}

/** The answer to endpoint creation. */
export interface WebhookCreated {
  id: string;
  url: string;
  secret: string;
  event_types: string[];
  enabled: boolean;
}

/**
 * A test engine (memory database and frozen clock unless `config` says otherwise) with an
 * encryption key, the Node sender allowed to reach loopback, no background worker (tests call
 * `deliverDue()`), and an admin key.
 */
export async function createWebhookTestEngine(
  config: Partial<GatehouseConfig> = {},
  webhooks: WebhooksConfig = {},
): Promise<WebhookTestEngine> {
  const engine = await createTestEngine({
    encryptionKey: generateEncryptionKey(),
    ...config,
    webhooks: { sender: createNodeWebhookSender(), allowPrivateNetworks: true, pollIntervalMs: 0, ...webhooks },
  });
  const adminKey = newSecretKey();
  await engine.gatehouse.ensureSecretKey(adminKey);
  const admin: WebhookTestEngine["admin"] = (method, path, json) =>
    engine.request(method, path, { bearer: adminKey, json });
  return {
    ...engine,
    adminKey,
    admin,
    async createEndpoint(body) {
      const response = await admin("POST", "/v1/admin/webhooks", body);
      if (response.status !== 201) throw new Error(`create failed: ${response.status} ${await response.text()}`);
      return (await response.json()) as WebhookCreated;
    },
  };
}

/**
 * Verifies a received request with the `standardwebhooks` package, as a receiver would at
 * `at` (milliseconds; the package checks the timestamp against its own clock, which is faked to
 * that instant meanwhile). Returns the parsed payload; throws what the package throws.
 */
export function verifyReceived(secret: string, request: ReceivedRequest, at: number): unknown {
  vi.useFakeTimers({ toFake: ["Date"], now: at });
  try {
    return new Webhook(secret).verify(request.body, {
      "webhook-id": String(request.headers["webhook-id"]),
      "webhook-timestamp": String(request.headers["webhook-timestamp"]),
      "webhook-signature": String(request.headers["webhook-signature"]),
    });
  } finally {
    vi.useRealTimers();
  }
}
