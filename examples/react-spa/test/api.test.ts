/**
 * Smoke test of the React SPA example's API against a real Gatehouse server (hybrid strategy):
 * the SDK lets a signed-in user's access token through, refuses everything else, and the API
 * refuses cookie-authenticated writes from another origin.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServerConfig, startServer, type RunningServer } from "@gatehouse/server";
import { freePort } from "../../../packages/server/src/test-support/cli-process.js";
// @ts-expect-error -- the example is plain JavaScript, without type declarations
import { createAPI } from "../api.js";

const APP_ORIGIN = "http://localhost:5173";
let dataDir: string;
let gatehouse: RunningServer;
let api: { app: { request(path: string, init?: RequestInit): Promise<Response> }; close(): Promise<void> };
let accessToken: string;
let accessCookie: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "gatehouse-example-spa-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  gatehouse = await startServer(
    loadServerConfig({
      PORT: String(port),
      HOST: "127.0.0.1",
      GATEHOUSE_URL: url,
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_STRATEGY: "hybrid",
      GATEHOUSE_LOG_LEVEL: "silent",
    }),
    { output: { write: () => {} } },
  );
  api = createAPI({ gatehouseURL: url, appOrigin: APP_ORIGIN });
  const bearer = await fetch(`${url}/v1/sign-up`, {
    method: "POST",
    headers: { "content-type": "application/json", "auth-transport": "bearer" },
    body: JSON.stringify({ email: "ada@example.com", password: "a long passphrase here" }),
  });
  accessToken = ((await bearer.json()) as { access_token: string }).access_token;
  const browser = await fetch(`${url}/v1/sign-in/password`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "ada@example.com", password: "a long passphrase here" }),
  });
  accessCookie = browser.headers
    .getSetCookie()
    .find((cookie) => cookie.startsWith("gatehouse_access="))!
    .split(";")[0]!;
});

afterAll(async () => {
  await api?.close();
  await gatehouse?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("examples/react-spa API", () => {
  it("answers a signed-in user, from a bearer token or the access cookie", async () => {
    const me = await api.app.request("/api/me", { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    expect((await me.json()) as object).toMatchObject({ user_id: expect.stringMatching(/^user_/) });
    const fromCookie = await api.app.request("/api/notes", { headers: { cookie: accessCookie, origin: APP_ORIGIN } });
    expect(fromCookie.status).toBe(200);
    expect(fromCookie.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(fromCookie.headers.get("access-control-allow-credentials")).toBe("true");
  });

  it("keeps each user's notes", async () => {
    const created = await api.app.request("/api/notes", {
      method: "POST",
      headers: { cookie: accessCookie, origin: APP_ORIGIN, "content-type": "application/json" },
      body: JSON.stringify({ text: "buy milk" }),
    });
    expect(created.status).toBe(201);
    const list = await api.app.request("/api/notes", { headers: { authorization: `Bearer ${accessToken}` } });
    expect(((await list.json()) as { data: { text: string }[] }).data.map((note) => note.text)).toEqual(["buy milk"]);
  });

  it("refuses the signed out, forged tokens and writes from another origin", async () => {
    expect((await api.app.request("/api/me")).status).toBe(401);
    expect((await api.app.request("/api/me", { headers: { authorization: "Bearer not.a.token" } })).status).toBe(401);
    const foreign = await api.app.request("/api/notes", {
      method: "POST",
      headers: { cookie: accessCookie, origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ text: "x" }),
    });
    expect(foreign.status).toBe(403);
  });
});
