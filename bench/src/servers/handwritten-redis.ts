/**
 * The floor for a Redis session check: hand-written `node:http` plus one ioredis GET of the
 * Gatehouse session record, then what any correct check must still do (SHA-256 of the token's
 * secret compared in constant time with the stored hash, both expiries). No framework, no
 * abstraction: the design Gatehouse's `session` strategy on Redis is measured against.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { announceReady, exitOnSignal } from "../lib/child.js";

const SESSION_TOKEN = /^Bearer (sess_[A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;
const redis = new Redis(process.env.REDIS_URL!);
const prefix = process.env.BENCH_REDIS_PREFIX!;
const unauthorized = JSON.stringify({ code: "unauthenticated" });

function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

const server = createServer((request, response) => {
  if (request.url !== "/api/me") {
    response.writeHead(404).end();
    return;
  }
  const match = SESSION_TOKEN.exec(request.headers.authorization ?? "");
  if (!match) {
    send(response, 401, unauthorized);
    return;
  }
  redis.get(`${prefix}session:${match[1]}`).then(
    (json) => {
      if (json === null) return send(response, 401, unauthorized);
      const session = JSON.parse(json) as {
        userId: string;
        secretHash: string;
        expiresAt: number;
        idleExpiresAt: number;
      };
      const presented = createHash("sha256").update(match[2]!).digest();
      const stored = Buffer.from(session.secretHash, "base64url");
      const now = Date.now();
      if (
        stored.length !== presented.length ||
        !timingSafeEqual(stored, presented) ||
        now >= session.expiresAt ||
        now >= session.idleExpiresAt
      ) {
        return send(response, 401, unauthorized);
      }
      send(response, 200, JSON.stringify({ userId: session.userId }));
    },
    () => send(response, 503, JSON.stringify({ code: "unavailable" })),
  );
});
server.listen(0, "127.0.0.1", () => {
  announceReady({ port: (server.address() as AddressInfo).port });
});
exitOnSignal(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  redis.disconnect();
});
