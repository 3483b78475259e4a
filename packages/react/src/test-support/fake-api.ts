/**
 * An in-memory stand-in for the Gatehouse API as one browser sees it, for the browser client's
 * unit tests: one cookie jar shared by every "tab", refresh tokens that rotate and are
 * single-use (a reuse ends the session, as the real server does after its grace window), and a
 * log of every request. The real server is exercised by the browser tests; this one makes the
 * cross-tab timing rules cheap to prove.
 */

/** One request the fake API received. */
export interface LoggedRequest {
  method: string;
  path: string;
  /** The refresh token the jar presented, for `POST /v1/token`. */
  refreshToken?: string | null;
}

/** Options of {@link createFakeAPI}. */
export interface FakeAPIOptions {
  /** Access token lifetime, in whole seconds as the API reports it. @default 1 */
  accessTokenSeconds?: number;
  /** Whether the session strategy is in use (no refresh tokens). @default false */
  sessionStrategy?: boolean;
  /** Answers `POST /v1/sign-in/password` with a second-factor challenge. @default false */
  secondFactor?: boolean;
}

/** The fake API. */
export interface FakeAPI {
  fetch: typeof fetch;
  log: LoggedRequest[];
  /** Every refresh token presented to `POST /v1/token`, in order. */
  presentedRefreshTokens(): (string | null)[];
  /** Signs the jar in, as a sign-in in some other page would. */
  signIn(): void;
  /** Ends the session server-side (a revocation from another device). */
  revoke(): void;
  /** Whether the session is live. */
  readonly live: boolean;
}

const user = {
  id: "user_1",
  email: "ada@example.com",
  name: "Ada",
  email_verified: true,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
};

const session = {
  id: "sess_1",
  user_id: "user_1",
  created_at: "2026-01-01T00:00:00.000Z",
  last_active_at: "2026-01-01T00:00:00.000Z",
  idle_expires_at: "2026-01-08T00:00:00.000Z",
  expires_at: "2026-01-31T00:00:00.000Z",
  ip: "127.0.0.1",
  user_agent: "test",
  current: true,
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
  });
}

const problem = (status: number, code: string, extra: Record<string, unknown> = {}) =>
  json(status, { type: `urn:gatehouse:error:${code}`, status, code, detail: `${code} detail`, ...extra });

/** Creates a fake API with a signed-out jar. */
export function createFakeAPI(options: FakeAPIOptions = {}): FakeAPI {
  const ttlMs = (options.accessTokenSeconds ?? 1) * 1000;
  const log: LoggedRequest[] = [];
  let live = false;
  let generation = 0;
  // The jar: what the browser's cookies hold.
  let jarRefresh: string | null = null;
  let jarAccessExpiresAt = 0;

  function issue(): number {
    generation++;
    jarRefresh = `refresh-${generation}`;
    jarAccessExpiresAt = Date.now() + ttlMs;
    return ttlMs / 1000;
  }

  function signIn(): void {
    live = true;
    if (!options.sessionStrategy) issue();
  }

  const fetchImpl = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), "http://app.test");
    const method = init.method ?? "GET";
    const entry: LoggedRequest = { method, path: url.pathname };
    log.push(entry);
    // A tick of latency, so concurrent requests really overlap.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const route = `${method} ${url.pathname}`;
    const accessValid = live && (options.sessionStrategy || Date.now() < jarAccessExpiresAt);
    switch (route) {
      case "GET /v1/session":
        if (!accessValid) return problem(401, "unauthenticated");
        return json(
          200,
          options.sessionStrategy
            ? { user, session }
            : { user, session, expires_in: Math.floor((jarAccessExpiresAt - Date.now()) / 1000) },
        );
      case "POST /v1/sign-in/password": {
        const body = JSON.parse(String(init.body)) as { password: string };
        if (body.password !== "right") return problem(401, "invalid_credentials");
        if (options.secondFactor) {
          return json(200, { status: "needs_second_factor", challenge: "chal_1", factors: ["totp", "backup_code"] });
        }
        signIn();
        return json(200, options.sessionStrategy ? { user, session } : { user, session, expires_in: ttlMs / 1000 });
      }
      case "POST /v1/sign-in/second-factor":
        signIn();
        return json(200, { user, session, expires_in: ttlMs / 1000 });
      case "POST /v1/sign-up":
        return problem(422, "validation_failed", { errors: [{ pointer: "/email", detail: "bad" }] });
      case "POST /v1/password-reset":
        return problem(429, "rate_limited", {});
      case "POST /v1/token": {
        entry.refreshToken = jarRefresh;
        if (options.sessionStrategy) return problem(400, "unsupported_grant_type");
        if (!live || jarRefresh === null) return problem(400, "invalid_request");
        if (jarRefresh !== `refresh-${generation}`) {
          live = false;
          return problem(400, "invalid_grant");
        }
        return json(200, { token_type: "Bearer", expires_in: issue(), session_id: "sess_1" });
      }
      case "POST /v1/sign-out":
        live = false;
        jarRefresh = null;
        return new Response(null, { status: 204 });
      case "GET /v1/sessions":
        if (!accessValid) return problem(401, "unauthenticated");
        return json(200, { data: [session] });
      case "GET /api/data":
        return accessValid ? json(200, { ok: true }) : problem(401, "unauthenticated");
      default:
        return problem(404, "not_found");
    }
  };

  return {
    fetch: fetchImpl as typeof fetch,
    log,
    presentedRefreshTokens: () =>
      log.filter((each) => each.path === "/v1/token").map((each) => each.refreshToken ?? null),
    signIn,
    revoke() {
      live = false;
    },
    get live() {
      return live;
    },
  };
}

/** An in-memory `Storage` shared by the "tabs" of a test. */
export function memoryStorage(): Pick<Storage, "getItem" | "setItem" | "removeItem"> {
  const values = new Map<string, string>();
  return {
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
    removeItem: (key) => void values.delete(key),
  };
}

/** An exclusive lock manager shared by the "tabs" of a test, as the Web Locks API behaves. */
export function memoryLocks(): { request<T>(name: string, callback: () => Promise<T>): Promise<T> } {
  const queues = new Map<string, Promise<unknown>>();
  return {
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const previous = queues.get(name) ?? Promise.resolve();
      const result = previous.then(callback);
      queues.set(
        name,
        result.catch(() => {}),
      );
      return result;
    },
  };
}
