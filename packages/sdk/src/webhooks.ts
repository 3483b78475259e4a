/**
 * Verifying Gatehouse webhooks in an application: `verifyWebhook` checks a request's Standard
 * Webhooks signature (https://www.standardwebhooks.com) against the endpoint's secret — or
 * several secrets, around a rotation — and its timestamp against a tolerance, then returns the
 * parsed event — or, like every verifier in the SDK, the reason it was refused (a state, not an
 * exception). Web-standard only (Web Crypto, `Request`, `Headers`), no dependencies, so it runs
 * in Node, Deno, Bun, workers and edge runtimes alike.
 *
 * Replay protection: a valid request can be captured and sent again. The timestamp check bounds
 * how long (5 minutes by default); within that window, remember the `id` of every webhook you
 * processed (it is the `webhook-id` header, the same on every retry of one message) and skip
 * repeats — which also makes Gatehouse's at-least-once retries safe to receive.
 */

import { ConfigurationError } from "./errors/index.js";

/** Default timestamp tolerance: 5 minutes either way. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = "whsec_";
/** A header longer than this is not a signature list anyone sends. */
const MAX_SIGNATURE_HEADER_LENGTH = 4096;

/** Why a webhook was refused. Stable; safe to log. */
export type WebhookFailureReason =
  | "missing-headers"
  | "invalid-timestamp"
  | "timestamp-too-old"
  | "timestamp-too-new"
  | "invalid-signature"
  | "invalid-payload";

/** A Gatehouse webhook body: `{type, timestamp, data}`. */
export interface WebhookPayload<Data = Record<string, unknown>> {
  /** The event type, e.g. `user.created`. */
  type: string;
  /** ISO 8601: when the event happened. */
  timestamp: string;
  data: Data;
}

/** A verified webhook. */
export interface VerifiedWebhook<Data = Record<string, unknown>> {
  /** The `webhook-id`: identical on every retry of one message. Deduplicate on it. */
  id: string;
  /** The `webhook-timestamp`: when this attempt was signed, in seconds since the epoch. */
  timestamp: number;
  /** The event type, e.g. `user.created`. */
  type: string;
  data: Data;
  /** The whole parsed body. */
  payload: WebhookPayload<Data>;
}

/**
 * The result of {@link verifyWebhook}: the event, or why it was refused. A refused webhook is an
 * outcome to answer (400), not an exception.
 */
export type WebhookVerificationResult<Data = Record<string, unknown>> =
  { ok: true; webhook: VerifiedWebhook<Data> } | { ok: false; reason: WebhookFailureReason };

/** Request headers as web `Headers` or as a plain object (Node's `req.headers`, Express…). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** The raw request: its body exactly as received (not re-serialized JSON) and its headers. */
export interface RawWebhookRequest {
  body: string | Uint8Array | ArrayBuffer;
  headers: WebhookHeaders;
}

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** The endpoint's secret (`whsec_…`), or several: during a rotation, the new and the old one. */
  secret: string | readonly string[];
  /**
   * How far the signed timestamp may be from `now`, in seconds, either way.
   * @default 300
   */
  toleranceSeconds?: number;
  /**
   * The current time in milliseconds since the epoch.
   * @default Date.now()
   */
  now?: number;
}

function header(headers: WebhookHeaders, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
  }
  return null;
}

function decodeBase64(value: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(value), (character) => character.charCodeAt(0));
  } catch {
    return null;
  }
}

