/**
 * The Node sender's SSRF protection with private networks NOT allowed: every forbidden address
 * class is refused before any connection — as an IP literal, as an IPv4-mapped IPv6 literal,
 * and as a host name that resolves there (`localhost` through the system resolver, others
 * through an injected one) — while a canary server on 127.0.0.1 proves nothing got through. The
 * address checked is the address connected to: one resolution per request, no second lookup
 * for rebinding to exploit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../memory/index.js";
import { generateEncryptionKey } from "../../lib/encryption.js";
import { WebhookSendError, type WebhookRequest } from "../../webhooks/sender.js";
import { createWebhookTestEngine, startReceiver, type Receiver } from "../../test-support/webhooks.js";
import { createNodeWebhookSender, type ResolvedAddress } from "./index.js";

let canary: Receiver;

beforeAll(async () => {
  canary = await startReceiver();
});

afterAll(async () => {
  await canary.close();
});

function request(url: string, overrides: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    url,
    headers: { "content-type": "application/json" },
    body: "{}",
    timeoutMs: 2_000,
    allowPrivateNetworks: false,
    maxResponseBytes: 1024,
    signal: new AbortController().signal,
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<WebhookSendError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookSendError);
    return error as WebhookSendError;
  }
  throw new Error("expected the request to be refused");
}

describe("node webhook sender: SSRF refusals with private networks not allowed", () => {
  const sender = createNodeWebhookSender();

  it.each([
    ["loopback", (port: number) => `https://127.0.0.1:${port}/hooks`, /127\.0\.0\.1 is a loopback address/],
    ["loopback (other address)", (port: number) => `https://127.1.2.3:${port}/hooks`, /loopback/],
    ["IPv6 loopback", (port: number) => `https://[::1]:${port}/hooks`, /loopback/],
    ["IPv4-mapped IPv6 loopback", (port: number) => `https://[::ffff:127.0.0.1]:${port}/hooks`, /loopback/],
    ["IPv4-mapped, hex form", (port: number) => `https://[::ffff:7f00:1]:${port}/hooks`, /loopback/],
    ["decimal-encoded loopback", (port: number) => `https://2130706433:${port}/hooks`, /loopback/],
    ["unspecified (reaches this machine on Linux)", (port: number) => `https://0.0.0.0:${port}/hooks`, /unspecified/],
    ["private 10/8", () => "https://10.0.0.1/hooks", /private network/],
    ["private 172.16/12", () => "https://172.16.0.1/hooks", /private network/],
    ["private 192.168/16", () => "https://192.168.0.1/hooks", /private network/],
    ["unique local fc00::/7", () => "https://[fc00::1]/hooks", /unique local/],
    ["link-local", () => "https://169.254.10.10/hooks", /link-local/],
    ["IPv6 link-local", () => "https://[fe80::1]/hooks", /link-local/],
    ["cloud metadata", () => "https://169.254.169.254/latest/meta-data/", /metadata/],
    ["cloud metadata over IPv6", () => "https://[fd00:ec2::254]/latest/meta-data/", /metadata/],
    ["cloud metadata, IPv4-mapped", () => "https://[::ffff:169.254.169.254]/", /metadata/],
    ["carrier-grade NAT", () => "https://100.64.0.1/hooks", /carrier-grade NAT/],
    ["multicast", () => "https://224.0.0.1/hooks", /multicast/],
  ])("refuses %s before connecting", async (_name, url, reason) => {
    const error = await refusal(sender.send(request(url(canary.port))));
    expect(error.reason).toBe("forbidden_address");
    expect(error.message).toMatch(reason);
    expect(canary.received).toEqual([]);
  });

  it("refuses localhost, which the system resolver maps to loopback", async () => {
    const error = await refusal(sender.send(request(`https://localhost:${canary.port}/hooks`)));
    expect(error.reason).toBe("forbidden_address");
    expect(error.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(canary.received).toEqual([]);
  });

  it("refuses a public-looking name that resolves to a forbidden address, or to several with one forbidden", async () => {
    for (const addresses of [
      [{ address: "127.0.0.1", family: 4 }],
      [{ address: "::ffff:127.0.0.1", family: 6 }],
      [{ address: "169.254.169.254", family: 4 }],
      [
        { address: "93.184.215.14", family: 4 },
        { address: "10.0.0.7", family: 4 },
      ],
    ]) {
      const rebinding = createNodeWebhookSender({ resolve: async () => addresses });
      const error = await refusal(rebinding.send(request(`https://hooks.example.com:${canary.port}/hooks`)));
      expect(error.reason).toBe("forbidden_address");
      expect(error.message).toMatch(/^hooks\.example\.com resolves to /);
    }
    expect(canary.received).toEqual([]);
  });

  it("refuses plain http and URLs with credentials", async () => {
    expect((await refusal(sender.send(request(`http://example.com/hooks`)))).reason).toBe("invalid_url");
    expect((await refusal(sender.send(request(`https://u:p@example.com/hooks`)))).reason).toBe("invalid_url");
    expect((await refusal(sender.send(request("not a url")))).reason).toBe("invalid_url");
  });

  it("reports a name that does not resolve", async () => {
    const failing = createNodeWebhookSender({
      resolve: async () => {
        throw Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" });
      },
    });
    const error = await refusal(failing.send(request("https://missing.example.com/hooks")));
    expect(error).toMatchObject({ reason: "dns_failure" });
    expect(error.message).toMatch(/missing\.example\.com could not be resolved \(ENOTFOUND\)/);
    const empty = createNodeWebhookSender({ resolve: async () => [] });
    expect((await refusal(empty.send(request("https://empty.example.com/hooks")))).reason).toBe("dns_failure");
  });
});

describe("node webhook sender: the checked address is the connected one", () => {
  it("resolves once per request and connects to exactly the address it approved", async () => {
    const calls: string[] = [];
    const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
      calls.push(hostname);
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const sender = createNodeWebhookSender({ resolve });
    const response = await sender.send(
      request(`http://hooks.internal.test:${canary.port}/hooks`, { allowPrivateNetworks: true }),
    );
    expect(response).toEqual({ status: 204, body: "" });
    expect(calls).toEqual(["hooks.internal.test"]);
    const [received] = canary.received.splice(0);
    expect(received?.headers.host).toBe(`hooks.internal.test:${canary.port}`);
  });

  it("reaches localhost through the system resolver when private networks are allowed", async () => {
    const response = await createNodeWebhookSender().send(
      request(`http://localhost:${canary.port}/hooks`, { allowPrivateNetworks: true }),
    );
    expect(response.status).toBe(204);
    canary.received.splice(0);
  });

  it("still refuses metadata addresses when private networks are allowed", async () => {
    const error = await refusal(
      createNodeWebhookSender().send(request("http://169.254.169.254/", { allowPrivateNetworks: true })),
    );
    expect(error.reason).toBe("forbidden_address");
  });

  it("gives up at once when the engine aborts", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await refusal(
      createNodeWebhookSender().send(
        request(`http://127.0.0.1:${canary.port}/hooks`, { allowPrivateNetworks: true, signal: controller.signal }),
      ),
    );
    expect(error.reason).toBe("aborted");
  });

  it("reports a refused connection", async () => {
    // Port 1 (tcpmux) is never served; a port freed by a closed test server could be taken by
    // another test file running in parallel.
    const port = 1;
    const error = await refusal(
      createNodeWebhookSender().send(request(`http://127.0.0.1:${port}/hooks`, { allowPrivateNetworks: true })),
    );
    expect(error).toMatchObject({ reason: "connection_failed" });
    expect(error.message).toMatch(/ECONNREFUSED/);
  });
});

describe("engine with private networks not allowed", () => {
  it("records a delivery to a name that resolves to loopback as a refused attempt, and sends nothing", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const engine = await createWebhookTestEngine(
      { database },
      {
        allowPrivateNetworks: false,
        sender: createNodeWebhookSender({ resolve: async () => [{ address: "127.0.0.1", family: 4 }] }),
      },
    );
    try {
      const endpoint = await engine.createEndpoint({
        url: `https://hooks.example.com:${canary.port}/hooks`,
        event_types: ["user.created"],
      });
      await engine.signUp();
      await engine.gatehouse.events.flush();
      expect(await engine.gatehouse.webhooks.deliverDue()).toBe(1);
      const [delivery] = await database.listWebhookDeliveries(endpoint.id, { limit: 1 });
      expect(delivery).toMatchObject({ status: "pending", attemptCount: 1, lastResponseStatus: null });
      expect(delivery?.lastError).toBe(
        "hooks.example.com resolves to 127.0.0.1, a loopback address, which webhooks may not reach.",
      );
      expect(canary.received).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it("refuses, at delivery time, an endpoint saved while private networks were allowed", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const encryptionKey = generateEncryptionKey();
    const permissive = await createWebhookTestEngine({ database, encryptionKey }, { allowPrivateNetworks: true });
    const endpoint = await permissive.createEndpoint({ url: canary.url, event_types: ["user.created"] });
    await permissive.close();

    const strict = await createWebhookTestEngine({ database, encryptionKey }, { allowPrivateNetworks: false });
    try {
      await strict.admin("POST", `/v1/admin/webhooks/${endpoint.id}/test`);
      expect(await strict.gatehouse.webhooks.deliverDue()).toBe(1);
      const [delivery] = await database.listWebhookDeliveries(endpoint.id, { limit: 1 });
      expect(delivery).toMatchObject({ status: "failed", attemptCount: 1 });
      expect(delivery?.lastError).toMatch(/scheme is not allowed/);
      expect(canary.received).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});
