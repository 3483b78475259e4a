/**
 * Webhook payloads built from engine events: the Standard Webhooks shape, snake_case details,
 * the user object for `user.*` events, and credential-like details never forwarded.
 */
import { describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import type { GatehouseEvent } from "../events/bus.js";
import { payloadForEvent, testPayload } from "./payload.js";

const AT = Date.UTC(2026, 0, 1, 12);

function event(overrides: Partial<GatehouseEvent>): GatehouseEvent {
  return { type: "session.revoked", occurredAt: AT, userId: "user_1", ...overrides };
}

describe("payloadForEvent", () => {
  it("builds {type, timestamp, data} with ids, client details, actor and snake_case details", async () => {
    const users = createMemoryDatabase({ warn: () => {} });
    const payload = await payloadForEvent(
      event({
        type: "refresh_token.reused",
        sessionId: "sess_1",
        ip: "203.0.113.9",
        userAgent: "Test/1",
        actor: { type: "system", id: null },
        data: { presentedGeneration: 3, currentGeneration: 5, reason: "reuse" },
      }),
      users,
    );
    expect(payload).toEqual({
      type: "refresh_token.reused",
      timestamp: "2026-01-01T12:00:00.000Z",
      data: {
        user_id: "user_1",
        session_id: "sess_1",
        ip: "203.0.113.9",
        user_agent: "Test/1",
        actor: { type: "system", id: null },
        presented_generation: 3,
        current_generation: 5,
        reason: "reuse",
      },
    });
  });

  it("never forwards credential-like details, and lets no detail overwrite the event's own fields", async () => {
    const users = createMemoryDatabase({ warn: () => {} });
    const payload = await payloadForEvent(
      event({
        data: {
          password: "p",
          newPassword: "p",
          token: "t",
          refreshToken: "t",
          secret: "s",
          passwordHash: "h",
          code: "123456",
          backup_code: "x",
          apiKey: "k",
          otp: "1",
          userId: "user_forged",
          reason: "sign_out",
          kid: "key_1",
        },
      }),
      users,
    );
    expect(payload.data).toEqual({ user_id: "user_1", reason: "sign_out", kid: "key_1" });
  });

  it("adds the public user object to user.* events, and only the id once the user is gone", async () => {
    const users = createMemoryDatabase({ warn: () => {} });
    await users.createUser({
      id: "user_1",
      email: "Ada@Example.com",
      emailNormalized: "ada@example.com",
      name: "Ada",
      passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
      emailVerifiedAt: AT,
      createdAt: AT,
    });
    const created = await payloadForEvent(event({ type: "user.created" }), users);
    expect(created.data.user).toEqual({
      id: "user_1",
      email: "Ada@Example.com",
      name: "Ada",
      email_verified: true,
      created_at: "2026-01-01T12:00:00.000Z",
      updated_at: "2026-01-01T12:00:00.000Z",
    });
    expect(JSON.stringify(created)).not.toContain("argon2");

    const gone = await payloadForEvent(event({ type: "user.created", userId: "user_missing" }), users);
    expect(gone.data).toEqual({ user_id: "user_missing" });
    const notAboutTheUser = await payloadForEvent(event({ type: "session.created" }), users);
    expect(notAboutTheUser.data.user).toBeUndefined();
  });

  it("builds the test event", () => {
    expect(testPayload("wh_1", AT)).toEqual({
      type: "webhook.test",
      timestamp: "2026-01-01T12:00:00.000Z",
      data: { webhook_id: "wh_1", message: expect.any(String) },
    });
  });
});
