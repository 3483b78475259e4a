/**
 * Encryption at rest of endpoint signing secrets. Signing needs the secret itself, so it cannot
 * be stored as a hash; it is stored encrypted with the configured encryption key instead, so a
 * database dump or backup alone yields no usable secret.
 *
 * Each endpoint's secret is sealed under its own key, derived from the encryption key for the
 * purpose `webhook-secret <endpoint id>` (AES-256-GCM with HKDF, `lib/encryption.ts`): a
 * ciphertext copied into another endpoint's row does not decrypt there.
 */
import { createEncrypter } from "../lib/encryption.js";

/** A stored secret could not be decrypted: another encryption key, another endpoint's value, or tampering. */
export class WebhookSecretUnreadableError extends Error {
  constructor(options?: { cause?: unknown }) {
    super(
      "The signing secret cannot be decrypted with this instance's GATEHOUSE_ENCRYPTION_KEY (was it changed, or does another instance use a different one?).",
      options,
    );
    this.name = "WebhookSecretUnreadableError";
  }
}

/** Seals and opens endpoint signing secrets. */
export interface WebhookSecretBox {
  seal(endpointId: string, secret: string): Promise<string>;
  /** @throws WebhookSecretUnreadableError */
  open(endpointId: string, ciphertext: string): Promise<string>;
}

/**
 * Creates the secret box over the engine's encryption key.
 *
 * @example
 * ```ts
 * const box = createWebhookSecretBox(parseEncryptionKey(process.env.GATEHOUSE_ENCRYPTION_KEY!));
 * const stored = await box.seal("wh_1", secret);
 * ```
 */
export function createWebhookSecretBox(encryptionKey: Uint8Array<ArrayBuffer>): WebhookSecretBox {
  const encrypterFor = (endpointId: string) => createEncrypter(encryptionKey, `webhook-secret ${endpointId}`);
  return {
    async seal(endpointId, secret) {
      return (await encrypterFor(endpointId)).encrypt(secret);
    },
    async open(endpointId, ciphertext) {
      try {
        return await (await encrypterFor(endpointId)).decrypt(ciphertext);
      } catch (cause) {
        throw new WebhookSecretUnreadableError({ cause });
      }
    },
  };
}
