/**
 * The back-office commands as an operator runs them (the built CLI, a real data directory), and
 * the admin API's path rule over real HTTP, where Node hands the server the raw request target.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJSON, rawGet, runCLI, startCLI, type StartedCLI } from "./test-support/cli-process.js";

const FIXTURES = new URL("../../core/src/user-import/fixtures/", import.meta.url);
const passwords = JSON.parse(await readFile(new URL("passwords.json", FIXTURES), "utf8")) as Record<string, string>;

async function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = runCLI(args, env);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

describe("gatehouse keys and users", () => {
  let dataDir: string;
  let env: Record<string, string>;
  const running: StartedCLI[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "gatehouse-admin-cli-"));
    env = { GATEHOUSE_DATA_DIR: dataDir };
  });

  afterAll(async () => {
    await Promise.all(running.map((cli) => cli.stop()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it("creates, lists and revokes secret keys; revocation reaches a running server at once", async () => {
    const server = await startCLI(env);
    running.push(server);

    const created = await run(["keys", "create-secret", "--name", "ci deploy"], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^gh_sk_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/shown only this once/);
    const id = /Created secret key (sk_\S+)/.exec(created.stderr)![1]!;

    const list = await run(["keys", "list"], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain("ci deploy");
    expect(list.stdout).toContain(`…${key.slice(-4)}`);
    expect(list.stdout).not.toContain(key);

    const auth = { authorization: `Bearer ${key}` };
    expect((await fetch(`${server.url}/v1/admin/users`, { headers: auth })).status).toBe(200);
    const revoked = await run(["keys", "revoke", id], env);
    expect(revoked.code).toBe(0);
    expect((await fetch(`${server.url}/v1/admin/users`, { headers: auth })).status).toBe(401);

    expect((await run(["keys", "revoke", "sk_unknown"], env)).code).toBe(1);
    expect((await run(["keys", "frobnicate"], env)).code).toBe(2);
    expect((await run(["keys", "create-secret", "--nmae", "x"], env)).code).toBe(2);
  });

  it("refuses every non-canonical spelling of an admin path over real HTTP", async () => {
    const server = await startCLI(env);
    running.push(server);
    const created = await run(["keys", "create-secret"], env);
    const auth = { authorization: `Bearer ${created.stdout.trim()}` };
    expect((await rawGet(server.url, "/v1/admin/users", auth)).status).toBe(200);
    for (const path of [
      "/v1/admin/../admin/users",
      "//v1/admin/users",
      "/v1//admin/users",
      "/v1/%61dmin/users",
      "/v1/admin/users/",
    ]) {
      const response = await rawGet(server.url, path, auth);
      expect(response.status, path).toBe(403);
      expect(JSON.parse(response.body)).toMatchObject({ code: "non_canonical_path" });
    }
    const internal = await rawGet(server.url, "/v1/session", { "x-original-url": "/v1/admin/users" });
    expect(internal.status).toBe(401);
  });

  it("imports a Supabase export with a summary, idempotently, then exports; imported users sign in", async () => {
    const file = new URL("supabase.csv", FIXTURES).pathname;
    const first = await run(["users", "import", file, "--source", "supabase"], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Imported 2 of 3 rows; skipped 1\./);
    expect(first.stdout).toMatch(/line 4: invalid_row: /);

    const again = await run(["users", "import", file, "--source", "supabase"], env);
    expect(again.stdout).toMatch(/^Imported 0 of 3 rows; skipped 3\./);
    expect(again.stdout).toMatch(/already_exists/);

    const firebase = await run(
      [
        "users",
        "import",
        new URL("firebase.json", FIXTURES).pathname,
        "--source",
        "firebase",
        "--firebase-signer-key",
        "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
        "--firebase-salt-separator",
        "Bw==",
        "--firebase-rounds",
        "8",
        "--firebase-mem-cost",
        "14",
      ],
      env,
    );
    expect(firebase.stdout).toMatch(/^Imported 3 of 3 rows; skipped 0\./);

    const output = join(dataDir, "export.jsonl");
    const exported = await run(["users", "export", "--output", output], env);
    expect(exported.code).toBe(0);
    const lines = (await readFile(output, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.email)).toEqual(
      expect.arrayContaining(["margaret@supabase.example", "vector@firebase.example"]),
    );
    const margaret = lines.find((line) => line.email === "margaret@supabase.example");
    expect(margaret).toMatchObject({ password_algorithm: "bcrypt", name: "Margaret Hamilton" });

    const server = await startCLI(env);
    running.push(server);
    for (const email of ["margaret@supabase.example", "vector@firebase.example"]) {
      const signIn = await postJSON(`${server.url}/v1/sign-in/password`, { email, password: passwords[email] });
      expect(signIn.status, email).toBe(200);
    }

    expect((await run(["users", "import", "/nonexistent.jsonl"], env)).code).toBe(1);
    expect((await run(["users", "import", file, "--source", "okta"], env)).code).toBe(1);
    expect((await run(["users", "import"], env)).code).toBe(2);
  });
});
