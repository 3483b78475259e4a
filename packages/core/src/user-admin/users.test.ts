/**
 * The users admin API end to end through the handler: listing with search, filters and stable
 * cursor pages; create, read, update, delete; ban and unban; a user's sessions; and every bad
 * input answered with a 4xx problem that changes nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import { USER_CACHE_MAX_AGE_MS } from "../accounts/user-cache.js";
import { createLocalUserChangeFeed } from "../storage/user-change-feed.js";
import { createAdminTestEngine, problemOf, type AdminTestEngine } from "../test-support/admin.js";
import { strongPassword, uniqueEmail } from "../test-support/engine.js";

let engine: AdminTestEngine;
beforeEach(async () => {
  engine = await createAdminTestEngine();
});
afterEach(() => engine.close());

const DAY = 24 * 3600 * 1000;

async function createUser(json: Record<string, unknown> = {}): Promise<{ id: string; email: string }> {
  const response = await engine.admin("POST", "/v1/admin/users", { json: { email: uniqueEmail(), ...json } });
  expect(response.status).toBe(201);
  return response.json();
}

async function listIds(query: string): Promise<{ ids: string[]; next: string | null }> {
  const response = await engine.admin("GET", `/v1/admin/users${query}`);
  expect(response.status).toBe(200);
  const body = await response.json();
  return { ids: body.data.map((user: { id: string }) => user.id), next: body.next_cursor };
}

describe("GET /v1/admin/users", () => {
  it("pages newest first with an opaque cursor, stable while users are added", async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      engine.clock.now += 1000;
      created.push((await createUser({ name: `Pager ${i}` })).id);
    }
    const first = await listIds("?limit=2&search=pager");
    expect(first.ids).toEqual([created[4], created[3]]);
    expect(first.next).toMatch(/^[A-Za-z0-9_-]+$/);

    // A user added between pages is newer than the cursor: it neither shifts nor repeats a page.
    engine.clock.now += 1000;
    await createUser({ name: "Pager late" });
    const second = await listIds(`?limit=2&search=pager&cursor=${first.next}`);
    expect(second.ids).toEqual([created[2], created[1]]);
    const third = await listIds(`?limit=2&search=pager&cursor=${second.next}`);
    expect(third.ids).toEqual([created[0]]);
    expect(third.next).toBeNull();
  });

  it("searches email and name and filters by banned, verified and creation range", async () => {
    const ada = await createUser({ name: "Ada Lovelace", email_verified: true });
    engine.clock.now += DAY;
    const grace = await createUser({ name: "Grace Hopper", email: "grace.hopper@navy.example" });
    await engine.admin("POST", `/v1/admin/users/${grace.id}/ban`);

    expect((await listIds("?search=LOVELACE")).ids).toEqual([ada.id]);
    expect((await listIds("?search=navy.example")).ids).toEqual([grace.id]);
    expect((await listIds("?banned=true")).ids).toEqual([grace.id]);
    expect((await listIds("?banned=false")).ids).toEqual([ada.id]);
    expect((await listIds("?verified=true")).ids).toEqual([ada.id]);
    const cutoff = new Date(engine.clock.now - 1).toISOString();
    expect((await listIds(`?created_after=${cutoff}`)).ids).toEqual([grace.id]);
    expect((await listIds(`?created_before=${cutoff}`)).ids).toEqual([ada.id]);
  });

  it.each([
    ["a cursor that is not base64url", "?cursor=%%%", "invalid_cursor"],
    ["a forged cursor", `?cursor=${Buffer.from('["users",1.5,"x"]').toString("base64url")}`, "invalid_cursor"],
    ["an empty cursor", "?cursor=", "invalid_cursor"],
    ["another list's cursor", `?cursor=${Buffer.from('["events","evt_1"]').toString("base64url")}`, "invalid_cursor"],
    ["a cursor with wrong types", `?cursor=${Buffer.from('["users","1",2]').toString("base64url")}`, "invalid_cursor"],
    ["a garbage cursor", "?cursor=abc", "invalid_cursor"],
    ["limit 0", "?limit=0", "invalid_query"],
    ["limit 101", "?limit=101", "invalid_query"],
    ["a non-numeric limit", "?limit=ten", "invalid_query"],
    ["banned=yes", "?banned=yes", "invalid_query"],
    ["a bad date", "?created_after=yesterday", "invalid_query"],
    ["an unknown parameter", "?bannd=true", "invalid_query"],
    ["a repeated parameter", "?banned=true&banned=false", "invalid_query"],
  ])("refuses %s with 400 %s", async (_, query, code) => {
    const response = await engine.admin("GET", `/v1/admin/users${query}`);
    expect(await problemOf(response)).toMatchObject({ status: 400, code });
  });
});

describe("create, read, update, delete", () => {
  it("creates a user with a password who can sign in, and one without", async () => {
    const password = strongPassword();
    const withPassword = await createUser({ password, name: "Pat", public_metadata: { plan: "pro" } });
    expect(withPassword).toMatchObject({ has_password: true, public_metadata: { plan: "pro" }, email_verified: false });
    expect(withPassword).not.toHaveProperty("password_hash");
    const signIn = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: withPassword.email, password },
    });
    expect(signIn.status).toBe(200);

    const without = await createUser();
    expect(without).toMatchObject({ has_password: false });
    const fetched = await engine.admin("GET", `/v1/admin/users/${without.id}`);
    expect(await fetched.json()).toEqual(without);
  });

  it("refuses a taken email (409), a weak password (422) and changes nothing", async () => {
    const existing = await createUser();
    const taken = await engine.admin("POST", "/v1/admin/users", { json: { email: existing.email.toUpperCase() } });
    expect(await problemOf(taken)).toMatchObject({ status: 409, code: "email_taken" });
    const email = uniqueEmail();
    const weak = await engine.admin("POST", "/v1/admin/users", { json: { email, password: "short" } });
    expect(await problemOf(weak)).toMatchObject({ status: 422, code: "password_too_short" });
    expect((await listIds(`?search=${email.split("@")[0]}`)).ids).toEqual([]);
  });

  it("updates email, name, verification and metadata; a new email is unverified", async () => {
    const user = await createUser({ email_verified: true });
    engine.clock.now += 1000;
    const newEmail = uniqueEmail();
    const response = await engine.admin("PATCH", `/v1/admin/users/${user.id}`, {
      json: { email: newEmail, name: "New Name", public_metadata: { a: 1 }, private_metadata: { b: { c: [1] } } },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      email: newEmail,
      name: "New Name",
      email_verified: false,
      public_metadata: { a: 1 },
      private_metadata: { b: { c: [1] } },
      updated_at: new Date(engine.clock.now).toISOString(),
    });
    const verified = await engine.admin("PATCH", `/v1/admin/users/${user.id}`, { json: { email_verified: true } });
    expect(await verified.json()).toMatchObject({ email_verified: true, name: "New Name" });
    const cleared = await engine.admin("PATCH", `/v1/admin/users/${user.id}`, { json: { name: null } });
    expect(await cleared.json()).toMatchObject({ name: null });
  });

  it("refuses to move a user onto another's email, and an unknown id is 404", async () => {
    const first = await createUser();
    const second = await createUser();
    const response = await engine.admin("PATCH", `/v1/admin/users/${second.id}`, { json: { email: first.email } });
    expect(await problemOf(response)).toMatchObject({ status: 409, code: "email_taken" });
    expect(await (await engine.admin("GET", `/v1/admin/users/${second.id}`)).json()).toMatchObject({
      email: second.email,
    });
    for (const [method, path] of [
      ["GET", "/v1/admin/users/user_nope"],
      ["PATCH", "/v1/admin/users/user_nope"],
      ["DELETE", "/v1/admin/users/user_nope"],
      ["POST", "/v1/admin/users/user_nope/ban"],
      ["GET", "/v1/admin/users/user_nope/sessions"],
    ] as const) {
      const missing = await engine.admin(method, path, method === "PATCH" ? { json: { name: "x" } } : {});
      expect(await problemOf(missing)).toMatchObject({ status: 404, code: "not_found" });
    }
  });

  it("deletes a user: their sessions end at once, credentials go, the address is free again", async () => {
    const { userId, token, email, password } = await engine.signUp();
    const response = await engine.admin("DELETE", `/v1/admin/users/${userId}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: userId, deleted: true });
    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(401);
    const signIn = await engine.request("POST", "/v1/sign-in/password", { json: { email, password } });
    expect(await problemOf(signIn)).toMatchObject({ status: 401, code: "invalid_credentials" });
    expect((await engine.admin("GET", `/v1/admin/users/${userId}`)).status).toBe(404);
    expect((await engine.request("POST", "/v1/sign-up", { json: { email, password: strongPassword() } })).status).toBe(
      201,
    );
  });
});

describe("mass assignment", () => {
  it("sign-up ignores privileged fields", async () => {
    const response = await engine.request("POST", "/v1/sign-up", {
      body: JSON.stringify({
        email: uniqueEmail(),
        password: strongPassword(),
        banned: false,
        banned_at: null,
        role: "admin",
        email_verified: true,
        public_metadata: { role: "admin" },
        private_metadata: { plan: "enterprise" },
        password_hash: "$2b$04$abcdefghijklmnopqrstuu5v5XZ9/MqsEFrEjqy0CBDS5I2Nme6u2",
        __proto__: { banned_at: 1, email_verified: true },
        constructor: { prototype: { email_verified: true } },
      }),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(201);
    const { user } = await response.json();
    const stored = await (await engine.admin("GET", `/v1/admin/users/${user.id}`)).json();
    expect(stored).toMatchObject({ email_verified: false, banned: false, public_metadata: {}, private_metadata: {} });
    expect(stored).not.toHaveProperty("role");
    expect(({} as Record<string, unknown>).email_verified).toBeUndefined();
  });

  it("admin PATCH sets what an admin may set here and nothing else", async () => {
    const password = strongPassword();
    const user = await createUser({ password });
    const response = await engine.admin("PATCH", `/v1/admin/users/${user.id}`, {
      body: JSON.stringify({
        name: "Allowed",
        id: "user_chosen",
        banned: true,
        banned_at: "2026-01-01T00:00:00Z",
        password: "new-password-123",
        password_hash: "$2b$04$abcdefghijklmnopqrstuu5v5XZ9/MqsEFrEjqy0CBDS5I2Nme6u2",
        created_at: "2000-01-01T00:00:00Z",
        role: "admin",
        __proto__: { email_verified: true },
      }),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(200);
    const updated = await response.json();
    expect(updated).toMatchObject({ id: user.id, name: "Allowed", banned: false, email_verified: false });
    expect(updated.created_at).not.toBe("2000-01-01T00:00:00.000Z");
    expect(updated).not.toHaveProperty("role");
    // The password is the old one still.
    const signIn = await engine.request("POST", "/v1/sign-in/password", { json: { email: user.email, password } });
    expect(signIn.status).toBe(200);
  });

  it.each([
    ["an array", ["x"]],
    ["null", null],
    ["a string", "plan=pro"],
    ["a __proto__ key", JSON.parse('{"__proto__": {"polluted": true}}')],
    ["a nested constructor key", { a: { constructor: { prototype: { polluted: true } } } }],
    ["a prototype key", { prototype: 1 }],
    ["more than 8 KiB", { blob: "x".repeat(8 * 1024) }],
    ["nesting deeper than 10 levels", JSON.parse(`${'{"a":'.repeat(12)}1${"}".repeat(12)}`)],
  ])("refuses metadata that is %s with 422 and changes nothing", async (_, metadata) => {
    const user = await createUser({ public_metadata: { kept: true } });
    for (const field of ["public_metadata", "private_metadata"]) {
      const response = await engine.admin("PATCH", `/v1/admin/users/${user.id}`, {
        body: JSON.stringify({ name: "Changed", [field]: metadata }),
        headers: { "content-type": "application/json" },
      });
      const problem = await problemOf(response);
      expect(problem).toMatchObject({ status: 422, code: "validation_failed" });
      expect((problem.body as { errors: { pointer: string }[] }).errors[0]!.pointer).toBe(`/${field}`);
    }
    expect(await (await engine.admin("GET", `/v1/admin/users/${user.id}`)).json()).toMatchObject({
      name: null,
      public_metadata: { kept: true },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("ban and unban", () => {
  it("ends every session at once and refuses sign-in with 403 user_banned after the right password only", async () => {
    const { userId, token, email, password } = await engine.signUp();
    const second = await engine.request("POST", "/v1/sign-in/password", {
      json: { email, password },
      headers: { "auth-transport": "bearer" },
    });
    const { access_token } = await second.json();

    const ban = await engine.admin("POST", `/v1/admin/users/${userId}/ban`);
    expect(ban.status).toBe(200);
    expect(await ban.json()).toMatchObject({ banned: true, banned_at: new Date(engine.clock.now).toISOString() });

    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(401);
    expect((await engine.request("GET", "/v1/session", { bearer: access_token })).status).toBe(401);
    expect(await (await engine.admin("GET", `/v1/admin/users/${userId}/sessions`)).json()).toEqual({ data: [] });

    const right = await engine.request("POST", "/v1/sign-in/password", { json: { email, password } });
    expect(await problemOf(right)).toMatchObject({ status: 403, code: "user_banned" });
    expect(right.headers.getSetCookie()).toEqual([]);
    const wrong = await engine.request("POST", "/v1/sign-in/password", { json: { email, password: strongPassword() } });
    expect(await problemOf(wrong)).toMatchObject({ status: 401, code: "invalid_credentials" });

    const unban = await engine.admin("POST", `/v1/admin/users/${userId}/unban`);
    expect(await unban.json()).toMatchObject({ banned: false, banned_at: null });
    expect((await engine.request("POST", "/v1/sign-in/password", { json: { email, password } })).status).toBe(200);
  });

  it("a session that survived a ban (a sign-in racing it) is still refused", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const racing = await createAdminTestEngine({ database });
    try {
      const { userId, token } = await racing.signUp();
      // The ban as a racing sign-in would leave it: recorded on the user, the session still stored.
      await database.updateUser(userId, { bannedAt: racing.clock.now }, racing.clock.now);
      expect(await database.sessions.listSessionsByUser(userId)).toHaveLength(1);
      expect((await racing.request("GET", "/v1/session", { cookie: token })).status).toBe(401);
      expect(await database.sessions.listSessionsByUser(userId)).toEqual([]);
    } finally {
      await racing.close();
    }
  });

  it("a ban another instance announces refuses the session at once, though its user was cached here", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    // Both instances' feed: what Redis publish/subscribe is between processes.
    const userChanges = createLocalUserChangeFeed();
    const here = await createAdminTestEngine({ database, userChanges });
    try {
      const { userId, token } = await here.signUp();
      expect((await here.request("GET", "/v1/session", { cookie: token })).status).toBe(200);
      // The ban as another instance makes it while a sign-in races it: the user record changes,
      // the session stays stored, and the change is announced.
      await database.updateUser(userId, { bannedAt: here.clock.now }, here.clock.now);
      await userChanges.publish(userId);

      expect((await here.request("GET", "/v1/session", { cookie: token })).status).toBe(401);
    } finally {
      await here.close();
    }
  });

  it("a ban nobody announced (an operator's SQL) refuses the session once the cached user is 10 s old", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const here = await createAdminTestEngine({ database });
    try {
      const { userId, token } = await here.signUp();
      expect((await here.request("GET", "/v1/session", { cookie: token })).status).toBe(200);
      await database.updateUser(userId, { bannedAt: here.clock.now }, here.clock.now);

      expect((await here.request("GET", "/v1/session", { cookie: token })).status).toBe(200);
      here.clock.now += USER_CACHE_MAX_AGE_MS;
      expect((await here.request("GET", "/v1/session", { cookie: token })).status).toBe(401);
    } finally {
      await here.close();
    }
  });

  it("a user changed through the admin API is answered changed by GET /v1/session at once", async () => {
    const { userId, token } = await engine.signUp();
    const before = await engine.request("GET", "/v1/session", { cookie: token });
    expect(((await before.json()) as { user: { name: string | null } }).user.name).toBeNull();

    expect((await engine.admin("PATCH", `/v1/admin/users/${userId}`, { json: { name: "Ada" } })).status).toBe(200);

    const after = await engine.request("GET", "/v1/session", { cookie: token });
    expect(((await after.json()) as { user: { name: string | null } }).user.name).toBe("Ada");
  });

  it("banning twice is harmless", async () => {
    const { userId } = await engine.signUp();
    const first = await (await engine.admin("POST", `/v1/admin/users/${userId}/ban`)).json();
    engine.clock.now += 1000;
    const second = await (await engine.admin("POST", `/v1/admin/users/${userId}/ban`)).json();
    expect(second.banned_at).toBe(first.banned_at);
  });
});

describe("a user's sessions", () => {
  it("lists, revokes one, and signs out everywhere; each ends at once", async () => {
    const { userId, token, email, password } = await engine.signUp();
    const other = await engine.request("POST", "/v1/sign-in/password", {
      json: { email, password },
      headers: { "auth-transport": "bearer", "user-agent": "Phone/1" },
    });
    const { access_token, session_id } = await other.json();

    const list = await (await engine.admin("GET", `/v1/admin/users/${userId}/sessions`)).json();
    expect(list.data).toHaveLength(2);
    expect(list.data.map((session: { user_id: string }) => session.user_id)).toEqual([userId, userId]);
    expect(JSON.stringify(list)).not.toContain(token.split(".")[1]);

    const revoke = await engine.admin("DELETE", `/v1/admin/users/${userId}/sessions/${session_id}`);
    expect(revoke.status).toBe(204);
    expect((await engine.request("GET", "/v1/session", { bearer: access_token })).status).toBe(401);
    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(200);
    const again = await engine.admin("DELETE", `/v1/admin/users/${userId}/sessions/${session_id}`);
    expect(again.status).toBe(404);

    expect((await engine.admin("DELETE", `/v1/admin/users/${userId}/sessions`)).status).toBe(204);
    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(401);
  });
});
