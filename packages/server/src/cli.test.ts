/**
 * The `gatehouse` CLI as an operator runs it: the real built binary, a real port, real HTTP.
 * Needs `npm run build` first (the root `npm test` does it in `pretest`).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  postJSON,
  runCLI,
  sessionCookie,
  startCLI,
  strongPassword,
  uniqueEmail,
  type StartedCLI,
} from "./test-support/cli-process.js";

const SECRET_KEY = /gh_sk_[A-Za-z0-9_-]{20,}/;

describe("gatehouse start", () => {
  let dataDir: string;
  const running: StartedCLI[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "gatehouse-cli-"));
  });

  afterAll(async () => {
    await Promise.all(running.map((cli) => cli.stop()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it("prints the secret key once, serves sign-up and session over HTTP, keeps data across restarts, and exits 0 on SIGTERM", async () => {
    const first = await startCLI({ GATEHOUSE_DATA_DIR: dataDir });
    running.push(first);
    expect(first.stdout()).toMatch(SECRET_KEY);
    expect(first.stdout()).toMatch(/shown only this once/);
    // The key is printed for the operator only; it must not also be in a JSON log line.
    const keyLine =
      first
        .stdout()
        .split("\n")
        .find((line) => SECRET_KEY.test(line)) ?? "";
    expect(keyLine.startsWith("{")).toBe(false);

    const email = uniqueEmail();
    const password = strongPassword();
    const signUp = await postJSON(`${first.url}/v1/sign-up`, { email, password });
    expect(signUp.status).toBe(201);
    const cookie = sessionCookie(signUp);

    const session = await fetch(`${first.url}/v1/session`, { headers: { cookie } });
    expect(session.status).toBe(200);
    const body = (await session.json()) as { user: { email: string } };
    expect(body.user.email).toBe(email);

    const started = Date.now();
    expect(await first.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);

    // Same data directory: the key exists already, so nothing is printed; the session survived.
    const second = await startCLI({ GATEHOUSE_DATA_DIR: dataDir });
    running.push(second);
    expect(second.stdout()).not.toMatch(/gh_sk_/);
    const again = await fetch(`${second.url}/v1/session`, { headers: { cookie } });
    expect(again.status).toBe(200);
    expect(await second.stop()).toBe(0);
  });

  it("answers /healthz and /readyz", async () => {
    const cli = await startCLI({ GATEHOUSE_DATA_DIR: dataDir });
    running.push(cli);
    expect((await fetch(`${cli.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${cli.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ok", checks: { database: { ok: true } } });
    expect(await cli.stop()).toBe(0);
  });
});

describe("gatehouse configuration errors", () => {
  it("refuses an invalid PORT with a message naming PORT and no stack trace", async () => {
    const cli = runCLI(["start"], { PORT: "70000" });
    const { code } = await cli.exited;
    expect(code).toBe(1);
    expect(cli.stderr()).toMatch(/PORT/);
    expect(cli.stderr()).not.toMatch(/\n\s+at /);
  });

  it("refuses a non-PostgreSQL DATABASE_URL without echoing it", async () => {
    const cli = runCLI(["start"], { DATABASE_URL: "mysql://admin:hunter2-secret@db.example/auth" });
    const { code } = await cli.exited;
    expect(code).toBe(1);
    expect(cli.stderr()).toMatch(/DATABASE_URL/);
    expect(cli.stderr()).not.toMatch(/hunter2-secret/);
  });

  it("treats an unknown flag as a usage error (exit 2)", async () => {
    const cli = runCLI(["start", "--prot", "4000"]);
    expect((await cli.exited).code).toBe(2);
    expect(cli.stderr()).toMatch(/--prot/);
  });

  it("treats an unknown command as a usage error (exit 2)", async () => {
    const cli = runCLI(["serve"]);
    expect((await cli.exited).code).toBe(2);
  });
});

describe("gatehouse help, version and openapi", () => {
  const variables = [
    "PORT",
    "HOST",
    "GATEHOUSE_URL",
    "GATEHOUSE_DATA_DIR",
    "DATABASE_URL",
    "REDIS_URL",
    "GATEHOUSE_STRATEGY",
    "GATEHOUSE_SECRET_KEY",
    "GATEHOUSE_ENCRYPTION_KEY",
    "GATEHOUSE_ACCESS_TOKEN_TTL",
    "GATEHOUSE_REFRESH_GRACE",
    "GATEHOUSE_AUDIENCE",
    "GATEHOUSE_SIGNING_ALGORITHM",
    "GATEHOUSE_KEY_ROTATION_INTERVAL",
    "GATEHOUSE_TRUSTED_PROXIES",
    "GATEHOUSE_COOKIE_DOMAIN",
    "GATEHOUSE_ALLOWED_ORIGINS",
    "GATEHOUSE_SESSION_IDLE_TIMEOUT",
    "GATEHOUSE_SESSION_MAX_AGE",
    "GATEHOUSE_LOG_LEVEL",
    "GATEHOUSE_REDIS_PREFIX",
    "GATEHOUSE_EVENT_RETENTION",
    "SMTP_URL",
    "GATEHOUSE_EMAIL_FROM",
    "GATEHOUSE_APP_NAME",
    "GATEHOUSE_REQUIRE_EMAIL_VERIFICATION",
    "GATEHOUSE_REQUIRE_MFA",
    "NODE_ENV",
  ];
  const flags = ["--port", "--host", "--url", "--data-dir", "--database-url", "--redis-url", "--strategy", "--help"];

  it.each([[["--help"]], [["start", "--help"]]])(
    "%j documents every variable and flag with its default",
    async (args) => {
      const cli = runCLI(args);
      expect((await cli.exited).code).toBe(0);
      const help = cli.stdout();
      for (const name of [...variables, ...flags]) expect(help).toContain(name);
      for (const name of variables) {
        // Each variable's entry carries a "Default:" line.
        expect(help).toMatch(new RegExp(`\\n  ${name}\\b[^\\n]*\\n[^\\n]*\\n\\s+Default: \\S`));
      }
      expect(help).toContain("0.0.0.0");
      expect(help).toContain("4000");
      expect(help).toContain("./.gatehouse");
      expect(help).toContain("gatehouse:");
      expect(help).toContain("encryption.key");
    },
  );

  it("--help lists the keys commands", async () => {
    const cli = runCLI(["--help"]);
    expect((await cli.exited).code).toBe(0);
    expect(cli.stdout()).toMatch(/gatehouse keys rotate/);
  });

  it("--version prints the package version", async () => {
    const cli = runCLI(["--version"]);
    expect((await cli.exited).code).toBe(0);
    const manifest = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(cli.stdout().trim()).toBe(manifest.version);
  });

  it("openapi prints the OpenAPI document as JSON and nothing else", async () => {
    const cli = runCLI(["openapi"]);
    expect((await cli.exited).code).toBe(0);
    const document = JSON.parse(cli.stdout()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\.1/);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/v1/sign-up", "/v1/session"]));
  });
});

// Each case is its own short-lived process; running them side by side keeps the file quick.
describe.concurrent("gatehouse email preview", () => {
  it("prints a template rendered with sample values: subject, text and HTML", async () => {
    const cli = runCLI(["email", "preview", "password-reset"], { GATEHOUSE_URL: "https://auth.example.com" });
    expect((await cli.exited).code).toBe(0);
    const output = cli.stdout();
    expect(output).toMatch(/^Template: password-reset \(built-in\)\nSubject: Reset your auth\.example\.com password\n/);
    expect(output).toContain("----- text -----");
    expect(output).toContain("https://auth.example.com/reset-password?token=");
    expect(output).toContain("----- html -----");
    expect(output).toContain("<!doctype html>");
  });

  it("applies the overrides in the data directory and prints one part on request", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "gatehouse-cli-"));
    try {
      await mkdir(join(dataDir, "templates"));
      await writeFile(join(dataDir, "templates", "email-code.subject"), "{{app_name}}: your code is {{code}}\n");
      const cli = runCLI(["email", "preview", "email-code", "--part", "subject"], {
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_APP_NAME: "Acme",
      });
      expect((await cli.exited).code).toBe(0);
      expect(cli.stdout()).toBe("Acme: your code is 123456\n");

      await writeFile(join(dataDir, "templates", "email-code.txt"), "{{link}}");
      const broken = runCLI(["email", "preview", "email-code"], { GATEHOUSE_DATA_DIR: dataDir });
      expect((await broken.exited).code).toBe(1);
      expect(broken.stderr()).toMatch(/email-code.*\{\{link\}\}/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it.each([
    [["email", "preview", "welcome"], /unknown template "welcome"/],
    [["email", "preview"], /name one template/],
    [["email", "send"], /unknown email command/],
    [["email", "preview", "magic-link", "--part", "body"], /--part/],
  ])("%j is a usage error (exit 2)", async (args, message) => {
    const cli = runCLI(args);
    expect((await cli.exited).code).toBe(2);
    expect(cli.stderr()).toMatch(message);
  });
});

describe("gatehouse start without SMTP_URL", () => {
  it("prints each message's links to the console, and they work", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "gatehouse-cli-"));
    const cli = await startCLI({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: "warn" });
    try {
      const email = uniqueEmail();
      expect((await postJSON(`${cli.url}/v1/sign-up`, { email, password: strongPassword() })).status).toBe(201);
      expect((await postJSON(`${cli.url}/v1/sign-in/magic-link`, { email })).status).toBe(202);
      const [, link] = await cli.waitForOutput(
        new RegExp(`\\[dev mailbox\\] magic-link to ${email.replace(/[.]/g, "\\.")}: (\\S+)`),
      );
      const url = new URL(link!);
      const landing = await fetch(`${cli.url}${url.pathname}${url.search}`, { redirect: "manual" });
      expect(landing.status).toBe(303);
      expect(sessionCookie(landing)).toMatch(/gatehouse_session=sess_/);
      expect(await cli.stop()).toBe(0);
    } finally {
      await cli.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
