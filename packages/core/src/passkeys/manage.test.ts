/**
 * The caller's own passkeys: listed oldest first without keys or credential ids, renamed
 * (trimmed, 1–64 characters, one line) and deleted, only ever the caller's own (another user's id
 * is 404, and stays untouched); registration and deletion are security events and webhooks,
 * and a registration emails a notice. Deleting the account removes its passkeys.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryEmailTransport } from "../adapters/memory/index.js";
import { TEST_SECRET_KEY } from "../test-support/engine.js";
import { registerPasskey, signInWithPasskey, type PasskeyJSON } from "../test-support/passkeys.js";
import {
  createWebhookTestEngine,
  startReceiver,
  verifyReceived,
  type Receiver,
  type WebhookTestEngine,
} from "../test-support/webhooks.js";

let engine: WebhookTestEngine;
let receiver: Receiver;
const mail = createMemoryEmailTransport();

beforeAll(async () => {
  engine = await createWebhookTestEngine({ email: { transport: mail, retryDelaysMs: [1] } });
  receiver = await startReceiver();
});
afterAll(async () => {
  await engine.close();
  await receiver.close();
});

const list = async (token: string): Promise<PasskeyJSON[]> => {
  const response = await engine.request("GET", "/v1/passkeys", { cookie: token });
  expect(response.status).toBe(200);
  expect(response.headers.get("cache-control")).toBe("no-store");
  return ((await response.json()) as { passkeys: PasskeyJSON[] }).passkeys;
};
const codeOf = async (response: Response): Promise<string> => ((await response.json()) as { code: string }).code;

describe("listing", () => {
  it("shows the caller's passkeys oldest first, with no key material, and needs a session", async () => {
    const user = await engine.signUp();
    expect(await list(user.token)).toEqual([]);
    const first = await registerPasskey(engine, user.token, { name: "Phone" });
    engine.clock.now += 1000;
    const second = await registerPasskey(engine, user.token, { name: "Laptop" });
    await registerPasskey(engine, (await engine.signUp()).token, { name: "Someone else's" });
    const passkeys = await list(user.token);
    expect(passkeys.map((passkey) => passkey.name)).toEqual(["Phone", "Laptop"]);
    expect(passkeys[0]).toEqual(first.passkey);
    const text = JSON.stringify(passkeys);
    for (const credential of [first.credential, second.credential]) expect(text).not.toContain(credential.id);
    expect(Object.keys(passkeys[0]!).sort()).toEqual(
      ["backed_up", "created_at", "device_type", "id", "last_used_at", "name", "transports"].sort(),
    );
    expect((await engine.request("GET", "/v1/passkeys")).status).toBe(401);
  });

  it("shows when a passkey was last used", async () => {
    const user = await engine.signUp();
    const { credential } = await registerPasskey(engine, user.token);
    engine.clock.now += 5000;
    expect((await signInWithPasskey(engine, credential)).status).toBe(200);
    expect((await list(user.token))[0]!.last_used_at).toBe(new Date(engine.clock.now).toISOString());
  });
});

describe("renaming", () => {
  it("renames the caller's passkey, trimmed", async () => {
    const user = await engine.signUp();
    const { passkey } = await registerPasskey(engine, user.token);
    const response = await engine.request("PATCH", `/v1/passkeys/${passkey.id}`, {
      cookie: user.token,
      json: { name: "  YubiKey 5  " },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { passkey: PasskeyJSON }).passkey).toEqual({ ...passkey, name: "YubiKey 5" });
    expect((await list(user.token))[0]!.name).toBe("YubiKey 5");
  });

  it("refuses empty, too long, multi-line and non-string names and changes nothing", async () => {
    const user = await engine.signUp();
    const { passkey } = await registerPasskey(engine, user.token, { name: "Original" });
    for (const name of ["", "  ", "x".repeat(65), "a\u0000b", "line\nbreak", null, 5]) {
      const response = await engine.request("PATCH", `/v1/passkeys/${passkey.id}`, {
        cookie: user.token,
        json: { name },
      });
      expect(response.status).toBe(422);
      expect(await codeOf(response)).toBe("validation_failed");
    }
    expect(
      (
        await engine.request("PATCH", `/v1/passkeys/${passkey.id}`, {
          cookie: user.token,
          json: { name: "x".repeat(64) },
        })
      ).status,
    ).toBe(200);
  });

  it("answers 404 for another user's passkey and leaves it as it was", async () => {
    const alice = await engine.signUp();
    const mallory = await engine.signUp();
    const { passkey } = await registerPasskey(engine, alice.token, { name: "Alice's" });
    for (const id of [passkey.id, "pk_unknown"]) {
      const response = await engine.request("PATCH", `/v1/passkeys/${id}`, {
        cookie: mallory.token,
        json: { name: "Mine now" },
      });
      expect(response.status).toBe(404);
      expect(await codeOf(response)).toBe("not_found");
    }
    expect((await list(alice.token))[0]!.name).toBe("Alice's");
  });
});

describe("deleting", () => {
  it("deletes the caller's passkey; another user's id is 404 and stays", async () => {
    const alice = await engine.signUp();
    const mallory = await engine.signUp();
    const { passkey, credential } = await registerPasskey(engine, alice.token);
    const refused = await engine.request("DELETE", `/v1/passkeys/${passkey.id}`, { cookie: mallory.token });
    expect(refused.status).toBe(404);
    expect(await codeOf(refused)).toBe("not_found");
    expect(await list(alice.token)).toHaveLength(1);
    expect((await signInWithPasskey(engine, credential)).status).toBe(200);
    const deleted = await engine.request("DELETE", `/v1/passkeys/${passkey.id}`, { cookie: alice.token });
    expect(deleted.status).toBe(204);
    expect(await list(alice.token)).toEqual([]);
    expect((await engine.request("DELETE", `/v1/passkeys/${passkey.id}`, { cookie: alice.token })).status).toBe(404);
  });

  it("goes with the account", async () => {
    const user = await engine.signUp();
    const { credential } = await registerPasskey(engine, user.token);
    const deleted = await engine.request("DELETE", `/v1/admin/users/${user.userId}`, { bearer: TEST_SECRET_KEY });
    expect(deleted.status).toBe(200);
    expect(await engine.database.getPasskeyByCredentialId(credential.id)).toBeNull();
    expect(await engine.database.getPasskeyUserHandle(user.userId)).toBeNull();
  });
});

describe("announcements", () => {
  it("registration and deletion are security events and signed webhooks; registration emails a notice", async () => {
    const endpoint = await engine.createEndpoint({
      url: receiver.url,
      event_types: ["passkey.created", "passkey.deleted"],
    });
    const user = await engine.signUp();
    const { passkey } = await registerPasskey(engine, user.token, { name: "Desk key" });
    expect((await engine.request("DELETE", `/v1/passkeys/${passkey.id}`, { cookie: user.token })).status).toBe(204);
    await engine.gatehouse.email.flush();

    const recorded = await engine.admin(
      "GET",
      `/v1/admin/events?user_id=${user.userId}&type=passkey.created,passkey.deleted`,
    );
    expect(recorded.status).toBe(200);
    const { data } = (await recorded.json()) as { data: { type: string; data: Record<string, unknown> }[] };
    expect(data.map((event) => event.type).sort()).toEqual(["passkey.created", "passkey.deleted"]);

    await engine.gatehouse.webhooks.deliverDue();
    const requests = await receiver.waitFor(2);
    const payloads = requests.map(
      (request) =>
        verifyReceived(endpoint.secret, request, engine.clock.now) as { type: string; data: Record<string, unknown> },
    );
    expect(payloads.map((payload) => payload.type).sort()).toEqual(["passkey.created", "passkey.deleted"]);
    for (const payload of payloads) {
      expect(payload.data).toMatchObject({ user_id: user.userId, passkey_id: passkey.id, passkey_name: "Desk key" });
    }

    const notices = mail.messages.filter(
      (message) => message.to === user.email && message.template === "passkey-added",
    );
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain('"Desk key"');
    expect(notices[0]!.subject).toContain("passkey");
  });
});
