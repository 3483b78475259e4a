/**
 * `verifyWebhook` against signatures made by the reference `standardwebhooks` package and
 * against Gatehouse's own deliveries to a real receiver, and fed everything an attacker or a
 * misconfiguration can send: other secrets, altered bytes, stale or future timestamps, missing
 * or malformed headers.
 */
import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebhookTestEngine, startReceiver, type Receiver } from "../../core/src/test-support/webhooks.js";
import { ConfigurationError } from "./errors/index.js";
import {
  verifyWebhook,
  type RawWebhookRequest,
  type VerifyWebhookOptions,
  type WebhookFailureReason,
  type WebhookHeaders,
} from "./webhooks.js";

const NOW = Date.UTC(2026, 5, 1, 12);
const BODY = JSON.stringify({
  type: "user.created",
  timestamp: new Date(NOW).toISOString(),
  data: { user_id: "user_1", user: { email: "zoë@example.com" } },
});

function newSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64")}`;
}

/** Headers as the reference implementation signs them. */
function signed(secret: string, options: { id?: string; at?: number; body?: string } = {}): Record<string, string> {
  const at = options.at ?? NOW;
  const id = options.id ?? "msg_1";
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, new Date(at), options.body ?? BODY),
  };
}

/** The verified webhook, failing the test if it was refused. */
async function verified(request: Request | RawWebhookRequest, options: VerifyWebhookOptions) {
  const result = await verifyWebhook(request, options);
  if (!result.ok) throw new Error(`expected the webhook to verify, got ${result.reason}`);
  return result.webhook;
}

/** Why the webhook was refused, failing the test if it verified. */
async function refusal(request: RawWebhookRequest, options: VerifyWebhookOptions): Promise<WebhookFailureReason> {
  const result = await verifyWebhook(request, options);
  if (result.ok) throw new Error("expected the webhook to be refused");
  return result.reason;
}

describe("verifyWebhook with reference signatures", () => {
  it("verifies a string body, a byte body and a Request, and returns the event", async () => {
    const secret = newSecret();
    const headers = signed(secret);
    const expected = {
      id: "msg_1",
      timestamp: Math.floor(NOW / 1000),
      type: "user.created",
      data: JSON.parse(BODY).data,
      payload: JSON.parse(BODY),
    };
    expect(await verified({ body: BODY, headers }, { secret, now: NOW })).toEqual(expected);
    const bytes = new TextEncoder().encode(BODY);
    expect(await verified({ body: bytes, headers }, { secret, now: NOW })).toEqual(expected);
    expect(await verified({ body: bytes.buffer, headers }, { secret, now: NOW })).toEqual(expected);
    const request = new Request("https://app.example.com/webhooks", { method: "POST", headers, body: BODY });
    expect(await verified(request, { secret, now: NOW })).toEqual(expected);
  });

  it("reads headers case-insensitively from plain objects and Node-style arrays", async () => {
    const secret = newSecret();
    const headers = signed(secret);
    const shouting: WebhookHeaders = {
      "Webhook-Id": headers["webhook-id"],
      "WEBHOOK-TIMESTAMP": [headers["webhook-timestamp"]!],
      "webhook-signature": headers["webhook-signature"],
      "x-other": undefined,
    };
    expect((await verified({ body: BODY, headers: shouting }, { secret, now: NOW })).id).toBe("msg_1");
  });

  it("accepts any of several secrets, and a header with several signatures (rotation)", async () => {
    const oldSecret = newSecret();
    const newSecretValue = newSecret();
    const both = {
      ...signed(newSecretValue),
      "webhook-signature": `${signed(newSecretValue)["webhook-signature"]} ${signed(oldSecret)["webhook-signature"]}`,
    };
    for (const secret of [oldSecret, newSecretValue, [newSecret(), oldSecret]]) {
      expect((await verified({ body: BODY, headers: both }, { secret, now: NOW })).type).toBe("user.created");
    }
    const onlyOld = signed(oldSecret);
    expect(
      (await verified({ body: BODY, headers: onlyOld }, { secret: [newSecretValue, oldSecret], now: NOW })).id,
    ).toBe("msg_1");
    expect(await refusal({ body: BODY, headers: onlyOld }, { secret: newSecretValue, now: NOW })).toBe(
      "invalid-signature",
    );
  });

  it("refuses another secret, and any change to body, id or timestamp", async () => {
    const secret = newSecret();
    const headers = signed(secret);
    const cases: [string | Uint8Array, Record<string, string>][] = [
      [BODY, signed(newSecret())],
      [`${BODY} `, headers],
      [BODY.replace("user_1", "user_2"), headers],
      [BODY, { ...headers, "webhook-id": "msg_2" }],
      [BODY, { ...headers, "webhook-timestamp": String(Math.floor(NOW / 1000) + 1) }],
      [BODY, { ...headers, "webhook-signature": headers["webhook-signature"]!.replace("v1,", "v2,") }],
      [BODY, { ...headers, "webhook-signature": "v1,not-base64!" }],
      [BODY, { ...headers, "webhook-signature": "v1," }],
      [BODY, { ...headers, "webhook-signature": headers["webhook-signature"]!.slice(0, -4) }],
    ];
    for (const [body, bad] of cases) {
      expect(await refusal({ body, headers: bad }, { secret, now: NOW }), JSON.stringify(bad)).toBe(
        "invalid-signature",
      );
    }
    // Every single-bit flip anywhere in the body fails.
    const bytes = new TextEncoder().encode(BODY);
    for (let index = 0; index < bytes.length; index += 7) {
      const flipped = bytes.slice();
      flipped[index] = flipped[index]! ^ 1;
      expect(await refusal({ body: flipped, headers }, { secret, now: NOW })).toBe("invalid-signature");
    }
  });

  it("refuses timestamps outside the tolerance, 5 minutes by default", async () => {
    const secret = newSecret();
    const headers = signed(secret);
    const request = { body: BODY, headers };
    expect((await verified(request, { secret, now: NOW + 300_000 })).id).toBe("msg_1");
    expect((await verified(request, { secret, now: NOW - 300_000 })).id).toBe("msg_1");
    expect(await refusal(request, { secret, now: NOW + 301_000 })).toBe("timestamp-too-old");
    expect(await refusal(request, { secret, now: NOW - 301_000 })).toBe("timestamp-too-new");
    expect(await refusal(request, { secret, now: NOW + 31_000, toleranceSeconds: 30 })).toBe("timestamp-too-old");
    // The default clock is the real one: a message signed now verifies without `now`.
    const fresh = signed(secret, { at: Date.now() });
    expect((await verified({ body: BODY, headers: fresh }, { secret })).id).toBe("msg_1");
  });

  it("refuses missing headers and malformed timestamps before checking signatures", async () => {
    const secret = newSecret();
    const headers = signed(secret);
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      const { [name]: _removed, ...rest } = headers;
      expect(await refusal({ body: BODY, headers: rest }, { secret, now: NOW }), name).toBe("missing-headers");
    }
    for (const timestamp of ["soon", "1.5", "-1", "1e9", " 17"]) {
      const bad = { ...headers, "webhook-timestamp": timestamp };
      expect(await refusal({ body: BODY, headers: bad }, { secret, now: NOW }), timestamp).toBe("invalid-timestamp");
    }
  });

  it("refuses a validly signed body that is not a Gatehouse event", async () => {
    const secret = newSecret();
    const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
    // The last one is not even UTF-8.
    for (const body of [
      encode("not json"),
      encode("[1,2]"),
      encode("null"),
      encode('{"data":{}}'),
      Uint8Array.of(0xff),
    ]) {
      const headers = signedBytes(secret, body);
      expect(await refusal({ body, headers }, { secret, now: NOW }), String(body)).toBe("invalid-payload");
    }
  });

  it("throws only for a missing or malformed secret, a configuration error that never echoes it", async () => {
    const headers = signed(newSecret());
    for (const secret of ["whsec_", "whsec_*secret*", "", []] as const) {
      let error: unknown;
      try {
        await verifyWebhook({ body: BODY, headers }, { secret, now: NOW });
      } catch (caught) {
        error = caught;
      }
      expect(error, JSON.stringify(secret)).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).not.toContain("*secret*");
    }
  });
});

