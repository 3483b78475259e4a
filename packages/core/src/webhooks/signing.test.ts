/**
 * Standard Webhooks signing checked against the reference `standardwebhooks` package: the same
 * signature for the same input, verification of what Gatehouse signs, and overlapping secrets.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import { generateWebhookSecret, signWebhook } from "./signing.js";

const TIMESTAMP = 1_767_225_600; // 2026-01-01T00:00:00Z
const BODY = JSON.stringify({ type: "user.created", timestamp: "2026-01-01T00:00:00.000Z", data: { user_id: "u" } });

function verifyAt(secret: string, headers: Record<string, string>, body: string): unknown {
  vi.useFakeTimers({ toFake: ["Date"], now: TIMESTAMP * 1000 + 1_000 });
  try {
    return new Webhook(secret).verify(body, headers);
  } finally {
    vi.useRealTimers();
  }
}

describe("Standard Webhooks signing", () => {
  it("makes whsec_ secrets of 32 random bytes, never the same twice", () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it("signs exactly as the reference implementation does", async () => {
    const secret = generateWebhookSecret();
    const headers = await signWebhook({ id: "msg_1", timestamp: TIMESTAMP, body: BODY, secrets: [secret] });
    expect(headers["webhook-id"]).toBe("msg_1");
    expect(headers["webhook-timestamp"]).toBe(String(TIMESTAMP));
    expect(headers["webhook-signature"]).toBe(new Webhook(secret).sign("msg_1", new Date(TIMESTAMP * 1000), BODY));
  });

  it("matches the reference implementation on non-ASCII bodies", async () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ data: { name: "Zoë Ångström 日本 🎉" } });
    const headers = await signWebhook({ id: "msg_ü", timestamp: TIMESTAMP, body, secrets: [secret] });
    expect(verifyAt(secret, { ...headers }, body)).toEqual(JSON.parse(body));
  });

  it("puts one v1 signature per secret in the header; each secret verifies on its own", async () => {
    const current = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const headers = await signWebhook({ id: "msg_2", timestamp: TIMESTAMP, body: BODY, secrets: [current, previous] });
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
    expect(verifyAt(current, { ...headers }, BODY)).toEqual(JSON.parse(BODY));
    expect(verifyAt(previous, { ...headers }, BODY)).toEqual(JSON.parse(BODY));
    expect(() => verifyAt(generateWebhookSecret(), { ...headers }, BODY)).toThrow(/No matching signature/);
  });

  it("does not verify once the body, id or timestamp changes", async () => {
    const secret = generateWebhookSecret();
    const headers = await signWebhook({ id: "msg_3", timestamp: TIMESTAMP, body: BODY, secrets: [secret] });
    expect(() => verifyAt(secret, { ...headers }, `${BODY} `)).toThrow();
    expect(() => verifyAt(secret, { ...headers, "webhook-id": "msg_4" }, BODY)).toThrow();
    expect(() => verifyAt(secret, { ...headers, "webhook-timestamp": String(TIMESTAMP + 1) }, BODY)).toThrow();
  });
});
