/**
 * Reading a request body straight from Node's IncomingMessage, on a real HTTP server: whole
 * bodies in any number of chunks, a stop at the limit that cuts a flood off, and the failures.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { readIncomingBody } from "./incoming-body.js";
import { postChunked } from "./test-support/cli-process.js";

const postChunks = (port: number, chunks: string[]) => postChunked(`http://127.0.0.1:${port}/`, chunks, 5);

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/**
 * A server whose every request is read with `read`; resolves with what the reading gave (or
 * the error), once the first request arrives.
 */
async function serveOnce(
  read: (incoming: IncomingMessage) => Promise<Uint8Array | null>,
): Promise<{ port: number; outcome: Promise<{ body?: Uint8Array | null; error?: Error }> }> {
  let settle!: (outcome: { body?: Uint8Array | null; error?: Error }) => void;
  const outcome = new Promise<{ body?: Uint8Array | null; error?: Error }>((resolve) => (settle = resolve));
  server = createServer((incoming, response) => {
    read(incoming).then(
      (body) => {
        settle({ body });
        if (!response.destroyed) response.end(body === null ? "too large" : "ok");
      },
      (error: Error) => {
        settle({ error });
        response.destroy();
      },
    );
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
  return { port: (server!.address() as AddressInfo).port, outcome };
}

describe("readIncomingBody", () => {
  it("returns the whole body, sent in many chunks, byte for byte", async () => {
    const { port, outcome } = await serveOnce((incoming) => readIncomingBody(incoming, 1024));
    const chunks = ['{"email":', '"ada@example.com",', '"name":"Ada Lovelace ✓"}'];

    const sent = await postChunks(port, chunks);

    expect(sent.status).toBe(200);
    const { body } = await outcome;
    expect(new TextDecoder().decode(body!)).toBe(chunks.join(""));
  });

  it("returns an empty body as zero bytes", async () => {
    const { port, outcome } = await serveOnce((incoming) => readIncomingBody(incoming, 1024));
    await postChunks(port, []);
    expect((await outcome).body).toEqual(Buffer.alloc(0));
  });

  it("accepts a body of exactly the limit", async () => {
    const { port, outcome } = await serveOnce((incoming) => readIncomingBody(incoming, 10));
    await postChunks(port, ["12345", "67890"]);
    expect(new TextDecoder().decode((await outcome).body!)).toBe("1234567890");
  });

  it("stops one byte past the limit with null, and cuts off a client still sending", async () => {
    const { port, outcome } = await serveOnce((incoming) => readIncomingBody(incoming, 10));
    // A flood: far more than the limit, still coming when the limit is passed.
    const flood = Array.from({ length: 200 }, () => "x".repeat(100));

    const sent = await postChunks(port, ["1234567890", "1", ...flood]);

    expect((await outcome).body).toBeNull();
    // The connection went down before the client could send the rest.
    expect(sent.error).toBeDefined();
  });

  it("fails when the client goes away before the body ends", async () => {
    const { port, outcome } = await serveOnce((incoming) => readIncomingBody(incoming, 1024));
    const outgoing = httpRequest({ port, host: "127.0.0.1", method: "POST", path: "/" });
    outgoing.on("error", () => {});
    outgoing.write('{"half":');
    await new Promise((resolve) => setTimeout(resolve, 50));
    outgoing.destroy();

    // Node reports it as an "aborted" error on the stream (or, elsewhere, a bare close).
    const { body, error } = await outcome;
    expect(body).toBeUndefined();
    expect(error).toBeInstanceOf(Error);
  });

  it("fails, rather than waiting forever, for a body already read", async () => {
    const { port, outcome } = await serveOnce(async (incoming) => {
      await readIncomingBody(incoming, 1024);
      return readIncomingBody(incoming, 1024);
    });
    await postChunks(port, ["{}"]);
    expect((await outcome).error?.message).toMatch(/already read/);
  });
});
