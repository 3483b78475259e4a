/**
 * JWT signing keys: generation, encryption at rest, publication as a JWKS, rotation, and
 * signing. The newest unretired key signs; a retired key stays published until every token it
 * can have signed has expired, so rotation never invalidates a live token.
 *
 * Each instance caches the key set and reloads it every minute (and on an unknown `kid`, at a
 * bounded rate), so a rotation on one instance reaches the others within a minute; the publish
 * window of a retired key covers that minute too.
 */
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey as JoseCryptoKey,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import { errors as joseErrors } from "jose";
import { ConfigurationError } from "../errors/index.js";
import type { EventBus, EventActor } from "../events/bus.js";
import { randomId } from "../lib/encoding.js";
import type { Encrypter } from "../lib/encryption.js";
import type { Logger } from "../lib/logger.js";
import type { SigningKeyRecord, SigningKeyStore } from "../storage/ports.js";

/** Algorithms Gatehouse signs with. */
export type SigningAlgorithm = "EdDSA" | "ES256";

/** How often each instance reloads the key set from the database. */
export const KEY_RELOAD_INTERVAL_MS = 60_000;
/** Fewest milliseconds between two reloads caused by unknown `kid`s (a flood must not hammer the store). */
const UNKNOWN_KID_RELOAD_COOLDOWN_MS = 5_000;

/** A public JWK as published in the JWKS. */
export type PublicJWK = JWK & { kid: string; alg: SigningAlgorithm; use: "sig" };

/** Options of {@link createSigningKeyManager}. */
export interface SigningKeyManagerOptions {
  store: SigningKeyStore;
  /** Encrypts private keys at rest (purpose-bound AES-256-GCM). */
  encrypter: Encrypter;
  algorithm: SigningAlgorithm;
  /**
   * How long a retired key stays published: the longest access-token lifetime, plus clock skew,
   * plus one reload interval (other instances may sign with it until they reload).
   */
  publishWindowMs: number;
  /** Rotate automatically when the signing key is this old; null for never. */
  rotationIntervalMs: number | null;
  clock: () => number;
  events: EventBus;
  logger: Logger;
}

/** The key operations the engine uses. */
export interface SigningKeyManager {
  readonly algorithm: SigningAlgorithm;
  /**
   * Algorithms of the published keys: the configured one, plus a previous one while keys made
   * before a change of algorithm are still published. Only these verify.
   */
  publishedAlgorithms(): SigningAlgorithm[];
  /** Signs an access token with the current key (`typ: at+jwt`, `kid`). */
  signAccessToken(claims: JWTPayload): Promise<string>;
  /** Resolves a verification key among the published keys by `kid`, for jose's jwtVerify. */
  resolveKey: JWTVerifyGetKey;
  /** The published public keys, newest first. */
  jwks(): Promise<{ keys: PublicJWK[] }>;
  /** Makes a new signing key and retires the others (still published for the window). */
  rotate(actor: EventActor): Promise<{ kid: string }>;
  /** Stops the reload timer. */
  close(): void;
}

interface LoadedKey {
  record: SigningKeyRecord;
  publicKey: JoseCryptoKey;
  publicJWK: PublicJWK;
}

interface KeySet {
  keys: Map<string, LoadedKey>;
  signing: { kid: string; privateKey: JoseCryptoKey };
  loadedAt: number;
}

function newest(records: SigningKeyRecord[]): SigningKeyRecord | undefined {
  return records
    .filter((record) => record.retiredAt === null)
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))[0];
}

