/**
 * Redis helpers for the suite: deleting this run's keys (everything under its prefix, nothing
 * else), reading `used_memory`, and counting the commands a request sends, by watching
 * MONITOR for a short, bounded window.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";

/** Deletes every key under `prefix` (SCAN + UNLINK, in batches). Returns how many. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let removed = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) removed += await redis.unlink(...keys);
  } while (cursor !== "0");
  return removed;
}

/** Counts keys under `prefix`. */
export async function countKeys(redis: Redis, prefix: string): Promise<number> {
  let count = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== "0");
  return count;
}

/** `used_memory` from `INFO memory`, in bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error("INFO memory has no used_memory");
  return Number(match[1]);
}

/** Sum of `MEMORY USAGE` over every key under `prefix`: a cross-check that other clients of a shared Redis cannot disturb. */
export async function memoryUsageOfKeys(redis: Redis, prefix: string): Promise<{ bytes: number; keys: number }> {
  let bytes = 0;
  let keys = 0;
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.memory("USAGE", key, "SAMPLES", "0");
    for (const [error, value] of (await pipeline.exec()) ?? []) {
      if (!error && typeof value === "number") {
        bytes += value;
        keys++;
      }
    }
  } while (cursor !== "0");
  return { bytes, keys };
}

/** Commands that are background traffic, not a request's: the revocation log's tailing. */
const BACKGROUND = new Set(["xread", "xrevrange", "xrange", "ping", "info", "client", "select"]);

/** How long no command may touch the prefix before counting starts; and the longest wait for it. */
const QUIET_MS = 300;
const MAX_SETTLE_MS = 5_000;

/**
 * The Redis commands touching `prefix` while `run` executes `requests` requests, per request.
 * MONITOR sees every client, so only commands naming a key under the prefix are counted. Rows
 * on one server share its prefix, and a load generator that has just stopped leaves requests in
 * the server's sockets that it still answers: counting starts once the prefix has been quiet
 * for a moment, so the previous row's tail is not charged to this one.
 */
export async function commandsPerRequest(
  redisURL: string,
  prefix: string,
  requests: number,
  run: () => Promise<void>,
): Promise<{ commandsPerRequest: number; commands: Record<string, number> }> {
  const monitorClient = new Redis(redisURL);
  const monitor = await monitorClient.monitor();
  let commands: Record<string, number> = {};
  let total = 0;
  let lastSeen = Date.now();
  monitor.on("monitor", (_time: string, args: string[]) => {
    const name = String(args[0]).toLowerCase();
    if (BACKGROUND.has(name)) return;
    if (!args.slice(1).some((arg) => String(arg).startsWith(prefix))) return;
    lastSeen = Date.now();
    commands[name] = (commands[name] ?? 0) + 1;
    total++;
  });
  try {
    // MONITOR takes effect once Redis has answered it; then wait for the prefix to fall quiet.
    const settleBy = Date.now() + MAX_SETTLE_MS;
    await sleep(100);
    while (Date.now() - lastSeen < QUIET_MS && Date.now() < settleBy) await sleep(50);
    commands = {};
    total = 0;
    await run();
    await sleep(300);
  } finally {
    monitor.disconnect();
    monitorClient.disconnect();
  }
  return { commandsPerRequest: total / requests, commands };
}
