/**
 * Deliveries to real HTTP receivers on 127.0.0.1: what arrives is verified with the independent
 * `standardwebhooks` package; failures (500, timeouts, redirects) are retried on the documented
 * schedule, driven by the engine's frozen clock instead of sleeping; secret rotation signs with
 * both secrets during the overlap; the log and the manual controls tell the truth.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import { ConfigurationError } from "../errors/index.js";
import type { Database } from "../storage/ports.js";
import { createTestEngine } from "../test-support/engine.js";
import {
  answerWith,
  createWebhookTestEngine,
  startReceiver,
  verifyReceived,
  type Receiver,
  type WebhookTestEngine,
} from "../test-support/webhooks.js";
import { VERSION } from "../version.js";
import { RETRY_BASE_DELAY_MS, RETRY_FACTOR, RETRY_JITTER, retryDelayMs } from "./worker.js";

let receiver: Receiver;
let engine: WebhookTestEngine;
let database: Database;

beforeEach(async () => {
  receiver = await startReceiver();
  database = createMemoryDatabase({ warn: () => {} });
  engine = await createWebhookTestEngine({ database }, { maxAttempts: 3, timeoutSeconds: 1 });
});

afterEach(async () => {
  await engine.close();
  await receiver.close();
});

/** Lets the event listeners queue their deliveries, then runs one worker pass. */
async function deliver(): Promise<number> {
  await engine.gatehouse.events.flush();
  return engine.gatehouse.webhooks.deliverDue();
}

