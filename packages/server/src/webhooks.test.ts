/**
 * Webhooks in the standalone server, on a real port with SQLite: the admin API over HTTP, the
 * background worker delivering with the Node sender (verified with `standardwebhooks`), the SSRF
 * policy on by default, and signing secrets stored encrypted with the server's encryption key
 * (the data directory's generated one, or GATEHOUSE_ENCRYPTION_KEY) and never logged.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseEncryptionKey } from "@gatehouse/core";
import { createSQLiteDatabase } from "@gatehouse/core/adapters/sqlite";
import { startReceiver, newSecretKey, type Receiver } from "../../core/src/test-support/webhooks.js";
import { createWebhookSecretBox } from "../../core/src/webhooks/secrets.js";
import { ENCRYPTION_KEY_FILE, loadServerConfig } from "./config.js";
import { startServer, type RunningServer } from "./server.js";
import { postJSON, strongPassword, uniqueEmail } from "./test-support/cli-process.js";

let root: string;
let receiver: Receiver;
const servers: RunningServer[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gatehouse-server-webhooks-"));
  receiver = await startReceiver();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

afterAll(async () => {
  await receiver.close();
  await rm(root, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<{ base: string; logs: () => string }> {
  const lines: string[] = [];
  const server = await startServer(
    { ...loadServerConfig({ HOST: "127.0.0.1", ...env }), port: 0, logLevel: "debug" },
    { logDestination: { write: (line: string) => void lines.push(line) } },
  );
  servers.push(server);
  return { base: `http://127.0.0.1:${server.address.port}`, logs: () => lines.join("") };
}

describe("webhooks in the server", () => {
  it("delivers signed events from the background worker, with secrets encrypted by the data directory's key", async () => {
    const dataDir = join(root, "delivers");
    const adminKey = newSecretKey();
    const { base, logs } = await start({
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_SECRET_KEY: adminKey,
      GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: "true",
    });
    const admin = { authorization: `Bearer ${adminKey}`, "content-type": "application/json" };
    const created = await fetch(`${base}/v1/admin/webhooks`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ url: receiver.url, event_types: ["user.created"] }),
    });
    expect(created.status).toBe(201);
    const endpoint = (await created.json()) as { id: string; secret: string };

    const email = uniqueEmail();
    expect((await postJSON(`${base}/v1/sign-up`, { email, password: strongPassword() })).status).toBe(201);
    const [request] = await receiver.waitFor(1);
    const payload = new Webhook(endpoint.secret).verify(request!.body, {
      "webhook-id": String(request!.headers["webhook-id"]),
      "webhook-timestamp": String(request!.headers["webhook-timestamp"]),
      "webhook-signature": String(request!.headers["webhook-signature"]),
    });
    expect(payload).toMatchObject({ type: "user.created", data: { user: { email } } });

    // The key file exists, is the owner's only, and decrypts what the database holds.
    const keyPath = join(dataDir, ENCRYPTION_KEY_FILE);
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    const key = (await readFile(keyPath, "utf8")).trim();
    expect(logs()).not.toContain(key);
    expect(logs()).not.toContain(endpoint.secret);
    const database = createSQLiteDatabase({ filename: join(dataDir, "gatehouse.db") });
    try {
      const stored = await database.getWebhookEndpoint(endpoint.id);
      expect(stored?.secretCiphertext).not.toContain(endpoint.secret.slice(6));
      const box = createWebhookSecretBox(parseEncryptionKey(key));
      expect(await box.open(endpoint.id, stored!.secretCiphertext)).toBe(endpoint.secret);
    } finally {
      await database.close();
    }
  });

  it("refuses private endpoints by default", async () => {
    const adminKey = newSecretKey();
    const { base } = await start({ GATEHOUSE_DATA_DIR: join(root, "strict"), GATEHOUSE_SECRET_KEY: adminKey });
    for (const url of [receiver.url, receiver.url.replace("http:", "https:"), "https://localhost/hooks"]) {
      const response = await fetch(`${base}/v1/admin/webhooks`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ url, event_types: ["user.created"] }),
      });
      expect(response.status).toBe(422);
      expect(await response.json()).toMatchObject({ code: "validation_failed", errors: [{ pointer: "/url" }] });
    }
  });
});

describe("webhook secrets and the encryption key", () => {
  it("are encrypted with GATEHOUSE_ENCRYPTION_KEY when it is set, and no key file is made", async () => {
    const dataDir = join(root, "key-from-env");
    const encryptionKey = randomBytes(32).toString("base64url");
    const adminKey = newSecretKey();
    const { base, logs } = await start({
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_SECRET_KEY: adminKey,
      GATEHOUSE_ENCRYPTION_KEY: encryptionKey,
    });
    const created = await fetch(`${base}/v1/admin/webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "https://hooks.example.com/gatehouse", event_types: ["session.revoked"] }),
    });
    const endpoint = (await created.json()) as { id: string; secret: string };
    await expect(stat(join(dataDir, ENCRYPTION_KEY_FILE))).rejects.toMatchObject({ code: "ENOENT" });
    expect(logs()).not.toContain(encryptionKey);
    expect(logs()).not.toContain(endpoint.secret);
    const database = createSQLiteDatabase({ filename: join(dataDir, "gatehouse.db") });
    try {
      const stored = await database.getWebhookEndpoint(endpoint.id);
      const box = createWebhookSecretBox(parseEncryptionKey(encryptionKey));
      expect(await box.open(endpoint.id, stored!.secretCiphertext)).toBe(endpoint.secret);
    } finally {
      await database.close();
    }
  });
});
