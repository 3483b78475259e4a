/**
 * The webhooks admin API in-process: the secret-key guard and each variant it refuses, endpoint
 * management, the secret shown once and encrypted at rest, and bad input answered with a 4xx
 * problem and no change.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import type { Database } from "../storage/ports.js";
import { createTestEngine } from "../test-support/engine.js";
import { createWebhookTestEngine, newSecretKey, type WebhookTestEngine } from "../test-support/webhooks.js";
import { EVENT_TYPES, type EventActor } from "../events/bus.js";

const ADMIN_ACTOR: EventActor = { type: "system", id: null };
const VALID = { url: "https://hooks.example.com/gatehouse", event_types: ["user.created"] };

let engine: WebhookTestEngine;
let database: Database;

beforeEach(async () => {
  database = createMemoryDatabase({ warn: () => {} });
  engine = await createWebhookTestEngine({ database }, { allowPrivateNetworks: false });
});

afterEach(async () => {
  await engine.close();
});

async function expectProblem(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = (await response.json()) as Record<string, unknown>;
  expect(problem.code).toBe(code);
  return problem;
}

// The guard itself is the admin API's (`admin/guard.ts`, proven in `guard.security.test.ts`);
// these prove the webhook routes stand behind it, and that a refusal changes nothing.
describe("admin guard on the webhook routes", () => {
  it("refuses a request without any credential", async () => {
    await expectProblem(await engine.request("GET", "/v1/admin/webhooks"), 401, "secret_key_required");
  });

  it("refuses a user's session, as a cookie or as a bearer token, and creates nothing", async () => {
    const user = await engine.signUp();
    for (const credential of [{ cookie: user.token }, { bearer: user.token }]) {
      await expectProblem(await engine.request("GET", "/v1/admin/webhooks", credential), 401, "secret_key_required");
    }
    const response = await engine.request("POST", "/v1/admin/webhooks", {
      cookie: user.token,
      json: VALID,
      headers: { origin: "http://localhost:4000" },
    });
    await expectProblem(response, 401, "secret_key_required");
    expect(await database.listWebhookEndpoints()).toEqual([]);
  });

  it("refuses a key in the query string, even next to a valid header", async () => {
    for (const query of [`?key=${engine.adminKey}`, `?x=${engine.adminKey.replace("gh_", "%67h_")}`]) {
      await expectProblem(await engine.request("GET", `/v1/admin/webhooks${query}`), 403, "secret_key_in_query");
      const withHeader = await engine.request("POST", `/v1/admin/webhooks${query}`, {
        bearer: engine.adminKey,
        json: VALID,
      });
      await expectProblem(withHeader, 403, "secret_key_in_query");
    }
    expect(await database.listWebhookEndpoints()).toEqual([]);
  });

  it("refuses unknown and revoked keys at once", async () => {
    for (const key of [newSecretKey(), `${engine.adminKey}x`, engine.adminKey.slice(0, -1)]) {
      await expectProblem(
        await engine.request("GET", "/v1/admin/webhooks", { bearer: key }),
        401,
        "invalid_secret_key",
      );
    }
    const { record, secretKey } = await engine.gatehouse.admin.secretKeys.create({ name: "doomed" }, ADMIN_ACTOR);
    expect((await engine.request("GET", "/v1/admin/webhooks", { bearer: secretKey })).status).toBe(200);
    await engine.gatehouse.admin.secretKeys.revoke(record.id, ADMIN_ACTOR);
    await expectProblem(
      await engine.request("GET", "/v1/admin/webhooks", { bearer: secretKey }),
      401,
      "invalid_secret_key",
    );
  });

  it("refuses non-canonical spellings of the webhook paths", async () => {
    for (const path of ["//v1/admin/webhooks", "/v1/admin//webhooks", "/v1/admin/%77ebhooks", "/v1/Admin/webhooks"]) {
      const response = await engine.request("POST", path, { bearer: engine.adminKey, json: VALID });
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
    }
    expect(await database.listWebhookEndpoints()).toEqual([]);
  });

  it("checks the key before the body, so an anonymous caller learns nothing about it", async () => {
    const response = await engine.request("POST", "/v1/admin/webhooks", { body: "{not json", bearer: "nope" });
    await expectProblem(response, 401, "secret_key_required");
  });

  it("opens every webhook route to a valid key and documents them with the secret-key scheme", async () => {
    expect((await engine.admin("GET", "/v1/admin/webhooks")).status).toBe(200);
    const document = engine.gatehouse.openAPIDocument() as {
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    const adminOperations = Object.entries(document.paths)
      .filter(([path]) => path.startsWith("/v1/admin/webhooks"))
      .flatMap(([, operations]) => Object.values(operations));
    expect(adminOperations).toHaveLength(10);
    for (const operation of adminOperations) expect(operation.security).toEqual([{ secretKey: [] }]);
  });
});

describe("managing endpoints", () => {
  it("creates an endpoint, shows its secret once, and stores it only encrypted", async () => {
    const created = await engine.createEndpoint({
      url: "https://hooks.example.com/gatehouse?tenant=acme",
      event_types: ["user.created", "session.revoked", "user.created"],
      description: "  CRM sync ",
    });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^wh_[\w-]{22}$/),
      url: "https://hooks.example.com/gatehouse?tenant=acme",
      description: "CRM sync",
      event_types: ["user.created", "session.revoked"],
      enabled: true,
      created_at: "2026-01-01T00:00:00.000Z",
      previous_secret_expires_at: null,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });

    const listed = await (await engine.admin("GET", "/v1/admin/webhooks")).json();
    const fetched = await (await engine.admin("GET", `/v1/admin/webhooks/${created.id}`)).json();
    const { secret, ...withoutSecret } = created;
    expect(listed).toEqual({ data: [withoutSecret] });
    expect(fetched).toEqual(withoutSecret);

    const [stored] = await database.listWebhookEndpoints();
    const rawSecret = secret.slice("whsec_".length);
    expect(JSON.stringify(stored)).not.toContain(rawSecret);
    expect(stored?.secretCiphertext).toMatch(/^v1\./);
  });

  it("updates URL, event types, description and enabled; an empty update is refused", async () => {
    const created = await engine.createEndpoint(VALID);
    engine.clock.now += 1000;
    const response = await engine.admin("PATCH", `/v1/admin/webhooks/${created.id}`, {
      url: "https://other.example.com/hook",
      event_types: ["sign_in.failed"],
      description: null,
      enabled: false,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      url: "https://other.example.com/hook",
      event_types: ["sign_in.failed"],
      description: null,
      enabled: false,
      updated_at: "2026-01-01T00:00:01.000Z",
    });
    const reenabled = await engine.admin("PATCH", `/v1/admin/webhooks/${created.id}`, { enabled: true });
    expect(await reenabled.json()).toMatchObject({ enabled: true, url: "https://other.example.com/hook" });
    await expectProblem(await engine.admin("PATCH", `/v1/admin/webhooks/${created.id}`, {}), 422, "validation_failed");
  });

  it("deletes an endpoint; afterwards it is gone everywhere", async () => {
    const created = await engine.createEndpoint(VALID);
    expect((await engine.admin("DELETE", `/v1/admin/webhooks/${created.id}`)).status).toBe(204);
    await expectProblem(await engine.admin("GET", `/v1/admin/webhooks/${created.id}`), 404, "not_found");
    await expectProblem(await engine.admin("DELETE", `/v1/admin/webhooks/${created.id}`), 404, "not_found");
    expect(await (await engine.admin("GET", "/v1/admin/webhooks")).json()).toEqual({ data: [] });
  });

  it("rotates the secret with an overlap, and retires the old one at once with overlap 0", async () => {
    const created = await engine.createEndpoint(VALID);
    const rotated = await (
      await engine.admin("POST", `/v1/admin/webhooks/${created.id}/rotate-secret`, { overlap_seconds: 3600 })
    ).json();
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    expect(rotated.previous_secret_expires_at).toBe("2026-01-01T01:00:00.000Z");

    const defaulted = await (await engine.admin("POST", `/v1/admin/webhooks/${created.id}/rotate-secret`, {})).json();
    expect(defaulted.previous_secret_expires_at).toBe("2026-01-02T00:00:00.000Z");
    const immediate = await (
      await engine.admin("POST", `/v1/admin/webhooks/${created.id}/rotate-secret`, { overlap_seconds: 0 })
    ).json();
    expect(immediate.previous_secret_expires_at).toBeNull();
    expect((await database.getWebhookEndpoint(created.id))?.previousSecretCiphertext).toBeNull();
  });

  it("answers unknown endpoints and deliveries with 404 on every route", async () => {
    const created = await engine.createEndpoint(VALID);
    for (const [method, path, json] of [
      ["GET", "/v1/admin/webhooks/wh_missing"],
      ["PATCH", "/v1/admin/webhooks/wh_missing", { enabled: false }],
      ["POST", "/v1/admin/webhooks/wh_missing/rotate-secret", {}],
      ["GET", "/v1/admin/webhooks/wh_missing/deliveries"],
      ["POST", "/v1/admin/webhooks/wh_missing/test"],
      ["GET", `/v1/admin/webhooks/${created.id}/deliveries/msg_missing`],
      ["POST", `/v1/admin/webhooks/${created.id}/deliveries/msg_missing/retry`],
    ] as const) {
      await expectProblem(await engine.admin(method, path, json), 404, "not_found");
    }
  });

  it("refuses a test event to a disabled endpoint with 409 webhook_disabled", async () => {
    const created = await engine.createEndpoint({ ...VALID, enabled: false });
    await expectProblem(await engine.admin("POST", `/v1/admin/webhooks/${created.id}/test`), 409, "webhook_disabled");
  });
});

describe("bad input: a 4xx problem and no change", () => {
  const refusedURLs: [string, RegExp][] = [
    ["http://hooks.example.com/x", /https/],
    ["ftp://hooks.example.com/x", /https/],
    ["not a url", /absolute URL/],
    ["/relative/path", /absolute URL/],
    ["https://user:pass@hooks.example.com/x", /user name or password/],
    ["https://hooks.example.com/x#fragment", /fragment/],
    ["https://localhost/x", /localhost/],
    ["https://api.localhost./x", /localhost/],
    ["https://127.0.0.1/x", /loopback/],
    ["https://[::1]/x", /loopback/],
    ["https://[::ffff:127.0.0.1]/x", /loopback/],
    ["https://2130706433/x", /loopback/],
    ["https://0x7f.1/x", /loopback/],
    ["https://10.1.2.3/x", /private/],
    ["https://172.16.5.4/x", /private/],
    ["https://192.168.1.1/x", /private/],
    ["https://169.254.169.254/latest/meta-data", /metadata/],
    ["https://[fd00:ec2::254]/x", /metadata/],
    ["https://[fe80::1]/x", /link-local/],
    ["https://100.64.0.1/x", /carrier-grade NAT/],
    ["https://0.0.0.0/x", /unspecified/],
    ["https://224.0.0.1/x", /multicast/],
    [`https://hooks.example.com/${"a".repeat(2100)}`, /at most 2048/],
  ];

  it.each(refusedURLs)("refuses %s at creation and on update", async (url, detail) => {
    const created = await engine.createEndpoint(VALID);
    const problem = await expectProblem(
      await engine.admin("POST", "/v1/admin/webhooks", { ...VALID, url }),
      422,
      "validation_failed",
    );
    expect(problem.errors).toEqual([{ pointer: "/url", detail: expect.stringMatching(detail) }]);
    await expectProblem(
      await engine.admin("PATCH", `/v1/admin/webhooks/${created.id}`, { url }),
      422,
      "validation_failed",
    );
    expect((await database.listWebhookEndpoints()).map((each) => each.url)).toEqual([VALID.url]);
  });

  it.each([
    [{ url: VALID.url }, "/event_types"],
    [{ ...VALID, event_types: [] }, "/event_types"],
    [{ ...VALID, event_types: ["user.exploded"] }, "/event_types/0"],
    [{ ...VALID, event_types: "user.created" }, "/event_types"],
    [{ ...VALID, event_types: ["webhook.test"] }, "/event_types/0"],
    [{ ...VALID, url: 42 }, "/url"],
    [{ ...VALID, enabled: "yes" }, "/enabled"],
    [{ ...VALID, description: "x".repeat(501) }, "/description"],
    [{ ...VALID, description: "bell\u0007" }, "/description"],
  ])("refuses the body %j with a pointer to %s", async (body, pointer) => {
    const problem = await expectProblem(
      await engine.admin("POST", "/v1/admin/webhooks", body),
      422,
      "validation_failed",
    );
    expect((problem.errors as { pointer: string }[])[0]?.pointer).toBe(pointer);
    expect(await database.listWebhookEndpoints()).toEqual([]);
  });

  it("refuses non-JSON and malformed bodies", async () => {
    const text = await engine.request("POST", "/v1/admin/webhooks", { bearer: engine.adminKey, body: "url=x" });
    await expectProblem(text, 415, "unsupported_media_type");
    const malformed = await engine.request("POST", "/v1/admin/webhooks", {
      bearer: engine.adminKey,
      body: "{",
      headers: { "content-type": "application/json" },
    });
    await expectProblem(malformed, 400, "malformed_json");
    expect(await database.listWebhookEndpoints()).toEqual([]);
  });

  it.each([{ overlap_seconds: -1 }, { overlap_seconds: 604_801 }, { overlap_seconds: 1.5 }, { overlap_seconds: "60" }])(
    "refuses the rotation %j and keeps the secret",
    async (body) => {
      const created = await engine.createEndpoint(VALID);
      const before = await database.getWebhookEndpoint(created.id);
      const response = await engine.admin("POST", `/v1/admin/webhooks/${created.id}/rotate-secret`, body);
      await expectProblem(response, 422, "validation_failed");
      expect(await database.getWebhookEndpoint(created.id)).toEqual(before);
    },
  );

  it.each([
    ["?limit=0", "invalid_query"],
    ["?limit=101", "invalid_query"],
    ["?limit=abc", "invalid_query"],
    ["?status=lost", "invalid_query"],
    ["?status=failed&status=pending", "invalid_query"],
    ["?page=2", "invalid_query"],
    ["?cursor=%25%25", "invalid_cursor"],
    ["?cursor=bm90LWpzb24", "invalid_cursor"],
  ])("refuses the delivery query %s with 400 %s", async (query, code) => {
    const created = await engine.createEndpoint(VALID);
    const response = await engine.admin("GET", `/v1/admin/webhooks/${created.id}/deliveries${query}`);
    await expectProblem(response, 400, code);
  });

  it("subscribes to exactly the event types the engine emits", () => {
    const document = engine.gatehouse.openAPIDocument() as {
      paths: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> } } }>;
    };
    const schema = document.paths["/v1/admin/webhooks"]!.post.requestBody.content["application/json"]!.schema as {
      properties: { event_types: { items: { enum: string[] } } };
    };
    expect(schema.properties.event_types.items.enum).toEqual([...EVENT_TYPES]);
  });
});

describe("without an encryption key", () => {
  it("refuses to create endpoints with 409 not_available naming the setting, and stores nothing", async () => {
    const plain = await createTestEngine();
    try {
      const adminKey = newSecretKey();
      await plain.gatehouse.ensureSecretKey(adminKey);
      const response = await plain.request("POST", "/v1/admin/webhooks", { bearer: adminKey, json: VALID });
      const problem = await expectProblem(response, 409, "not_available");
      expect(problem.detail).toMatch(/GATEHOUSE_ENCRYPTION_KEY/);
      const list = await plain.request("GET", "/v1/admin/webhooks", { bearer: adminKey });
      expect(await list.json()).toEqual({ data: [] });
    } finally {
      await plain.close();
    }
  });
});
