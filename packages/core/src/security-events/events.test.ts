/**
 * The security event log: what is recorded (with IP, user agent, reason and actor), the
 * filters and pages of `GET /v1/admin/events`, bad queries, and the retention sweep on a frozen
 * clock.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAdminTestEngine, problemOf, type AdminTestEngine } from "../test-support/admin.js";
import { strongPassword } from "../test-support/engine.js";

let engine: AdminTestEngine;
beforeEach(async () => {
  engine = await createAdminTestEngine({ securityEvents: { retentionSeconds: 30 * 24 * 3600 } });
});
afterEach(() => engine.close());

const DAY = 24 * 3600 * 1000;

interface EventJSON {
  id: string;
  type: string;
  occurred_at: string;
  user_id: string | null;
  session_id: string | null;
  actor: { type: string; id: string | null } | null;
  ip: string | null;
  user_agent: string | null;
  data: Record<string, unknown>;
}

async function events(query = ""): Promise<{ data: EventJSON[]; next_cursor: string | null }> {
  await engine.gatehouse.events.flush();
  const response = await engine.admin("GET", `/v1/admin/events${query}`);
  expect(response.status).toBe(200);
  return response.json();
}

async function keyId(): Promise<string> {
  const keys = await (await engine.admin("GET", "/v1/admin/secret-keys")).json();
  return keys.data[0].id;
}

describe("what is recorded", () => {
  it("sign-ins and failures with IP and user agent, sign-out with its reason, and no secret", async () => {
    const { email, password, userId, token } = await engine.signUp();
    const wrong = strongPassword();
    await engine.request("POST", "/v1/sign-in/password", {
      json: { email, password: wrong },
      headers: { "user-agent": "Attacker/1" },
      remoteAddress: "198.51.100.66",
    });
    await engine.request("POST", "/v1/sign-in/password", {
      json: { email, password },
      headers: { "user-agent": "Browser/2" },
      remoteAddress: "198.51.100.7",
    });
    await engine.request("POST", "/v1/sign-out", { cookie: token });

    const { data } = await events(`?user_id=${userId}`);
    expect(data.map((event) => event.type)).toEqual([
      "session.revoked",
      "sign_in.succeeded",
      "session.created",
      "sign_in.failed",
      "session.created",
      "user.created",
    ]);
    expect(data[3]).toMatchObject({
      ip: "198.51.100.66",
      user_agent: "Attacker/1",
      data: { reason: "invalid_credentials" },
      actor: null,
    });
    expect(data[1]).toMatchObject({ ip: "198.51.100.7", user_agent: "Browser/2" });
    expect(data[0]).toMatchObject({ data: { reason: "sign_out" } });
    const serialized = JSON.stringify(data);
    for (const secret of [password, wrong, token, token.split(".")[1]!]) expect(serialized).not.toContain(secret);
  });

  it("admin actions name the secret key as actor, revocations included", async () => {
    const { userId } = await engine.signUp();
    const actor = { type: "admin", id: await keyId() };
    await engine.admin("PATCH", `/v1/admin/users/${userId}`, { json: { name: "Renamed", public_metadata: { a: 1 } } });
    await engine.admin("POST", `/v1/admin/users/${userId}/ban`);
    await engine.admin("POST", `/v1/admin/users/${userId}/unban`);
    const created = await (await engine.admin("POST", "/v1/admin/secret-keys", { json: { name: "ci" } })).json();
    await engine.admin("POST", `/v1/admin/secret-keys/${created.id}/revoke`);
    await engine.admin("DELETE", `/v1/admin/users/${userId}`);

    const { data } = await events(`?actor_id=${actor.id}`);
    expect(data.map((event) => [event.type, event.data.reason ?? null])).toEqual([
      ["user.deleted", null],
      ["secret_key.revoked", null],
      ["secret_key.created", null],
      ["user.unbanned", null],
      ["session.revoked", "banned"],
      ["user.banned", null],
      ["user.updated", null],
    ]);
    for (const event of data) expect(event.actor).toEqual(actor);
    expect(data[6]!.data).toEqual({ fields: ["name", "publicMetadata"] });
    expect(data[1]!.data).toEqual({ keyId: created.id, name: "ci" });
    expect(JSON.stringify(data)).not.toContain(created.secret_key);
  });
});

describe("GET /v1/admin/events", () => {
  it("filters by several types, user and time range, and pages newest first without repeats", async () => {
    const alice = await engine.signUp();
    engine.clock.now += DAY;
    const from = new Date(engine.clock.now).toISOString();
    for (let i = 0; i < 3; i++) {
      await engine.request("POST", "/v1/sign-in/password", { json: { email: alice.email, password: "wrong-pass-1" } });
      engine.clock.now += 1000;
    }
    const to = new Date(engine.clock.now).toISOString();
    engine.clock.now += DAY;
    await engine.request("POST", "/v1/sign-in/password", { json: { email: alice.email, password: alice.password } });

    const failed = await events(`?type=sign_in.failed&user_id=${alice.userId}`);
    expect(failed.data).toHaveLength(3);
    const both = await events(`?type=sign_in.failed,user.created&user_id=${alice.userId}`);
    expect(both.data.map((event) => event.type)).toEqual([
      "sign_in.failed",
      "sign_in.failed",
      "sign_in.failed",
      "user.created",
    ]);
    const ranged = await events(`?from=${from}&to=${to}`);
    expect(ranged.data.map((event) => event.type)).toEqual(["sign_in.failed", "sign_in.failed", "sign_in.failed"]);

    const all = (await events(`?user_id=${alice.userId}`)).data.map((event) => event.id);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: EventJSON[]; next_cursor: string | null } = await events(
        `?user_id=${alice.userId}&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      paged.push(...page.data.map((event) => event.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(paged).toEqual(all);
    expect(new Set(paged).size).toBe(paged.length);
  });

  it.each([
    ["a malformed type", "?type=DROP TABLE", "invalid_query"],
    ["an empty type", "?type=", "invalid_query"],
    ["a bad date", "?from=last-week", "invalid_query"],
    ["from after to", "?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "invalid_query"],
    ["a users cursor", `?cursor=${Buffer.from('["users",1,"user_x"]').toString("base64url")}`, "invalid_cursor"],
    ["garbage cursor", "?cursor=!!", "invalid_cursor"],
    ["an unknown parameter", "?user=abc", "invalid_query"],
    ["limit 1000", "?limit=1000", "invalid_query"],
  ])("refuses %s with 400 %s", async (_, query, code) => {
    expect(await problemOf(await engine.admin("GET", `/v1/admin/events${query}`))).toMatchObject({ status: 400, code });
  });
});

describe("retention", () => {
  it("the sweep removes events older than the retention period and keeps the rest (frozen clock)", async () => {
    const old = await engine.signUp();
    engine.clock.now += 20 * DAY;
    const recent = await engine.signUp();
    await engine.gatehouse.events.flush();
    engine.clock.now += 15 * DAY; // old's events are 35 days old, recent's 15, retention 30

    const removed = await engine.gatehouse.admin.securityEvents.sweep();
    expect(removed).toBe(2); // old's user.created and session.created
    expect((await events(`?user_id=${old.userId}`)).data).toEqual([]);
    expect((await events(`?user_id=${recent.userId}`)).data).toHaveLength(2);
  });

  it("defaults to 90 days", async () => {
    const fresh = await createAdminTestEngine();
    try {
      await fresh.signUp();
      await fresh.gatehouse.events.flush();
      fresh.clock.now += 89 * DAY;
      expect(await fresh.gatehouse.admin.securityEvents.sweep()).toBe(0);
      fresh.clock.now += 2 * DAY;
      expect(await fresh.gatehouse.admin.securityEvents.sweep()).toBe(2);
    } finally {
      await fresh.close();
    }
  });
});