async function deliveries(webhookId: string, query = ""): Promise<Record<string, unknown>[]> {
  const response = await engine.admin("GET", `/v1/admin/webhooks/${webhookId}/deliveries${query}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: Record<string, unknown>[] }).data;
}

async function deliveryDetail(webhookId: string, deliveryId: unknown): Promise<Record<string, unknown>> {
  const response = await engine.admin("GET", `/v1/admin/webhooks/${webhookId}/deliveries/${String(deliveryId)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe("delivering events", () => {
  it("delivers subscribed events, signed as Standard Webhooks, with the documented payloads and no secret", async () => {
    const endpoint = await engine.createEndpoint({
      url: receiver.url,
      event_types: ["user.created", "session.created", "session.revoked"],
    });
    const user = await engine.signUp();
    await engine.request("POST", "/v1/sign-out", { cookie: user.token, headers: { origin: "http://localhost:4000" } });

    expect(await deliver()).toBe(3);
    const received = await receiver.waitFor(3);
    const byType = new Map(received.map((request) => [JSON.parse(request.body).type as string, request]));
    expect([...byType.keys()].sort()).toEqual(["session.created", "session.revoked", "user.created"]);

    for (const request of received) {
      expect(request.method).toBe("POST");
      expect(request.path).toBe("/hooks");
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers["user-agent"]).toBe(`Gatehouse-Webhooks/${VERSION}`);
      expect(request.headers["webhook-id"]).toMatch(/^msg_[\w-]{22}$/);
      expect(request.headers["webhook-timestamp"]).toBe(String(engine.clock.now / 1000));
      expect(request.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      // The independent reference implementation accepts it, as a receiver would on arrival.
      expect(verifyReceived(endpoint.secret, request, engine.clock.now)).toEqual(JSON.parse(request.body));
      for (const secret of [user.password, user.token, endpoint.secret, engine.adminKey]) {
        expect(request.body).not.toContain(secret);
      }
    }

    expect(JSON.parse(byType.get("user.created")!.body)).toEqual({
      type: "user.created",
      timestamp: "2026-01-01T00:00:00.000Z",
      data: {
        user_id: user.userId,
        ip: expect.any(String),
        user_agent: null,
        user: {
          id: user.userId,
          email: user.email,
          name: null,
          email_verified: false,
          created_at: "2026-01-01T00:00:00.000Z",
          updated_at: "2026-01-01T00:00:00.000Z",
        },
      },
    });
    expect(JSON.parse(byType.get("session.created")!.body).data).toMatchObject({
      user_id: user.userId,
      session_id: user.sessionId,
    });
    expect(JSON.parse(byType.get("session.revoked")!.body).data).toEqual({
      user_id: user.userId,
      session_id: user.sessionId,
      reason: "sign_out",
    });

    const log = await deliveries(endpoint.id);
    expect(log).toHaveLength(3);
    for (const entry of log) {
      expect(entry).toMatchObject({
        webhook_id: endpoint.id,
        status: "succeeded",
        attempt_count: 1,
        max_attempts: 3,
        last_response_status: 204,
        last_error: null,
        next_attempt_at: null,
        completed_at: "2026-01-01T00:00:00.000Z",
      });
    }
    expect(new Set(log.map((entry) => entry.id))).toEqual(new Set(received.map((r) => r.headers["webhook-id"])));
  });

  it("sends each endpoint only its subscribed types, and nothing to disabled endpoints", async () => {
    const failures = await startReceiver();
    const disabled = await startReceiver();
    try {
      await engine.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
      await engine.createEndpoint({ url: failures.url, event_types: ["sign_in.failed"] });
      await engine.createEndpoint({
        url: disabled.url,
        event_types: ["user.created", "sign_in.failed"],
        enabled: false,
      });

      const user = await engine.signUp();
      const wrong = "not-the-password-123";
      await engine.request("POST", "/v1/sign-in/password", { json: { email: user.email, password: wrong } });
      expect(await deliver()).toBe(2);

      expect(receiver.received.map((request) => JSON.parse(request.body).type)).toEqual(["user.created"]);
      expect(failures.received).toHaveLength(1);
      const failed = JSON.parse(failures.received[0]!.body);
      expect(failed).toMatchObject({
        type: "sign_in.failed",
        data: { user_id: user.userId, email: user.email, reason: "invalid_credentials" },
      });
      expect(failures.received[0]!.body).not.toContain(wrong);
      expect(disabled.received).toEqual([]);
    } finally {
      await failures.close();
      await disabled.close();
    }
  });

  it("delivers admin actions with their actor: a ban ends every session and says who did it", async () => {
    const endpoint = await engine.createEndpoint({
      url: receiver.url,
      event_types: ["user.banned", "session.revoked"],
    });
    const user = await engine.signUp();
    expect((await engine.admin("POST", `/v1/admin/users/${user.userId}/ban`)).status).toBe(200);
    await deliver();
    const received = await receiver.waitFor(2);
    const payloads = received.map((request) => verifyReceived(endpoint.secret, request, engine.clock.now)) as {
      type: string;
      data: Record<string, unknown>;
    }[];
    const banned = payloads.find((payload) => payload.type === "user.banned");
    expect(banned?.data).toMatchObject({
      user_id: user.userId,
      actor: { type: "admin", id: expect.stringMatching(/^sk_/) },
      user: { id: user.userId, email: user.email },
    });
    expect(payloads.find((payload) => payload.type === "session.revoked")?.data).toMatchObject({
      session_id: user.sessionId,
      reason: "banned",
    });
  });

  it("keeps deliveries of a disabled endpoint queued and sends them once it is enabled again", async () => {
    const endpoint = await engine.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
    await engine.signUp();
    await engine.gatehouse.events.flush();
    await engine.admin("PATCH", `/v1/admin/webhooks/${endpoint.id}`, { enabled: false });
    expect(await deliver()).toBe(0);
    expect(receiver.received).toEqual([]);

    await engine.admin("PATCH", `/v1/admin/webhooks/${endpoint.id}`, { enabled: true });
    expect(await deliver()).toBe(1);
    expect(receiver.received).toHaveLength(1);
  });

  it("refuses deliverDue on an engine without a sender, which still queues deliveries", async () => {
    const queueOnly = await createTestEngine({ database, encryptionKey: undefined });
    try {
      await expect(queueOnly.gatehouse.webhooks.deliverDue()).rejects.toBeInstanceOf(ConfigurationError);
      const endpoint = await engine.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
      await queueOnly.signUp();
      await queueOnly.gatehouse.events.flush();
      // Queued in the shared database; the engine with a sender delivers it.
      expect(await database.listWebhookDeliveries(endpoint.id, { limit: 10 })).toHaveLength(1);
      expect(await deliver()).toBe(1);
      expect(receiver.received).toHaveLength(1);
    } finally {
      await queueOnly.close();
    }
  });
});

describe("retries", () => {
  it("follows the schedule: 10 s, then 50 s, then ×5, capped at 12 h, each within ±20 %", () => {
    const expected = [10, 50, 250, 1250, 6250, 31_250, 43_200, 43_200].map((seconds) => seconds * 1000);
    for (const [index, base] of expected.entries()) {
      expect(retryDelayMs(index + 1, () => 0.5)).toBe(base);
      expect(retryDelayMs(index + 1, () => 0)).toBe(Math.round(base * (1 - RETRY_JITTER)));
      expect(retryDelayMs(index + 1, () => 0.999_999)).toBeLessThanOrEqual(Math.round(base * (1 + RETRY_JITTER)));
    }
    expect(RETRY_BASE_DELAY_MS * RETRY_FACTOR).toBe(50_000);
  });

  it("retries a failing receiver with backoff until the attempts run out, keeping id and log", async () => {
    receiver.respond(answerWith(500, "database is down"));
    const endpoint = await engine.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
    await engine.signUp();
    const start = engine.clock.now;

    expect(await deliver()).toBe(1);
    let [delivery] = await deliveries(endpoint.id);
    expect(delivery).toMatchObject({ status: "pending", attempt_count: 1, last_response_status: 500 });
    expect(delivery!.last_error).toBe("HTTP 500");
    const firstRetry = Date.parse(String(delivery!.next_attempt_at));
    expect(firstRetry - start).toBeGreaterThanOrEqual(10_000 * (1 - RETRY_JITTER));
    expect(firstRetry - start).toBeLessThanOrEqual(10_000 * (1 + RETRY_JITTER));

    // Not due yet: nothing is sent.
    engine.clock.now = firstRetry - 1;
    expect(await deliver()).toBe(0);
    engine.clock.now = firstRetry;
    expect(await deliver()).toBe(1);
    [delivery] = await deliveries(endpoint.id);
    const secondRetry = Date.parse(String(delivery!.next_attempt_at));
    expect(secondRetry - firstRetry).toBeGreaterThanOrEqual(50_000 * (1 - RETRY_JITTER));
    expect(secondRetry - firstRetry).toBeLessThanOrEqual(50_000 * (1 + RETRY_JITTER));

    engine.clock.now = secondRetry;
    expect(await deliver()).toBe(1);
    [delivery] = await deliveries(endpoint.id);
    expect(delivery).toMatchObject({
      status: "failed",
      attempt_count: 3,
      next_attempt_at: null,
      completed_at: new Date(secondRetry).toISOString(),
    });
    engine.clock.now += 24 * 3600 * 1000;
    expect(await deliver()).toBe(0);

    // Every attempt carried the same webhook-id (receivers deduplicate on it) and verifies.
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((request) => request.headers["webhook-id"]))).toEqual(new Set([delivery!.id]));
    const times = [start, firstRetry, secondRetry];
    for (const [index, request] of receiver.received.entries()) {
      expect(request.headers["webhook-timestamp"]).toBe(String(Math.floor(times[index]! / 1000)));
      expect(() => verifyReceived(endpoint.secret, request, times[index]!)).not.toThrow();
    }
    const detail = await deliveryDetail(endpoint.id, delivery!.id);
    expect(detail.attempts).toEqual(
      times.map((time, index) => ({
        attempt: index + 1,
        started_at: new Date(time).toISOString(),
        duration_ms: expect.any(Number),
        response_status: 500,
        response_body: "database is down",
        error: "HTTP 500",
      })),
    );
    expect(detail.payload).toEqual(JSON.parse(receiver.received[0]!.body));

    // A manual retry of a failed delivery makes exactly one more attempt.
    receiver.respond(answerWith(200, "ok"));
    const retry = await engine.admin("POST", `/v1/admin/webhooks/${endpoint.id}/deliveries/${delivery!.id}/retry`);
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ status: "pending", attempt_count: 3, max_attempts: 4 });
    expect(await deliver()).toBe(1);
    expect((await deliveries(endpoint.id))[0]).toMatchObject({
      status: "succeeded",
      attempt_count: 4,
      last_response_status: 200,
    });
    expect(receiver.received.at(-1)!.headers["webhook-id"]).toBe(delivery!.id);
  });

  it("counts a receiver that does not answer in time as a failed attempt, and retries it", async () => {
    receiver.respond(() => {
      // Never answers.
    });
    const endpoint = await engine.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
    await engine.signUp();
    const started = performance.now();
    expect(await deliver()).toBe(1);
    expect(performance.now() - started).toBeLessThan(5_000);
    const [delivery] = await deliveries(endpoint.id);
    expect(delivery).toMatchObject({ status: "pending", attempt_count: 1, last_response_status: null });
    expect(delivery!.last_error).toMatch(/No complete answer within 1000 ms/);

    receiver.respond(answerWith(204));
    engine.clock.now = Date.parse(String(delivery!.next_attempt_at));
    expect(await deliver()).toBe(1);
    expect((await deliveries(endpoint.id))[0]).toMatchObject({ status: "succeeded", attempt_count: 2 });
  });

  it("does not follow redirects: a 3xx is a failed attempt and the target gets nothing", async () => {
    const target = await startReceiver();
    try {
      receiver.respond((_request, response) => {
        response.writeHead(307, { location: target.url });
        response.end();
      });
      const endpoint = await engine.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
      await engine.signUp();
      expect(await deliver()).toBe(1);
      const [delivery] = await deliveries(endpoint.id);
      expect(delivery).toMatchObject({ status: "pending", last_response_status: 307 });
      expect(delivery!.last_error).toMatch(/redirects are not followed/);
      await sleep(100);
      expect(target.received).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it("reads only the start of a huge answer and keeps 1024 characters of it in the log", async () => {
    receiver.respond((_request, response) => {
      response.writeHead(200, { "content-type": "text/plain" });
      const chunk = "x".repeat(64 * 1024);
      let sent = 0;
      const pump = (): void => {
        while (sent < 200 && response.write(chunk)) sent++;
        if (sent < 200) response.once("drain", pump);
        else response.end();
      };
      pump();
    });
    const endpoint = await engine.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
    await engine.signUp();
    expect(await deliver()).toBe(1);
    const [delivery] = await deliveries(endpoint.id);
    expect(delivery).toMatchObject({ status: "succeeded", last_response_status: 200 });
    const detail = await deliveryDetail(endpoint.id, delivery!.id);
    expect((detail.attempts as { response_body: string }[])[0]!.response_body).toBe("x".repeat(1024));
  });
});

describe("secret rotation", () => {
  it("signs with both secrets during the overlap, and only with the new one after it", async () => {
    const endpoint = await engine.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
    const rotation = await engine.admin("POST", `/v1/admin/webhooks/${endpoint.id}/rotate-secret`, {
      overlap_seconds: 3600,
    });
    const { secret: newSecret } = (await rotation.json()) as { secret: string };

    await engine.signUp();
    expect(await deliver()).toBe(1);
    const [during] = await receiver.waitFor(1);
    expect(String(during!.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifyReceived(newSecret, during!, engine.clock.now)).toMatchObject({ type: "user.created" });
    expect(verifyReceived(endpoint.secret, during!, engine.clock.now)).toMatchObject({ type: "user.created" });

    engine.clock.now += 3600 * 1000;
    await engine.signUp();
    expect(await deliver()).toBe(1);
    const after = receiver.received[1]!;
    expect(String(after.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(verifyReceived(newSecret, after, engine.clock.now)).toMatchObject({ type: "user.created" });
    expect(() => verifyReceived(endpoint.secret, after, engine.clock.now)).toThrow(/No matching signature/);
    expect(
      (await (await engine.admin("GET", `/v1/admin/webhooks/${endpoint.id}`)).json()).previous_secret_expires_at,
    ).toBe(null);
  });
});

describe("test events, the log and the background worker", () => {
  it("sends a test event on request and shows it in the paginated log", async () => {
    const endpoint = await engine.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const response = await engine.admin("POST", `/v1/admin/webhooks/${endpoint.id}/test`);
      expect(response.status).toBe(202);
      const queued = (await response.json()) as { id: string; status: string; max_attempts: number };
      expect(queued).toMatchObject({ status: "pending", max_attempts: 1, event_type: "webhook.test" });
      ids.push(queued.id);
      engine.clock.now += 1000;
    }
    expect(await deliver()).toBe(3);
    const received = await receiver.waitFor(3);
    expect(verifyReceived(endpoint.secret, received[0]!, engine.clock.now)).toMatchObject({
      type: "webhook.test",
      data: { webhook_id: endpoint.id },
    });

    const firstPage = await engine.admin("GET", `/v1/admin/webhooks/${endpoint.id}/deliveries?limit=2`);
    const first = (await firstPage.json()) as { data: { id: string }[]; next_cursor: string | null };
    expect(first.data.map((each) => each.id)).toEqual([ids[2], ids[1]]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const secondPage = await engine.admin(
      "GET",
      `/v1/admin/webhooks/${endpoint.id}/deliveries?limit=2&cursor=${first.next_cursor}`,
    );
    const second = (await secondPage.json()) as { data: { id: string }[]; next_cursor: string | null };
    expect(second).toMatchObject({ data: [{ id: ids[0] }], next_cursor: null });
    expect(await deliveries(endpoint.id, "?status=failed")).toEqual([]);
    expect(await deliveries(endpoint.id, "?status=succeeded")).toHaveLength(3);
  });

  it("answers another endpoint's delivery with 404, like a missing one", async () => {
    const mine = await engine.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
    const other = await engine.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
    const queued = (await (await engine.admin("POST", `/v1/admin/webhooks/${other.id}/test`)).json()) as { id: string };
    expect((await engine.admin("GET", `/v1/admin/webhooks/${mine.id}/deliveries/${queued.id}`)).status).toBe(404);
    expect((await engine.admin("POST", `/v1/admin/webhooks/${mine.id}/deliveries/${queued.id}/retry`)).status).toBe(
      404,
    );
  });

  it("delivers on its own with the background worker, and gives in-flight work back on close", async () => {
    const backgroundDatabase = createMemoryDatabase({ warn: () => {} });
    const background = await createWebhookTestEngine({ database: backgroundDatabase }, { pollIntervalMs: 5000 });
    const hanging = await startReceiver(() => {
      // Never answers: the delivery is in flight when the engine closes.
    });
    try {
      const quick = await background.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
      await background.signUp();
      const [request] = await receiver.waitFor(1);
      expect(verifyReceived(quick.secret, request!, background.clock.now)).toMatchObject({ type: "user.created" });

      const slow = await background.createEndpoint({ url: hanging.url, event_types: ["user.created"] });
      await background.admin("DELETE", `/v1/admin/webhooks/${quick.id}`);
      await background.signUp();
      await hanging.waitFor(1);
      const closing = performance.now();
      await background.close();
      expect(performance.now() - closing).toBeLessThan(2_000);
      // The aborted attempt is not counted and not logged: the next worker makes it again.
      const [queued] = await backgroundDatabase.listWebhookDeliveries(slow.id, { limit: 10 });
      expect(queued).toMatchObject({ status: "pending", attemptCount: 0 });
      expect(await backgroundDatabase.listWebhookAttempts(queued!.id)).toEqual([]);
    } finally {
      await background.close();
      await hanging.close();
    }
  });
});
