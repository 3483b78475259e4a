/**
 * The in-memory adapter against the shared conformance suite, plus its production warning.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  describeDatabaseConformance,
  describeEmailStoreConformance,
  describePasskeyStoreConformance,
  describeRateLimiterConformance,
  describeRevocationLogConformance,
  describeSessionStoreConformance,
  describeSigningKeyStoreConformance,
} from "../../storage/conformance.test-suite.js";
import { describeWebhookStoreConformance } from "../../storage/webhook-conformance.test-suite.js";
import { createMemoryDatabase, createMemoryRateLimiters } from "./index.js";

describeDatabaseConformance("memory", async () => {
  const database = createMemoryDatabase();
  await database.migrate();
  return { database, teardown: () => database.close() };
});

describeEmailStoreConformance("memory", async () => {
  const database = createMemoryDatabase();
  return { database, teardown: () => database.close() };
});

describePasskeyStoreConformance("memory", async () => {
  const database = createMemoryDatabase();
  return { database, teardown: () => database.close() };
});

describeSessionStoreConformance("memory", async () => {
  const database = createMemoryDatabase();
  return { store: database.sessions, teardown: () => database.close() };
});

describeSigningKeyStoreConformance("memory", async () => {
  const database = createMemoryDatabase();
  return { store: database, teardown: () => database.close() };
});

describeRevocationLogConformance("memory", async () => {
  const database = createMemoryDatabase();
  return { log: database.revocations, teardown: () => database.close() };
});

describeWebhookStoreConformance("memory", async () => {
  const database = createMemoryDatabase();
  return { store: database, teardown: () => database.close() };
});

describeRateLimiterConformance("memory", async () => ({
  rateLimiters: createMemoryRateLimiters(),
  teardown: async () => {},
}));

describe("createMemoryDatabase", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("warns once in production that data is lost on restart and not shared", async () => {
    vi.stubEnv("NODE_ENV", "production");
    const warn = vi.fn();
    const database = createMemoryDatabase({ warn });
    await database.migrate();
    await database.createUser({
      id: "user_1",
      email: "a@example.com",
      emailNormalized: "a@example.com",
      name: null,
      passwordHash: null,
      emailVerifiedAt: null,
      createdAt: 1,
    });
    await database.getUserById("user_1");

    expect(warn).toHaveBeenCalledTimes(1);
    const [message] = warn.mock.calls[0] as [string];
    expect(message).toMatch(/lost on restart/);
    expect(message).toMatch(/not shared between instances/);
  });

  it("warns through console.warn when no warn option is given", () => {
    vi.stubEnv("NODE_ENV", "production");
    const consoleWarn = vi.spyOn(console, "warn").mockImplementation(() => {});
    createMemoryDatabase();
    expect(consoleWarn).toHaveBeenCalledTimes(1);
  });

  it("stays quiet outside production", () => {
    const warn = vi.fn();
    vi.stubEnv("NODE_ENV", "development");
    createMemoryDatabase({ warn });
    vi.stubEnv("NODE_ENV", "test");
    createMemoryDatabase({ warn });
    expect(warn).not.toHaveBeenCalled();
  });

  it("is of kind memory and keeps each database's data apart", async () => {
    const first = createMemoryDatabase();
    const second = createMemoryDatabase();
    expect(first.kind).toBe("memory");
    await first.createSecretKey({ id: "sk_1", keyHash: "h", createdAt: 1, revokedAt: null });
    expect(await second.findActiveSecretKey("h")).toBeNull();
    expect(await second.countActiveSecretKeys()).toBe(0);
  });
});
