/**
 * The one conformance suite every storage adapter runs: each `it` below is a sentence of the
 * contract in `ports.ts`, so SQLite, PostgreSQL, Redis and memory are held to the same
 * behaviour instead of each having its own idea of it.
 *
 * Adapter test files call these functions with a `setup` that builds the store; tests share one
 * store per `describe` and keep to their own random ids, so they never see each other's rows.
 * The revocation log is the exception: it is one ordered sequence that "from the start" and
 * `prune` see whole, so its `setup` runs before every test and gives each an empty log.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { EmailTakenError } from "../errors/index.js";
import type {
  BackupCodeRecord,
  Database,
  EmailTokenRecord,
  MFAChallengeRecord,
  SMSCodeRecord,
  SMSFactorRecord,
  NewUser,
  PasskeyChallengeRecord,
  PasskeyRecord,
  RateLimiterFactory,
  RevocationEntry,
  RevocationLog,
  RevocationLogEntry,
  SecretKeyRecord,
  SecurityEventRecord,
  SessionRecord,
  SessionRotation,
  SessionStore,
  SigningKeyRecord,
  SigningKeyStore,
  TOTPFactorRecord,
  UserChangeFeed,
  UserChangeListener,
} from "./ports.js";
import { minimalUser } from "../test-support/users.js";

/** What {@link describeSessionStoreConformance} needs from an adapter's test. */
export interface SessionStoreConformanceSetup {
  store: SessionStore;
  /**
   * Creates the user a session belongs to, for stores with a foreign key to `users` (SQL);
   * stores without one (Redis, memory) leave it out.
   */
  createUser?: (id: string) => Promise<void>;
  /**
   * The store expires sessions on its own (Redis): `deleteExpiredSessions` has nothing to do and
   * returns 0, and a session disappears by itself at its earlier expiry.
   * @default false
   */
  expiresSessionsItself?: boolean;
  teardown(): Promise<void>;
}

/** What {@link describeDatabaseConformance} needs from an adapter's test. */
export interface DatabaseConformanceSetup {
  /** A database with migrations already applied. */
  database: Database;
  teardown(): Promise<void>;
}

/** What {@link describeSigningKeyStoreConformance} needs from an adapter's test. */
export interface SigningKeyStoreConformanceSetup {
  /** The store (for SQL and memory, the migrated {@link Database} itself). */
  store: SigningKeyStore;
  teardown(): Promise<void>;
}

/**
 * What {@link describeRevocationLogConformance} needs from an adapter's test. Unlike the other
 * setups it runs before every test, because a log is one ordered sequence that "from the start"
 * and `prune` see whole: each test gets a log of its own with no entries in it.
 */
export interface RevocationLogConformanceSetup {
  /**
   * An empty log. Its storage must stay open until `teardown` (the suite appends after calling
   * the log's `close()` to prove live delivery stopped).
   */
  log: RevocationLog;
  teardown(): Promise<void>;
}

/** What {@link describeRateLimiterConformance} needs from an adapter's test. */
export interface RateLimiterConformanceSetup {
  rateLimiters: RateLimiterFactory;
  teardown(): Promise<void>;
}

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
/** Past 2^31, so a column or parser that truncates to 32 bits fails the round trip. */
const SOME_INSTANT = 1_767_225_600_123;

function uniqueId(prefix: string): string {
  return `${prefix}_${randomUUID()}`;
}

