/**
 * Smoke test of the Express example against a real Gatehouse server (session strategy):
 * signed out, the dashboard sends the browser to the hosted sign-in page and back; signed in,
 * it renders the user; the app's sign-out ends the session.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServerConfig, startServer, type RunningServer } from "@gatehouse/server";
// @ts-expect-error -- the example is plain JavaScript, without type declarations
import { createApp } from "../app.js";

let dataDir: string;
let gatehouse: RunningServer;
let app: Server;
let closeApp: () => Promise<void>;
let gatehouseURL: string;
let appURL: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "gatehouse-example-express-"));
  gatehouse = await startServer(
    {
      ...loadServerConfig({
        GATEHOUSE_DATA_DIR: dataDir,
        HOST: "127.0.0.1",
        GATEHOUSE_STRATEGY: "session",
        GATEHOUSE_LOG_LEVEL: "silent",
      }),
      port: 0,
    },
    { output: { write: () => {} } },
  );
  gatehouseURL = gatehouse.listenURL;
  const created = createApp({ gatehouseURL, appURL: "http://127.0.0.1" });
  closeApp = created.close;
  app = await new Promise<Server>((resolve) => {
    const server: Server = created.app.listen(0, "127.0.0.1", () => resolve(server));
  });
  appURL = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => app?.close(resolve));
  await closeApp?.();
  await gatehouse?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("examples/express-ssr", () => {
  it("sends a signed-out visitor to the hosted sign-in page, with the way back", async () => {
    const response = await fetch(`${appURL}/dashboard`, { redirect: "manual" });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(`${gatehouseURL}/sign-in`);
    expect(location.searchParams.get("redirect_url")).toBe(`${appURL}/dashboard`);
  });

  it("renders the dashboard for a signed-in user, escaped, and signs out", async () => {
    const signUp = await fetch(`${gatehouseURL}/v1/sign-up`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ada@example.com", password: "a long passphrase here", name: "<Ada>" }),
    });
    expect(signUp.status).toBe(201);
    const cookie = signUp.headers.getSetCookie()[0]!.split(";")[0]!;

    const dashboard = await fetch(`${appURL}/dashboard`, { headers: { cookie } });
    expect(dashboard.status).toBe(200);
    const body = await dashboard.text();
    expect(body).toContain("Welcome, &#60;Ada&#62;.");
    expect(body).not.toContain("<Ada>");

    const signOut = await fetch(`${appURL}/sign-out`, { method: "POST", headers: { cookie }, redirect: "manual" });
    expect(signOut.status).toBe(303);
    expect(signOut.headers.getSetCookie().join()).toMatch(/gatehouse_session=;/);
    expect((await fetch(`${appURL}/dashboard`, { headers: { cookie }, redirect: "manual" })).status).toBe(303);
  });

  it("refuses a sign-out posted from another site", async () => {
    const response = await fetch(`${appURL}/sign-out`, { method: "POST", headers: { origin: "https://evil.example" } });
    expect(response.status).toBe(403);
  });
});
