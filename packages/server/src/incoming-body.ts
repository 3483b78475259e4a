/**
 * The engine's `RequestContext.readBody` for Node: the body straight from the `IncomingMessage`.
 * Reading `request.body` instead makes @hono/node-server build a web `Request` (headers,
 * `AbortController`) and wrap the Node stream in a web stream, which costs more event-loop time
 * than the sign-in around it does in JSON parsing and validation.
 */
import type { IncomingMessage } from "node:http";

/**
 * Collects the body of `incoming`. Past `limitBytes` it stops: the stream is destroyed, as the
 * web stream's cancel did (a client still sending a flood is cut off), and the answer is null.
 * @throws Error when the client goes away before the end, or the body was already read.
 */
export function readIncomingBody(incoming: IncomingMessage, limitBytes: number): Promise<Uint8Array | null> {
  if (incoming.readableEnded) return Promise.reject(new Error("The request body was already read."));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    function finish(): void {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    }
    function onData(chunk: Buffer): void {
      total += chunk.byteLength;
      if (total > limitBytes) {
        finish();
        incoming.destroy();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    }
    function onEnd(): void {
      finish();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    }
    function onError(error: Error): void {
      finish();
      reject(error);
    }
    function onClose(): void {
      finish();
      reject(new Error("The client went away before the request body ended."));
    }
    incoming.on("data", onData);
    incoming.once("end", onEnd);
    incoming.once("error", onError);
    incoming.once("close", onClose);
  });
}