function byId<T extends { id: string }>(records: T[]): T[] {
  return [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/**
 * Proves a {@link SessionStore} keeps the port's contract.
 *
 * @example
 * ```ts
 * describeSessionStoreConformance("memory sessions", async () => {
 *   const database = createMemoryDatabase();
 *   return { store: database.sessions, teardown: () => database.close() };
 * });
 * ```
 */
export function describeSessionStoreConformance(
  name: string,
  setup: () => Promise<SessionStoreConformanceSetup>,
): void {
  describe(`${name}: SessionStore conformance`, () => {
    let context: SessionStoreConformanceSetup | undefined;

    beforeAll(async () => {
      context = await setup();
    });

    afterAll(async () => {
      await context?.teardown();
    });

    function store(): SessionStore {
      if (!context) throw new Error("setup() did not complete");
      return context.store;
    }

    async function newUser(): Promise<string> {
      const userId = uniqueId("user");
      await context?.createUser?.(userId);
      return userId;
    }

    /** A live session (real clock, because Redis expires keys on the real clock). */
    function newSession(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
      const now = Date.now();
      return {
        id: uniqueId("sess"),
        userId,
        secretHash: `hash-${randomUUID()}`,
        createdAt: now,
        lastActiveAt: now,
        idleExpiresAt: now + HOUR,
        expiresAt: now + 30 * DAY,
        ip: "203.0.113.7",
        userAgent: "Mozilla/5.0 (X11; Linux x86_64) Gatehouse-Conformance",
        generation: 0,
        previousSecretHash: null,
        rotatedAt: null,
        secondFactorVerifiedAt: null,
        ...overrides,
      };
    }

    it("markSecondFactorVerified sets only that field and never brings back a deleted session", async () => {
      const session = newSession(await newUser());
      await store().createSession(session);
      await store().markSecondFactorVerified(session.id, session.createdAt + 5_000);
      expect(await store().getSession(session.id)).toStrictEqual({
        ...session,
        secondFactorVerifiedAt: session.createdAt + 5_000,
      });
      await store().deleteSession(session.id);
      await store().markSecondFactorVerified(session.id, session.createdAt + 6_000);
      expect(await store().getSession(session.id)).toBeNull();
    });

    it("getSession returns the created session with every field unchanged", async () => {
      const session = newSession(await newUser());
      await store().createSession(session);
      const stored = await store().getSession(session.id);
      expect(stored).toStrictEqual(session);
    });

    it("round-trips null ip and userAgent", async () => {
      const session = newSession(await newUser(), { ip: null, userAgent: null });
      await store().createSession(session);
      expect(await store().getSession(session.id)).toStrictEqual(session);
    });

    it("getSession of an unknown id returns null", async () => {
      expect(await store().getSession(uniqueId("sess"))).toBeNull();
    });

    it("mutating a returned or passed-in record does not change the store", async () => {
      const session = newSession(await newUser());
      const original = { ...session };
      await store().createSession(session);
      session.expiresAt += DAY;
      session.secretHash = "changed-after-create";

      const first = await store().getSession(original.id);
      if (!first) throw new Error("session not found");
      first.expiresAt = 0;
      first.userId = "user_somebody_else";

      expect(await store().getSession(original.id)).toStrictEqual(original);
      const [listed] = await store().listSessionsByUser(original.userId);
      if (!listed) throw new Error("session not listed");
      listed.lastActiveAt = 0;
      expect(await store().getSession(original.id)).toStrictEqual(original);
    });

    it("touchSession updates lastActiveAt and idleExpiresAt and nothing else", async () => {
      const session = newSession(await newUser());
      await store().createSession(session);
      const lastActiveAt = session.lastActiveAt + 60_000;
      const idleExpiresAt = session.idleExpiresAt + 60_000;
      await store().touchSession(session.id, lastActiveAt, idleExpiresAt);
      expect(await store().getSession(session.id)).toStrictEqual({ ...session, lastActiveAt, idleExpiresAt });
    });

    it("touchSession after deleteSession does not bring the session back", async () => {
      const session = newSession(await newUser());
      await store().createSession(session);
      await store().deleteSession(session.id);
      await store().touchSession(session.id, session.lastActiveAt + 1_000, session.idleExpiresAt + HOUR);
      expect(await store().getSession(session.id)).toBeNull();
      expect(await store().listSessionsByUser(session.userId)).toEqual([]);
    });

    it("touchSession of an unknown id creates nothing", async () => {
      const id = uniqueId("sess");
      const now = Date.now();
      await store().touchSession(id, now, now + HOUR);
      expect(await store().getSession(id)).toBeNull();
    });

    it("deleteSession removes that session only, and ignores unknown ids", async () => {
      const userId = await newUser();
      const doomed = newSession(userId);
      const kept = newSession(userId);
      await store().createSession(doomed);
      await store().createSession(kept);
      await store().deleteSession(doomed.id);
      await store().deleteSession(uniqueId("sess"));
      expect(await store().getSession(doomed.id)).toBeNull();
      expect(await store().getSession(kept.id)).toStrictEqual(kept);
      expect(await store().listSessionsByUser(userId)).toStrictEqual([kept]);
    });

    it("listSessionsByUser returns all of that user's sessions and no one else's", async () => {
      const alice = await newUser();
      const bob = await newUser();
      const alicesSessions = [newSession(alice), newSession(alice, { ip: null }), newSession(alice)];
      const bobsSession = newSession(bob);
      for (const session of [...alicesSessions, bobsSession]) await store().createSession(session);

      expect(byId(await store().listSessionsByUser(alice))).toStrictEqual(byId(alicesSessions));
      expect(await store().listSessionsByUser(bob)).toStrictEqual([bobsSession]);
    });

    it("listSessionsByUser of a user without sessions returns an empty list", async () => {
      expect(await store().listSessionsByUser(await newUser())).toEqual([]);
    });

    it("deleteSessionsByUser removes every session of that user and leaves others", async () => {
      const alice = await newUser();
      const bob = await newUser();
      const alicesSessions = [newSession(alice), newSession(alice)];
      const bobsSession = newSession(bob);
      for (const session of [...alicesSessions, bobsSession]) await store().createSession(session);

      await store().deleteSessionsByUser(alice);
      await store().deleteSessionsByUser(await newUser());

      expect(await store().listSessionsByUser(alice)).toEqual([]);
      for (const session of alicesSessions) expect(await store().getSession(session.id)).toBeNull();
      expect(await store().getSession(bobsSession.id)).toStrictEqual(bobsSession);
      expect(await store().listSessionsByUser(bob)).toStrictEqual([bobsSession]);
    });

    it("ping resolves while the store is reachable", async () => {
      await expect(store().ping()).resolves.toBeUndefined();
    });

    /**
     * A refresh-token rotation of `session`: every field a distinct new value, so a column
     * written to the wrong place or left out fails the comparison.
     */
    function rotationOf(session: SessionRecord, overrides: Partial<SessionRotation> = {}): SessionRotation {
      const now = Date.now();
      return {
        secretHash: `hash-${randomUUID()}`,
        previousSecretHash: session.secretHash,
        rotatedAt: now + 1_001,
        generation: session.generation + 1,
        lastActiveAt: now + 1_002,
        idleExpiresAt: now + 2 * HOUR,
        ...overrides,
      };
    }

    describe("rotateSessionSecret", () => {
      it("with the current hash returns true and applies exactly the rotation's fields", async () => {
        const session = newSession(await newUser());
        const bystander = newSession(session.userId);
        await store().createSession(session);
        await store().createSession(bystander);
        const rotation = rotationOf(session);

        expect(await store().rotateSessionSecret(session.id, session.secretHash, rotation)).toBe(true);

        const rotated = { ...session, ...rotation };
        expect(await store().getSession(session.id)).toStrictEqual(rotated);
        expect(byId(await store().listSessionsByUser(session.userId))).toStrictEqual(byId([rotated, bystander]));
        expect(await store().getSession(bystander.id)).toStrictEqual(bystander);
      });

      it("chains: each rotation applies against the hash the previous one set, never the replaced one", async () => {
        const session = newSession(await newUser());
        await store().createSession(session);
        const first = rotationOf(session);
        expect(await store().rotateSessionSecret(session.id, session.secretHash, first)).toBe(true);
        const second = rotationOf({ ...session, ...first }, { rotatedAt: Date.now() + 5_000 });
        expect(await store().rotateSessionSecret(session.id, first.secretHash, second)).toBe(true);

        // The replaced hashes (the grace window's previousSecretHash among them) no longer win.
        const late = rotationOf({ ...session, ...second });
        expect(await store().rotateSessionSecret(session.id, first.secretHash, late)).toBe(false);
        expect(await store().rotateSessionSecret(session.id, session.secretHash, late)).toBe(false);
        expect(await store().getSession(session.id)).toStrictEqual({ ...session, ...second });
      });

      it("with a stale hash returns false and changes nothing", async () => {
        const session = newSession(await newUser());
        await store().createSession(session);
        const rotation = rotationOf(session);

        expect(await store().rotateSessionSecret(session.id, `hash-${randomUUID()}`, rotation)).toBe(false);
        expect(await store().rotateSessionSecret(session.id, rotation.secretHash, rotation)).toBe(false);
        expect(await store().getSession(session.id)).toStrictEqual(session);
      });

      it("after deleteSession returns false and does not bring the session back", async () => {
        const session = newSession(await newUser());
        await store().createSession(session);
        await store().deleteSession(session.id);

        expect(await store().rotateSessionSecret(session.id, session.secretHash, rotationOf(session))).toBe(false);
        expect(await store().getSession(session.id)).toBeNull();
        expect(await store().listSessionsByUser(session.userId)).toEqual([]);
      });

      it("of an unknown id returns false and creates nothing", async () => {
        const session = newSession(await newUser());
        expect(await store().rotateSessionSecret(session.id, session.secretHash, rotationOf(session))).toBe(false);
        expect(await store().getSession(session.id)).toBeNull();
        expect(await store().listSessionsByUser(session.userId)).toEqual([]);
      });

      it("of 10 concurrent rotations with the same expected hash, exactly one wins and is stored", async () => {
        const session = newSession(await newUser());
        await store().createSession(session);
        const rotations = Array.from({ length: 10 }, (_, index) =>
          rotationOf(session, { generation: index + 1, rotatedAt: Date.now() + index }),
        );

        const results = await Promise.all(
          rotations.map((rotation) => store().rotateSessionSecret(session.id, session.secretHash, rotation)),
        );

        expect(results.filter((applied) => applied)).toHaveLength(1);
        const winner = rotations[results.indexOf(true)];
        expect(await store().getSession(session.id)).toStrictEqual({ ...session, ...winner });
      });
    });

    describe("expiry", () => {
      it("deleteExpiredSessions removes sessions past either expiry and counts them", async ({ skip }) => {
        if (context?.expiresSessionsItself) skip("the store expires sessions itself");
        const userId = await newUser();
        const now = Date.now();
        // Start from a store with nothing expired at `now`, so the count below is exact.
        await store().deleteExpiredSessions(now);

        const idleExpired = newSession(userId, { idleExpiresAt: now - 1_000, expiresAt: now + DAY });
        const absoluteExpired = newSession(userId, { idleExpiresAt: now + HOUR, expiresAt: now - 1_000 });
        const expiringExactlyNow = newSession(userId, { idleExpiresAt: now + HOUR, expiresAt: now });
        const live = newSession(userId, { idleExpiresAt: now + 1, expiresAt: now + DAY });
        for (const session of [idleExpired, absoluteExpired, expiringExactlyNow, live]) {
          await store().createSession(session);
        }

        expect(await store().deleteExpiredSessions(now)).toBe(3);
        expect(await store().getSession(idleExpired.id)).toBeNull();
        expect(await store().getSession(absoluteExpired.id)).toBeNull();
        expect(await store().getSession(expiringExactlyNow.id)).toBeNull();
        expect(await store().getSession(live.id)).toStrictEqual(live);
        expect(await store().deleteExpiredSessions(now)).toBe(0);
      });

      it("a self-expiring store has nothing to sweep: deleteExpiredSessions returns 0", async ({ skip }) => {
        if (!context?.expiresSessionsItself) skip("the store relies on deleteExpiredSessions");
        const session = newSession(await newUser());
        await store().createSession(session);
        expect(await store().deleteExpiredSessions(Date.now() + 365 * DAY)).toBe(0);
        expect(await store().getSession(session.id)).toStrictEqual(session);
      });

      it("a self-expiring store drops a session at the earlier of its two expiries, after touches and rotations too", async ({
        skip,
      }) => {
        if (!context?.expiresSessionsItself) skip("the store relies on deleteExpiredSessions");
        const userId = await newUser();
        const now = Date.now();
        const soon = now + 1_500;
        const absoluteEnd = newSession(userId, { idleExpiresAt: now + HOUR, expiresAt: soon });
        const idleEnd = newSession(userId, { idleExpiresAt: soon, expiresAt: now + DAY });
        const touched = newSession(userId, { idleExpiresAt: soon, expiresAt: now + DAY });
        const live = newSession(userId);
        // Each rotated session is its user's only one, so the user's session list depends on it alone.
        const rotatedLater = newSession(await newUser(), { idleExpiresAt: soon, expiresAt: now + DAY });
        const rotatedSooner = newSession(await newUser(), { idleExpiresAt: now + HOUR, expiresAt: now + DAY });
        const rotatedPastAbsolute = newSession(await newUser(), { idleExpiresAt: now + HOUR, expiresAt: soon });
        const sessions = [absoluteEnd, idleEnd, touched, live, rotatedLater, rotatedSooner, rotatedPastAbsolute];
        for (const session of sessions) await store().createSession(session);
        // Touching or rotating moves the idle expiry, and the store's own expiry must follow it.
        await store().touchSession(touched.id, now + 1, now + HOUR);
        const later = rotationOf(rotatedLater, { idleExpiresAt: now + HOUR });
        expect(await store().rotateSessionSecret(rotatedLater.id, rotatedLater.secretHash, later)).toBe(true);
        const sooner = rotationOf(rotatedSooner, { idleExpiresAt: soon });
        expect(await store().rotateSessionSecret(rotatedSooner.id, rotatedSooner.secretHash, sooner)).toBe(true);
        // A rotation never stretches a session past its absolute end.
        const pastAbsolute = rotationOf(rotatedPastAbsolute, { idleExpiresAt: now + 2 * HOUR });
        expect(
          await store().rotateSessionSecret(rotatedPastAbsolute.id, rotatedPastAbsolute.secretHash, pastAbsolute),
        ).toBe(true);

        await sleep(soon - Date.now() + 250);

        expect(await store().getSession(absoluteEnd.id)).toBeNull();
        expect(await store().getSession(idleEnd.id)).toBeNull();
        const touchedNow = { ...touched, lastActiveAt: now + 1, idleExpiresAt: now + HOUR };
        expect(await store().getSession(touched.id)).toStrictEqual(touchedNow);
        expect(byId(await store().listSessionsByUser(userId))).toStrictEqual(byId([touchedNow, live]));

        const rotatedLaterNow = { ...rotatedLater, ...later };
        expect(await store().getSession(rotatedLater.id)).toStrictEqual(rotatedLaterNow);
        expect(await store().listSessionsByUser(rotatedLater.userId)).toStrictEqual([rotatedLaterNow]);
        expect(await store().getSession(rotatedSooner.id)).toBeNull();
        expect(await store().listSessionsByUser(rotatedSooner.userId)).toEqual([]);
        expect(await store().getSession(rotatedPastAbsolute.id)).toBeNull();
        expect(await store().listSessionsByUser(rotatedPastAbsolute.userId)).toEqual([]);
      });
    });

    // Last on purpose: a store whose close() released something could not run later tests.
    it("close resolves", async () => {
      await expect(store().close()).resolves.toBeUndefined();
    });
  });
}

/**
 * Proves a {@link Database} (accounts, secret keys, migrations, ping) keeps the port's
 * contract. Its `sessions` store is proven separately with
 * {@link describeSessionStoreConformance}.
 *
 * @example
 * ```ts
 * describeDatabaseConformance("sqlite", async () => {
 *   const database = createSQLiteDatabase({ filename: ":memory:" });
 *   await database.migrate();
 *   return { database, teardown: () => database.close() };
 * });
 * ```
 */
export function describeDatabaseConformance(name: string, setup: () => Promise<DatabaseConformanceSetup>): void {
  describe(`${name}: Database conformance`, () => {
    let context: DatabaseConformanceSetup | undefined;

    beforeAll(async () => {
      context = await setup();
    });

    afterAll(async () => {
      await context?.teardown();
    });

    function database(): Database {
      if (!context) throw new Error("setup() did not complete");
      return context.database;
    }

    function newUser(overrides: Partial<NewUser> = {}): NewUser {
      const local = `ada.${randomUUID()}`;
      return {
        id: uniqueId("user"),
        email: `${local}@Example.com`,
        emailNormalized: `${local}@example.com`,
        name: "Ada Lovelace",
        passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
        emailVerifiedAt: SOME_INSTANT + 5_000,
        createdAt: SOME_INSTANT,
        publicMetadata: {},
        privateMetadata: {},
        bannedAt: null,
        ...overrides,
      };
    }

    function newSecretKey(overrides: Partial<SecretKeyRecord> = {}): SecretKeyRecord {
      return {
        id: uniqueId("sk"),
        keyHash: `key-hash-${randomUUID()}`,
        createdAt: SOME_INSTANT,
        revokedAt: null,
        name: null,
        hint: null,
        lastUsedAt: null,
        ...overrides,
      };
    }

    let eventCounter = 0;
    /** Event ids sort like the recorder's: time first, then a counter. */
    function newEvent(overrides: Partial<SecurityEventRecord> = {}): SecurityEventRecord {
      const occurredAt = overrides.occurredAt ?? SOME_INSTANT;
      eventCounter++;
      return {
        id: `evt_${occurredAt.toString(16).padStart(12, "0")}${eventCounter.toString(16).padStart(8, "0")}${randomUUID().slice(0, 8)}`,
        type: "sign_in.failed",
        occurredAt,
        userId: null,
        sessionId: null,
        actorType: null,
        actorId: null,
        ip: "203.0.113.9",
        userAgent: "Conformance/1",
        data: { reason: "invalid_credentials" },
        ...overrides,
      };
    }

    it("has a kind for logs and readiness reports", () => {
      expect(database().kind).toMatch(/^[a-z]+$/);
    });

    it("createUser returns the record with updatedAt = createdAt, and getUserById returns it unchanged", async () => {
      const user = newUser();
      const created = await database().createUser(user);
      expect(created).toStrictEqual({ ...user, updatedAt: user.createdAt });
      expect(await database().getUserById(user.id)).toStrictEqual(created);
    });

    it("round-trips null name, passwordHash and emailVerifiedAt", async () => {
      const user = newUser({ name: null, passwordHash: null, emailVerifiedAt: null });
      await database().createUser(user);
      expect(await database().getUserById(user.id)).toStrictEqual({ ...user, updatedAt: user.createdAt });
    });

    it("getUserById and getUserByEmail of unknown values return null", async () => {
      expect(await database().getUserById(uniqueId("user"))).toBeNull();
      expect(await database().getUserByEmail(`nobody.${randomUUID()}@example.com`)).toBeNull();
    });

    it("getUserByEmail finds the user by the normalized address", async () => {
      const user = newUser();
      const created = await database().createUser(user);
      expect(await database().getUserByEmail(user.emailNormalized)).toStrictEqual(created);
    });

    it("createUser throws EmailTakenError for an address already taken in another case, and stores nothing", async () => {
      const first = newUser();
      await database().createUser(first);
      const second = newUser({
        email: first.email.toUpperCase(),
        emailNormalized: first.emailNormalized,
        name: "Someone Else",
      });

      const attempt = database().createUser(second);
      await expect(attempt).rejects.toBeInstanceOf(EmailTakenError);
      await expect(attempt).rejects.toMatchObject({ code: "email_taken", status: 409 });

      expect(await database().getUserById(second.id)).toBeNull();
      expect(await database().getUserByEmail(first.emailNormalized)).toStrictEqual({
        ...first,
        updatedAt: first.createdAt,
      });
    });

    it("mutating a returned user does not change the store", async () => {
      const user = newUser();
      const created = await database().createUser(user);
      created.passwordHash = "tampered";
      const fetched = await database().getUserById(user.id);
      if (!fetched) throw new Error("user not found");
      fetched.email = "tampered@example.com";
      expect(await database().getUserById(user.id)).toStrictEqual({ ...user, updatedAt: user.createdAt });
    });

    it("updatePasswordHash replaces the hash and updatedAt and nothing else", async () => {
      const user = newUser({ passwordHash: null });
      const created = await database().createUser(user);
      const other = await database().createUser(newUser());
      const newHash = "$argon2id$v=19$m=65536,t=3,p=4$bmV3c2FsdA$bmV3aGFzaA";
      const updatedAt = SOME_INSTANT + DAY;

      await database().updatePasswordHash(user.id, newHash, updatedAt);

      const expected = { ...created, passwordHash: newHash, updatedAt };
      expect(await database().getUserById(user.id)).toStrictEqual(expected);
      expect(await database().getUserByEmail(user.emailNormalized)).toStrictEqual(expected);
      expect(await database().getUserById(other.id)).toStrictEqual(other);
    });

    it("findActiveSecretKey returns a created key with every field unchanged", async () => {
      const key = newSecretKey();
      await database().createSecretKey(key);
      expect(await database().findActiveSecretKey(key.keyHash)).toStrictEqual(key);
      expect(await database().findActiveSecretKey(`key-hash-${randomUUID()}`)).toBeNull();
    });

    it("a revoked key is neither found nor counted; active keys are counted", async () => {
      const before = await database().countActiveSecretKeys();
      const active = newSecretKey();
      const revoked = newSecretKey({ revokedAt: SOME_INSTANT + HOUR });
      await database().createSecretKey(active);
      await database().createSecretKey(revoked);

      expect(await database().findActiveSecretKey(revoked.keyHash)).toBeNull();
      expect(await database().countActiveSecretKeys()).toBe(before + 1);

      const returned = await database().findActiveSecretKey(active.keyHash);
      if (!returned) throw new Error("key not found");
      returned.revokedAt = SOME_INSTANT;
      expect(await database().findActiveSecretKey(active.keyHash)).toStrictEqual(active);
    });

    it("createUser defaults metadata to {} and bannedAt to null when they are not given", async () => {
      const { publicMetadata: _public, privateMetadata: _private, bannedAt: _banned, ...bare } = newUser();
      const created = await database().createUser(bare);
      const expected = { ...bare, publicMetadata: {}, privateMetadata: {}, bannedAt: null, updatedAt: bare.createdAt };
      expect(created).toStrictEqual(expected);
      expect(await database().getUserById(bare.id)).toStrictEqual(expected);
    });

    it("round-trips nested metadata and a ban, and copies metadata in and out", async () => {
      const publicMetadata = { plan: "pro", tags: ["a", "ß", "😀"], nested: { deep: { n: 1.5, t: true, z: null } } };
      const user = newUser({ publicMetadata, privateMetadata: { stripe: "cus_123" }, bannedAt: SOME_INSTANT + 1 });
      const created = await database().createUser(user);
      publicMetadata.plan = "changed-after-create";
      created.privateMetadata.stripe = "changed-after-return";
      const fetched = await database().getUserById(user.id);
      expect(fetched).toStrictEqual({
        ...user,
        publicMetadata: { plan: "pro", tags: ["a", "ß", "😀"], nested: { deep: { n: 1.5, t: true, z: null } } },
        privateMetadata: { stripe: "cus_123" },
        updatedAt: user.createdAt,
      });
    });

    it("updateUser changes the given fields and updatedAt only, and returns the result", async () => {
      const user = await database().createUser(newUser());
      const other = await database().createUser(newUser());
      const local = `renamed.${randomUUID()}`;
      const changes = {
        email: `${local}@Example.com`,
        emailNormalized: `${local}@example.com`,
        name: null,
        emailVerifiedAt: null,
        publicMetadata: { a: 1 },
        privateMetadata: { b: [2] },
        bannedAt: SOME_INSTANT + HOUR,
      };
      const updated = await database().updateUser(user.id, changes, SOME_INSTANT + DAY);
      const expected = { ...user, ...changes, updatedAt: SOME_INSTANT + DAY };
      expect(updated).toStrictEqual(expected);
      expect(await database().getUserById(user.id)).toStrictEqual(expected);
      expect(await database().getUserByEmail(changes.emailNormalized)).toStrictEqual(expected);
      expect(await database().getUserByEmail(user.emailNormalized)).toBeNull();
      expect(await database().getUserById(other.id)).toStrictEqual(other);

      const partial = await database().updateUser(user.id, { name: "Only The Name" }, SOME_INSTANT + 2 * DAY);
      expect(partial).toStrictEqual({ ...expected, name: "Only The Name", updatedAt: SOME_INSTANT + 2 * DAY });
    });

    it("updateUser of an unknown id returns null and creates nothing", async () => {
      const id = uniqueId("user");
      expect(await database().updateUser(id, { name: "x" }, SOME_INSTANT)).toBeNull();
      expect(await database().getUserById(id)).toBeNull();
    });

    it("updateUser to an address another user has throws EmailTakenError and changes nothing", async () => {
      const first = await database().createUser(newUser());
      const second = await database().createUser(newUser());
      const attempt = database().updateUser(
        second.id,
        { email: first.email.toUpperCase(), emailNormalized: first.emailNormalized, name: "Changed" },
        SOME_INSTANT + DAY,
      );
      await expect(attempt).rejects.toBeInstanceOf(EmailTakenError);
      expect(await database().getUserById(second.id)).toStrictEqual(second);
      expect(await database().getUserByEmail(first.emailNormalized)).toStrictEqual(first);
    });

    it("deleteUser removes the user and frees the address; unknown ids answer false", async () => {
      const user = await database().createUser(newUser());
      expect(await database().deleteUser(user.id)).toBe(true);
      expect(await database().getUserById(user.id)).toBeNull();
      expect(await database().getUserByEmail(user.emailNormalized)).toBeNull();
      expect(await database().deleteUser(user.id)).toBe(false);
      await database().createUser(newUser({ email: user.email, emailNormalized: user.emailNormalized }));
    });

    describe("listUsers", () => {
      const tag = randomUUID().slice(0, 8);
      const users: Awaited<ReturnType<Database["createUser"]>>[] = [];

      beforeAll(async () => {
        // Five users of this test only (found through the unique tag), two sharing createdAt so
        // the id breaks the tie.
        const specs: Partial<NewUser>[] = [
          { createdAt: SOME_INSTANT + 1, name: `Grace ${tag}` },
          { createdAt: SOME_INSTANT + 2, name: "Ada", emailVerifiedAt: null },
          { createdAt: SOME_INSTANT + 3, name: "Linus", bannedAt: SOME_INSTANT + 10 },
          { createdAt: SOME_INSTANT + 3, name: "Barbara 100%_sure", emailVerifiedAt: null },
          { createdAt: SOME_INSTANT + 4, name: null },
        ];
        for (const [index, spec] of specs.entries()) {
          const local = `list.${tag}.${index}`;
          users.push(
            await database().createUser(
              newUser({
                id: `user_${tag}_${index}`,
                email: `${local}@Example.com`,
                emailNormalized: `${local}@example.com`,
                ...spec,
              }),
            ),
          );
        }
      });

      const ids = (records: { id: string }[]) => records.map((record) => record.id);
      const newestFirst = () => [users[4]!, users[3]!, users[2]!, users[1]!, users[0]!].map((user) => user.id);

      it("returns users newest first, by createdAt then id, with every field", async () => {
        const page = await database().listUsers({ search: tag, limit: 10 });
        expect(ids(page)).toEqual(newestFirst());
        expect(page[0]).toStrictEqual(users[4]);
      });

      it("pages with `after` without repeating or skipping, also across equal createdAt", async () => {
        const seen: string[] = [];
        let after: { createdAt: number; id: string } | undefined;
        for (;;) {
          const page = await database().listUsers({ search: tag, limit: 2, ...(after ? { after } : {}) });
          if (page.length === 0) break;
          seen.push(...ids(page));
          const last = page[page.length - 1]!;
          after = { createdAt: last.createdAt, id: last.id };
        }
        expect(seen).toEqual(newestFirst());
      });

      it("searches email and name case-insensitively, with LIKE wildcards taken literally", async () => {
        expect(ids(await database().listUsers({ search: `LIST.${tag.toUpperCase()}.2`, limit: 10 }))).toEqual([
          users[2]!.id,
        ]);
        expect(ids(await database().listUsers({ search: `grace ${tag}`, limit: 10 }))).toEqual([users[0]!.id]);
        expect(ids(await database().listUsers({ search: "100%_sure", limit: 10 }))).toContain(users[3]!.id);
        expect(await database().listUsers({ search: `${tag}%`, limit: 10 })).toEqual([]);
        expect(await database().listUsers({ search: `list_${tag}`, limit: 10 })).toEqual([]);
      });

      it("filters by banned, verified and creation range", async () => {
        expect(ids(await database().listUsers({ search: tag, banned: true, limit: 10 }))).toEqual([users[2]!.id]);
        expect(ids(await database().listUsers({ search: tag, banned: false, limit: 10 }))).not.toContain(users[2]!.id);
        expect(ids(await database().listUsers({ search: tag, verified: false, limit: 10 }))).toEqual([
          users[3]!.id,
          users[1]!.id,
        ]);
        expect(ids(await database().listUsers({ search: tag, verified: true, limit: 10 }))).toHaveLength(3);
        expect(
          ids(
            await database().listUsers({
              search: tag,
              createdFrom: SOME_INSTANT + 2,
              createdBefore: SOME_INSTANT + 4,
              limit: 10,
            }),
          ),
        ).toEqual([users[3]!.id, users[2]!.id, users[1]!.id]);
      });
    });

    it("listSecretKeys returns every key, revoked included, oldest first, with labels", async () => {
      const before = (await database().listSecretKeys()).length;
      const first = newSecretKey({ createdAt: SOME_INSTANT - 2, name: "billing", hint: "Ab3x" });
      const second = newSecretKey({ createdAt: SOME_INSTANT - 1, revokedAt: SOME_INSTANT });
      await database().createSecretKey(second);
      await database().createSecretKey(first);
      const listed = await database().listSecretKeys();
      expect(listed).toHaveLength(before + 2);
      const mine = listed.filter((key) => key.id === first.id || key.id === second.id);
      expect(mine).toStrictEqual([first, second]);
    });

    it("createSecretKey defaults name, hint and lastUsedAt to null", async () => {
      const { name: _name, hint: _hint, lastUsedAt: _last, ...bare } = newSecretKey();
      await database().createSecretKey(bare);
      expect(await database().findActiveSecretKey(bare.keyHash)).toStrictEqual({
        ...bare,
        name: null,
        hint: null,
        lastUsedAt: null,
      });
    });

    it("revokeSecretKey revokes at once, keeps the first revocation time, and answers null for unknown ids", async () => {
      const key = newSecretKey();
      await database().createSecretKey(key);
      const revoked = await database().revokeSecretKey(key.id, SOME_INSTANT + HOUR);
      expect(revoked).toStrictEqual({ ...key, revokedAt: SOME_INSTANT + HOUR });
      expect(await database().findActiveSecretKey(key.keyHash)).toBeNull();
      expect(await database().findSecretKeyByHash(key.keyHash)).toStrictEqual(revoked);
      expect(await database().revokeSecretKey(key.id, SOME_INSTANT + DAY)).toStrictEqual(revoked);
      expect(await database().revokeSecretKey(uniqueId("sk"), SOME_INSTANT)).toBeNull();
    });

    it("touchSecretKey records the last use", async () => {
      const key = newSecretKey();
      await database().createSecretKey(key);
      await database().touchSecretKey(key.id, SOME_INSTANT + 7);
      expect(await database().findActiveSecretKey(key.keyHash)).toStrictEqual({ ...key, lastUsedAt: SOME_INSTANT + 7 });
      expect(await database().findSecretKeyByHash(`key-hash-${randomUUID()}`)).toBeNull();
    });

    describe("security events", () => {
      const userId = uniqueId("user");
      const events: SecurityEventRecord[] = [];

      beforeAll(async () => {
        events.push(
          newEvent({ userId, occurredAt: SOME_INSTANT + 1_000, type: "user.created", data: {} }),
          newEvent({ userId, occurredAt: SOME_INSTANT + 2_000, data: { nested: { list: [1, "two"] } } }),
          newEvent({ userId, occurredAt: SOME_INSTANT + 2_000, type: "sign_in.succeeded", sessionId: "sess_1" }),
          newEvent({
            userId,
            occurredAt: SOME_INSTANT + 3_000,
            type: "user.banned",
            actorType: "admin",
            actorId: `sk_${userId}`,
            ip: null,
            userAgent: null,
          }),
        );
        // Appended out of order: the id decides the order, not the insertion.
        for (const event of [events[2]!, events[0]!, events[3]!, events[1]!]) {
          await database().appendSecurityEvent(event);
        }
      });

      const newestFirst = () => [...events].reverse();

      it("lists a user's events newest first with every field", async () => {
        expect(await database().listSecurityEvents({ userId, limit: 10 })).toStrictEqual(newestFirst());
      });

      it("pages with beforeId", async () => {
        const first = await database().listSecurityEvents({ userId, limit: 3 });
        const second = await database().listSecurityEvents({ userId, limit: 3, beforeId: first[2]!.id });
        expect([...first, ...second]).toStrictEqual(newestFirst());
      });

      it("filters by types, actor and time range", async () => {
        const byType = await database().listSecurityEvents({
          userId,
          types: ["user.created", "user.banned"],
          limit: 10,
        });
        expect(byType.map((event) => event.type)).toEqual(["user.banned", "user.created"]);
        expect(await database().listSecurityEvents({ actorId: `sk_${userId}`, limit: 10 })).toStrictEqual([events[3]]);
        const range = await database().listSecurityEvents({
          userId,
          from: SOME_INSTANT + 2_000,
          to: SOME_INSTANT + 3_000,
          limit: 10,
        });
        expect(range).toStrictEqual([events[2], events[1]]);
      });

      it("deleteSecurityEventsBefore removes older events only and counts them", async () => {
        const otherUser = uniqueId("user");
        const old = newEvent({ userId: otherUser, occurredAt: 1_000 });
        const recent = newEvent({ userId: otherUser, occurredAt: 5_000 });
        await database().appendSecurityEvent(old);
        await database().appendSecurityEvent(recent);
        expect(await database().deleteSecurityEventsBefore(5_000)).toBe(1);
        expect(await database().listSecurityEvents({ userId: otherUser, limit: 10 })).toStrictEqual([recent]);
        expect(await database().listSecurityEvents({ userId, limit: 10 })).toHaveLength(4);
      });
    });

    it("migrate() again, even twice at once, is harmless and keeps the data", async () => {
      const user = await database().createUser(newUser());
      await database().migrate();
      await Promise.all([database().migrate(), database().migrate()]);
      expect(await database().getUserById(user.id)).toStrictEqual(user);
    });

    it("ping resolves while the database is reachable", async () => {
      await expect(database().ping()).resolves.toBeUndefined();
    });
  });
}

/**
 * Proves a {@link RateLimiterFactory}'s limiters count, refuse and reset as the port says.
 *
 * @example
 * ```ts
 * describeRateLimiterConformance("memory", async () => ({
 *   rateLimiters: createMemoryRateLimiters(),
 *   teardown: async () => {},
 * }));
 * ```
 */
export function describeRateLimiterConformance(name: string, setup: () => Promise<RateLimiterConformanceSetup>): void {
  describe(`${name}: RateLimiter conformance`, () => {
    let context: RateLimiterConformanceSetup | undefined;

    beforeAll(async () => {
      context = await setup();
    });

    afterAll(async () => {
      await context?.teardown();
    });

    function rateLimiters(): RateLimiterFactory {
      if (!context) throw new Error("setup() did not complete");
      return context.rateLimiters;
    }

    it("allows `points` attempts, then refuses with a wait of at least a second", async () => {
      const limiter = rateLimiters()({ name: uniqueId("limit"), points: 3, durationSeconds: 60 });
      const key = uniqueId("ip");
      for (let attempt = 0; attempt < 3; attempt++) {
        expect(await limiter.consume(key)).toEqual({ allowed: true, retryAfterSeconds: 0 });
      }
      const refused = await limiter.consume(key);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(Number.isInteger(refused.retryAfterSeconds)).toBe(true);
    });

    it("counts each key separately", async () => {
      const limiter = rateLimiters()({ name: uniqueId("limit"), points: 1, durationSeconds: 60 });
      const first = uniqueId("ip");
      await limiter.consume(first);
      expect((await limiter.consume(first)).allowed).toBe(false);
      expect((await limiter.consume(uniqueId("ip"))).allowed).toBe(true);
    });

    it("counts each limiter name separately", async () => {
      const key = uniqueId("ip");
      const signIn = rateLimiters()({ name: uniqueId("sign-in"), points: 1, durationSeconds: 60 });
      const signUp = rateLimiters()({ name: uniqueId("sign-up"), points: 1, durationSeconds: 60 });
      await signIn.consume(key);
      expect((await signIn.consume(key)).allowed).toBe(false);
      expect((await signUp.consume(key)).allowed).toBe(true);
    });

    it("reset forgets the key's attempts", async () => {
      const limiter = rateLimiters()({ name: uniqueId("limit"), points: 1, durationSeconds: 60 });
      const key = uniqueId("ip");
      await limiter.consume(key);
      expect((await limiter.consume(key)).allowed).toBe(false);
      await limiter.reset(key);
      expect(await limiter.consume(key)).toEqual({ allowed: true, retryAfterSeconds: 0 });
      await limiter.reset(uniqueId("never-seen"));
    });

    it("allows again once the window has passed", async () => {
      const limiter = rateLimiters()({ name: uniqueId("limit"), points: 1, durationSeconds: 1 });
      const key = uniqueId("ip");
      await limiter.consume(key);
      const refused = await limiter.consume(key);
      expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
      await sleep(1_100);
      expect((await limiter.consume(key)).allowed).toBe(true);
    });
  });
}

/**
 * Proves a {@link SigningKeyStore} publishes, keeps and retires JWT signing keys as the port
 * says. Tests share one store and look only at their own keys (listing filters to them), but
 * `retireSigningKeys` retires every key but one, so the tests of one store must not run
 * concurrently (vitest runs a file's tests one after another unless told otherwise).
 *
 * @example
 * ```ts
 * describeSigningKeyStoreConformance("memory", async () => {
 *   const database = createMemoryDatabase();
 *   return { store: database, teardown: () => database.close() };
 * });
 * ```
 */
export function describeSigningKeyStoreConformance(
  name: string,
  setup: () => Promise<SigningKeyStoreConformanceSetup>,
): void {
  describe(`${name}: SigningKeyStore conformance`, () => {
    let context: SigningKeyStoreConformanceSetup | undefined;

    beforeAll(async () => {
      context = await setup();
    });

    afterAll(async () => {
      await context?.teardown();
    });

    function store(): SigningKeyStore {
      if (!context) throw new Error("setup() did not complete");
      return context.store;
    }

    function newSigningKey(overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
      const id = uniqueId("kid");
      return {
        id,
        algorithm: "EdDSA",
        publicJWK: JSON.stringify({ kty: "OKP", crv: "Ed25519", x: randomUUID(), kid: id }),
        encryptedPrivateJWK: `v1.${randomUUID()}.${randomUUID()}`,
        createdAt: SOME_INSTANT,
        retiredAt: null,
        publishUntil: null,
        ...overrides,
      };
    }

    /** The published keys among `keys` (other tests' keys share the store), by id. */
    async function published(now: number, keys: SigningKeyRecord[]): Promise<SigningKeyRecord[]> {
      const ids = new Set(keys.map((key) => key.id));
      return byId((await store().listSigningKeys(now)).filter((key) => ids.has(key.id)));
    }

    it("listSigningKeys returns created keys of both algorithms with every field unchanged", async () => {
      const signing = newSigningKey({ algorithm: "ES256", createdAt: SOME_INSTANT + 7 });
      const retired = newSigningKey({
        createdAt: SOME_INSTANT - DAY,
        retiredAt: SOME_INSTANT + 3,
        publishUntil: SOME_INSTANT + DAY,
      });
      await store().createSigningKey(signing);
      await store().createSigningKey(retired);
      expect(await published(SOME_INSTANT + 10, [signing, retired])).toStrictEqual(byId([signing, retired]));
    });

    it("listSigningKeys(now) returns every unretired key and the retired ones published later than now, only", async () => {
      const now = SOME_INSTANT + 30 * DAY;
      const unretired = newSigningKey();
      // Only retirement limits publication: an unretired key is published whatever publishUntil says.
      const unretiredWithPastPublishUntil = newSigningKey({ publishUntil: now - DAY });
      const publishedLater = newSigningKey({ retiredAt: now - HOUR, publishUntil: now + 1 });
      const publishedUntilNow = newSigningKey({ retiredAt: now - HOUR, publishUntil: now });
      const publishedUntilBefore = newSigningKey({ retiredAt: now - HOUR, publishUntil: now - 1 });
      const retiredUnpublished = newSigningKey({ retiredAt: now - HOUR, publishUntil: null });
      const keys = [
        unretired,
        unretiredWithPastPublishUntil,
        publishedLater,
        publishedUntilNow,
        publishedUntilBefore,
        retiredUnpublished,
      ];
      for (const key of keys) await store().createSigningKey(key);

      expect(await published(now, keys)).toStrictEqual(
        byId([unretired, unretiredWithPastPublishUntil, publishedLater]),
      );
      expect(await published(now + 1, keys)).toStrictEqual(byId([unretired, unretiredWithPastPublishUntil]));
      expect(await published(now - 1, keys)).toStrictEqual(
        byId([unretired, unretiredWithPastPublishUntil, publishedLater, publishedUntilNow]),
      );
    });

    it("retireSigningKeys retires every unretired key except keepId, and leaves retired keys as they were", async () => {
      const now = SOME_INSTANT + 60 * DAY;
      const oldSigning = newSigningKey({ createdAt: now - 2 * DAY });
      const otherUnretired = newSigningKey({ algorithm: "ES256", createdAt: now - DAY });
      const kept = newSigningKey({ createdAt: now });
      // Retired earlier, published longer than the keys retired now will be.
      const retiredBefore = newSigningKey({ retiredAt: now - 3 * DAY, publishUntil: now + 3 * DAY });
      const keys = [oldSigning, otherUnretired, kept, retiredBefore];
      for (const key of keys) await store().createSigningKey(key);

      await store().retireSigningKeys(kept.id, now + 1, now + DAY);

      const retiredNow = { retiredAt: now + 1, publishUntil: now + DAY };
      expect(await published(now + 2, keys)).toStrictEqual(
        byId([{ ...oldSigning, ...retiredNow }, { ...otherUnretired, ...retiredNow }, kept, retiredBefore]),
      );
      // Past the new publishUntil only the kept key and the one retired before remain.
      expect(await published(now + 2 * DAY, keys)).toStrictEqual(byId([kept, retiredBefore]));

      // Retiring again (the kept key's turn) leaves the keys already retired untouched.
      const next = newSigningKey({ createdAt: now + 5 });
      await store().createSigningKey(next);
      await store().retireSigningKeys(next.id, now + 10, now + 2 * DAY + 1);
      expect(await published(now + 2 * DAY, [...keys, next])).toStrictEqual(
        byId([{ ...kept, retiredAt: now + 10, publishUntil: now + 2 * DAY + 1 }, retiredBefore, next]),
      );
    });

    it("retireSigningKeys with an id that matches no key retires every unretired key", async () => {
      const now = SOME_INSTANT + 90 * DAY;
      const keys = [newSigningKey(), newSigningKey({ algorithm: "ES256" })];
      for (const key of keys) await store().createSigningKey(key);
      await store().retireSigningKeys(uniqueId("kid"), now, now + HOUR);
      expect(await published(now + HOUR - 1, keys)).toStrictEqual(
        byId(keys.map((key) => ({ ...key, retiredAt: now, publishUntil: now + HOUR }))),
      );
      expect(await published(now + HOUR, keys)).toEqual([]);
    });

    it("createSigningKey refuses a second key with the same id and keeps the first", async () => {
      const key = newSigningKey();
      await store().createSigningKey(key);
      const impostor = newSigningKey({ id: key.id, publicJWK: '{"kty":"OKP","x":"attacker"}' });
      await expect(store().createSigningKey(impostor)).rejects.toBeInstanceOf(Error);
      expect(await published(SOME_INSTANT, [key])).toStrictEqual([key]);
    });

    it("mutating a returned or passed-in key does not change the store", async () => {
      const key = newSigningKey();
      const original = { ...key };
      await store().createSigningKey(key);
      key.publicJWK = "changed-after-create";
      key.retiredAt = SOME_INSTANT;

      const [listed] = await published(SOME_INSTANT, [original]);
      if (!listed) throw new Error("key not listed");
      listed.encryptedPrivateJWK = "tampered";
      listed.publishUntil = 0;
      expect(await published(SOME_INSTANT, [original])).toStrictEqual([original]);
    });
  });
}

/**
 * Proves a {@link RevocationLog} orders, replays, delivers live and prunes revocations as the
 * port says. `setup` runs before every test, so each test starts from an empty log of its own.
 *
 * @example
 * ```ts
 * describeRevocationLogConformance("memory", async () => {
 *   const database = createMemoryDatabase();
 *   return { log: database.revocations, teardown: () => database.close() };
 * });
 * ```
 */
export function describeRevocationLogConformance(
  name: string,
  setup: () => Promise<RevocationLogConformanceSetup>,
): void {
  describe(`${name}: RevocationLog conformance`, () => {
    let context: RevocationLogConformanceSetup | undefined;

    beforeEach(async () => {
      context = await setup();
    });

    afterEach(async () => {
      await context?.teardown();
      context = undefined;
    });

    function log(): RevocationLog {
      if (!context) throw new Error("setup() did not complete");
      return context.log;
    }

    /** A revocation; `until` past 2^31 and apart from `revokedAt`, so a swapped or truncated field shows. */
    function newEntry(overrides: Partial<RevocationEntry> = {}): RevocationEntry {
      return {
        sessionId: uniqueId("sess"),
        userId: uniqueId("user"),
        revokedAt: SOME_INSTANT,
        until: SOME_INSTANT + 15 * 60 * 1000,
        ...overrides,
      };
    }

    async function appendAll(entries: RevocationEntry[]): Promise<RevocationLogEntry[]> {
      const appended: RevocationLogEntry[] = [];
      for (const entry of entries) appended.push(await log().append(entry));
      return appended;
    }

    /** Collects what a listener receives. */
    function recorder(): { received: RevocationLogEntry[]; listener: (entry: RevocationLogEntry) => void } {
      const received: RevocationLogEntry[] = [];
      return { received, listener: (entry) => received.push(entry) };
    }

    /** Live delivery may be asynchronous (Redis): wait for it, but never longer than 2 s. */
    function eventually(check: () => void): Promise<void> {
      return vi.waitFor(check, { timeout: 2_000, interval: 10 });
    }

    it("append returns the entry unchanged with a cursor, and readAfter(null) returns them oldest first", async () => {
      const entries = [
        newEntry(),
        newEntry({ revokedAt: SOME_INSTANT + 1, until: SOME_INSTANT + DAY }),
        newEntry({ revokedAt: SOME_INSTANT + 2, until: SOME_INSTANT + 2 * DAY }),
      ];
      const appended = await appendAll(entries);

      appended.forEach((logged, index) => {
        expect(logged).toStrictEqual({ ...entries[index], cursor: expect.any(String) });
      });
      expect(new Set(appended.map((logged) => logged.cursor)).size).toBe(entries.length);
      expect(await log().readAfter(null, 100)).toStrictEqual(appended);
    });

    it("readAfter(null) of an empty log returns nothing", async () => {
      expect(await log().readAfter(null, 100)).toEqual([]);
    });

    it("readAfter returns the entries strictly after the cursor, oldest first, at most `limit`", async () => {
      const appended = await appendAll(Array.from({ length: 5 }, () => newEntry()));
      const cursors = appended.map((logged) => logged.cursor);

      expect(await log().readAfter(null, 2)).toStrictEqual(appended.slice(0, 2));
      expect(await log().readAfter(cursors[0]!, 2)).toStrictEqual(appended.slice(1, 3));
      expect(await log().readAfter(cursors[2]!, 100)).toStrictEqual(appended.slice(3));
      expect(await log().readAfter(cursors[4]!, 100)).toEqual([]);
      expect(await log().readAfter(null, 0)).toEqual([]);

      // Cursors increase: resuming after each returned cursor walks the log in append order.
      const walked: RevocationLogEntry[] = [];
      let cursor: string | null = null;
      for (;;) {
        const page: RevocationLogEntry[] = await log().readAfter(cursor, 1);
        if (page.length === 0) break;
        walked.push(...page);
        cursor = page.at(-1)!.cursor;
      }
      expect(walked).toStrictEqual(appended);
    });

    it("readAfter of a cursor that is not one of ours replays from the start", async () => {
      const appended = await appendAll([newEntry(), newEntry(), newEntry()]);
      const first = appended[0]!.cursor;
      // Near-misses of a real cursor too: a lenient parse of one would skip the first entries.
      const garbage = [
        "not-a-cursor",
        "",
        " ",
        "-",
        "+",
        "$",
        "*",
        "(0",
        "null",
        "NaN",
        "Infinity",
        "-1",
        `${first}.0`,
        `+${first}`,
        ` ${first}`,
        `${first} `,
        `${first}e0`,
        `0${first}`,
        `${first}x`,
        `(${first}`,
      ];
      for (const cursor of garbage) {
        expect(await log().readAfter(cursor, 100), JSON.stringify(cursor)).toStrictEqual(appended);
      }
    });

    it("subscribe delivers the entries appended from now on, in order with their cursors, and none from before", async () => {
      await log().append(newEntry());
      const { received, listener } = recorder();
      const unsubscribe = log().subscribe(listener);
      try {
        // Appended at once: a log that starts listening only later would miss them.
        const appended = await appendAll([newEntry(), newEntry(), newEntry()]);
        await eventually(() => expect(received).toHaveLength(3));
        expect(received).toStrictEqual(appended);
      } finally {
        unsubscribe();
      }
    });

    it("delivers each entry to every subscriber, even when one of them throws", async () => {
      const first = recorder();
      const second = recorder();
      const unsubscribers = [
        log().subscribe(first.listener),
        log().subscribe(() => {
          throw new Error("a verifier's bug");
        }),
        log().subscribe(second.listener),
      ];
      try {
        const appended = await appendAll([newEntry(), newEntry()]);
        await eventually(() => {
          expect(first.received).toStrictEqual(appended);
          expect(second.received).toStrictEqual(appended);
        });
      } finally {
        for (const unsubscribe of unsubscribers) unsubscribe();
      }
    });

    it("unsubscribe stops delivery to that listener only, and calling it twice is harmless", async () => {
      const leaving = recorder();
      const staying = recorder();
      const unsubscribeLeaving = log().subscribe(leaving.listener);
      const unsubscribeStaying = log().subscribe(staying.listener);
      try {
        const before = await log().append(newEntry());
        await eventually(() => expect(leaving.received).toStrictEqual([before]));

        unsubscribeLeaving();
        unsubscribeLeaving();
        const after = await log().append(newEntry());
        // Once the staying listener has it, the leaving one would have had it too.
        await eventually(() => expect(staying.received).toStrictEqual([before, after]));
        expect(leaving.received).toStrictEqual([before]);
      } finally {
        unsubscribeLeaving();
        unsubscribeStaying();
      }
    });

    it("after its last subscriber left, a new subscriber still receives live entries", async () => {
      const first = recorder();
      const unsubscribeFirst = log().subscribe(first.listener);
      const early = await log().append(newEntry());
      await eventually(() => expect(first.received).toStrictEqual([early]));
      unsubscribeFirst();

      const second = recorder();
      const unsubscribeSecond = log().subscribe(second.listener);
      try {
        const late = await log().append(newEntry());
        await eventually(() => expect(second.received).toStrictEqual([late]));
        expect(first.received).toStrictEqual([early]);
      } finally {
        unsubscribeSecond();
      }
    });

    it("prune(now) removes every entry whose until <= now, wherever it sits, and leaves the others", async () => {
      const now = SOME_INSTANT + HOUR;
      // `until` is not in append order (instances with different token lifetimes share a log).
      const appended = await appendAll([
        newEntry({ until: now + 1 }),
        newEntry({ until: now - HOUR }),
        newEntry({ until: now }),
        newEntry({ until: now + DAY }),
        newEntry({ until: now - 1 }),
        newEntry({ until: now + 2 }),
      ]);
      const [liveFirst, deadLongAgo, deadExactlyNow, liveLong, deadJustNow, liveLast] = appended as [
        RevocationLogEntry,
        RevocationLogEntry,
        RevocationLogEntry,
        RevocationLogEntry,
        RevocationLogEntry,
        RevocationLogEntry,
      ];

      expect(await log().prune(now)).toBe(3);

      expect(await log().readAfter(null, 100)).toStrictEqual([liveFirst, liveLong, liveLast]);
      // From the oldest retained; and the cursor of a pruned entry still resumes after its place.
      expect(await log().readAfter(null, 1)).toStrictEqual([liveFirst]);
      expect(await log().readAfter(deadLongAgo.cursor, 100)).toStrictEqual([liveLong, liveLast]);
      expect(await log().readAfter(deadExactlyNow.cursor, 1)).toStrictEqual([liveLong]);
      expect(await log().readAfter(deadJustNow.cursor, 100)).toStrictEqual([liveLast]);
      expect(await log().prune(now)).toBe(0);

      expect(await log().prune(now + 2)).toBe(2);
      expect(await log().readAfter(null, 100)).toStrictEqual([liveLong]);
    });

    it("prune removes every dead entry, however many there are", async () => {
      const now = SOME_INSTANT + HOUR;
      const deadCount = 1_050;
      // Appended in batches to keep the test quick; the order among dead entries does not matter.
      for (let start = 0; start < deadCount; start += 150) {
        await Promise.all(
          Array.from({ length: Math.min(150, deadCount - start) }, () => log().append(newEntry({ until: now }))),
        );
      }
      const live = await log().append(newEntry({ until: now + 1 }));

      expect(await log().prune(now)).toBe(deadCount);
      expect(await log().readAfter(null, 100)).toStrictEqual([live]);
    });

    it("close() stops live delivery, and can be called twice", async () => {
      const { received, listener } = recorder();
      log().subscribe(listener);
      const delivered = await log().append(newEntry());
      await eventually(() => expect(received).toStrictEqual([delivered]));

      await log().close();
      await expect(log().close()).resolves.toBeUndefined();
      const afterClose = await log().append(newEntry());
      expect(await log().readAfter(delivered.cursor, 100)).toStrictEqual([afterClose]);
      // Nothing to wait for when nothing should arrive: give a live delivery ample time (it takes
      // milliseconds) and check that none came.
      await sleep(300);
      expect(received).toStrictEqual([delivered]);
    });
  });
}

/**
 * Proves a {@link Database}'s email-flow parts keep the port's contract: emailed tokens (single
 * use under concurrency, newest-only, bounded code tries), address verification and change, and
 * known devices.
 *
 * @example
 * ```ts
 * describeEmailStoreConformance("sqlite", async () => {
 *   const database = createSQLiteDatabase({ filename: ":memory:" });
 *   await database.migrate();
 *   return { database, teardown: () => database.close() };
 * });
 * ```
 */
export function describeEmailStoreConformance(name: string, setup: () => Promise<DatabaseConformanceSetup>): void {
  describe(`${name}: email store conformance`, () => {
    let context: DatabaseConformanceSetup | undefined;

    beforeAll(async () => {
      context = await setup();
    });

    afterAll(async () => {
      await context?.teardown();
    });

    function database(): Database {
      if (!context) throw new Error("setup() did not complete");
      return context.database;
    }

    async function newUser(): Promise<{ id: string; email: string; emailNormalized: string }> {
      const local = `grace.${randomUUID()}`;
      const user = {
        id: uniqueId("user"),
        email: `${local}@Example.com`,
        emailNormalized: `${local}@example.com`,
        name: null,
        passwordHash: null,
        emailVerifiedAt: null,
        createdAt: SOME_INSTANT,
      };
      await database().createUser(user);
      return user;
    }

    function newToken(userId: string, overrides: Partial<EmailTokenRecord> = {}): EmailTokenRecord {
      return {
        id: uniqueId("etok"),
        userId,
        purpose: "password_reset",
        email: "Grace@Example.com",
        accountEmail: "grace@example.com",
        secretHash: `secret-hash-${randomUUID()}`,
        codeHash: `code-hash-${randomUUID()}`,
        attempts: 0,
        redirectURL: "https://app.example.com/welcome?from=email",
        createdAt: SOME_INSTANT,
        expiresAt: SOME_INSTANT + HOUR,
        usedAt: null,
        ...overrides,
      };
    }

    describe("email tokens", () => {
      it("round-trips every field, found by secret hash and as the user's latest", async () => {
        const { id } = await newUser();
        const token = newToken(id);
        await database().createEmailToken(token);
        expect(await database().getEmailTokenBySecretHash(token.secretHash!)).toStrictEqual(token);
        expect(await database().getLatestEmailToken(id, "password_reset")).toStrictEqual(token);
        expect(await database().getLatestEmailToken(id, "magic_link")).toBeNull();
        expect(await database().getEmailTokenBySecretHash(`secret-hash-${randomUUID()}`)).toBeNull();
      });

      it("round-trips nulls, and keeps several code-only tokens (null secret hash) apart", async () => {
        const { id } = await newUser();
        const first = newToken(id, { purpose: "sign_in_code", secretHash: null, redirectURL: null });
        const second = newToken(id, { purpose: "verify_email", secretHash: null, codeHash: null, redirectURL: null });
        await database().createEmailToken(first);
        await database().createEmailToken(second);
        expect(await database().getLatestEmailToken(id, "sign_in_code")).toStrictEqual(first);
        expect(await database().getLatestEmailToken(id, "verify_email")).toStrictEqual(second);
      });

      it("mutating a returned token does not change the store", async () => {
        const { id } = await newUser();
        const token = newToken(id);
        await database().createEmailToken(token);
        const returned = await database().getLatestEmailToken(id, "password_reset");
        returned!.usedAt = 1;
        returned!.attempts = 99;
        expect(await database().getLatestEmailToken(id, "password_reset")).toStrictEqual(token);
      });

      it("the latest is the newest by createdAt, then id", async () => {
        const { id } = await newUser();
        const older = newToken(id, { createdAt: SOME_INSTANT });
        const newer = newToken(id, { createdAt: SOME_INSTANT + 1 });
        await database().createEmailToken(newer);
        await database().createEmailToken(older);
        expect((await database().getLatestEmailToken(id, "password_reset"))?.id).toBe(newer.id);
      });

      it("a new token voids the user's other unused tokens of that purpose only", async () => {
        const alice = await newUser();
        const bob = await newUser();
        const old = newToken(alice.id);
        const otherPurpose = newToken(alice.id, { purpose: "magic_link" });
        const bobs = newToken(bob.id);
        for (const token of [old, otherPurpose, bobs]) await database().createEmailToken(token);
        const fresh = newToken(alice.id, { createdAt: SOME_INSTANT + 1_000 });
        await database().createEmailToken(fresh);

        expect((await database().getEmailTokenBySecretHash(old.secretHash!))?.usedAt).toBe(fresh.createdAt);
        expect((await database().getEmailTokenBySecretHash(fresh.secretHash!))?.usedAt).toBeNull();
        expect((await database().getEmailTokenBySecretHash(otherPurpose.secretHash!))?.usedAt).toBeNull();
        expect((await database().getEmailTokenBySecretHash(bobs.secretHash!))?.usedAt).toBeNull();
        expect(await database().consumeEmailToken(old.id, SOME_INSTANT + 2_000)).toBe(false);
        expect(await database().consumeEmailToken(fresh.id, SOME_INSTANT + 2_000)).toBe(true);
      });

      it("consumeEmailToken succeeds once, then never again", async () => {
        const { id } = await newUser();
        const token = newToken(id);
        await database().createEmailToken(token);
        const now = SOME_INSTANT + 1_000;
        expect(await database().consumeEmailToken(token.id, now)).toBe(true);
        expect(await database().consumeEmailToken(token.id, now)).toBe(false);
        expect((await database().getEmailTokenBySecretHash(token.secretHash!))?.usedAt).toBe(now);
        expect(await database().consumeEmailToken(uniqueId("etok"), now)).toBe(false);
      });

      it("consumeEmailToken: of many parallel uses exactly one wins", async () => {
        const { id } = await newUser();
        const token = newToken(id);
        await database().createEmailToken(token);
        const outcomes = await Promise.all(
          Array.from({ length: 12 }, () => database().consumeEmailToken(token.id, SOME_INSTANT + 1_000)),
        );
        expect(outcomes.filter(Boolean)).toHaveLength(1);
      });

      it("consumeEmailToken refuses a token at or after its expiry", async () => {
        const { id } = await newUser();
        const token = newToken(id);
        await database().createEmailToken(token);
        expect(await database().consumeEmailToken(token.id, token.expiresAt)).toBe(false);
        expect(await database().consumeEmailToken(token.id, token.expiresAt + 1)).toBe(false);
        expect(await database().consumeEmailToken(token.id, token.expiresAt - 1)).toBe(true);
      });

      it("consumeEmailToken refuses a token while a newer one of its user and purpose exists, even one inserted before it", async () => {
        const { id } = await newUser();
        const newer = newToken(id, { createdAt: SOME_INSTANT + 5 });
        const older = newToken(id, { createdAt: SOME_INSTANT });
        await database().createEmailToken(newer);
        // Inserting the older one voids the newer one (as a racing request would); neither may work.
        await database().createEmailToken(older);
        expect(await database().consumeEmailToken(older.id, SOME_INSTANT + 10)).toBe(false);
        expect(await database().consumeEmailToken(newer.id, SOME_INSTANT + 10)).toBe(false);
        // Same instant: the larger id is the newer one.
        const { id: other } = await newUser();
        const [low, high] = [newToken(other), newToken(other)].sort((a, b) => (a.id < b.id ? -1 : 1));
        await database().createEmailToken(high!);
        await database().createEmailToken(low!);
        expect(await database().consumeEmailToken(low!.id, SOME_INSTANT + 10)).toBe(false);
      });

      it("reserveEmailCodeAttempt allows maxAttempts tries, even when they arrive in parallel", async () => {
        const { id } = await newUser();
        const token = newToken(id, { purpose: "sign_in_code", secretHash: null });
        await database().createEmailToken(token);
        const now = SOME_INSTANT + 1_000;
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, () => database().reserveEmailCodeAttempt(token.id, 5, now)),
        );
        expect(outcomes.filter(Boolean)).toHaveLength(5);
        expect((await database().getLatestEmailToken(id, "sign_in_code"))?.attempts).toBe(5);
        expect(await database().reserveEmailCodeAttempt(token.id, 5, now)).toBe(false);
      });

      it("reserveEmailCodeAttempt refuses used, expired and unknown tokens", async () => {
        const { id } = await newUser();
        const token = newToken(id, { purpose: "sign_in_code" });
        await database().createEmailToken(token);
        expect(await database().reserveEmailCodeAttempt(token.id, 5, token.expiresAt)).toBe(false);
        expect(await database().consumeEmailToken(token.id, SOME_INSTANT + 1)).toBe(true);
        expect(await database().reserveEmailCodeAttempt(token.id, 5, SOME_INSTANT + 2)).toBe(false);
        expect(await database().reserveEmailCodeAttempt(uniqueId("etok"), 5, SOME_INSTANT + 2)).toBe(false);
      });

      it("voidExhaustedEmailToken voids only a token that used up its tries", async () => {
        const { id } = await newUser();
        const token = newToken(id, { purpose: "sign_in_code" });
        await database().createEmailToken(token);
        const now = SOME_INSTANT + 1_000;
        await database().reserveEmailCodeAttempt(token.id, 2, now);
        await database().voidExhaustedEmailToken(token.id, 2, now);
        expect((await database().getLatestEmailToken(id, "sign_in_code"))?.usedAt).toBeNull();
        await database().reserveEmailCodeAttempt(token.id, 2, now);
        await database().voidExhaustedEmailToken(token.id, 2, now);
        expect((await database().getLatestEmailToken(id, "sign_in_code"))?.usedAt).toBe(now);
        expect(await database().consumeEmailToken(token.id, now)).toBe(false);
      });

      it("voidEmailTokens voids the user's unused tokens of the given purposes only", async () => {
        const alice = await newUser();
        const bob = await newUser();
        const reset = newToken(alice.id);
        const magic = newToken(alice.id, { purpose: "magic_link" });
        const verify = newToken(alice.id, { purpose: "verify_email" });
        const bobs = newToken(bob.id, { purpose: "magic_link" });
        for (const token of [reset, magic, verify, bobs]) await database().createEmailToken(token);
        const now = SOME_INSTANT + 1_000;
        await database().voidEmailTokens(alice.id, ["password_reset", "magic_link"], now);
        await database().voidEmailTokens(alice.id, [], now);
        expect((await database().getEmailTokenBySecretHash(reset.secretHash!))?.usedAt).toBe(now);
        expect((await database().getEmailTokenBySecretHash(magic.secretHash!))?.usedAt).toBe(now);
        expect((await database().getEmailTokenBySecretHash(verify.secretHash!))?.usedAt).toBeNull();
        expect((await database().getEmailTokenBySecretHash(bobs.secretHash!))?.usedAt).toBeNull();
      });

      it("deleteExpiredEmailTokens removes tokens expired at now and counts them", async () => {
        const { id } = await newUser();
        const farFuture = SOME_INSTANT + 1_000 * DAY;
        // Start from a store with nothing expired at `farFuture - DAY`, so the count below is exact.
        await database().deleteExpiredEmailTokens(farFuture - DAY);
        const expired = newToken(id, { expiresAt: farFuture - 1 });
        const expiringNow = newToken(id, { purpose: "magic_link", expiresAt: farFuture });
        const live = newToken(id, { purpose: "verify_email", expiresAt: farFuture + 1 });
        for (const token of [expired, expiringNow, live]) await database().createEmailToken(token);
        expect(await database().deleteExpiredEmailTokens(farFuture)).toBe(2);
        expect(await database().getEmailTokenBySecretHash(expired.secretHash!)).toBeNull();
        expect(await database().getEmailTokenBySecretHash(expiringNow.secretHash!)).toBeNull();
        expect(await database().getEmailTokenBySecretHash(live.secretHash!)).toStrictEqual(live);
      });
    });

    describe("addresses", () => {
      it("markEmailVerified applies once, and only while the address is unchanged", async () => {
        const user = await newUser();
        expect(await database().markEmailVerified(user.id, "someone.else@example.com", SOME_INSTANT + 1)).toBe(false);
        expect((await database().getUserById(user.id))?.emailVerifiedAt).toBeNull();
        expect(await database().markEmailVerified(user.id, user.emailNormalized, SOME_INSTANT + 2)).toBe(true);
        expect(await database().markEmailVerified(user.id, user.emailNormalized, SOME_INSTANT + 3)).toBe(false);
        expect(await database().getUserById(user.id)).toMatchObject({
          emailVerifiedAt: SOME_INSTANT + 2,
          updatedAt: SOME_INSTANT + 2,
        });
        expect(await database().markEmailVerified(uniqueId("user"), user.emailNormalized, SOME_INSTANT)).toBe(false);
      });

      it("updateEmail moves the user to the new address, and only from the expected one", async () => {
        const user = await newUser();
        const local = `new.${randomUUID()}`;
        const change = {
          expectedEmailNormalized: user.emailNormalized,
          email: `${local}@Example.org`,
          emailNormalized: `${local}@example.org`,
          emailVerifiedAt: SOME_INSTANT + 10,
        };
        expect(
          await database().updateEmail(user.id, { ...change, expectedEmailNormalized: "stale@example.com" }, 1),
        ).toBe(false);
        expect(await database().updateEmail(user.id, change, SOME_INSTANT + 11)).toBe(true);
        const moved = await database().getUserById(user.id);
        expect(moved).toMatchObject({
          email: change.email,
          emailNormalized: change.emailNormalized,
          emailVerifiedAt: SOME_INSTANT + 10,
          updatedAt: SOME_INSTANT + 11,
        });
        expect(await database().getUserByEmail(change.emailNormalized)).toStrictEqual(moved);
        expect(await database().getUserByEmail(user.emailNormalized)).toBeNull();
      });

      it("updateEmail refuses an address another user has, changing nothing", async () => {
        const user = await newUser();
        const other = await newUser();
        const before = await database().getUserById(user.id);
        const attempt = database().updateEmail(
          user.id,
          {
            expectedEmailNormalized: user.emailNormalized,
            email: other.email.toUpperCase(),
            emailNormalized: other.emailNormalized,
            emailVerifiedAt: SOME_INSTANT,
          },
          SOME_INSTANT + 1,
        );
        await expect(attempt).rejects.toBeInstanceOf(EmailTakenError);
        expect(await database().getUserById(user.id)).toStrictEqual(before);
        expect((await database().getUserByEmail(other.emailNormalized))?.id).toBe(other.id);
      });
    });

    describe("known devices", () => {
      it("says first, then known for the same device and new for another", async () => {
        const { id } = await newUser();
        const since = SOME_INSTANT - DAY;
        expect(await database().recordDeviceSignIn(id, "device-a", SOME_INSTANT, since)).toBe("first");
        expect(await database().recordDeviceSignIn(id, "device-a", SOME_INSTANT + 1, since)).toBe("known");
        expect(await database().recordDeviceSignIn(id, "device-b", SOME_INSTANT + 2, since)).toBe("new");
        expect(await database().recordDeviceSignIn(id, "device-b", SOME_INSTANT + 3, since)).toBe("known");
      });

      it("keeps each user's devices apart", async () => {
        const alice = await newUser();
        const bob = await newUser();
        await database().recordDeviceSignIn(alice.id, "shared-computer", SOME_INSTANT, 0);
        expect(await database().recordDeviceSignIn(bob.id, "shared-computer", SOME_INSTANT, 0)).toBe("first");
        await database().recordDeviceSignIn(bob.id, "bobs-phone", SOME_INSTANT, 0);
        expect(await database().recordDeviceSignIn(alice.id, "bobs-phone", SOME_INSTANT, 0)).toBe("new");
      });

      it("forgets devices not seen since knownSince", async () => {
        const { id } = await newUser();
        await database().recordDeviceSignIn(id, "old-laptop", SOME_INSTANT, 0);
        await database().recordDeviceSignIn(id, "phone", SOME_INSTANT + 10 * DAY, 0);
        const since = SOME_INSTANT + DAY;
        expect(await database().recordDeviceSignIn(id, "old-laptop", SOME_INSTANT + 11 * DAY, since)).toBe("new");
        // Seen again just now, so it is known from here on.
        expect(await database().recordDeviceSignIn(id, "old-laptop", SOME_INSTANT + 12 * DAY, since)).toBe("known");
      });

      it("deletes the devices it forgets, not only ignores them", async () => {
        const { id } = await newUser();
        await database().recordDeviceSignIn(id, "old-laptop", SOME_INSTANT, 0);
        expect(await database().recordDeviceSignIn(id, "phone", SOME_INSTANT + 10 * DAY, SOME_INSTANT + DAY)).toBe(
          "first",
        );
        // Counting every stored device (knownSince 0): a forgotten laptop kept in storage would be "known".
        expect(await database().recordDeviceSignIn(id, "old-laptop", SOME_INSTANT + 11 * DAY, 0)).toBe("new");
      });

      it("parallel sign-ins from one new device all succeed", async () => {
        const { id } = await newUser();
        await database().recordDeviceSignIn(id, "laptop", SOME_INSTANT, 0);
        const outcomes = await Promise.all(
          Array.from({ length: 6 }, () => database().recordDeviceSignIn(id, "tablet", SOME_INSTANT + 1, 0)),
        );
        for (const outcome of outcomes) expect(["new", "known"]).toContain(outcome);
        expect(outcomes).toContain("new");
        expect(await database().recordDeviceSignIn(id, "tablet", SOME_INSTANT + 2, 0)).toBe("known");
      });
    });

    describe("second factors", () => {
      const totpOf = (userId: string, overrides: Partial<TOTPFactorRecord> = {}): TOTPFactorRecord => ({
        userId,
        encryptedSecret: `v1.${randomUUID()}`,
        createdAt: SOME_INSTANT,
        confirmedAt: null,
        lastUsedStep: null,
        ...overrides,
      });
      const challengeOf = (userId: string, overrides: Partial<MFAChallengeRecord> = {}): MFAChallengeRecord => ({
        id: uniqueId("mfac"),
        userId,
        purpose: "sign_in",
        secretHash: `secret-hash-${randomUUID()}`,
        method: "password",
        clientHash: `client-hash-${randomUUID()}`,
        attempts: 0,
        createdAt: SOME_INSTANT,
        expiresAt: SOME_INSTANT + HOUR,
        usedAt: null,
        ...overrides,
      });

      it("a pending authenticator round-trips, is replaced while pending, and never once confirmed", async () => {
        const { id } = await newUser();
        expect(await database().getTOTP(id)).toBeNull();
        const first = totpOf(id);
        expect(await database().savePendingTOTP(first)).toBe(true);
        expect(await database().getTOTP(id)).toStrictEqual(first);
        const second = totpOf(id, { createdAt: SOME_INSTANT + 1 });
        expect(await database().savePendingTOTP(second)).toBe(true);
        expect(await database().getTOTP(id)).toStrictEqual(second);
        expect(await database().confirmTOTP(id, 100, SOME_INSTANT + 2)).toBe(true);
        expect(await database().confirmTOTP(id, 101, SOME_INSTANT + 3)).toBe(false);
        expect(await database().savePendingTOTP(totpOf(id))).toBe(false);
        expect(await database().getTOTP(id)).toStrictEqual({
          ...second,
          confirmedAt: SOME_INSTANT + 2,
          lastUsedStep: 100,
        });
        await database().deleteTOTP(id);
        expect(await database().getTOTP(id)).toBeNull();
      });

      it("a time step is used once, never an older one, and of parallel uses exactly one wins", async () => {
        const { id } = await newUser();
        await database().savePendingTOTP(totpOf(id));
        await database().confirmTOTP(id, 100, SOME_INSTANT);
        expect(await database().useTOTPStep(id, 100)).toBe(false);
        expect(await database().useTOTPStep(id, 99)).toBe(false);
        const outcomes = await Promise.all(Array.from({ length: 5 }, () => database().useTOTPStep(id, 101)));
        expect(outcomes.filter(Boolean)).toHaveLength(1);
        expect(await database().useTOTPStep(id, 103)).toBe(true);
        expect(await database().useTOTPStep(id, 102)).toBe(false);
      });

      it("backup codes: replaced as a set, each used once (also in parallel), counted, deleted", async () => {
        const { id } = await newUser();
        const codeOf = (hash: string): BackupCodeRecord => ({
          id: uniqueId("bkc"),
          userId: id,
          codeHash: hash,
          createdAt: SOME_INSTANT,
          usedAt: null,
        });
        await database().replaceBackupCodes(id, [codeOf("a"), codeOf("b"), codeOf("c")]);
        expect(await database().countUnusedBackupCodes(id)).toBe(3);
        const outcomes = await Promise.all(Array.from({ length: 5 }, () => database().useBackupCode(id, "a", 1)));
        expect(outcomes.filter(Boolean)).toHaveLength(1);
        expect(await database().countUnusedBackupCodes(id)).toBe(2);
        const other = await newUser();
        expect(await database().useBackupCode(other.id, "b", 1)).toBe(false);
        await database().replaceBackupCodes(id, [codeOf("d")]);
        expect(await database().useBackupCode(id, "b", 1)).toBe(false);
        expect(await database().countUnusedBackupCodes(id)).toBe(1);
        await database().deleteBackupCodes(id);
        expect(await database().countUnusedBackupCodes(id)).toBe(0);
      });

      it("challenges round-trip; tries are capped and completion happens once, even in parallel", async () => {
        const { id } = await newUser();
        const challenge = challengeOf(id);
        await database().createMFAChallenge(challenge);
        expect(await database().getMFAChallenge(challenge.id)).toStrictEqual(challenge);
        expect(await database().getMFAChallenge(uniqueId("mfac"))).toBeNull();
        const tries = await Promise.all(
          Array.from({ length: 8 }, () => database().reserveMFAChallengeAttempt(challenge.id, 3, SOME_INSTANT)),
        );
        expect(tries.filter(Boolean)).toHaveLength(3);
        const completions = await Promise.all(
          Array.from({ length: 5 }, () => database().consumeMFAChallenge(challenge.id, SOME_INSTANT + 1)),
        );
        expect(completions.filter(Boolean)).toHaveLength(1);
        expect(await database().getMFAChallenge(challenge.id)).toStrictEqual({
          ...challenge,
          attempts: 3,
          usedAt: SOME_INSTANT + 1,
        });
        expect(await database().reserveMFAChallengeAttempt(challenge.id, 10, SOME_INSTANT)).toBe(false);
      });

      it("an expired challenge can neither be tried nor completed, and is swept", async () => {
        const { id } = await newUser();
        const challenge = challengeOf(id, { expiresAt: SOME_INSTANT + 10 });
        await database().createMFAChallenge(challenge);
        expect(await database().reserveMFAChallengeAttempt(challenge.id, 5, SOME_INSTANT + 10)).toBe(false);
        expect(await database().consumeMFAChallenge(challenge.id, SOME_INSTANT + 10)).toBe(false);
        expect(await database().deleteExpiredMFAChallenges(SOME_INSTANT + 10)).toBeGreaterThanOrEqual(1);
        expect(await database().getMFAChallenge(challenge.id)).toBeNull();
      });

      it("the account-wide counter holds under parallel tries, restarts with its window and on reset", async () => {
        const { id } = await newUser();
        const window = 15 * 60 * 1000;
        const outcomes = await Promise.all(
          Array.from({ length: 12 }, () => database().reserveMFAAttempt(id, 4, window, SOME_INSTANT)),
        );
        expect(outcomes.filter((outcome) => outcome.allowed)).toHaveLength(4);
        for (const outcome of outcomes) expect(outcome.windowEndsAt).toBe(SOME_INSTANT + window);
        expect((await database().reserveMFAAttempt(id, 4, window, SOME_INSTANT + window - 1)).allowed).toBe(false);
        const next = await database().reserveMFAAttempt(id, 4, window, SOME_INSTANT + window);
        expect(next).toEqual({ allowed: true, windowEndsAt: SOME_INSTANT + 2 * window });
        for (let i = 0; i < 3; i++) await database().reserveMFAAttempt(id, 4, window, SOME_INSTANT + window);
        expect((await database().reserveMFAAttempt(id, 4, window, SOME_INSTANT + window)).allowed).toBe(false);
        await database().resetMFAAttempts(id);
        expect((await database().reserveMFAAttempt(id, 4, window, SOME_INSTANT + window)).allowed).toBe(true);
      });

      const smsOf = (userId: string, overrides: Partial<SMSFactorRecord> = {}): SMSFactorRecord => ({
        userId,
        encryptedPhoneNumber: `v1.${randomUUID()}`,
        phoneNumberHash: `number-hash-${randomUUID()}`,
        createdAt: SOME_INSTANT,
        confirmedAt: null,
        ...overrides,
      });
      const smsCodeOf = (userId: string, overrides: Partial<SMSCodeRecord> = {}): SMSCodeRecord => ({
        userId,
        purpose: "sign_in",
        boundTo: `challenge:${uniqueId("mfac")}`,
        codeHash: `code-hash-${randomUUID()}`,
        createdAt: SOME_INSTANT,
        expiresAt: SOME_INSTANT + 5 * 60 * 1000,
        usedAt: null,
        ...overrides,
      });

      it("a pending phone number round-trips, is replaced while pending, confirms only as the same number", async () => {
        const { id } = await newUser();
        expect(await database().getSMS(id)).toBeNull();
        const first = smsOf(id);
        expect(await database().savePendingSMS(first)).toBe(true);
        expect(await database().getSMS(id)).toStrictEqual(first);
        const second = smsOf(id, { createdAt: SOME_INSTANT + 1 });
        expect(await database().savePendingSMS(second)).toBe(true);
        expect(await database().getSMS(id)).toStrictEqual(second);
        // The replaced number cannot be confirmed any more.
        expect(await database().confirmSMS(id, first.phoneNumberHash, SOME_INSTANT + 2)).toBe(false);
        const confirmations = await Promise.all(
          Array.from({ length: 4 }, () => database().confirmSMS(id, second.phoneNumberHash, SOME_INSTANT + 2)),
        );
        expect(confirmations.filter(Boolean)).toHaveLength(1);
        expect(await database().savePendingSMS(smsOf(id))).toBe(false);
        expect(await database().getSMS(id)).toStrictEqual({ ...second, confirmedAt: SOME_INSTANT + 2 });
        const code = smsCodeOf(id);
        await database().saveSMSCode(code);
        await database().deleteSMS(id);
        expect(await database().getSMS(id)).toBeNull();
        expect(await database().useSMSCode(id, code.purpose, code.boundTo, code.codeHash, SOME_INSTANT)).toBe(false);
      });

      it("an SMS code is used once, only for its purpose and binding, and of parallel uses exactly one wins", async () => {
        const { id } = await newUser();
        const code = smsCodeOf(id);
        await database().saveSMSCode(code);
        const use = (overrides: Partial<SMSCodeRecord> = {}, now = SOME_INSTANT + 1) => {
          const { purpose, boundTo, codeHash } = { ...code, ...overrides };
          return database().useSMSCode(id, purpose, boundTo, codeHash, now);
        };
        expect(await use({ purpose: "step_up" })).toBe(false);
        expect(await use({ boundTo: `challenge:${uniqueId("mfac")}` })).toBe(false);
        expect(await use({ codeHash: "another" })).toBe(false);
        const other = await newUser();
        expect(await database().useSMSCode(other.id, code.purpose, code.boundTo, code.codeHash, SOME_INSTANT)).toBe(
          false,
        );
        const outcomes = await Promise.all(Array.from({ length: 6 }, () => use()));
        expect(outcomes.filter(Boolean)).toHaveLength(1);
        expect(await use()).toBe(false);
      });

      it("a new SMS code replaces the previous one; an expired one is refused and swept", async () => {
        const { id } = await newUser();
        const first = smsCodeOf(id);
        await database().saveSMSCode(first);
        const second = smsCodeOf(id, { purpose: "enrollment", boundTo: "session:s1" });
        await database().saveSMSCode(second);
        expect(await database().useSMSCode(id, first.purpose, first.boundTo, first.codeHash, SOME_INSTANT + 1)).toBe(
          false,
        );
        expect(await database().useSMSCode(id, second.purpose, second.boundTo, second.codeHash, second.expiresAt)).toBe(
          false,
        );
        expect(await database().deleteExpiredSMSCodes(second.expiresAt)).toBeGreaterThanOrEqual(1);
        expect(await database().useSMSCode(id, second.purpose, second.boundTo, second.codeHash, SOME_INSTANT)).toBe(
          false,
        );
        const fresh = smsCodeOf(id, { expiresAt: SOME_INSTANT + DAY });
        await database().saveSMSCode(fresh);
        expect(await database().useSMSCode(id, fresh.purpose, fresh.boundTo, fresh.codeHash, SOME_INSTANT)).toBe(true);
      });

      it("deleting a user removes their factors and challenges", async () => {
        const { id } = await newUser();
        await database().savePendingTOTP(totpOf(id));
        const challenge = challengeOf(id);
        await database().createMFAChallenge(challenge);
        await database().replaceBackupCodes(id, [
          { id: uniqueId("bkc"), userId: id, codeHash: "x", createdAt: SOME_INSTANT, usedAt: null },
        ]);
        await database().savePendingSMS(smsOf(id));
        await database().saveSMSCode(smsCodeOf(id));
        await database().deleteUser(id);
        expect(await database().getTOTP(id)).toBeNull();
        expect(await database().getSMS(id)).toBeNull();
        expect(await database().getMFAChallenge(challenge.id)).toBeNull();
        expect(await database().countUnusedBackupCodes(id)).toBe(0);
      });
    });
  });
}

