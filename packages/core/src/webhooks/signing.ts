/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): secrets are `whsec_` followed
 * by base64 of random bytes; a message is signed as HMAC-SHA256 over `<id>.<timestamp>.<body>`
 * with the decoded secret, and the `webhook-signature` header carries `v1,<base64 signature>`,
 * several of them space-separated while an old and a new secret overlap after a rotation.
 * Web Crypto only.
 */

/** Prefix of a Standard Webhooks signing secret. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";
/** Random bytes in a new secret: 256 bits, within the spec's 24 to 64. */
const SECRET_BYTES = 32;

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(value: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(value), (character) => character.charCodeAt(0));
}

/**
 * A new signing secret, `whsec_<base64 of 32 random bytes>`.
 *
 * @example
 * ```ts
 * const secret = generateWebhookSecret(); // "whsec_2q0n…="
 * ```
 */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))}`;
}

/** The headers of one signed webhook request. */
export interface WebhookSignatureHeaders {
  "webhook-id": string;
  /** Whole seconds since the epoch. */
  "webhook-timestamp": string;
  /** `v1,<base64>` per secret, space-separated. */
  "webhook-signature": string;
}

/**
 * Signs a message with one or more secrets (the current one first) and returns the three
 * Standard Webhooks headers.
 *
 * @param options.timestamp - seconds since the epoch.
 * @example
 * ```ts
 * const headers = await signWebhook({ id: "msg_…", timestamp: 1767225600, body, secrets: [secret] });
 * ```
 */
export async function signWebhook(options: {
  id: string;
  timestamp: number;
  body: string;
  secrets: readonly string[];
}): Promise<WebhookSignatureHeaders> {
  const timestamp = String(Math.floor(options.timestamp));
  const message = new TextEncoder().encode(`${options.id}.${timestamp}.${options.body}`);
  const signatures = await Promise.all(
    options.secrets.map(async (secret) => {
      const raw = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
      const key = await crypto.subtle.importKey("raw", fromBase64(raw), { name: "HMAC", hash: "SHA-256" }, false, [
        "sign",
      ]);
      return `v1,${toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, message)))}`;
    }),
  );
  return { "webhook-id": options.id, "webhook-timestamp": timestamp, "webhook-signature": signatures.join(" ") };
}
