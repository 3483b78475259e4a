/**
 * The server's email setup: template overrides read from the data directory, and the
 * development mailbox (files in the data directory, `/dev/mailbox`, links on the console) when
 * there is no SMTP server — never in production.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadServerConfig, type ServerConfig } from "./config.js";
import { loadTemplateOverrides } from "./email.js";
import { startServer, type RunningServer } from "./server.js";
import { postJSON, sessionCookie, strongPassword, uniqueEmail } from "./test-support/cli-process.js";

let root: string;
const servers: RunningServer[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gatehouse-email-"));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function newDataDir(templates: Record<string, string> = {}): Promise<string> {
  const dataDir = join(root, crypto.randomUUID());
  await mkdir(join(dataDir, "templates"), { recursive: true });
  for (const [name, content] of Object.entries(templates)) await writeFile(join(dataDir, "templates", name), content);
  return dataDir;
}

async function start(dataDir: string, overrides: Partial<ServerConfig> = {}) {
  const printed: string[] = [];
  const server = await startServer(
    {
      ...loadServerConfig({ GATEHOUSE_DATA_DIR: dataDir, HOST: "127.0.0.1", GATEHOUSE_LOG_LEVEL: "silent" }),
      port: 0,
      ...overrides,
    },
    { output: { write: (line) => void printed.push(line) } },
  );
  servers.push(server);
  return { server, base: `http://127.0.0.1:${server.address.port}`, printed };
}

interface MailboxEntry {
  id: string;
  to: string;
  template: string;
  subject: string;
  links: string[];
  text: string;
}

async function mailbox(base: string): Promise<MailboxEntry[]> {
  const response = await fetch(`${base}/dev/mailbox.json`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: MailboxEntry[] }).data;
}

describe("template overrides in the data directory", () => {
  it("reads <template>.subject, .txt and .html", async () => {
    const dataDir = await newDataDir({
      "magic-link.subject": "Sign in to {{app_name}}\n",
      "magic-link.txt": "Here: {{link}}\n",
      "email-code.html": "<p>{{code}}</p>",
      ".DS_Store": "",
    });
    expect(await loadTemplateOverrides(dataDir)).toEqual({
      "magic-link": { subject: "Sign in to {{app_name}}", text: "Here: {{link}}\n" },
      "email-code": { html: "<p>{{code}}</p>" },
    });
    expect(await loadTemplateOverrides(join(root, "nothing-here"))).toEqual({});
  });

  it.each(["magic-lnk.txt", "magic-link.text", "README.md"])(
    "refuses to start with the stray file %s",
    async (file) => {
      const dataDir = await newDataDir({ [file]: "x" });
      await expect(start(dataDir)).rejects.toThrow(new RegExp(file.replace(".", "\\.")));
    },
  );

  it("refuses to start with an override that uses a variable its template lacks", async () => {
    const dataDir = await newDataDir({ "email-code.txt": "Your link: {{link}}" });
    await expect(start(dataDir)).rejects.toThrow(/email-code.*\{\{link\}\}/);
  });

  it("uses the overrides in the mail it sends", async () => {
    const dataDir = await newDataDir({
      "email-code.subject": "{{app_name}} code inside",
      "email-code.txt": "Code={{code}}",
    });
    const { server, base } = await start(dataDir, { appName: "Acme" });
    const email = uniqueEmail();
    expect((await postJSON(`${base}/v1/sign-up`, { email, password: strongPassword() })).status).toBe(201);
    expect((await postJSON(`${base}/v1/sign-in/email-code`, { email })).status).toBe(202);
    await server.engine.email.flush();
    const [message] = (await mailbox(base)).filter((each) => each.template === "email-code");
    expect(message).toMatchObject({ subject: "Acme code inside", to: email });
    expect(message!.text).toMatch(/^Code=\d{6}$/);
  });
});

describe("development mailbox", () => {
  it("keeps messages in the data directory, lists them at /dev/mailbox and prints their links", async () => {
    const dataDir = await newDataDir();
    const { server, base, printed } = await start(dataDir);
    const email = uniqueEmail();
    expect((await postJSON(`${base}/v1/sign-up`, { email, password: strongPassword() })).status).toBe(201);
    expect((await postJSON(`${base}/v1/sign-in/magic-link`, { email })).status).toBe(202);
    await server.engine.email.flush();

    const messages = await mailbox(base);
    expect(messages.map((message) => message.template)).toEqual(["magic-link", "verify-email"]);
    const magic = messages[0]!;
    expect(magic.to).toBe(email);
    const link = magic.links.find((each) => each.includes("/v1/sign-in/magic-link/verify"))!;
    expect(printed.some((line) => line.includes(link) && line.includes(email))).toBe(true);

    // The link works.
    const url = new URL(link);
    const landing = await fetch(`${base}${url.pathname}${url.search}`, { redirect: "manual" });
    expect(landing.status).toBe(303);
    expect(sessionCookie(landing)).toMatch(/gatehouse_session=sess_/);

    const page = await fetch(`${base}/dev/mailbox`);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain(`/dev/mailbox/${magic.id}`);
    const body = await fetch(`${base}/dev/mailbox/${magic.id}`);
    expect(body.status).toBe(200);
    expect(body.headers.get("content-security-policy")).toMatch(/^sandbox;/);
    expect((await fetch(`${base}/dev/mailbox/..%2F..%2Fgatehouse.db`)).status).toBe(404);
  });

  it("is not served in production, and prints no links there", async () => {
    const dataDir = await newDataDir();
    const { server, base, printed } = await start(dataDir, { production: true });
    const email = uniqueEmail();
    expect((await postJSON(`${base}/v1/sign-up`, { email, password: strongPassword() })).status).toBe(201);
    await server.engine.email.flush();
    for (const path of ["/dev/mailbox", "/dev/mailbox.json"]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
    expect(printed).toEqual([]);
  });
});