/**
 * Runs the passkey store's contract (`PasskeyStore` in `ports.ts`) against a database with
 * migrations applied: one credential id across all users, single-use challenges that match
 * their whole binding even under parallel calls, counters that only move forward, and cascades.
 *
 * @example
 * ```ts
 * describePasskeyStoreConformance("sqlite", async () => {
 *   const database = createSQLiteDatabase({ filename: ":memory:" });
 *   await database.migrate();
 *   return { database, teardown: () => database.close() };
 * });
 * ```
 */
export function describePasskeyStoreConformance(name: string, setup: () => Promise<DatabaseConformanceSetup>): void {
  describe(`${name}: passkey store conformance`, () => {
    let context: DatabaseConformanceSetup | undefined;

    beforeAll(async () => {
      context = await setup();
    });

    afterAll(async () => {
      await context?.teardown();
    });

    function database(): Database {
      if (!context) throw new Error("setup() did not complete");
      return context.database;
    }

    async function newUser(): Promise<string> {
      const id = uniqueId("user");
      await database().createUser(minimalUser(id, SOME_INSTANT));
      return id;
    }

    const passkeyOf = (userId: string, overrides: Partial<PasskeyRecord> = {}): PasskeyRecord => ({
      id: uniqueId("pk"),
      userId,
      credentialId: `cred-${randomUUID()}`,
      publicKey: `pub-${randomUUID()}`,
      counter: 0,
      transports: ["internal", "hybrid"],
      deviceType: "multiDevice",
      backedUp: true,
      name: "Laptop",
      createdAt: SOME_INSTANT,
      lastUsedAt: null,
      ...overrides,
    });

    const challengeOf = (overrides: Partial<PasskeyChallengeRecord> = {}): PasskeyChallengeRecord => ({
      id: uniqueId("pkc"),
      challengeHash: `challenge-${randomUUID()}`,
      purpose: "authentication",
      userId: null,
      sessionId: null,
      clientHash: `client-${randomUUID()}`,
      createdAt: SOME_INSTANT,
      expiresAt: SOME_INSTANT + HOUR,
      usedAt: null,
      ...overrides,
    });

    const matchOf = (challenge: PasskeyChallengeRecord) => ({
      challengeHash: challenge.challengeHash,
      purpose: challenge.purpose,
      clientHash: challenge.clientHash,
      sessionId: challenge.sessionId,
    });

    it("a user handle is stored once: later and parallel calls all get the first one", async () => {
      const userId = await newUser();
      expect(await database().getPasskeyUserHandle(userId)).toBeNull();
      const handles = await Promise.all(
        ["a", "b", "c", "d"].map((candidate) => database().ensurePasskeyUserHandle(userId, candidate, SOME_INSTANT)),
      );
      expect(new Set(handles).size).toBe(1);
      expect(await database().ensurePasskeyUserHandle(userId, "later", SOME_INSTANT)).toBe(handles[0]);
      expect(await database().getPasskeyUserHandle(userId)).toBe(handles[0]);
    });

    it("passkeys round-trip every field, list oldest first, and are found by credential id", async () => {
      const userId = await newUser();
      const older = passkeyOf(userId, { createdAt: SOME_INSTANT, lastUsedAt: SOME_INSTANT + 5, counter: 7 });
      const newer = passkeyOf(userId, {
        createdAt: SOME_INSTANT + 1,
        backedUp: false,
        deviceType: "singleDevice",
        transports: [],
      });
      expect(await database().createPasskey(newer)).toBe(true);
      expect(await database().createPasskey(older)).toBe(true);
      expect(await database().listPasskeys(userId)).toStrictEqual([older, newer]);
      expect(await database().getPasskeyByCredentialId(newer.credentialId)).toStrictEqual(newer);
      expect(await database().getPasskeyByCredentialId("cred-unknown")).toBeNull();
    });

    it("a credential id is stored once across all users, also when two accounts race for it", async () => {
      const alice = await newUser();
      const mallory = await newUser();
      const first = passkeyOf(alice);
      expect(await database().createPasskey(first)).toBe(true);
      expect(await database().createPasskey(passkeyOf(mallory, { credentialId: first.credentialId }))).toBe(false);
      expect(await database().createPasskey(passkeyOf(alice, { credentialId: first.credentialId }))).toBe(false);
      expect(await database().getPasskeyByCredentialId(first.credentialId)).toStrictEqual(first);
      expect(await database().listPasskeys(mallory)).toEqual([]);
      const contested = `cred-${randomUUID()}`;
      const outcomes = await Promise.all(
        [alice, mallory, alice, mallory].map((userId) =>
          database().createPasskey(passkeyOf(userId, { credentialId: contested })),
        ),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(1);
    });

    it("renames and deletes only the owner's passkey", async () => {
      const alice = await newUser();
      const mallory = await newUser();
      const passkey = passkeyOf(alice);
      await database().createPasskey(passkey);
      expect(await database().renamePasskey(mallory, passkey.id, "Mine")).toBeNull();
      expect(await database().deletePasskey(mallory, passkey.id)).toBe(false);
      expect(await database().renamePasskey(alice, passkey.id, "Desk")).toStrictEqual({ ...passkey, name: "Desk" });
      expect(await database().deletePasskey(alice, passkey.id)).toBe(true);
      expect(await database().deletePasskey(alice, passkey.id)).toBe(false);
      expect(await database().getPasskeyByCredentialId(passkey.credentialId)).toBeNull();
    });

    it("a counter only moves forward (0 stays usable at 0); of parallel uses with one counter, one wins", async () => {
      const userId = await newUser();
      const passkey = passkeyOf(userId);
      await database().createPasskey(passkey);
      expect(await database().recordPasskeyUse(passkey.id, { counter: 0, backedUp: true, usedAt: 1 })).toBe(true);
      expect(await database().recordPasskeyUse(passkey.id, { counter: 0, backedUp: true, usedAt: 2 })).toBe(true);
      const parallel = await Promise.all(
        Array.from({ length: 5 }, () =>
          database().recordPasskeyUse(passkey.id, { counter: 5, backedUp: false, usedAt: 3 }),
        ),
      );
      expect(parallel.filter(Boolean)).toHaveLength(1);
      for (const counter of [5, 4, 0]) {
        expect(await database().recordPasskeyUse(passkey.id, { counter, backedUp: true, usedAt: 9 })).toBe(false);
      }
      expect(await database().getPasskeyByCredentialId(passkey.credentialId)).toStrictEqual({
        ...passkey,
        counter: 5,
        backedUp: false,
        lastUsedAt: 3,
      });
      expect(await database().recordPasskeyUse(passkey.id, { counter: 6, backedUp: true, usedAt: 4 })).toBe(true);
      expect(await database().recordPasskeyUse(uniqueId("pk"), { counter: 1, backedUp: true, usedAt: 4 })).toBe(false);
    });

    it("a challenge is consumed once, even by parallel calls, and returned as stored", async () => {
      const userId = await newUser();
      const challenge = challengeOf({ purpose: "registration", userId, sessionId: uniqueId("sess") });
      await database().createPasskeyChallenge(challenge);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, () => database().consumePasskeyChallenge(matchOf(challenge), SOME_INSTANT + 1)),
      );
      const won = outcomes.filter((outcome) => outcome !== null);
      expect(won).toStrictEqual([{ ...challenge, usedAt: SOME_INSTANT + 1 }]);
      expect(await database().consumePasskeyChallenge(matchOf(challenge), SOME_INSTANT + 2)).toBeNull();
    });

    it("a challenge matches only its whole binding: purpose, client and session", async () => {
      const userId = await newUser();
      const registration = challengeOf({ purpose: "registration", userId, sessionId: uniqueId("sess") });
      const signIn = challengeOf();
      await database().createPasskeyChallenge(registration);
      await database().createPasskeyChallenge(signIn);
      const misses = [
        { ...matchOf(registration), purpose: "authentication" as const },
        { ...matchOf(registration), clientHash: "client-other" },
        { ...matchOf(registration), sessionId: uniqueId("sess") },
        { ...matchOf(registration), sessionId: null },
        { ...matchOf(signIn), purpose: "registration" as const },
        { ...matchOf(signIn), sessionId: registration.sessionId },
      ];
      for (const match of misses) {
        expect(await database().consumePasskeyChallenge(match, SOME_INSTANT), JSON.stringify(match)).toBeNull();
      }
      // The misses used nothing up.
      expect(await database().consumePasskeyChallenge(matchOf(registration), SOME_INSTANT)).not.toBeNull();
      expect(await database().consumePasskeyChallenge(matchOf(signIn), SOME_INSTANT)).not.toBeNull();
    });

    it("an expired challenge cannot be consumed and is swept", async () => {
      const challenge = challengeOf({ expiresAt: SOME_INSTANT + 10 });
      await database().createPasskeyChallenge(challenge);
      expect(await database().consumePasskeyChallenge(matchOf(challenge), SOME_INSTANT + 10)).toBeNull();
      expect(await database().deleteExpiredPasskeyChallenges(SOME_INSTANT + 10)).toBeGreaterThanOrEqual(1);
      expect(await database().consumePasskeyChallenge(matchOf(challenge), SOME_INSTANT)).toBeNull();
    });

    it("deleting a user removes their passkeys, handle and challenges", async () => {
      const userId = await newUser();
      const passkey = passkeyOf(userId);
      await database().createPasskey(passkey);
      await database().ensurePasskeyUserHandle(userId, `handle-${randomUUID()}`, SOME_INSTANT);
      const challenge = challengeOf({ purpose: "registration", userId, sessionId: uniqueId("sess") });
      await database().createPasskeyChallenge(challenge);
      await database().deleteUser(userId);
      expect(await database().getPasskeyByCredentialId(passkey.credentialId)).toBeNull();
      expect(await database().getPasskeyUserHandle(userId)).toBeNull();
      expect(await database().consumePasskeyChallenge(matchOf(challenge), SOME_INSTANT)).toBeNull();
    });
  });
}

