/**
 * Import and export end to end: each source's fixture (hashes made by reference
 * implementations, see scripts/generate-import-fixtures.mjs) is imported, every imported user
 * signs in with their old password over HTTP, and the hash is upgraded to Argon2id on the way.
 * Re-imports change nothing; unreadable and invalid rows are skipped with their reasons.
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import type { Database } from "../storage/ports.js";
import { createAdminTestEngine, problemOf, type AdminTestEngine } from "../test-support/admin.js";
import type { ImportSource } from "./sources.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const passwords = JSON.parse(fixture("passwords.json")) as Record<string, string>;
const firebaseParameters = JSON.parse(fixture("firebase-hash-parameters.json"));
const SYSTEM = { type: "system" as const, id: null };

let database: Database;
let engine: AdminTestEngine;
beforeEach(async () => {
  database = createMemoryDatabase({ warn: () => {} });
  engine = await createAdminTestEngine({ database });
});
afterEach(() => engine.close());

/** Signs in with the fixture password and checks the stored hash became Argon2id. */
async function expectSignInUpgrades(email: string): Promise<void> {
  const before = await database.getUserByEmail(email);
  expect(before?.passwordHash, email).not.toMatch(/^\$argon2id\$v=19\$m=20480/);
  const response = await engine.request("POST", "/v1/sign-in/password", {
    json: { email, password: passwords[email] },
  });
  expect(response.status, email).toBe(200);
  const after = await database.getUserByEmail(email);
  expect(after?.passwordHash, email).toMatch(/^\$argon2id\$v=19\$m=20480,t=2,p=1\$/);
  // The upgraded hash keeps working, and a wrong password still fails.
  expect(
    (await engine.request("POST", "/v1/sign-in/password", { json: { email, password: passwords[email] } })).status,
  ).toBe(200);
  expect(
    (await engine.request("POST", "/v1/sign-in/password", { json: { email, password: "wrong password!" } })).status,
  ).toBe(401);
}

const cases: {
  source: ImportSource;
  file: string;
  imported: number;
  skipped: [number, string][];
  signIn: string[];
  check?: () => Promise<void>;
}[] = [
  {
    source: "clerk",
    file: "clerk.csv",
    imported: 3,
    skipped: [[4, "unsupported_password_hash"]],
    signIn: ["ada@clerk.example", "grace@clerk.example"],
    async check() {
      expect(await database.getUserByEmail("ada@clerk.example")).toMatchObject({ name: "Ada Lovelace" });
      expect((await database.getUserByEmail("ada@clerk.example"))?.emailVerifiedAt).not.toBeNull();
      expect(await database.getUserByEmail("grace@clerk.example")).toMatchObject({ emailVerifiedAt: null });
      expect(await database.getUserByEmail("totp@clerk.example")).toMatchObject({ passwordHash: null });
    },
  },
  {
    source: "auth0",
    file: "auth0.jsonl",
    imported: 3,
    skipped: [[4, "invalid_row"]],
    signIn: ["alan@auth0.example", "custom@auth0.example"],
    async check() {
      expect(await database.getUserByEmail("alan@auth0.example")).toMatchObject({
        name: "Alan Turing",
        publicMetadata: { theme: "dark" },
        privateMetadata: { plan: "pro" },
        createdAt: Date.parse("2021-03-04T05:06:07.000Z"),
      });
      const blocked = await engine.request("POST", "/v1/sign-in/password", {
        json: { email: "blocked@auth0.example", password: passwords["blocked@auth0.example"] },
      });
      expect(await problemOf(blocked)).toMatchObject({ status: 403, code: "user_banned" });
    },
  },
  {
    source: "firebase",
    file: "firebase.json",
    imported: 3,
    skipped: [],
    signIn: ["vector@firebase.example", "linus@firebase.example"],
    async check() {
      expect(await database.getUserByEmail("linus@firebase.example")).toMatchObject({
        name: "Linus",
        publicMetadata: { role: "editor" },
        createdAt: 1612345678902,
      });
      expect((await database.getUserByEmail("disabled@firebase.example"))?.bannedAt).not.toBeNull();
    },
  },
  {
    source: "supabase",
    file: "supabase.csv",
    imported: 2,
    skipped: [[4, "invalid_row"]],
    signIn: ["margaret@supabase.example"],
    async check() {
      expect(await database.getUserByEmail("margaret@supabase.example")).toMatchObject({
        name: "Margaret Hamilton",
        privateMetadata: { provider: "email", providers: ["email"] },
      });
      expect((await database.getUserByEmail("banned@supabase.example"))?.bannedAt).not.toBeNull();
    },
  },
  {
    source: "better-auth",
    file: "better-auth.jsonl",
    imported: 2,
    skipped: [[3, "invalid_email"]],
    signIn: ["katherine@better-auth.example"],
  },
  {
    source: "gatehouse",
    file: "gatehouse.jsonl",
    imported: 6,
    skipped: [],
    signIn: [
      "scrypt@gatehouse.example",
      "pbkdf2-sha1@gatehouse.example",
      "pbkdf2-sha256@gatehouse.example",
      "pbkdf2-sha512@gatehouse.example",
      "argon2d@gatehouse.example",
      "bcrypt-2y@gatehouse.example",
    ],
    async check() {
      expect(await database.getUserById("user_fixture0")).toMatchObject({
        email: "scrypt@gatehouse.example",
        publicMetadata: { index: 0 },
        privateMetadata: { source: "fixture" },
      });
    },
  },
];

