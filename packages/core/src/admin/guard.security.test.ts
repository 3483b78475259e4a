/**
 * The admin API's door, attacked: each refused credential, path spelling and header, and the
 * cases that must still work. Requests go through the engine's handler; `rawPath` stands in for
 * what the server passes from Node (the target before URL parsing resolved `..`).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAdminTestEngine, problemOf, type AdminTestEngine } from "../test-support/admin.js";
import { BASE_URL } from "../test-support/engine.js";
import { assertCanonicalAdminPath, targetsAdmin } from "./guard.js";

let engine: AdminTestEngine;
beforeEach(async () => {
  engine = await createAdminTestEngine();
});
afterEach(() => engine.close());

/** Sends a request whose raw target is `rawPath` (as Node would report it). */
function raw(rawPath: string, headers: Record<string, string> = {}): Promise<Response> {
  return engine.gatehouse.handler(new Request(new URL(rawPath, BASE_URL), { headers }), {
    remoteAddress: "203.0.113.5",
    rawPath: rawPath.split("?")[0]!,
  });
}

describe("admin credentials", () => {
  it("opens with Authorization: Bearer <active secret key>", async () => {
    const response = await engine.admin("GET", "/v1/admin/users");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("refuses no credential with 401 secret_key_required", async () => {
    expect(await problemOf(await engine.request("GET", "/v1/admin/users"))).toMatchObject({
      status: 401,
      code: "secret_key_required",
    });
  });

  it("refuses a signed-in user's session cookie and session token", async () => {
    const { token } = await engine.signUp();
    for (const credential of [{ cookie: token }, { bearer: token }]) {
      const response = await engine.request("GET", "/v1/admin/users", credential);
      expect(await problemOf(response)).toMatchObject({ status: 401, code: "secret_key_required" });
    }
    // Writes too, and before the body is read: nothing is created.
    const create = await engine.request("POST", "/v1/admin/users", {
      bearer: token,
      json: { email: "mallory@example.com" },
    });
    expect(create.status).toBe(401);
    const list = await (await engine.admin("GET", "/v1/admin/users?search=mallory")).json();
    expect(list.data).toEqual([]);
  });

  it.each([
    ["an unknown key", () => `gh_sk_${"A".repeat(43)}`],
    ["a truncated key", (key: string) => key.slice(0, -1)],
    ["the key with a different case", (key: string) => key.toUpperCase().replace("GH_SK_", "gh_sk_")],
  ])("refuses %s with 401 invalid_secret_key", async (_, forge) => {
    const response = await engine.admin("GET", "/v1/admin/users", { key: forge(engine.secretKey) });
    expect(await problemOf(response)).toMatchObject({ status: 401, code: "invalid_secret_key" });
  });

  it.each([
    ["Basic authentication", (key: string) => `Basic ${btoa(`admin:${key}`)}`],
    ["a bare key", (key: string) => key],
    ["two bearer tokens", (key: string) => `Bearer ${key}, Bearer ${key}`],
    ["a key with trailing garbage", (key: string) => `Bearer ${key} extra`],
    ["an empty bearer", () => "Bearer "],
  ])("refuses %s with 401", async (_, header) => {
    const response = await engine.request("GET", "/v1/admin/users", {
      headers: { authorization: header(engine.secretKey) },
    });
    expect(response.status).toBe(401);
  });

  it("refuses a key in the query string, even beside a valid header, with 403 secret_key_in_query", async () => {
    for (const query of [
      `key=${engine.secretKey}`,
      `access_token=${engine.secretKey}`,
      `x=${encodeURIComponent(engine.secretKey)}`,
      `${engine.secretKey}=1`,
      `x=${encodeURIComponent(encodeURIComponent(engine.secretKey))}`,
    ]) {
      const alone = await engine.request("GET", `/v1/admin/users?${query}`);
      expect(await problemOf(alone)).toMatchObject({ status: 403, code: "secret_key_in_query" });
      const withHeader = await engine.admin("GET", `/v1/admin/users?${query}`);
      expect(await problemOf(withHeader)).toMatchObject({ status: 403, code: "secret_key_in_query" });
    }
  });

  it("refuses a revoked key on the very next request", async () => {
    const created = await (await engine.admin("POST", "/v1/admin/secret-keys", { json: { name: "temp" } })).json();
    expect((await engine.admin("GET", "/v1/admin/users", { key: created.secret_key })).status).toBe(200);
    expect((await engine.admin("POST", `/v1/admin/secret-keys/${created.id}/revoke`)).status).toBe(200);
    const after = await engine.admin("GET", "/v1/admin/users", { key: created.secret_key });
    expect(await problemOf(after)).toMatchObject({ status: 401, code: "invalid_secret_key" });
  });

  it("checks the key before the body: an unauthenticated malformed body is 401, not 400 or 422", async () => {
    const response = await engine.request("POST", "/v1/admin/users", {
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(401);
  });
});

describe("admin paths", () => {
  it.each([
    "//v1/admin/users",
    "/v1//admin/users",
    "/v1/admin//users",
    "/v1/admin/users/",
    "/v1/%61dmin/users",
    "/v1/admin/%75sers",
    "/v1/%2561dmin/users",
    "/v1/admin%2fusers",
    "/v1/admin%2Fusers",
    "/v1%2fadmin/users",
    "/v1/admin%5cusers",
    "/v1/admin/../admin/users",
    "/v1/admin/./users",
    "/v1/sessions/../admin/users",
    "/v1/x/%2e%2e/admin/users",
    "/v1/admin/users.",
    "/v1/admin./users",
    "/v1/admin;x=1/users",
    "/v1/admin/users;.json",
    "/v1/admin/users%20",
    "/v1/admin/users%00",
    "/V1/ADMIN/USERS",
    "/v1/Admin/users",
  ])("refuses %s with 403 non_canonical_path, even with a valid key", async (path) => {
    const response = await raw(path, { authorization: `Bearer ${engine.secretKey}` });
    expect(await problemOf(response)).toMatchObject({ status: 403, code: "non_canonical_path" });
  });

  it("refuses disguised paths without a key too (never a 404 that maps the API)", async () => {
    expect((await raw("/v1/%61dmin/users")).status).toBe(403);
  });

  it("leaves other paths to routing", async () => {
    expect((await raw("/v1/administrator")).status).toBe(404);
    expect((await raw("/v1/admins/users")).status).toBe(404);
    expect((await raw("/v1/%73ession")).status).toBe(404);
  });

  it("recognises admin targets under every decoding, and only those", () => {
    expect(targetsAdmin("/v1/admin")).toBe(true);
    expect(targetsAdmin("/v1/admin/../../v1/admin/users")).toBe(true);
    expect(targetsAdmin("http://evil.example/v1/admin/users")).toBe(true);
    expect(targetsAdmin("/v1/admin/..;/admin/users")).toBe(true);
    expect(targetsAdmin("/v1/admin/../sessions")).toBe(false);
    expect(targetsAdmin("/v1/sessions/%2Fv1%2Fadmin")).toBe(false);
    expect(() =>
      assertCanonicalAdminPath("/v1/admin/users/user_abc-DEF_1", "/v1/admin/users/user_abc-DEF_1"),
    ).not.toThrow();
    expect(() => assertCanonicalAdminPath("/v1/admin/users", "/v1/admin/users/")).toThrow();
  });
});

describe("internal-looking headers never grant or change access", () => {
  const headers = {
    "x-original-url": "/v1/admin/users",
    "x-rewrite-url": "/v1/admin/users",
    "x-forwarded-prefix": "/v1/admin",
    "x-forwarded-path": "/v1/admin/users",
    "x-admin": "true",
    "x-gatehouse-admin": "1",
    "x-forwarded-for": "127.0.0.1",
    "x-real-ip": "127.0.0.1",
    "x-forwarded-host": "localhost",
  };

  it("do not open the admin API without a key", async () => {
    const response = await engine.request("GET", "/v1/admin/users", { headers });
    expect(await problemOf(response)).toMatchObject({ status: 401, code: "secret_key_required" });
    const { token } = await engine.signUp();
    const asUser = await engine.request("GET", "/v1/admin/users", { headers, bearer: token });
    expect(asUser.status).toBe(401);
  });

  it("do not reroute a request: the path routes, not X-Original-URL or X-Rewrite-URL", async () => {
    const { token } = await engine.signUp();
    const session = await engine.request("GET", "/v1/session", { headers, bearer: token });
    expect(session.status).toBe(200);
    expect(await session.json()).toHaveProperty("user");
    const keys = await engine.admin("GET", "/v1/admin/secret-keys", { headers });
    expect(keys.status).toBe(200);
    expect((await keys.json()).data[0]).toHaveProperty("hint");
  });
});

describe("IDOR", () => {
  it("a user's token cannot reach any admin route", async () => {
    const alice = await engine.signUp();
    const bob = await engine.signUp();
    const attempts: [string, string][] = [
      ["GET", "/v1/admin/users"],
      ["GET", `/v1/admin/users/${bob.userId}`],
      ["PATCH", `/v1/admin/users/${bob.userId}`],
      ["DELETE", `/v1/admin/users/${bob.userId}`],
      ["POST", `/v1/admin/users/${bob.userId}/ban`],
      ["GET", `/v1/admin/users/${bob.userId}/sessions`],
      ["DELETE", `/v1/admin/users/${bob.userId}/sessions`],
      ["DELETE", `/v1/admin/users/${bob.userId}/sessions/${bob.sessionId}`],
      ["GET", "/v1/admin/secret-keys"],
      ["POST", "/v1/admin/secret-keys"],
      ["GET", "/v1/admin/events"],
      ["GET", "/v1/admin/users/export"],
      ["POST", "/v1/admin/users/import"],
    ];
    for (const [method, path] of attempts) {
      for (const credential of [{ cookie: alice.token }, { bearer: alice.token }]) {
        const response = await engine.request(method, path, {
          ...credential,
          ...(method === "GET" ? {} : { json: {} }),
        });
        expect(response.status, `${method} ${path}`).toBe(401);
      }
    }
    expect((await engine.request("GET", "/v1/session", { cookie: bob.token })).status).toBe(200);
  });

  it("a user cannot revoke another user's session through their own API", async () => {
    const alice = await engine.signUp();
    const bob = await engine.signUp();
    const response = await engine.request("DELETE", `/v1/sessions/${bob.sessionId}`, { cookie: alice.token });
    expect(response.status).toBe(404);
    expect((await engine.request("GET", "/v1/session", { cookie: bob.token })).status).toBe(200);
  });

  it("an admin revoking a session through the wrong user's path gets 404 and changes nothing", async () => {
    const alice = await engine.signUp();
    const bob = await engine.signUp();
    const response = await engine.admin("DELETE", `/v1/admin/users/${alice.userId}/sessions/${bob.sessionId}`);
    expect(await problemOf(response)).toMatchObject({ status: 404, code: "not_found" });
    expect((await engine.request("GET", "/v1/session", { cookie: bob.token })).status).toBe(200);
  });
});
