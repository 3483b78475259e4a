/**
 * Secret keys: shown once, stored only as a hash, listed with a hint, revoked at once, and the
 * last active key protected; plus how `GATEHOUSE_SECRET_KEY` is recorded at start.
 */
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import type { Database } from "../storage/ports.js";
import { createAdminTestEngine, problemOf, type AdminTestEngine } from "../test-support/admin.js";
import { createTestEngine } from "../test-support/engine.js";

let database: Database;
let engine: AdminTestEngine;
beforeEach(async () => {
  database = createMemoryDatabase({ warn: () => {} });
  engine = await createAdminTestEngine({ database });
});
afterEach(() => engine.close());

const sha256 = (value: string) => createHash("sha256").update(value).digest("base64url");

describe("/v1/admin/secret-keys", () => {
  it("creates a key shown once, stores only its hash, and lists it with a hint", async () => {
    const response = await engine.admin("POST", "/v1/admin/secret-keys", { json: { name: "billing backend" } });
    expect(response.status).toBe(201);
    const created = await response.json();
    expect(created.secret_key).toMatch(/^gh_sk_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      name: "billing backend",
      hint: `…${created.secret_key.slice(-4)}`,
      revoked_at: null,
    });

    const stored = (await database.listSecretKeys()).find((key) => key.id === created.id)!;
    expect(stored.keyHash).toBe(sha256(created.secret_key));
    expect(JSON.stringify(await database.listSecretKeys())).not.toContain(created.secret_key);

    const list = await (await engine.admin("GET", "/v1/admin/secret-keys")).json();
    expect(list.data).toHaveLength(2);
    expect(JSON.stringify(list)).not.toContain(created.secret_key);
    const listed = list.data.find((key: { id: string }) => key.id === created.id);
    expect(listed).toEqual({ ...created, secret_key: undefined, last_used_at: null });

    expect((await engine.admin("GET", "/v1/admin/users", { key: created.secret_key })).status).toBe(200);
    const afterUse = await (await engine.admin("GET", "/v1/admin/secret-keys")).json();
    expect(afterUse.data.find((key: { id: string }) => key.id === created.id).last_used_at).toBe(
      new Date(engine.clock.now).toISOString(),
    );
  });

  it("creates a key without a name, and refuses a bad one", async () => {
    const unnamed = await engine.admin("POST", "/v1/admin/secret-keys", { json: {} });
    expect(await unnamed.json()).toMatchObject({ name: null });
    for (const name of ["", "x".repeat(101), "line\nbreak", 42]) {
      const response = await engine.admin("POST", "/v1/admin/secret-keys", { json: { name } });
      expect(await problemOf(response)).toMatchObject({ status: 422, code: "validation_failed" });
    }
    expect((await (await engine.admin("GET", "/v1/admin/secret-keys")).json()).data).toHaveLength(2);
  });

  it("revokes at once, idempotently; unknown ids are 404", async () => {
    const created = await (await engine.admin("POST", "/v1/admin/secret-keys", { json: {} })).json();
    const revoked = await engine.admin("POST", `/v1/admin/secret-keys/${created.id}/revoke`);
    expect(await revoked.json()).toMatchObject({
      id: created.id,
      revoked_at: new Date(engine.clock.now).toISOString(),
    });
    expect((await engine.admin("GET", "/v1/admin/users", { key: created.secret_key })).status).toBe(401);
    engine.clock.now += 1000;
    const again = await (await engine.admin("POST", `/v1/admin/secret-keys/${created.id}/revoke`)).json();
    expect(again.revoked_at).toBe(new Date(engine.clock.now - 1000).toISOString());
    expect((await engine.admin("POST", "/v1/admin/secret-keys/sk_nope/revoke")).status).toBe(404);
  });

  it("refuses to revoke the last active key (409), so admins cannot lock themselves out", async () => {
    const [only] = (await (await engine.admin("GET", "/v1/admin/secret-keys")).json()).data;
    const response = await engine.admin("POST", `/v1/admin/secret-keys/${only.id}/revoke`);
    expect(await problemOf(response)).toMatchObject({ status: 409, code: "last_secret_key" });
    expect((await engine.admin("GET", "/v1/admin/users")).status).toBe(200);
    // With a second key, the first can go, even by itself.
    await engine.admin("POST", "/v1/admin/secret-keys", { json: {} });
    expect((await engine.admin("POST", `/v1/admin/secret-keys/${only.id}/revoke`)).status).toBe(200);
    expect((await engine.admin("GET", "/v1/admin/users")).status).toBe(401);
  });
});

describe("ensureSecretKey", () => {
  it("records GATEHOUSE_SECRET_KEY by hash once, and refuses it once revoked", async () => {
    const store = createMemoryDatabase({ warn: () => {} });
    const first = await createTestEngine({ database: store, withSecretKey: false });
    const provided = `gh_sk_${"k".repeat(43)}`;
    try {
      expect(await first.gatehouse.ensureSecretKey(provided)).toBeNull();
      expect(await first.gatehouse.ensureSecretKey(provided)).toBeNull();
      expect(await store.listSecretKeys()).toHaveLength(1);
      expect((await first.request("GET", "/v1/admin/users", { bearer: provided })).status).toBe(200);

      const other = await first.gatehouse.admin.secretKeys.create({}, { type: "system", id: null });
      const recorded = (await store.listSecretKeys()).find((key) => key.name === "GATEHOUSE_SECRET_KEY");
      await first.gatehouse.admin.secretKeys.revoke(recorded!.id, { type: "system", id: null });
      await expect(first.gatehouse.ensureSecretKey(provided)).rejects.toMatchObject({ code: "configuration_error" });
      expect((await first.request("GET", "/v1/admin/users", { bearer: other.secretKey })).status).toBe(200);
    } finally {
      await first.close();
    }
  });

  it("generates a key only when none is active, and refuses malformed keys", async () => {
    const fresh = await createTestEngine({ withSecretKey: false });
    try {
      const generated = await fresh.gatehouse.ensureSecretKey();
      expect(generated).toMatch(/^gh_sk_/);
      expect(await fresh.gatehouse.ensureSecretKey()).toBeNull();
      await expect(fresh.gatehouse.ensureSecretKey("gh_sk_short")).rejects.toMatchObject({
        code: "configuration_error",
      });
    } finally {
      await fresh.close();
    }
  });
});
