/**
 * Deliveries live in the database: a retry survives a restart (engine A queues and fails,
 * closes; engine B on the same SQLite file or PostgreSQL database delivers later), and two
 * engines sharing one PostgreSQL never make the same attempt twice.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import { createPostgresDatabase } from "../adapters/postgres/index.js";
import { createSQLiteDatabase } from "../adapters/sqlite/index.js";
import { generateEncryptionKey } from "../lib/encryption.js";
import type { Database } from "../storage/ports.js";
import { createTestDatabase, probePostgres } from "../test-support/services.js";
import {
  answerWith,
  createWebhookTestEngine,
  startReceiver,
  verifyReceived,
  type Receiver,
  type WebhookTestEngine,
} from "../test-support/webhooks.js";

const postgres = await probePostgres();

let directory: string;
let receiver: Receiver;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "gatehouse-webhooks-"));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

beforeEach(async () => {
  receiver = await startReceiver();
});

afterEach(async () => {
  await receiver.close();
});

/**
 * Engine A queues a delivery and fails it against a broken receiver, then closes; engine B,
 * opened on the same storage with the same encryption key, delivers it once it is due.
 */
async function retrySurvivesRestart(
  openDatabase: () => Database,
  options: { backgroundWorker: boolean },
): Promise<void> {
  const clock = { now: Date.UTC(2026, 0, 1) };
  const encryptionKey = generateEncryptionKey();
  receiver.respond(answerWith(503, "maintenance"));

  const a = await createWebhookTestEngine(
    { database: openDatabase(), encryptionKey, clock: () => clock.now },
    { maxAttempts: 5 },
  );
  let endpoint: Awaited<ReturnType<WebhookTestEngine["createEndpoint"]>>;
  try {
    endpoint = await a.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
    await a.signUp();
    await a.gatehouse.events.flush();
    expect(await a.gatehouse.webhooks.deliverDue()).toBe(1);
  } finally {
    await a.close();
  }
  expect(receiver.received).toHaveLength(1);

  // The receiver recovers while no engine runs; time passes beyond the first retry delay.
  receiver.respond(answerWith(200, "thanks"));
  clock.now += 60_000;

  const b = await createWebhookTestEngine(
    { database: openDatabase(), encryptionKey, clock: () => clock.now },
    { maxAttempts: 5, pollIntervalMs: options.backgroundWorker ? 5_000 : 0 },
  );
  try {
    if (options.backgroundWorker) await receiver.waitFor(2);
    else expect(await b.gatehouse.webhooks.deliverDue()).toBe(1);
    const [first, second] = receiver.received;
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(second!.body).toBe(first!.body);
    expect(verifyReceived(endpoint.secret, second!, clock.now)).toMatchObject({ type: "user.created" });

    // The receiver has answered; the worker records the outcome right after, so wait for it.
    let delivery: Record<string, unknown> | undefined;
    for (let tries = 0; tries < 100; tries++) {
      const log = await b.admin("GET", `/v1/admin/webhooks/${endpoint.id}/deliveries`);
      [delivery] = ((await log.json()) as { data: Record<string, unknown>[] }).data;
      if (delivery?.status === "succeeded") break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(delivery).toMatchObject({ status: "succeeded", attempt_count: 2, last_response_status: 200 });
    const detail = await (await b.admin("GET", `/v1/admin/webhooks/${endpoint.id}/deliveries/${delivery!.id}`)).json();
    expect(detail.attempts.map((each: { response_status: number }) => each.response_status)).toEqual([503, 200]);
  } finally {
    await b.close();
  }
}

describe("a retry survives a restart", () => {
  it("on a SQLite file, picked up by the new engine's background worker as it starts", async () => {
    const filename = join(directory, "gatehouse.db");
    await retrySurvivesRestart(() => createSQLiteDatabase({ filename }), { backgroundWorker: true });
  });

  describe.skipIf(!postgres.available)(`on PostgreSQL ${postgres.reason}`, () => {
    it("delivered by the new engine", async () => {
      const testDatabase = await createTestDatabase();
      try {
        await retrySurvivesRestart(() => createPostgresDatabase({ connectionString: testDatabase.url }), {
          backgroundWorker: false,
        });
      } finally {
        await testDatabase.drop();
      }
    });
  });
});

describe.skipIf(!postgres.available)(`two engines on one PostgreSQL ${postgres.reason}`, () => {
  it("never deliver the same attempt twice", async () => {
    const testDatabase = await createTestDatabase();
    const encryptionKey = generateEncryptionKey();
    // Slow enough that both engines' workers are busy at the same time.
    receiver.respond((_request, response) => {
      setTimeout(() => {
        response.writeHead(204);
        response.end();
      }, 50);
    });
    const open = () =>
      createWebhookTestEngine(
        { database: createPostgresDatabase({ connectionString: testDatabase.url, max: 4 }), encryptionKey },
        {},
      );
    const a = await open();
    const b = await open();
    try {
      const endpoint = await a.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
      const count = 40;
      for (let index = 0; index < count; index++) {
        const engine = index % 2 === 0 ? a : b;
        expect((await engine.admin("POST", `/v1/admin/webhooks/${endpoint.id}/test`)).status).toBe(202);
      }

      const attempts = await Promise.all([
        a.gatehouse.webhooks.deliverDue(),
        b.gatehouse.webhooks.deliverDue(),
        a.gatehouse.webhooks.deliverDue(),
        b.gatehouse.webhooks.deliverDue(),
      ]);
      expect(attempts.reduce((sum, each) => sum + each, 0)).toBe(count);
      // Both engines took part, and together they sent every message exactly once.
      expect(attempts[0]! + attempts[2]!).toBeGreaterThan(0);
      expect(attempts[1]! + attempts[3]!).toBeGreaterThan(0);
      const ids = receiver.received.map((request) => request.headers["webhook-id"]);
      expect(ids).toHaveLength(count);
      expect(new Set(ids).size).toBe(count);

      const page = await a.admin("GET", `/v1/admin/webhooks/${endpoint.id}/deliveries?limit=100`);
      const log = ((await page.json()) as { data: { status: string; attempt_count: number }[] }).data;
      expect(log).toHaveLength(count);
      for (const entry of log) expect(entry).toMatchObject({ status: "succeeded", attempt_count: 1 });
    } finally {
      await a.close();
      await b.close();
      await testDatabase.drop();
    }
  });
});
