/**
 * The revocation feed for app verifiers: `GET /v1/revocations/stream`, Server-Sent Events,
 * authenticated with a secret key. On connect it replays every retained revocation after the
 * client's `Last-Event-ID` (all retained ones on a first connect, so a verifier that just
 * started also rejects tokens revoked before it started), says `ready`, then streams live.
 * Retained means "until no token of that session can still be valid", so nothing that still
 * matters is ever missed across a reconnect.
 */
import { defineRoute, type AnyRoute } from "../http/route.js";
import type { RevocationLog, RevocationLogEntry } from "../storage/ports.js";

/** Heartbeat comments keep proxies from closing an idle stream and let clients detect a dead one. */
export const FEED_HEARTBEAT_MS = 15_000;
const REPLAY_PAGE = 500;

function revocationEvent(entry: RevocationLogEntry): string {
  const data = { sid: entry.sessionId, sub: entry.userId, revoked_at: entry.revokedAt, until: entry.until };
  return `id: ${entry.cursor}\nevent: revocation\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The feed route. */
export function revocationFeedRoutes({ log }: { log: RevocationLog }): AnyRoute[] {
  return [
    defineRoute({
      method: "GET",
      path: "/v1/revocations/stream",
      summary: "Revoked sessions, live (Server-Sent Events) — for verifiers of access tokens",
      tag: "Tokens",
      auth: "admin",
      responses: {
        200: {
          description:
            "`text/event-stream`: `revocation` events (`id` = cursor, data `{sid, sub, revoked_at, until}`), one `ready` after the replay, `: ping` every 15 s. Resume with `Last-Event-ID`.",
        },
        401: { description: "`unauthenticated`: no valid secret key" },
      },
      async handle({ request }) {
        const lastEventId = request.headers.get("last-event-id")?.slice(0, 64) || null;
        const encoder = new TextEncoder();
        let stop = (): void => {};

        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            let open = true;
            const send = (text: string): void => {
              if (open) controller.enqueue(encoder.encode(text));
            };
            // Live entries that arrive during the replay wait, then go out once, in order.
            const buffered: RevocationLogEntry[] = [];
            const replayed = new Set<string>();
            let replaying = true;
            const unsubscribe = log.subscribe((entry) => {
              if (replaying) buffered.push(entry);
              else send(revocationEvent(entry));
            });
            const heartbeat = setInterval(() => send(": ping\n\n"), FEED_HEARTBEAT_MS);
            stop = () => {
              if (!open) return;
              open = false;
              unsubscribe();
              clearInterval(heartbeat);
            };
            request.signal?.addEventListener("abort", () => stop());

            void (async () => {
              send("retry: 1000\n\n");
              let cursor = lastEventId;
              for (;;) {
                const page = await log.readAfter(cursor, REPLAY_PAGE);
                for (const entry of page) {
                  replayed.add(entry.cursor);
                  send(revocationEvent(entry));
                }
                if (page.length < REPLAY_PAGE) break;
                cursor = page.at(-1)!.cursor;
              }
              replaying = false;
              for (const entry of buffered) if (!replayed.has(entry.cursor)) send(revocationEvent(entry));
              send("event: ready\ndata: {}\n\n");
            })().catch((error: unknown) => {
              stop();
              controller.error(error);
            });
          },
          cancel() {
            stop();
          },
        });

        return new Response(body, {
          headers: {
            "content-type": "text/event-stream",
            "cache-control": "no-store",
            // Tells nginx-style proxies not to buffer the stream.
            "x-accel-buffering": "no",
          },
        });
      },
    }),
  ];
}
