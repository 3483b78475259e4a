/**
 * Ceiling: bare `node:http` answering the benchmarked route with the same small JSON every
 * row returns, and no authentication at all. Nothing on Node answers faster.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { announceReady, exitOnSignal } from "../lib/child.js";

const body = JSON.stringify({ userId: "user_ceilingceilingceiling" });

const server = createServer((request, response) => {
  if (request.url !== "/api/me") {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
});
server.listen(0, "127.0.0.1", () => {
  announceReady({ port: (server.address() as AddressInfo).port });
});
exitOnSignal(() => new Promise<void>((resolve) => server.close(() => resolve())));
