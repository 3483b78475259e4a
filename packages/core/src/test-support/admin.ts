/**
 * Test helpers for the admin API: an engine with a secret key, and requests that carry it.
 */
import { createTestEngine, TEST_SECRET_KEY, type TestEngine, type TestRequest } from "./engine.js";

/** A test engine with an active admin secret key. */
export interface AdminTestEngine extends TestEngine {
  /** The engine's first secret key (`gh_sk_…`). */
  secretKey: string;
  /** A request with `Authorization: Bearer <secretKey>` (or the `key` given). */
  admin(method: string, path: string, options?: TestRequest & { key?: string }): Promise<Response>;
}

/** Starts a test engine (memory database, frozen clock), whose secret key is {@link TEST_SECRET_KEY}. */
export async function createAdminTestEngine(
  config: Parameters<typeof createTestEngine>[0] = {},
): Promise<AdminTestEngine> {
  const engine = await createTestEngine(config);
  const secretKey = TEST_SECRET_KEY;
  return Object.assign(engine, {
    secretKey,
    admin(method: string, path: string, options: TestRequest & { key?: string } = {}) {
      const { key, ...rest } = options;
      return engine.request(method, path, { ...rest, bearer: key ?? secretKey });
    },
  });
}

/** Reads a problem+json response and checks its status and code. */
export async function problemOf(response: Response): Promise<{ status: number; code: string; body: unknown }> {
  const body = (await response.json()) as { code: string };
  if (response.headers.get("content-type") !== "application/problem+json") {
    throw new Error(`expected problem+json, got ${response.headers.get("content-type")}`);
  }
  return { status: response.status, code: body.code, body };
}