describe.each(cases)("import from $source ($file)", ({ source, file, imported, skipped, signIn, check }) => {
  it("imports, skips with reasons, then every user signs in and is upgraded to Argon2id; a re-run changes nothing", async () => {
    const text = fixture(file);
    const options = { source, ...(source === "firebase" ? { firebase: firebaseParameters } : {}) };
    const summary = await engine.gatehouse.admin.importer.importUsers(text, options, SYSTEM);
    expect(summary.imported).toBe(imported);
    expect(summary.skipped.map(({ row, reason }) => [row, reason])).toEqual(skipped);
    for (const entry of summary.skipped) expect(entry.detail.length).toBeGreaterThan(0);
    await check?.();
    for (const email of signIn) await expectSignInUpgrades(email);

    const snapshot = JSON.stringify(await database.listUsers({ limit: 100 }));
    const again = await engine.gatehouse.admin.importer.importUsers(text, options, SYSTEM);
    expect(again.imported).toBe(0);
    expect(again.skipped.filter((entry) => entry.reason === "already_exists")).toHaveLength(imported);
    expect(JSON.stringify(await database.listUsers({ limit: 100 }))).toBe(snapshot);
  });
});

describe("import rules", () => {
  it("skips Firebase hashes without the project's hash parameters", async () => {
    const summary = await engine.gatehouse.admin.importer.importUsers(
      fixture("firebase.json"),
      { source: "firebase" },
      SYSTEM,
    );
    expect(summary.skipped.map((entry) => entry.reason)).toEqual([
      "missing_hash_parameters",
      "missing_hash_parameters",
    ]);
    expect(summary.imported).toBe(1); // the user without a password
  });

  it("reports a TOTP secret it cannot carry over as a warning", async () => {
    const summary = await engine.gatehouse.admin.importer.importUsers(
      fixture("clerk.csv"),
      { source: "clerk" },
      SYSTEM,
    );
    expect(summary.warnings).toEqual([{ row: 5, warning: "totp_secret_not_imported" }]);
  });

  it("skips duplicates inside the file, bad fields and bad hashes, row by row", async () => {
    const lines = [
      { email: "one@example.com", password_hash: null },
      { email: "ONE@example.com" },
      { email: "two@example.com", password_hash: "plaintext-password" },
      { email: "three@example.com", name: 42 },
      { email: "four@example.com", public_metadata: JSON.parse('{"__proto__": {"x": 1}}') },
      { email: "five@example.com", private_metadata: [1, 2] },
      { name: "no email" },
      {
        email: "six@example.com",
        password_hash: "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$YWJjZGVmZ2hpamtsbW5vcA",
      },
    ].map((line) => JSON.stringify(line));
    const summary = await engine.gatehouse.admin.importer.importUsers(
      lines.join("\n"),
      { source: "gatehouse" },
      SYSTEM,
    );
    expect(summary.imported).toBe(1);
    expect(summary.skipped.map(({ row, reason }) => [row, reason])).toEqual([
      [2, "duplicate_in_file"],
      [3, "unsupported_password_hash"],
      [4, "invalid_field"],
      [5, "invalid_field"],
      [6, "invalid_field"],
      [7, "missing_email"],
      [8, "unsupported_password_hash"],
    ]);
    expect(await database.listUsers({ limit: 10 })).toHaveLength(1);
  });

  it("a dry run reports without storing anything", async () => {
    const summary = await engine.gatehouse.admin.importer.importUsers(
      fixture("gatehouse.jsonl"),
      { source: "gatehouse", dryRun: true },
      SYSTEM,
    );
    expect(summary).toMatchObject({ imported: 6, dryRun: true });
    expect(await database.listUsers({ limit: 10 })).toEqual([]);
  });

  it("reports progress for every row", async () => {
    const progress: [number, number][] = [];
    await engine.gatehouse.admin.importer.importUsers(
      fixture("auth0.jsonl"),
      { source: "auth0", onProgress: (done, total) => progress.push([done, total]) },
      SYSTEM,
    );
    expect(progress.at(-1)).toEqual([4, 4]);
  });
});

