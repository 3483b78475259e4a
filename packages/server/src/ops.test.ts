/**
 * What an operator relies on, in process on a real port with SQLite: health and readiness
 * probes, Prometheus metrics fed by the engine's observer, request logs that never carry a
 * credential, and a shutdown that lets an in-flight request finish.
 */
import { request as httpRequest } from "node:http";
import { readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DestinationStream } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HASHING_NICENESS } from "@gatehouse/core/adapters/argon2-pool";
import { loadServerConfig, type ServerConfig } from "./config.js";
import { startServer, type RunningServer } from "./server.js";
import {
  postChunked,
  postJSON,
  rawGet,
  sessionCookie,
  strongPassword,
  uniqueEmail,
} from "./test-support/cli-process.js";

/** Collects every log line the server writes. */
function captureLogs(): { destination: DestinationStream; text(): string } {
  const lines: string[] = [];
  return { destination: { write: (line: string) => void lines.push(line) }, text: () => lines.join("") };
}

let dataDir: string;
const servers: RunningServer[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "gatehouse-ops-"));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function start(
  overrides: Partial<ServerConfig> = {},
): Promise<{ server: RunningServer; base: string; logs: () => string; printed: () => string }> {
  const logs = captureLogs();
  const config: ServerConfig = {
    ...loadServerConfig({ GATEHOUSE_DATA_DIR: dataDir, HOST: "127.0.0.1" }),
    port: 0,
    // Everything the server and engine can log, so the redaction test sees it all.
    logLevel: "trace",
    ...overrides,
  };
  // The development mailbox prints links for the developer; kept apart from the log.
  const printed: string[] = [];
  const server = await startServer(config, {
    logDestination: logs.destination,
    output: { write: (line) => void printed.push(line) },
  });
  servers.push(server);
  return { server, base: `http://127.0.0.1:${server.address.port}`, logs: logs.text, printed: () => printed.join("") };
}

describe("probes", () => {
  it("GET /healthz answers 200 {status: ok}", async () => {
    const { base } = await start();
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("GET /readyz answers 200 with the database check ok", async () => {
    const { base } = await start();
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ status: "ok", checks: { database: { ok: true } } });
  });
});

describe("answers on the wire", () => {
  it("a JSON answer arrives with its headers and exact length; an allowed origin also gets CORS", async () => {
    const app = "http://app.localhost:5173";
    const { base } = await start({ allowedOrigins: [app] });
    const cookie = sessionCookie(
      await postJSON(`${base}/v1/sign-up`, { email: uniqueEmail(), password: strongPassword() }),
    );
    for (const origin of [null, app]) {
      const answer = await rawGet(base, "/v1/session", origin === null ? { cookie } : { cookie, origin });
      expect(answer.headers).toMatchObject({
        "content-type": "application/json",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        vary: "Origin",
        "content-length": String(Buffer.byteLength(answer.body)),
      });
      expect(answer.headers["access-control-allow-origin"]).toBe(origin ?? undefined);
      expect(JSON.parse(answer.body)).toHaveProperty("session.id");
    }
  });
});