/**
 * What {@link describeUserChangeFeedConformance} needs: two feeds as two instances sharing one
 * database would hold them (for the in-process feed, the same one twice).
 */
export interface UserChangeFeedConformanceSetup {
  here: UserChangeFeed;
  there: UserChangeFeed;
  teardown(): Promise<void>;
}

/**
 * The contract every {@link UserChangeFeed} keeps. A cache trusts it to hear of every change made
 * anywhere while `connected`, so each test waits for `connected` before publishing.
 */
export function describeUserChangeFeedConformance(
  name: string,
  setup: () => Promise<UserChangeFeedConformanceSetup>,
): void {
  describe(`${name}: UserChangeFeed conformance`, () => {
    let context: UserChangeFeedConformanceSetup | undefined;

    beforeEach(async () => {
      context = await setup();
    });

    afterEach(async () => {
      await context?.teardown();
      context = undefined;
    });

    function feeds(): UserChangeFeedConformanceSetup {
      if (!context) throw new Error("setup() did not complete");
      return context;
    }

    function recorder(): { changed: string[]; interruptions: number; listener: UserChangeListener } {
      const record = {
        changed: [] as string[],
        interruptions: 0,
        listener: undefined as unknown as UserChangeListener,
      };
      record.listener = {
        changed: (userId) => record.changed.push(userId),
        interrupted: () => record.interruptions++,
      };
      return record;
    }

    /** Delivery may be asynchronous (Redis): wait for it, but never longer than 2 s. */
    function eventually(check: () => void): Promise<void> {
      return vi.waitFor(check, { timeout: 2_000, interval: 10 });
    }

    async function connected(...subscribed: UserChangeFeed[]): Promise<void> {
      await eventually(() => expect(subscribed.map((feed) => feed.connected)).toEqual(subscribed.map(() => true)));
    }

    it("a change published on one instance reaches the listeners of both, once each", async () => {
      const { here, there } = feeds();
      const onHere = recorder();
      const onThere = recorder();
      here.subscribe(onHere.listener);
      there.subscribe(onThere.listener);
      await connected(here, there);
      const userId = uniqueId("user");

      await here.publish(userId);

      await eventually(() => expect(onThere.changed).toEqual([userId]));
      await eventually(() => expect(onHere.changed).toEqual([userId]));
      // Nothing more arrives, and nothing was reported lost.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect([onHere.changed, onThere.changed]).toEqual([[userId], [userId]]);
      expect([onHere.interruptions, onThere.interruptions]).toEqual([0, 0]);
    });

    it("delivers changes in the order they were published", async () => {
      const { here, there } = feeds();
      const onHere = recorder();
      here.subscribe(onHere.listener);
      await connected(here);
      const userIds = Array.from({ length: 20 }, () => uniqueId("user"));

      for (const userId of userIds) await there.publish(userId);

      await eventually(() => expect(onHere.changed).toEqual(userIds));
    });

    it("a listener that stopped hears nothing more; the others still do", async () => {
      const { here, there } = feeds();
      const stopped = recorder();
      const staying = recorder();
      const stop = here.subscribe(stopped.listener);
      here.subscribe(staying.listener);
      await connected(here);
      stop();
      // Stopping twice is harmless and does not remove the other listener.
      stop();
      const userId = uniqueId("user");

      await there.publish(userId);

      await eventually(() => expect(staying.changed).toEqual([userId]));
      expect(stopped.changed).toEqual([]);
    });

    it("a listener that throws does not keep the change from the others", async () => {
      const { here, there } = feeds();
      const after = recorder();
      here.subscribe({
        changed() {
          throw new Error("a broken cache");
        },
        interrupted() {},
      });
      here.subscribe(after.listener);
      await connected(here);
      const userId = uniqueId("user");

      await there.publish(userId);

      await eventually(() => expect(after.changed).toEqual([userId]));
    });

    it("close() stops delivery to its listeners", async () => {
      const { here, there } = feeds();
      const onHere = recorder();
      here.subscribe(onHere.listener);
      await connected(here);

      await here.close();
      await there.publish(uniqueId("user"));

      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(onHere.changed).toEqual([]);
    });
  });
}