describe("export", () => {
  it("writes every user with metadata, verification, ban and hash parameters, and imports back unchanged", async () => {
    await engine.gatehouse.admin.importer.importUsers(fixture("gatehouse.jsonl"), { source: "gatehouse" }, SYSTEM);
    const { userId } = await engine.signUp();
    await engine.admin("POST", `/v1/admin/users/${userId}/ban`);

    const response = await engine.admin("GET", "/v1/admin/users/export");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const text = await response.text();
    const lines = text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(7);
    expect(lines.find((line) => line.id === userId)).toMatchObject({
      banned_at: expect.any(String),
      password_algorithm: "argon2id",
      password_hash: expect.stringMatching(/^\$argon2id\$/),
    });
    expect(lines.find((line) => line.id === "user_fixture1")).toMatchObject({
      password_algorithm: "pbkdf2-sha1",
      public_metadata: { index: 1 },
      email_verified: false,
    });
    for (const line of lines) expect(line).not.toHaveProperty("totp_secret");

    // Into a fresh instance: same users, same ids, same hashes; the old passwords work there.
    const target = createMemoryDatabase({ warn: () => {} });
    const other = await createAdminTestEngine({ database: target });
    try {
      const summary = await other.gatehouse.admin.importer.importUsers(text, { source: "gatehouse" }, SYSTEM);
      expect(summary).toMatchObject({ imported: 7, skipped: [] });
      const moved = await target.getUserById("user_fixture2");
      const original = await database.getUserById("user_fixture2");
      expect(moved).toMatchObject({
        email: original!.email,
        passwordHash: original!.passwordHash,
        publicMetadata: original!.publicMetadata,
        createdAt: original!.createdAt,
      });
      expect((await target.getUserById(userId))?.bannedAt).not.toBeNull();
      const signIn = await other.request("POST", "/v1/sign-in/password", {
        json: { email: "pbkdf2-sha256@gatehouse.example", password: passwords["pbkdf2-sha256@gatehouse.example"] },
      });
      expect(signIn.status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe("POST /v1/admin/users/import", () => {
  it("imports a file sent as JSON and answers the summary; a second run changes nothing", async () => {
    const body = { source: "supabase", data: fixture("supabase.csv") };
    const response = await engine.admin("POST", "/v1/admin/users/import", { json: body });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      total: 3,
      imported: 2,
      skipped: 1,
      skipped_rows: [{ row: 4, reason: "invalid_row" }],
      dry_run: false,
    });
    const again = await (await engine.admin("POST", "/v1/admin/users/import", { json: body })).json();
    expect(again).toMatchObject({ imported: 0, skipped: 3 });
  });

  it("takes Firebase's hash parameters", async () => {
    const response = await engine.admin("POST", "/v1/admin/users/import", {
      json: {
        source: "firebase",
        data: fixture("firebase.json"),
        firebase: {
          signer_key: firebaseParameters.signerKey,
          salt_separator: firebaseParameters.saltSeparator,
          rounds: firebaseParameters.rounds,
          mem_cost: firebaseParameters.memCost,
        },
      },
    });
    expect(await response.json()).toMatchObject({ imported: 3, skipped: 0 });
    await expectSignInUpgrades("vector@firebase.example");
  });

  it.each([
    ["an unknown source", { source: "okta", data: "x" }],
    ["no data", { source: "clerk" }],
    ["empty data", { source: "clerk", data: "" }],
    ["a bad format", { source: "clerk", data: "x", format: "xml" }],
    ["bad Firebase parameters", { source: "firebase", data: "{}", firebase: { signer_key: "***", rounds: 0 } }],
  ])("refuses %s with 422 and imports nothing", async (_, json) => {
    const response = await engine.admin("POST", "/v1/admin/users/import", { json });
    expect(await problemOf(response)).toMatchObject({ status: 422, code: "validation_failed" });
    expect(await database.listUsers({ limit: 10 })).toEqual([]);
  });

  it("takes bodies up to 10 MiB and refuses bigger ones with 413", async () => {
    const big = JSON.stringify({ source: "gatehouse", data: "x".repeat(11 * 1024 * 1024) });
    const response = await engine.admin("POST", "/v1/admin/users/import", {
      body: big,
      headers: { "content-type": "application/json" },
    });
    expect(await problemOf(response)).toMatchObject({ status: 413, code: "payload_too_large" });
    const lines = Array.from({ length: 2000 }, (_, i) =>
      JSON.stringify({ email: `bulk${i}@example.com`, name: "x".repeat(100) }),
    );
    const ok = await engine.admin("POST", "/v1/admin/users/import", {
      json: { source: "gatehouse", data: lines.join("\n") },
    });
    expect(await ok.json()).toMatchObject({ imported: 2000 });
  });
});
