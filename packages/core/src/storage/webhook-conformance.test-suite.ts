/**
 * The conformance suite of the {@link WebhookStore} port, run by the SQLite, PostgreSQL and
 * memory adapters' tests next to `conformance.test-suite.ts`: each `it` is a sentence of the
 * contract in `ports.ts`.
 *
 * Tests share one store per `describe`. The worker's claim looks at every due delivery in the
 * store, so each test works in its own slice of time, earlier than every slice before it: what
 * an earlier test left pending is never due at a later test's `now`.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  NewWebhookDelivery,
  WebhookAttemptRecord,
  WebhookDeliveryRecord,
  WebhookEndpointRecord,
  WebhookStore,
} from "./ports.js";

/** What {@link describeWebhookStoreConformance} needs from an adapter's test. */
export interface WebhookStoreConformanceSetup {
  /** A store with migrations already applied. */
  store: WebhookStore;
  teardown(): Promise<void>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let slice = 2 ** 42;

/** The start of a time slice earlier than every slice handed out before (see the module comment). */
function newTimeSlice(): number {
  slice -= 10 ** 9;
  return slice;
}

function uniqueId(prefix: string): string {
  return `${prefix}_${randomUUID()}`;
}

/**
 * Proves a {@link WebhookStore} keeps the port's contract.
 *
 * @example
 * ```ts
 * describeWebhookStoreConformance("memory", async () => {
 *   const database = createMemoryDatabase();
 *   return { store: database, teardown: () => database.close() };
 * });
 * ```
 */
export function describeWebhookStoreConformance(
  name: string,
  setup: () => Promise<WebhookStoreConformanceSetup>,
): void {
  describe(`${name}: WebhookStore conformance`, () => {
    let context: WebhookStoreConformanceSetup | undefined;

    beforeAll(async () => {
      context = await setup();
    });

    afterAll(async () => {
      await context?.teardown();
    });

    function store(): WebhookStore {
      if (!context) throw new Error("setup() did not complete");
      return context.store;
    }

    function newEndpoint(now: number, overrides: Partial<WebhookEndpointRecord> = {}): WebhookEndpointRecord {
      return {
        id: uniqueId("wh"),
        url: "https://hooks.example.com/gatehouse?tenant=a",
        description: "Billing sync",
        eventTypes: ["user.created", "session.revoked"],
        secretCiphertext: `gh1.key.${randomUUID()}`,
        previousSecretCiphertext: null,
        previousSecretExpiresAt: null,
        disabledAt: null,
        createdAt: now,
        updatedAt: now,
        ...overrides,
      };
    }

    async function createEndpoint(now: number, overrides: Partial<WebhookEndpointRecord> = {}): Promise<string> {
      const endpoint = newEndpoint(now, overrides);
      await store().createWebhookEndpoint(endpoint);
      return endpoint.id;
    }

    function newDelivery(endpointId: string, now: number, overrides: Partial<NewWebhookDelivery> = {}) {
      const id = uniqueId("msg");
      return {
        id,
        endpointId,
        eventType: "user.created",
        payload: JSON.stringify({ type: "user.created", timestamp: new Date(now).toISOString(), data: { id } }),
        maxAttempts: 3,
        createdAt: now,
        nextAttemptAt: now,
        ...overrides,
      } satisfies NewWebhookDelivery;
    }

    function pending(delivery: NewWebhookDelivery): WebhookDeliveryRecord {
      return {
        ...delivery,
        status: "pending",
        attemptCount: 0,
        lastAttemptAt: null,
        lastResponseStatus: null,
        lastError: null,
        completedAt: null,
      };
    }

    function attemptOf(deliveryId: string, attempt: number, startedAt: number): WebhookAttemptRecord {
      return {
        deliveryId,
        attempt,
        startedAt,
        durationMs: 42,
        responseStatus: 500,
        responseBody: "upstream broke",
        error: "HTTP 500",
      };
    }

    const failedOutcome = (nextAttemptAt: number) => ({
      status: "pending" as const,
      nextAttemptAt,
      completedAt: null,
      lastResponseStatus: 500,
      lastError: "HTTP 500",
    });

    describe("endpoints", () => {
      it("getWebhookEndpoint returns the created endpoint with every field unchanged", async () => {
        const now = newTimeSlice();
        const endpoint = newEndpoint(now, {
          previousSecretCiphertext: "gh1.key.previous",
          previousSecretExpiresAt: now + 86_400_000,
        });
        await store().createWebhookEndpoint(endpoint);
        expect(await store().getWebhookEndpoint(endpoint.id)).toStrictEqual(endpoint);
        expect(await store().getWebhookEndpoint(uniqueId("wh"))).toBeNull();
      });

      it("round-trips null description and a disabled endpoint, and keeps the event types' order", async () => {
        const now = newTimeSlice();
        const endpoint = newEndpoint(now, {
          description: null,
          disabledAt: now + 1,
          eventTypes: ["sign_in.failed", "user.created", "session.created"],
        });
        await store().createWebhookEndpoint(endpoint);
        expect(await store().getWebhookEndpoint(endpoint.id)).toStrictEqual(endpoint);
      });

      it("listWebhookEndpoints returns every endpoint, oldest first", async () => {
        const now = newTimeSlice();
        const later = newEndpoint(now + 2);
        const earlier = newEndpoint(now + 1);
        await store().createWebhookEndpoint(later);
        await store().createWebhookEndpoint(earlier);
        const listed = (await store().listWebhookEndpoints()).filter((each) =>
          [later.id, earlier.id].includes(each.id),
        );
        expect(listed).toStrictEqual([earlier, later]);
      });

      it("mutating a returned or passed-in endpoint does not change the store", async () => {
        const now = newTimeSlice();
        const endpoint = newEndpoint(now);
        const original = structuredClone(endpoint);
        await store().createWebhookEndpoint(endpoint);
        endpoint.eventTypes.push("sign_in.failed");
        endpoint.url = "https://changed.example.com";
        const read = await store().getWebhookEndpoint(original.id);
        read!.eventTypes.pop();
        expect(await store().getWebhookEndpoint(original.id)).toStrictEqual(original);
      });

      it("updateWebhookEndpoint changes only the given fields, including back to null", async () => {
        const now = newTimeSlice();
        const endpoint = newEndpoint(now, { previousSecretCiphertext: "old", previousSecretExpiresAt: now + 5 });
        await store().createWebhookEndpoint(endpoint);
        const updated = await store().updateWebhookEndpoint(endpoint.id, {
          url: "https://other.example.com/hook",
          eventTypes: ["session.created"],
          disabledAt: now + 10,
          previousSecretCiphertext: null,
          previousSecretExpiresAt: null,
          updatedAt: now + 10,
        });
        const expected = {
          ...endpoint,
          url: "https://other.example.com/hook",
          eventTypes: ["session.created"],
          disabledAt: now + 10,
          previousSecretCiphertext: null,
          previousSecretExpiresAt: null,
          updatedAt: now + 10,
        };
        expect(updated).toStrictEqual(expected);
        expect(await store().getWebhookEndpoint(endpoint.id)).toStrictEqual(expected);

        const reenabled = await store().updateWebhookEndpoint(endpoint.id, {
          disabledAt: null,
          description: null,
          updatedAt: now + 20,
        });
        expect(reenabled).toStrictEqual({ ...expected, disabledAt: null, description: null, updatedAt: now + 20 });
      });

      it("updateWebhookEndpoint of an unknown id returns null and creates nothing", async () => {
        const id = uniqueId("wh");
        expect(await store().updateWebhookEndpoint(id, { url: "https://x.example.com", updatedAt: 1 })).toBeNull();
        expect(await store().getWebhookEndpoint(id)).toBeNull();
      });

      it("deleteWebhookEndpoint removes it with its deliveries and their attempts, and no other", async () => {
        const now = newTimeSlice();
        const doomed = await createEndpoint(now);
        const kept = await createEndpoint(now);
        const doomedDelivery = newDelivery(doomed, now);
        const keptDelivery = newDelivery(kept, now);
        await store().createWebhookDeliveries([doomedDelivery, keptDelivery]);
        const claimed = await store().claimDueWebhookDeliveries({ now, limit: 10, leaseUntil: now + MINUTE });
        for (const { delivery, claimToken } of claimed) {
          await store().finishWebhookAttempt({
            claimToken,
            attempt: attemptOf(delivery.id, 1, now),
            outcome: failedOutcome(now + MINUTE),
          });
        }

        expect(await store().deleteWebhookEndpoint(doomed)).toBe(true);
        expect(await store().deleteWebhookEndpoint(doomed)).toBe(false);
        expect(await store().getWebhookEndpoint(doomed)).toBeNull();
        expect(await store().getWebhookDelivery(doomedDelivery.id)).toBeNull();
        expect(await store().listWebhookAttempts(doomedDelivery.id)).toEqual([]);
        expect(await store().getWebhookEndpoint(kept)).not.toBeNull();
        expect(await store().getWebhookDelivery(keptDelivery.id)).not.toBeNull();
        expect(await store().listWebhookAttempts(keptDelivery.id)).toHaveLength(1);
      });
    });

    describe("deliveries", () => {
      it("createWebhookDeliveries stores pending deliveries with no attempt yet", async () => {
        const now = newTimeSlice();
        const endpointId = await createEndpoint(now);
        const deliveries = [newDelivery(endpointId, now), newDelivery(endpointId, now, { nextAttemptAt: now + 5 })];
        await store().createWebhookDeliveries(deliveries);
        await store().createWebhookDeliveries([]);
        for (const delivery of deliveries) {
          expect(await store().getWebhookDelivery(delivery.id)).toStrictEqual(pending(delivery));
        }
        expect(await store().getWebhookDelivery(uniqueId("msg"))).toBeNull();
      });

      it("createWebhookDeliveries stores all or none", async () => {
        const now = newTimeSlice();
        const endpointId = await createEndpoint(now);
        const existing = newDelivery(endpointId, now);
        await store().createWebhookDeliveries([existing]);
        const fresh = newDelivery(endpointId, now);
        await expect(store().createWebhookDeliveries([fresh, { ...existing }])).rejects.toThrow();
        expect(await store().getWebhookDelivery(fresh.id)).toBeNull();
      });

      it("listWebhookDeliveries pages one endpoint's deliveries newest first, with a status filter", async () => {
        const now = newTimeSlice();
        const endpointId = await createEndpoint(now);
        const other = await createEndpoint(now);
        // Two share a creation time, so the id breaks the tie.
        const created = [0, 1, 1, 2, 3].map((offset) => newDelivery(endpointId, now + offset));
        await store().createWebhookDeliveries([...created, newDelivery(other, now + 5)]);
        const newestFirst = [...created]
          .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
          .map((each) => each.id);

        const first = await store().listWebhookDeliveries(endpointId, { limit: 2 });
        expect(first.map((each) => each.id)).toEqual(newestFirst.slice(0, 2));
        const last = first.at(-1)!;
        const second = await store().listWebhookDeliveries(endpointId, {
          limit: 2,
          after: { createdAt: last.createdAt, id: last.id },
        });
        expect(second.map((each) => each.id)).toEqual(newestFirst.slice(2, 4));
        const rest = await store().listWebhookDeliveries(endpointId, {
          limit: 10,
          after: { createdAt: second.at(-1)!.createdAt, id: second.at(-1)!.id },
        });
        expect(rest.map((each) => each.id)).toEqual(newestFirst.slice(4));

        expect(await store().listWebhookDeliveries(endpointId, { limit: 10, status: "failed" })).toEqual([]);
        expect(await store().listWebhookDeliveries(endpointId, { limit: 10, status: "pending" })).toHaveLength(5);
        expect(await store().listWebhookDeliveries(uniqueId("wh"), { limit: 10 })).toEqual([]);
      });
    });

    describe("claiming", () => {
      it("claims due pending deliveries of enabled endpoints, earliest first, up to the limit", async () => {
        const now = newTimeSlice();
        const enabled = await createEndpoint(now);
        const disabled = await createEndpoint(now, { disabledAt: now });
        const third = newDelivery(enabled, now, { nextAttemptAt: now - 1 });
        const first = newDelivery(enabled, now, { nextAttemptAt: now - 3 });
        const second = newDelivery(enabled, now, { nextAttemptAt: now - 2 });
        const notDue = newDelivery(enabled, now, { nextAttemptAt: now + 1 });
        const ofDisabled = newDelivery(disabled, now, { nextAttemptAt: now - 10 });
        await store().createWebhookDeliveries([third, first, second, notDue, ofDisabled]);

        const claimed = await store().claimDueWebhookDeliveries({ now, limit: 2, leaseUntil: now + MINUTE });
        expect(claimed.map((each) => each.delivery.id)).toEqual([first.id, second.id]);
        expect(claimed[0]!.delivery).toStrictEqual({ ...pending(first), attemptCount: 1, lastAttemptAt: now });
        expect(claimed[0]!.claimToken).toEqual(expect.any(String));

        const next = await store().claimDueWebhookDeliveries({ now, limit: 10, leaseUntil: now + MINUTE });
        expect(next.map((each) => each.delivery.id)).toEqual([third.id]);
        expect(await store().claimDueWebhookDeliveries({ now, limit: 10, leaseUntil: now + MINUTE })).toEqual([]);
      });

      it("a claimed delivery is claimable again only once its lease has run out", async () => {
        const now = newTimeSlice();
        const endpointId = await createEndpoint(now);
        const delivery = newDelivery(endpointId, now);
        await store().createWebhookDeliveries([delivery]);
        const [first] = await store().claimDueWebhookDeliveries({ now, limit: 1, leaseUntil: now + MINUTE });
        expect(first?.delivery.attemptCount).toBe(1);
        expect(
          await store().claimDueWebhookDeliveries({ now: now + MINUTE - 1, limit: 1, leaseUntil: now + 2 * MINUTE }),
        ).toEqual([]);
        const [again] = await store().claimDueWebhookDeliveries({
          now: now + MINUTE,
          limit: 1,
          leaseUntil: now + 2 * MINUTE,
        });
        expect(again?.delivery).toMatchObject({ id: delivery.id, attemptCount: 2, lastAttemptAt: now + MINUTE });
        expect(again?.claimToken).not.toBe(first?.claimToken);
      });

      it("concurrent claims never hand out the same delivery twice", async () => {
        const now = newTimeSlice();
        const endpointId = await createEndpoint(now);
        const deliveries = Array.from({ length: 12 }, (_, index) =>
          newDelivery(endpointId, now, { nextAttemptAt: now - index }),
        );
        await store().createWebhookDeliveries(deliveries);
        const rounds = await Promise.all(
          Array.from({ length: 6 }, () =>
            store().claimDueWebhookDeliveries({ now, limit: 3, leaseUntil: now + MINUTE }),
          ),
        );
        const ids = rounds.flat().map((each) => each.delivery.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.sort()).toEqual(deliveries.map((each) => each.id).sort());
      });

      it("finishWebhookAttempt records the attempt and applies the outcome while the claim holds", async () => {
        const now = newTimeSlice();
        const endpointId = await createEndpoint(now);
        const delivery = newDelivery(endpointId, now);
        await store().createWebhookDeliveries([delivery]);
        const [claim] = await store().claimDueWebhookDeliveries({ now, limit: 1, leaseUntil: now + MINUTE });
        const attempt = attemptOf(delivery.id, 1, now);
        expect(
          await store().finishWebhookAttempt({
            claimToken: claim!.claimToken,
            attempt,
            outcome: failedOutcome(now + 10_000),
          }),
        ).toBe(true);
        expect(await store().getWebhookDelivery(delivery.id)).toStrictEqual({
          ...pending(delivery),
          attemptCount: 1,
          lastAttemptAt: now,
          nextAttemptAt: now + 10_000,
          lastResponseStatus: 500,
          lastError: "HTTP 500",
        });
        expect(await store().listWebhookAttempts(delivery.id)).toStrictEqual([attempt]);
        // Released: due again at the new time, not before.
        expect(
          await store().claimDueWebhookDeliveries({ now: now + 9_999, limit: 1, leaseUntil: now + MINUTE }),
        ).toEqual([]);
        const [second] = await store().claimDueWebhookDeliveries({
          now: now + 10_000,
          limit: 1,
          leaseUntil: now + MINUTE,
        });
        const success = {
          ...attemptOf(delivery.id, 2, now + 10_000),
          responseStatus: 204,
          responseBody: "",
          error: null,
        };
        await store().finishWebhookAttempt({
          claimToken: second!.claimToken,
          attempt: success,
          outcome: {
            status: "succeeded",
            nextAttemptAt: null,
            completedAt: now + 10_050,
            lastResponseStatus: 204,
            lastError: null,
          },
        });
        expect(await store().getWebhookDelivery(delivery.id)).toMatchObject({
          status: "succeeded",
          attemptCount: 2,
          nextAttemptAt: null,
          completedAt: now + 10_050,
          lastResponseStatus: 204,
          lastError: null,
        });
        expect(await store().listWebhookAttempts(delivery.id)).toStrictEqual([attempt, success]);
        expect(await store().claimDueWebhookDeliveries({ now: now + HOUR, limit: 1, leaseUntil: now + HOUR })).toEqual(
          [],
        );
      });

      it("a worker whose lease ran out logs its attempt but cannot overwrite the new holder's state", async () => {
        const now = newTimeSlice();
        const endpointId = await createEndpoint(now);
        const delivery = newDelivery(endpointId, now);
        await store().createWebhookDeliveries([delivery]);
        const [stale] = await store().claimDueWebhookDeliveries({ now, limit: 1, leaseUntil: now + MINUTE });
        const [fresh] = await store().claimDueWebhookDeliveries({
          now: now + MINUTE,
          limit: 1,
          leaseUntil: now + 2 * MINUTE,
        });
        const lost = await store().finishWebhookAttempt({
          claimToken: stale!.claimToken,
          attempt: attemptOf(delivery.id, 1, now),
          outcome: { status: "failed", nextAttemptAt: null, completedAt: now, lastResponseStatus: 500, lastError: "x" },
        });
        expect(lost).toBe(false);
        expect(await store().getWebhookDelivery(delivery.id)).toMatchObject({ status: "pending", attemptCount: 2 });
        expect(await store().listWebhookAttempts(delivery.id)).toHaveLength(1);
        // Still held by the fresh claim: nobody else gets it.
        expect(
          await store().claimDueWebhookDeliveries({ now: now + MINUTE, limit: 1, leaseUntil: now + 2 * MINUTE }),
        ).toEqual([]);
        expect(
          await store().finishWebhookAttempt({
            claimToken: fresh!.claimToken,
            attempt: { ...attemptOf(delivery.id, 2, now + MINUTE), responseStatus: 200, error: null },
            outcome: {
              status: "succeeded",
              nextAttemptAt: null,
              completedAt: now + MINUTE,
              lastResponseStatus: 200,
              lastError: null,
            },
          }),
        ).toBe(true);
        expect(await store().listWebhookAttempts(delivery.id)).toHaveLength(2);
      });

      it("finishing an attempt of a delivery deleted meanwhile records nothing and does not fail", async () => {
        const now = newTimeSlice();
        const endpointId = await createEndpoint(now);
        const delivery = newDelivery(endpointId, now);
        await store().createWebhookDeliveries([delivery]);
        const [claim] = await store().claimDueWebhookDeliveries({ now, limit: 1, leaseUntil: now + MINUTE });
        await store().deleteWebhookEndpoint(endpointId);
        expect(
          await store().finishWebhookAttempt({
            claimToken: claim!.claimToken,
            attempt: attemptOf(delivery.id, 1, now),
            outcome: failedOutcome(now + MINUTE),
          }),
        ).toBe(false);
        expect(await store().listWebhookAttempts(delivery.id)).toEqual([]);
      });

      it("releaseWebhookDelivery gives the claim back without counting the attempt", async () => {
        const now = newTimeSlice();
        const endpointId = await createEndpoint(now);
        const delivery = newDelivery(endpointId, now);
        await store().createWebhookDeliveries([delivery]);
        const [claim] = await store().claimDueWebhookDeliveries({ now, limit: 1, leaseUntil: now + MINUTE });
        await store().releaseWebhookDelivery(delivery.id, "not-the-token");
        expect(await store().claimDueWebhookDeliveries({ now, limit: 1, leaseUntil: now + MINUTE })).toEqual([]);
        await store().releaseWebhookDelivery(delivery.id, claim!.claimToken);
        const [again] = await store().claimDueWebhookDeliveries({ now, limit: 1, leaseUntil: now + MINUTE });
        expect(again?.delivery).toMatchObject({ id: delivery.id, attemptCount: 1 });
      });
    });

    describe("retries and retention", () => {
      async function finish(deliveryId: string, now: number, status: "succeeded" | "failed"): Promise<void> {
        const claims = await store().claimDueWebhookDeliveries({ now, limit: 10, leaseUntil: now + MINUTE });
        const claim = claims.find((each) => each.delivery.id === deliveryId)!;
        for (const other of claims) {
          if (other !== claim) await store().releaseWebhookDelivery(other.delivery.id, other.claimToken);
        }
        await store().finishWebhookAttempt({
          claimToken: claim.claimToken,
          attempt: attemptOf(deliveryId, claim.delivery.attemptCount, now),
          outcome: { status, nextAttemptAt: null, completedAt: now, lastResponseStatus: 500, lastError: "HTTP 500" },
        });
      }

      it("retrying a finished delivery makes it pending and due now, for exactly one more attempt", async () => {
        const now = newTimeSlice();
        const endpointId = await createEndpoint(now);
        const delivery = newDelivery(endpointId, now, { maxAttempts: 5 });
        await store().createWebhookDeliveries([delivery]);
        await finish(delivery.id, now, "failed");

        const retried = await store().retryWebhookDelivery(delivery.id, now + HOUR);
        expect(retried).toMatchObject({
          status: "pending",
          nextAttemptAt: now + HOUR,
          completedAt: null,
          attemptCount: 1,
          maxAttempts: 2,
        });
        expect(await store().getWebhookDelivery(delivery.id)).toStrictEqual(retried);
        const [claim] = await store().claimDueWebhookDeliveries({
          now: now + HOUR,
          limit: 1,
          leaseUntil: now + 2 * HOUR,
        });
        expect(claim?.delivery.id).toBe(delivery.id);
      });

      it("retrying a pending delivery makes it due now and keeps its remaining attempts", async () => {
        const now = newTimeSlice();
        const endpointId = await createEndpoint(now);
        const delivery = newDelivery(endpointId, now, { nextAttemptAt: now + HOUR, maxAttempts: 5 });
        await store().createWebhookDeliveries([delivery]);
        const retried = await store().retryWebhookDelivery(delivery.id, now);
        expect(retried).toStrictEqual({ ...pending(delivery), nextAttemptAt: now });
        expect(await store().retryWebhookDelivery(uniqueId("msg"), now)).toBeNull();
      });

      it("deleteFinishedWebhookDeliveries removes finished deliveries completed before the cutoff only", async () => {
        const now = newTimeSlice();
        const endpointId = await createEndpoint(now);
        const old = newDelivery(endpointId, now);
        const recent = newDelivery(endpointId, now);
        const stillPending = newDelivery(endpointId, now, { nextAttemptAt: now + HOUR });
        await store().createWebhookDeliveries([old, recent, stillPending]);
        await finish(old.id, now, "succeeded");
        await finish(recent.id, now + 10, "failed");

        expect(await store().deleteFinishedWebhookDeliveries(now + 10)).toBe(1);
        expect(await store().getWebhookDelivery(old.id)).toBeNull();
        expect(await store().listWebhookAttempts(old.id)).toEqual([]);
        expect(await store().getWebhookDelivery(recent.id)).not.toBeNull();
        expect(await store().getWebhookDelivery(stillPending.id)).not.toBeNull();
      });
    });
  });
}