/** Signs raw bytes the way the reference does for strings (HMAC over id.timestamp.bytes). */
function signedBytes(secret: string, body: Uint8Array): Record<string, string> {
  const at = Math.floor(NOW / 1000);
  const key = Buffer.from(secret.slice(6), "base64");
  const mac = createHmac("sha256", key)
    .update(Buffer.concat([Buffer.from(`msg_1.${at}.`), body]))
    .digest("base64");
  return { "webhook-id": "msg_1", "webhook-timestamp": String(at), "webhook-signature": `v1,${mac}` };
}

describe("verifyWebhook with Gatehouse's own deliveries", () => {
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await receiver.close();
  });

  it("verifies what the engine delivers, before and during a secret rotation", async () => {
    const engine = await createWebhookTestEngine();
    try {
      const endpoint = await engine.createEndpoint({ url: receiver.url, event_types: ["user.created"] });
      const user = await engine.signUp();
      await engine.gatehouse.events.flush();
      await engine.gatehouse.webhooks.deliverDue();
      const [first] = await receiver.waitFor(1);
      const event = await verified(
        { body: first!.body, headers: first!.headers as WebhookHeaders },
        { secret: endpoint.secret, now: engine.clock.now },
      );
      expect(event).toMatchObject({
        type: "user.created",
        data: { user_id: user.userId, user: { email: user.email } },
      });
      expect(event.id).toBe(first!.headers["webhook-id"]);

      const rotated = await engine.admin("POST", `/v1/admin/webhooks/${endpoint.id}/rotate-secret`, {
        overlap_seconds: 600,
      });
      const { secret: next } = (await rotated.json()) as { secret: string };
      await engine.admin("POST", `/v1/admin/webhooks/${endpoint.id}/test`);
      await engine.gatehouse.webhooks.deliverDue();
      const second = receiver.received[1]!;
      const raw = { body: new TextEncoder().encode(second.body), headers: second.headers as WebhookHeaders };
      for (const secret of [endpoint.secret, next, [next, endpoint.secret]]) {
        expect((await verified(raw, { secret, now: engine.clock.now })).type).toBe("webhook.test");
      }
      // A receiver that only knows some other secret refuses it.
      expect(await refusal(raw, { secret: newSecret(), now: engine.clock.now })).toBe("invalid-signature");
    } finally {
      await engine.close();
    }
  });
});
