/**
 * Admin secret keys (`gh_sk_…`): created with 256 random bits, shown once, stored only as a
 * SHA-256 hash with a four-character hint, listed, and revoked with effect on the very next
 * request (the admin guard looks the key up every time). Every change is an event with its actor.
 */
import { ConfigurationError, LastSecretKeyError, NotFoundError } from "../errors/index.js";
import type { EventActor, EventBus } from "../events/bus.js";
import { SECRET_KEY_PREFIX } from "../admin/guard.js";
import { base64url, randomBytes, randomId, sha256base64url } from "../lib/encoding.js";
import type { SecretKeyRecord, SecretKeyStore } from "../storage/ports.js";

/** A key just created: the secret (to show once) and its stored record. */
export interface CreatedSecretKey {
  secretKey: string;
  record: SecretKeyRecord;
}

/** Secret key management, for the admin API, the CLI and embedders. */
export interface SecretKeyService {
  /** Creates a key; the returned `secretKey` exists nowhere else. */
  create(input: { name?: string | null }, actor: EventActor): Promise<CreatedSecretKey>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<SecretKeyRecord[]>;
  /**
   * Revokes a key at once. Revoking an already revoked key is a no-op returning it.
   * @throws NotFoundError for an unknown id; LastSecretKeyError for the last active key.
   */
  revoke(id: string, actor: EventActor): Promise<SecretKeyRecord>;
  /**
   * Records `GATEHOUSE_SECRET_KEY`, or generates a first key when none is active. Returns the
   * generated key, or null.
   * @throws ConfigurationError when the provided key is malformed or was revoked.
   */
  ensure(provided?: string): Promise<string | null>;
}

/** Characters of a key kept in clear as its hint. */
const HINT_LENGTH = 4;

/** Options of {@link createSecretKeyService}. */
export interface SecretKeyServiceOptions {
  keys: SecretKeyStore;
  events: EventBus;
  clock: () => number;
}

/** A fresh key: the prefix and 256 random bits. */
function generateSecretKey(): string {
  return `${SECRET_KEY_PREFIX}${base64url(randomBytes(32))}`;
}

/**
 * Creates the secret key service.
 *
 * @example
 * ```ts
 * const secretKeys = createSecretKeyService({ keys: database, events, clock: Date.now });
 * const { secretKey } = await secretKeys.create({ name: "billing" }, { type: "system", id: null });
 * ```
 */
export function createSecretKeyService(options: SecretKeyServiceOptions): SecretKeyService {
  const { keys, events, clock } = options;

  async function record(secretKey: string, name: string | null): Promise<SecretKeyRecord> {
    const key: SecretKeyRecord = {
      id: randomId("sk"),
      keyHash: await sha256base64url(secretKey),
      createdAt: clock(),
      revokedAt: null,
      name,
      hint: secretKey.slice(-HINT_LENGTH),
      lastUsedAt: null,
    };
    await keys.createSecretKey(key);
    return key;
  }

  return {
    async create(input, actor) {
      const secretKey = generateSecretKey();
      const key = await record(secretKey, input.name ?? null);
      events.emit({ type: "secret_key.created", userId: null, actor, data: { keyId: key.id, name: key.name } });
      return { secretKey, record: key };
    },

    list: () => keys.listSecretKeys(),

    async revoke(id, actor) {
      const existing = (await keys.listSecretKeys()).find((key) => key.id === id);
      if (!existing) throw new NotFoundError("No such secret key.");
      if (existing.revokedAt !== null) return existing;
      // Two admins revoking the last two keys at once can still race past this; the CLI, which
      // needs no key, can always create a new one.
      if ((await keys.countActiveSecretKeys()) <= 1) throw new LastSecretKeyError();
      const revoked = await keys.revokeSecretKey(id, clock());
      if (!revoked) throw new NotFoundError("No such secret key.");
      events.emit({ type: "secret_key.revoked", userId: null, actor, data: { keyId: id, name: revoked.name } });
      return revoked;
    },

    async ensure(provided) {
      if (provided !== undefined) {
        if (!provided.startsWith(SECRET_KEY_PREFIX) || provided.length < SECRET_KEY_PREFIX.length + 32) {
          throw new ConfigurationError(
            `GATEHOUSE_SECRET_KEY must start with "${SECRET_KEY_PREFIX}" followed by at least 32 random characters.`,
          );
        }
        const known = await keys.findSecretKeyByHash(await sha256base64url(provided));
        if (known && known.revokedAt !== null) {
          throw new ConfigurationError(
            "GATEHOUSE_SECRET_KEY was revoked; set a new key (or unset it to have one generated).",
          );
        }
        if (known) return null;
        try {
          await record(provided, "GATEHOUSE_SECRET_KEY");
        } catch (error) {
          // Another instance starting at the same moment recorded the same key first.
          if (!(await keys.findSecretKeyByHash(await sha256base64url(provided)))) throw error;
        }
        return null;
      }
      if ((await keys.countActiveSecretKeys()) > 0) return null;
      const secretKey = generateSecretKey();
      await record(secretKey, "generated at first start");
      return secretKey;
    },
  };
}
