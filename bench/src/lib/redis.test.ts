// Counting a row's Redis commands per request against the real Redis: only the row's prefix, not
// background tailing, and not the previous row's tail still being answered as counting begins.
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { setTimeout as sleep } from "node:timers/promises";
import {
  REDIS_URL,
  deleteRedisPrefix,
  probeRedis,
  testRedisPrefix,
} from "../../../packages/core/src/test-support/services.js";
import { commandsPerRequest } from "./redis.js";

const probe = await probeRedis();

describe.skipIf(!probe.available)(`commandsPerRequest ${probe.reason}`, () => {
  const prefix = testRedisPrefix();
  const redis = new Redis(REDIS_URL);
  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    redis.disconnect();
  });

  it("counts the commands naming the prefix, per request, and nothing else", async () => {
    const counted = await commandsPerRequest(REDIS_URL, prefix, 10, async () => {
      for (let i = 0; i < 10; i++) {
        await redis.get(`${prefix}session`);
        await redis.get("another-run:session");
        await redis.ping();
      }
    });
    expect(counted).toEqual({ commandsPerRequest: 1, commands: { get: 10 } });
  });

  it("starts counting once the prefix is quiet: a previous load's tail is not this row's", async () => {
    // Stands for the requests a load generator left in the server's sockets as it stopped:
    // still answered, one Redis GET each, for a while after counting was asked for.
    let tailing = true;
    const tail = (async () => {
      for (let i = 0; i < 8; i++) {
        await redis.get(`${prefix}earlier-row`);
        await sleep(40);
      }
      tailing = false;
    })();
    const counted = await commandsPerRequest(REDIS_URL, prefix, 10, async () => {
      expect(tailing).toBe(false);
      for (let i = 0; i < 10; i++) await redis.get(`${prefix}session`);
    });
    await tail;
    expect(counted).toEqual({ commandsPerRequest: 1, commands: { get: 10 } });
  });
});