describe("request bodies, read from Node's stream", () => {
  it("a body sent in pieces arrives whole", async () => {
    const { base } = await start();
    const body = JSON.stringify({ email: uniqueEmail(), password: strongPassword() });
    const pieces = [body.slice(0, 7), body.slice(7, 30), body.slice(30)];
    expect(await postChunked(`${base}/v1/sign-up`, pieces)).toEqual({ status: 201 });
  });

  it("a declared length over the limit → 413 problem; a flood is cut off; the server serves on", async () => {
    const { base } = await start();
    const declared = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const outgoing = httpRequest(
        `${base}/v1/sign-up`,
        { method: "POST", headers: { "content-type": "application/json", "content-length": String(1024 * 1024) } },
        (response) => {
          let text = "";
          response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
          response.on("end", () => resolve({ status: response.statusCode!, body: text }));
        },
      );
      outgoing.on("error", reject);
      outgoing.write("{");
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ code: "payload_too_large" });

    const flood = await postChunked(
      `${base}/v1/sign-up`,
      Array.from({ length: 400 }, () => " ".repeat(1024)),
    );
    expect(flood.status === 413 || flood.error !== undefined).toBe(true);

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe("metrics", () => {
  it("exposes the request, duration and sign-in metrics and counts a failed sign-in", async () => {
    const { base, logs } = await start();
    const before = await (await fetch(`${base}/metrics`)).text();
    expect(before).toContain("gatehouse_http_requests_total");
    expect(before).toContain("gatehouse_http_request_duration_seconds");
    expect(before).toContain('gatehouse_sign_ins_total{outcome="invalid_credentials"} 0');
    // Default process metrics come with the registry.
    expect(before).toContain("process_cpu_seconds_total");

    const failed = await postJSON(`${base}/v1/sign-in/password`, { email: uniqueEmail(), password: strongPassword() });
    expect(failed.status).toBe(401);

    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const after = await response.text();
    expect(after).toContain('gatehouse_sign_ins_total{outcome="invalid_credentials"} 1');
    expect(after).toContain('gatehouse_http_requests_total{method="POST",route="/v1/sign-in/password",status="401"} 1');
    expect(after).toContain('gatehouse_http_requests_total{method="GET",route="/metrics",status="200"} 1');
    expect(after).toMatch(
      /gatehouse_http_request_duration_seconds_count\{method="POST",route="\/v1\/sign-in\/password"\} 1/,
    );
    // Counted once, by the engine: the server's own middleware must not count it again.
    expect(after).not.toContain('route="unmatched"');
    // The request log names the route the engine matched.
    const signInLine = logs()
      .split("\n")
      .filter((line) => line.includes('"msg":"request"'))
      .map((line) => JSON.parse(line) as { path: string; route: string })
      .find((line) => line.path === "/v1/sign-in/password");
    expect(signInLine?.route).toBe("/v1/sign-in/password");
  });
});

describe("password hashing", () => {
  it.skipIf(process.platform !== "linux")(
    "runs below the event loop's CPU priority, so a sign-in storm cannot starve other requests",
    async () => {
      const { base } = await start();
      const niceOf = (file: string): number => {
        const stat = readFileSync(file, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
      };
      const own = niceOf("/proc/thread-self/stat");
      const signUp = await postJSON(`${base}/v1/sign-up`, { email: uniqueEmail(), password: strongPassword() });
      expect(signUp.status).toBe(201);
      const lowered = readdirSync("/proc/self/task").filter(
        (tid) => niceOf(`/proc/self/task/${tid}/stat`) === own + HASHING_NICENESS,
      );
      expect(lowered.length).toBeGreaterThanOrEqual(1);
      expect(niceOf("/proc/thread-self/stat")).toBe(own);
    },
  );
});

describe("log redaction", () => {
  it("never logs a password, session token, cookie value or emailed token", async () => {
    const { server, base, logs, printed } = await start();
    const email = uniqueEmail();
    const password = strongPassword();

    const signUp = await postJSON(`${base}/v1/sign-up`, { email, password, name: "Redaction Test" });
    expect(signUp.status).toBe(201);
    const cookie = sessionCookie(signUp);
    const cookieValue = cookie.slice(cookie.indexOf("=") + 1);

    const cookieSession = await fetch(`${base}/v1/session`, { headers: { cookie } });
    expect(cookieSession.status).toBe(200);

    const bearerSignIn = await postJSON(
      `${base}/v1/sign-in/password`,
      { email, password },
      { "auth-transport": "bearer" },
    );
    expect(bearerSignIn.status).toBe(200);
    const { access_token: accessToken } = (await bearerSignIn.json()) as { access_token: string };
    expect(accessToken).toBeTruthy();

    // A token in the query string must not reach the log through the path either.
    const bearerSession = await fetch(`${base}/v1/session?token=${accessToken}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(bearerSession.status).toBe(200);

    // Failures too: a wrong password and a malformed body that contains the password.
    expect((await postJSON(`${base}/v1/sign-in/password`, { email, password: `${password}x` })).status).toBe(401);
    const malformed = await fetch(`${base}/v1/sign-in/password`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"email": "${email}", "password": "${password}"`,
    });
    expect(malformed.status).toBe(400);

    // The second line of defence: even when code logs such an object, pino redacts it.
    server.logger.info(
      {
        headers: { authorization: `Bearer ${accessToken}`, cookie, "set-cookie": [cookie] },
        password,
        body: { password, token: accessToken, refresh_token: accessToken, code: "123456" },
        request: { headers: { authorization: `Bearer ${accessToken}`, cookie } },
        deeply: { nested: { credentials: { secret: accessToken, secretKey: accessToken, access_token: accessToken } } },
      },
      "redaction probe",
    );

    // Emailed links: a reset link requested and followed, the verification link from sign-up.
    expect((await postJSON(`${base}/v1/password-reset`, { email })).status).toBe(202);
    await server.engine.email.flush();
    const emailedTokens = [...printed().matchAll(/token=([\w-]{43})/g)].map((match) => match[1]!);
    expect(emailedTokens.length).toBeGreaterThanOrEqual(2);
    for (const token of emailedTokens) {
      await fetch(`${base}/reset-password?token=${token}`);
      await postJSON(`${base}/v1/password-reset/confirm`, { token, password: "x" });
    }

    const text = logs();
    expect(text).toContain("redaction probe");
    expect(text).toContain('"msg":"email sent"');
    for (const token of emailedTokens) expect(text).not.toContain(token);
    expect(text).toContain("[Redacted]");
    expect(text).toContain('"path":"/v1/session"');
    expect(text).not.toContain(password);
    expect(text).not.toContain(accessToken);
    expect(text).not.toContain(cookieValue);
    expect(text).not.toContain("123456");
    // The session secret alone (the part after the id) must not appear either.
    expect(text).not.toContain(cookieValue.split(".")[1]);
    expect(text).not.toContain(accessToken.split(".")[1]);
  });
});

describe("graceful shutdown", () => {
  it("lets an in-flight request finish, then refuses new connections", async () => {
    const { server, base } = await start();
    const { port } = server.address;
    const email = uniqueEmail();
    const body = JSON.stringify({ email, password: strongPassword() });

    // A request whose body arrives slowly is in flight for as long as the test wants.
    const answered = new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/v1/sign-up",
          headers: { "content-type": "application/json" },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 500);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));

    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();

    expect(await answered).toBe(201);
    await closing;
    expect(closed).toBe(true);
  });
});
