/**
 * The SDK against real servers: a verifier in an app follows the revocation feed of one
 * instance, while users sign in and out on another (PostgreSQL + Redis). It rejects a revoked
 * session's JWT within a second with no call per request, and after its feed instance restarts it
 * catches up on what it missed.
 */
import { randomBytes } from "node:crypto";
import { createVerifier, type Verifier } from "@gatehouse/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  deleteRedisPrefix,
  probePostgres,
  probeRedis,
  REDIS_URL,
  testRedisPrefix,
  type TestDatabase,
} from "../../core/src/test-support/services.js";
import {
  freePort,
  postJSON,
  runCLI,
  startCLI,
  strongPassword,
  uniqueEmail,
  type StartedCLI,
} from "./test-support/cli-process.js";

const postgres = await probePostgres();
const redis = await probeRedis();
const reason = [postgres.reason, redis.reason].filter(Boolean).join("; ");

const SECRET_KEY = `gh_sk_${randomBytes(32).toString("base64url")}`;

describe.skipIf(!(postgres.available && redis.available))(`SDK verifier following the feed ${reason}`.trim(), () => {
  let database: TestDatabase;
  let feedInstance: StartedCLI;
  let signInInstance: StartedCLI;
  let verifier: Verifier;
  let env: Record<string, string>;
  let feedPort: number;
  const redisPrefix = testRedisPrefix();

  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      GATEHOUSE_REDIS_PREFIX: redisPrefix,
      GATEHOUSE_URL: `http://localhost:${await freePort()}`,
      GATEHOUSE_STRATEGY: "jwt",
      GATEHOUSE_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
      GATEHOUSE_SECRET_KEY: SECRET_KEY,
    };
    feedInstance = await startCLI(env);
    feedPort = Number(new URL(feedInstance.url).port);
    signInInstance = await startCLI(env);
    verifier = createVerifier({
      url: feedInstance.url,
      issuer: env.GATEHOUSE_URL,
      secretKey: SECRET_KEY,
      followRevocations: true,
      feed: { minReconnectDelayMs: 100, maxReconnectDelayMs: 300 },
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    });
    await verifier.ready();
  });

  afterAll(async () => {
    await verifier?.close();
    await Promise.all([feedInstance?.stop(), signInInstance?.stop()]);
    await database?.drop();
    await deleteRedisPrefix(redisPrefix);
  });

  async function signIn(): Promise<string> {
    const response = await postJSON(
      `${signInInstance.url}/v1/sign-up`,
      { email: uniqueEmail(), password: strongPassword() },
      { "auth-transport": "bearer" },
    );
    expect(response.status).toBe(201);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  const check = (token: string) =>
    verifier.authenticateRequest(
      new Request("http://app.test/orders", { headers: { authorization: `Bearer ${token}` } }),
    );

  async function waitForSignedOut(token: string, boundMs: number): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < boundMs) {
      const state = await check(token);
      if (state.status === "signed-out") {
        expect(state.reason).toBe("revoked");
        return performance.now() - started;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`still signed in after ${boundMs} ms`);
  }

  it("rejects a session signed out on another instance within a second", async () => {
    const token = await signIn();
    expect((await check(token)).status).toBe("signed-in");
    const signOut = await fetch(`${signInInstance.url}/v1/sign-out`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(signOut.status).toBe(204);
    expect(await waitForSignedOut(token, 1000)).toBeLessThan(1000);
  });

  it("catches up after its feed instance restarts, on what was revoked meanwhile", async () => {
    const token = await signIn();
    expect((await check(token)).status).toBe("signed-in");
    expect(await feedInstance.stop()).toBe(0);
    const signOut = await fetch(`${signInInstance.url}/v1/sign-out`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(signOut.status).toBe(204);
    // Back on the same address; the verifier reconnects with Last-Event-ID and replays.
    const restarted = runCLI(["start"], { ...env, PORT: String(feedPort), HOST: "127.0.0.1" });
    await restarted.waitForOutput(/Gatehouse listening on/);
    feedInstance = {
      ...restarted,
      url: `http://127.0.0.1:${feedPort}`,
      async stop() {
        if (restarted.child.exitCode === null) restarted.child.kill("SIGTERM");
        return (await restarted.exited).code;
      },
    };
    expect(await waitForSignedOut(token, 5000)).toBeLessThan(5000);
  });
});