function bytesOf(body: string | Uint8Array | ArrayBuffer): Uint8Array {
  if (typeof body === "string") return new TextEncoder().encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

/** Compares in time that depends only on the lengths. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= a[index]! ^ b[index]!;
  return difference === 0;
}

async function importSecret(secret: string): Promise<CryptoKey> {
  const raw = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const bytes = decodeBase64(raw);
  if (!bytes || bytes.length === 0) {
    // Not echoed: it is the secret, or a mangled copy of it.
    throw new ConfigurationError(
      "verifyWebhook: the secret is not a whsec_ secret; copy it exactly as Gatehouse returned it.",
    );
  }
  return crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/**
 * Verifies a Gatehouse webhook. Pass the body exactly as it arrived: a parsed and re-serialized
 * JSON body will not verify.
 *
 * @param request - a web `Request` (its body is read), or `{ body, headers }`.
 * @returns `{ ok: true, webhook }`, or `{ ok: false, reason }` when the headers are missing, the
 * timestamp is outside the tolerance, no signature matches any secret, or the body is not a
 * Gatehouse event.
 * @throws ConfigurationError only when `secret` is missing or not a `whsec_` secret.
 * @example
 * ```ts
 * // A fetch-style handler (Hono, Next.js route handlers, workers):
 * export async function POST(request: Request): Promise<Response> {
 *   const result = await verifyWebhook(request, { secret: process.env.GATEHOUSE_WEBHOOK_SECRET! });
 *   if (!result.ok) return new Response(result.reason, { status: 400 });
 *   const { id, type, data } = result.webhook;
 *   if (await alreadyProcessed(id)) return new Response(null, { status: 204 });
 *   if (type === "user.created") await createProfile(data);
 *   return new Response(null, { status: 204 });
 * }
 *
 * // Express, with the raw body:
 * app.post("/webhooks/gatehouse", express.raw({ type: "application/json" }), async (req, res) => {
 *   const result = await verifyWebhook({ body: req.body, headers: req.headers }, { secret });
 *   res.sendStatus(result.ok ? 204 : 400);
 * });
 * ```
 */
export async function verifyWebhook<Data = Record<string, unknown>>(
  request: Request | RawWebhookRequest,
  options: VerifyWebhookOptions,
): Promise<WebhookVerificationResult<Data>> {
  const secrets = typeof options.secret === "string" ? [options.secret] : [...options.secret];
  if (secrets.length === 0) throw new ConfigurationError("verifyWebhook: no secret was given.");
  // Bad secrets are a configuration error, reported before anything about the request.
  const keys = await Promise.all(secrets.map(importSecret));

  const headers = request instanceof Request ? request.headers : request.headers;
  const id = header(headers, "webhook-id");
  const timestampText = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestampText || !signatures) return { ok: false, reason: "missing-headers" };
  if (!/^\d{1,12}$/.test(timestampText)) return { ok: false, reason: "invalid-timestamp" };
  const timestamp = Number(timestampText);
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  if (nowSeconds - timestamp > tolerance) return { ok: false, reason: "timestamp-too-old" };
  if (timestamp - nowSeconds > tolerance) return { ok: false, reason: "timestamp-too-new" };

  const body = bytesOf(request instanceof Request ? await request.arrayBuffer() : request.body);
  const prefix = new TextEncoder().encode(`${id}.${timestampText}.`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  const expected = await Promise.all(
    keys.map(async (key) => new Uint8Array(await crypto.subtle.sign("HMAC", key, message))),
  );
  const presented = signatures
    .slice(0, MAX_SIGNATURE_HEADER_LENGTH)
    .split(" ")
    .map((entry) => entry.split(","))
    .filter(([version]) => version === "v1")
    .map(([, signature]) => decodeBase64(signature ?? ""))
    .filter((signature): signature is Uint8Array<ArrayBuffer> => signature !== null);
  const matches = presented.some((signature) => expected.some((each) => constantTimeEqual(signature, each)));
  if (!matches) return { ok: false, reason: "invalid-signature" };

  let payload: WebhookPayload<Data>;
  try {
    payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body)) as WebhookPayload<Data>;
  } catch {
    return { ok: false, reason: "invalid-payload" };
  }
  if (typeof payload !== "object" || payload === null || typeof payload.type !== "string") {
    return { ok: false, reason: "invalid-payload" };
  }
  return { ok: true, webhook: { id, timestamp, type: payload.type, data: payload.data, payload } };
}
