/**
 * The example's API: a Hono app whose routes need a signed-in user, verified by
 * `@gatehouse/sdk/hono` from the access-token cookie (hybrid strategy) or a bearer token.
 * Verification is local — a signature check against Gatehouse's published keys — and, with
 * the admin secret key, revocations arrive over the feed so a signed-out session's tokens are
 * refused within a second.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { createVerifier } from "@gatehouse/sdk";
import { requireAuth } from "@gatehouse/sdk/hono";

const MAX_NOTE_LENGTH = 500;

/**
 * Creates the API.
 *
 * @param {{ gatehouseURL: string, appOrigin: string, secretKey?: string }} options - where
 *   Gatehouse is, the SPA's origin (allowed by CORS, and the only origin whose writes are
 *   accepted), and the admin secret key to follow revocations with.
 * @returns {{ app: Hono, close(): Promise<void> }}
 * @example
 * const { app } = createAPI({ gatehouseURL: "http://localhost:4000", appOrigin: "http://localhost:5173" });
 */
export function createAPI({ gatehouseURL, appOrigin, secretKey }) {
  const verifier = createVerifier({
    url: gatehouseURL,
    ...(secretKey ? { secretKey, followRevocations: true } : {}),
  });
  /** @type {Map<string, { id: number, text: string, created_at: string }[]>} */
  const notes = new Map();
  let nextId = 1;

  const app = new Hono();
  app.use("/api/*", cors({ origin: appOrigin, credentials: true, allowHeaders: ["content-type"] }));
  // Cookie-authenticated writes from another origin are refused (CSRF), as Gatehouse does.
  app.use("/api/*", async (c, next) => {
    const origin = c.req.header("origin");
    if (!["GET", "HEAD", "OPTIONS"].includes(c.req.method) && origin && origin !== appOrigin) {
      return c.json({ code: "origin_forbidden" }, 403);
    }
    await next();
  });
  // One middleware authenticates and refuses the signed-out: c.get("auth") is set after it.
  app.use("/api/*", requireAuth(verifier));

  app.get("/api/me", (c) => {
    const auth = c.get("auth");
    return c.json({ user_id: auth.userId, session_id: auth.sessionId });
  });

  app.get("/api/notes", (c) => c.json({ data: notes.get(c.get("auth").userId) ?? [] }));

  app.post("/api/notes", async (c) => {
    const body = await c.req.json().catch(() => null);
    const text = typeof body?.text === "string" ? body.text.trim() : "";
    if (text === "" || text.length > MAX_NOTE_LENGTH) {
      return c.json({ code: "validation_failed", detail: `A note has 1 to ${MAX_NOTE_LENGTH} characters.` }, 422);
    }
    const userId = c.get("auth").userId;
    const note = { id: nextId++, text, created_at: new Date().toISOString() };
    notes.set(userId, [note, ...(notes.get(userId) ?? [])]);
    return c.json(note, 201);
  });

  return { app, close: () => verifier.close() };
}
