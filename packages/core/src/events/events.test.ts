import { describe, expect, it } from "vitest";
import { silentLogger } from "../lib/logger.js";
import { createTestEngine, strongPassword } from "../test-support/engine.js";
import { createEventBus, type GatehouseEvent } from "./bus.js";

describe("event bus", () => {
  it("delivers to every listener with the clock's time; a failing listener is logged, not thrown", async () => {
    const errors: unknown[] = [];
    const bus = createEventBus({
      clock: () => 42,
      logger: { ...silentLogger, error: (object) => void errors.push(object) },
    });
    const seen: GatehouseEvent[] = [];
    bus.subscribe(() => {
      throw new Error("listener broke");
    });
    const unsubscribe = bus.subscribe(async (event) => void seen.push(event));
    expect(() => bus.emit({ type: "user.created", userId: "user_1" })).not.toThrow();
    await bus.flush();
    expect(seen).toEqual([{ type: "user.created", userId: "user_1", occurredAt: 42 }]);
    expect(errors).toHaveLength(1);
    unsubscribe();
    bus.emit({ type: "user.created", userId: "user_2" });
    await bus.flush();
    expect(seen).toHaveLength(1);
  });
});

describe("engine events", () => {
  it("announces sign-up, sign-in, failures and revocations without any secret", async () => {
    const engine = await createTestEngine();
    const events: GatehouseEvent[] = [];
    engine.gatehouse.events.subscribe((event) => void events.push(event));
    try {
      const alice = await engine.signUp();
      const wrong = strongPassword();
      await engine.request("POST", "/v1/sign-in/password", { json: { email: alice.email, password: wrong } });
      const signIn = await engine.request("POST", "/v1/sign-in/password", {
        json: { email: alice.email, password: alice.password },
        headers: { "auth-transport": "bearer", "user-agent": "Test/1" },
      });
      const { access_token } = await signIn.json();
      await engine.request("POST", "/v1/sign-out", { bearer: access_token });
      await engine.request("DELETE", `/v1/sessions/${alice.sessionId}`, { cookie: alice.token });
      await engine.gatehouse.events.flush();

      expect(events.map((event) => event.type)).toEqual([
        "user.created",
        "session.created",
        "sign_in.failed",
        "session.created",
        "sign_in.succeeded",
        "session.revoked",
        "session.revoked",
      ]);
      expect(events[2]).toMatchObject({
        userId: alice.userId,
        data: { reason: "invalid_credentials", email: alice.email },
      });
      expect(events[4]).toMatchObject({ userId: alice.userId, userAgent: "Test/1" });
      expect(events[5]).toMatchObject({ data: { reason: "sign_out" } });
      expect(events[6]).toMatchObject({ sessionId: alice.sessionId, data: { reason: "user_revoked" } });
      const serialized = JSON.stringify(events);
      for (const secret of [alice.password, wrong, alice.token, access_token]) expect(serialized).not.toContain(secret);
    } finally {
      await engine.close();
    }
  });
});