/** Creates the key manager; makes the first key if there is none. */
export async function createSigningKeyManager(options: SigningKeyManagerOptions): Promise<SigningKeyManager> {
  const { store, encrypter, algorithm, clock, events, logger } = options;
  let lastUnknownKidReload = 0;

  async function generate(): Promise<SigningKeyRecord> {
    const pair = await generateKeyPair(algorithm, {
      extractable: true,
      ...(algorithm === "EdDSA" ? { crv: "Ed25519" } : {}),
    });
    const kid = randomId("key");
    const publicJWK = { ...(await exportJWK(pair.publicKey)), kid, alg: algorithm, use: "sig" };
    const record: SigningKeyRecord = {
      id: kid,
      algorithm,
      publicJWK: JSON.stringify(publicJWK),
      encryptedPrivateJWK: await encrypter.encrypt(JSON.stringify(await exportJWK(pair.privateKey))),
      createdAt: clock(),
      retiredAt: null,
      publishUntil: null,
    };
    await store.createSigningKey(record);
    return record;
  }

  async function load(): Promise<KeySet> {
    let records = await store.listSigningKeys(clock());
    let signingRecord = newest(records);
    if (!signingRecord || signingRecord.algorithm !== algorithm) {
      const previous = signingRecord;
      signingRecord = await generate();
      // The configured algorithm changed (ES256 <-> EdDSA): the old key retires but stays
      // published, so its tokens keep verifying. On a first start nothing is retired, so two
      // instances starting together on an empty database cannot retire each other's key.
      if (previous) await store.retireSigningKeys(signingRecord.id, clock(), clock() + options.publishWindowMs);
      records = await store.listSigningKeys(clock());
    }
    const keys = new Map<string, LoadedKey>();
    for (const record of records) {
      const publicJWK = JSON.parse(record.publicJWK) as PublicJWK;
      keys.set(record.id, {
        record,
        publicJWK,
        publicKey: (await importJWK(publicJWK, record.algorithm)) as JoseCryptoKey,
      });
    }
    let privateJWK: JWK;
    try {
      privateJWK = JSON.parse(await encrypter.decrypt(signingRecord.encryptedPrivateJWK)) as JWK;
    } catch (cause) {
      throw new ConfigurationError(
        "The signing keys in the database were encrypted with a different encryption key. Every instance " +
          "sharing a database needs the same one: set GATEHOUSE_ENCRYPTION_KEY to the key the others use " +
          "(or restore the data directory's encryption.key from a backup).",
        { cause },
      );
    }
    const privateKey = (await importJWK(privateJWK, signingRecord.algorithm)) as JoseCryptoKey;
    return { keys, signing: { kid: signingRecord.id, privateKey }, loadedAt: clock() };
  }

  let current = await load();

  async function rotate(actor: EventActor): Promise<{ kid: string }> {
    const record = await generate();
    const now = clock();
    await store.retireSigningKeys(record.id, now, now + options.publishWindowMs);
    current = await load();
    events.emit({ type: "signing_key.rotated", userId: null, actor, data: { kid: record.id, algorithm } });
    logger.info({ kid: record.id, algorithm }, "signing key rotated");
    return { kid: record.id };
  }

  async function tick(): Promise<void> {
    current = await load();
    const signing = current.keys.get(current.signing.kid);
    if (
      options.rotationIntervalMs !== null &&
      signing &&
      clock() - signing.record.createdAt >= options.rotationIntervalMs
    ) {
      await rotate({ type: "system", id: null });
    }
  }

  const timer = setInterval(() => {
    tick().catch((err: unknown) => logger.warn({ err }, "reloading signing keys failed"));
  }, KEY_RELOAD_INTERVAL_MS);
  (timer as { unref?: () => void }).unref?.();
  // A start after a long pause catches up on a due rotation at once.
  await tick();

  return {
    algorithm,

    publishedAlgorithms: () => [...new Set([...current.keys.values()].map((key) => key.record.algorithm))],

    async signAccessToken(claims) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: algorithm, kid: current.signing.kid, typ: "at+jwt" })
        .sign(current.signing.privateKey);
    },

    async resolveKey(header) {
      const kid = header.kid ?? "";
      let key = current.keys.get(kid);
      if (!key && clock() - lastUnknownKidReload >= UNKNOWN_KID_RELOAD_COOLDOWN_MS) {
        lastUnknownKidReload = clock();
        current = await load();
        key = current.keys.get(kid);
      }
      if (!key || key.record.algorithm !== header.alg) throw new joseErrors.JWKSNoMatchingKey();
      return key.publicKey;
    },

    async jwks() {
      // The signing key first, then the others newest first (ties, as under a frozen clock, by id).
      const rank = (key: LoadedKey): number => (key.record.id === current.signing.kid ? 1 : 0);
      const keys = [...current.keys.values()]
        .sort(
          (a, b) =>
            rank(b) - rank(a) || b.record.createdAt - a.record.createdAt || (a.record.id < b.record.id ? -1 : 1),
        )
        .map((key) => key.publicJWK);
      return { keys };
    },

    rotate,

    close() {
      clearInterval(timer);
    },
  };
}
