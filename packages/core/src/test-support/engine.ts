/**
 * An in-process engine and a small HTTP client for tests: requests go straight through
 * `handler(Request)`, as they would from the server, with no network in between.
 */
import { randomBytes } from "node:crypto";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import { resolveConfig, type GatehouseConfig } from "../config.js";
import { createGatehouse } from "../gatehouse.js";
import type { Database } from "../storage/ports.js";
import type { Gatehouse } from "../types.js";

/** The base URL test engines run under. */
export const BASE_URL = "http://localhost:4000";

/** A fixed encryption key for tests (32 bytes, base64url). */
export const TEST_ENCRYPTION_KEY = "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy1sb24";

/** A fixed admin secret key for tests; `createTestEngine` records it. */
export const TEST_SECRET_KEY = `gh_sk_${"t".repeat(43)}`;

/** A password no policy refuses, unique per call. */
export function strongPassword(): string {
  return `pw-${randomBytes(12).toString("base64url")}`;
}

/** A unique, valid email address. */
export function uniqueEmail(): string {
  return `user-${randomBytes(6).toString("hex")}@example.com`;
}

/** Options of one test request. */
export interface TestRequest {
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  /** Session token to send as the session cookie. */
  cookie?: string;
  /** Session token to send as `Authorization: Bearer`. */
  bearer?: string;
  remoteAddress?: string;
}

/** A test engine with helpers. */
export interface TestEngine {
  gatehouse: Gatehouse;
  /** The engine's database, for inspecting what is stored. */
  database: Database;
  /** The frozen clock's current value; change it to move time. */
  clock: { now: number };
  cookieName: string;
  request(method: string, path: string, options?: TestRequest): Promise<Response>;
  /** Signs a new user up over HTTP and returns the session token from the cookie. */
  signUp(options?: { email?: string; password?: string; remoteAddress?: string }): Promise<{
    email: string;
    password: string;
    token: string;
    userId: string;
    sessionId: string;
  }>;
  close(): Promise<void>;
}

/** The value of the named cookie in a response's `Set-Cookie`, or null. */
export function cookieFrom(response: Response, name: string): string | null {
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(";");
    const separator = pair!.indexOf("=");
    if (pair!.slice(0, separator) === name) return decodeURIComponent(pair!.slice(separator + 1));
  }
  return null;
}

/** Starts an engine on the memory database with a frozen clock, unless `config` says otherwise. */
export async function createTestEngine(
  config: Partial<GatehouseConfig> & {
    /** Record {@link TEST_SECRET_KEY} as an admin key. @default true */
    withSecretKey?: boolean;
  } = {},
): Promise<TestEngine> {
  const { withSecretKey = true, ...engineConfig } = config;
  const clock = { now: Date.UTC(2026, 0, 1) };
  const fullConfig: GatehouseConfig = {
    baseURL: BASE_URL,
    database: createMemoryDatabase({ warn: () => {} }),
    clock: () => clock.now,
    ...(engineConfig.strategy && engineConfig.strategy !== "session" ? { encryptionKey: TEST_ENCRYPTION_KEY } : {}),
    ...engineConfig,
  };
  const gatehouse = await createGatehouse(fullConfig);
  if (withSecretKey) await gatehouse.ensureSecretKey(TEST_SECRET_KEY);
  const cookieName = resolveConfig(fullConfig).cookie.name;

  const request: TestEngine["request"] = (method, path, options = {}) => {
    const headers = new Headers(options.headers);
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    if (options.cookie) headers.set("cookie", `${cookieName}=${options.cookie}`);
    if (options.bearer) headers.set("authorization", `Bearer ${options.bearer}`);
    const url = new URL(path, config.baseURL ?? BASE_URL);
    return gatehouse.handler(new Request(url, { method, headers, body: body ?? null }), {
      remoteAddress: options.remoteAddress ?? "203.0.113.10",
    });
  };

  return {
    gatehouse,
    database: fullConfig.database,
    clock,
    cookieName,
    request,
    async signUp(options = {}) {
      const email = options.email ?? uniqueEmail();
      const password = options.password ?? strongPassword();
      const response = await request("POST", "/v1/sign-up", {
        json: { email, password },
        remoteAddress: options.remoteAddress ?? `198.51.100.${Math.floor(Math.random() * 250)}`,
      });
      if (response.status !== 201) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
      const body = (await response.json()) as { user: { id: string }; session: { id: string } };
      return {
        email,
        password,
        token: cookieFrom(response, cookieName)!,
        userId: body.user.id,
        sessionId: body.session.id,
      };
    },
    close: () => gatehouse.close(),
  };
}
