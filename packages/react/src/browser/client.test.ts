// The browser client against a fake API shared by several "tabs": state, refresh timing, the
// cross-tab single flight (Web Locks and the BroadcastChannel fallback), sign-in and sign-out
// propagation, and errors.
import { afterEach, describe, expect, it } from "vitest";
import { createFakeAPI, FAKE_CHALLENGE, memoryLocks, memoryStorage, type FakeAPI } from "../test-support/fake-api.js";
import { sleep, until } from "../test-support/waiting.js";
import { GatehouseAPIError } from "./api.js";
import { createGatehouseClient, type GatehouseClient, type GatehouseClientOptions } from "./client.js";

const clients: GatehouseClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

let deployment = 0;

/** Tabs of one browser: a shared cookie jar (the fake API), storage and lock manager. */
function browser(api: FakeAPI, shared: Partial<GatehouseClientOptions> = {}) {
  const url = `http://auth-${++deployment}.test`;
  const storage = memoryStorage();
  const locks = memoryLocks();
  return (overrides: Partial<GatehouseClientOptions> = {}): GatehouseClient => {
    const client = createGatehouseClient({
      url,
      fetch: api.fetch,
      storage,
      locks,
      refreshMarginMs: 300,
      load: false,
      ...shared,
      ...overrides,
    });
    clients.push(client);
    return client;
  };
}

describe("browser client: session state", () => {
  it("reads the session, and learns the access token's expiry", async () => {
    const api = createFakeAPI({ accessTokenSeconds: 60 });
    api.signIn();
    const tab = browser(api)();
    const seen: string[] = [];
    tab.subscribe(() => seen.push(tab.getState().status));
    expect(tab.getState().status).toBe("loading");
    const state = await tab.load();
    expect(state.status).toBe("signed-in");
    if (state.status !== "signed-in") return;
    expect(state.user.email).toBe("ada@example.com");
    expect(state.accessTokenExpiresAt! - Date.now()).toBeGreaterThan(58_000);
    expect(seen).toEqual(["signed-in"]);
  });

  it("under the session strategy there is nothing to refresh", async () => {
    const api = createFakeAPI({ sessionStrategy: true });
    api.signIn();
    const tab = browser(api)();
    const state = await tab.load();
    expect(state).toMatchObject({ status: "signed-in", accessTokenExpiresAt: null });
    await sleep(50);
    expect(api.presentedRefreshTokens()).toEqual([]);
  });

  it("an expired access cookie on load is refreshed once, then the session read again", async () => {
    const api = createFakeAPI({ accessTokenSeconds: 1 });
    api.signIn();
    await sleep(1050);
    const tab = browser(api)();
    expect((await tab.load()).status).toBe("signed-in");
    expect(api.log.map((each) => `${each.method} ${each.path}`)).toEqual([
      "GET /v1/session",
      "POST /v1/token",
      "GET /v1/session",
    ]);
  });

  it("a signed-out visitor is signed out after one refresh attempt", async () => {
    const api = createFakeAPI();
    const tab = browser(api)();
    expect((await tab.load()).status).toBe("signed-out");
    expect(api.log).toHaveLength(2);
  });
});

describe("browser client: refresh across tabs", () => {
  it("refreshes ahead of expiry and keeps the session alive", async () => {
    const api = createFakeAPI({ accessTokenSeconds: 1 });
    api.signIn();
    const tab = browser(api)();
    await tab.load();
    await sleep(2300);
    expect(tab.getState().status).toBe("signed-in");
    expect(api.presentedRefreshTokens().length).toBeGreaterThanOrEqual(2);
    const response = await tab.fetch("http://auth.test/api/data");
    expect(response.status).toBe(200);
  });

  for (const [name, shared] of [
    ["Web Locks", {}],
    ["the BroadcastChannel fallback", { locks: null }],
  ] as const) {
    it(`three tabs refresh each token exactly once (${name})`, async () => {
      const api = createFakeAPI({ accessTokenSeconds: 1 });
      api.signIn();
      const open = browser(api, shared);
      const tabs = [open(), open(), open()];
      await Promise.all(tabs.map((tab) => tab.load()));
      await sleep(2600);
      const presented = api.presentedRefreshTokens();
      // Refreshed ahead of every expiry...
      expect(presented.length).toBeGreaterThanOrEqual(3);
      // ...once for all tabs: each refresh comes at least 700 ms after the last one's answer
      // (1 s tokens, refreshed 300 ms ahead), where a second tab refreshing after the first would
      // follow within a claim window or two. Spacing rather than a count: on a starved machine
      // the 2.6 s sleep itself can end late, and more refreshes fit.
      const refreshedAt = api.log.filter((each) => each.path === "/v1/token").map((each) => each.at);
      const gaps = refreshedAt.slice(1).map((at, index) => at - refreshedAt[index]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(350);
      // No refresh token was ever presented twice: each token refreshed once, by one tab.
      expect(new Set(presented).size).toBe(presented.length);
      expect(api.live).toBe(true);
      for (const tab of tabs) expect(tab.getState().status).toBe("signed-in");
    });
  }

  it("tabs due at the same moment refresh once", async () => {
    const api = createFakeAPI({ accessTokenSeconds: 1 });
    api.signIn();
    const open = browser(api);
    const tabs = [open(), open(), open(), open()];
    await Promise.all(tabs.map((tab) => tab.load()));
    const results = await Promise.all(tabs.map((tab) => tab.refresh()));
    expect(results).toEqual([true, true, true, true]);
    // The first refresh made the token fresh; the others found it so inside the lock.
    expect(api.presentedRefreshTokens()).toEqual(["refresh-1"]);
  });

  it("a request refused while another tab refreshed adopts that token instead of refreshing again", async () => {
    // The session read reports one whole second left: the refresh is due 700 ms after load.
    const api = createFakeAPI({ accessTokenSeconds: 2 });
    api.signIn();
    const open = browser(api);
    const other = open();
    // This tab's call to the app's API is held in flight until the refresh due at 700 ms has
    // landed (done by either tab), then refused as a call with the old, expired cookie would be.
    let held = true;
    const tab = open({
      fetch: async (input, init) => {
        if (held && String(input).endsWith("/api/data")) {
          held = false;
          await until(() => api.presentedRefreshTokens().length === 1);
          await sleep(50);
          return new Response(JSON.stringify({ code: "unauthenticated" }), { status: 401 });
        }
        return api.fetch(input, init);
      },
    });
    await Promise.all([tab.load(), other.load()]);
    const response = await tab.fetch("http://auth.test/api/data");
    expect(response.status).toBe(200);
    // The refused call was retried with the token the refresh brought, not a second refresh.
    expect(api.presentedRefreshTokens()).toEqual(["refresh-1"]);
  });

  it("a session ended elsewhere signs every tab out at the next refresh", async () => {
    const api = createFakeAPI({ accessTokenSeconds: 1 });
    api.signIn();
    const open = browser(api);
    const [first, second] = [open(), open()];
    await Promise.all([first.load(), second.load()]);
    api.revoke();
    await until(() => first.getState().status === "signed-out" && second.getState().status === "signed-out");
  });
});

describe("browser client: sign-in and sign-out across tabs", () => {
  it("signing out in one tab signs the other out at once, without a request of its own", async () => {
    const api = createFakeAPI({ accessTokenSeconds: 60 });
    api.signIn();
    const open = browser(api);
    const [first, second] = [open(), open()];
    await Promise.all([first.load(), second.load()]);
    const before = api.log.length;
    await first.signOut();
    await until(() => second.getState().status === "signed-out", 500);
    expect(api.log.slice(before).map((each) => each.path)).toEqual(["/v1/sign-out"]);
  });

  it("signing in in one tab signs the other in", async () => {
    const api = createFakeAPI({ accessTokenSeconds: 60 });
    const open = browser(api);
    const [first, second] = [open(), open()];
    await Promise.all([first.load(), second.load()]);
    expect(second.getState().status).toBe("signed-out");
    const result = await first.signInWithPassword({ email: "ada@example.com", password: "right" });
    expect(result.status).toBe("complete");
    await until(() => second.getState().status === "signed-in", 1000);
  });

  it("hands back a second-factor challenge and completes it", async () => {
    const api = createFakeAPI({ secondFactor: true });
    const tab = browser(api)();
    await tab.load();
    const first = await tab.signInWithPassword({ email: "ada@example.com", password: "right" });
    expect(first).toEqual({
      status: "needs_second_factor",
      challenge: FAKE_CHALLENGE,
      factors: ["totp", "backup_code"],
      expiresIn: 300,
    });
    expect(tab.getState().status).toBe("signed-out");
    const second = await tab.completeSecondFactor({ challenge: FAKE_CHALLENGE, factor: "totp", code: "123456" });
    expect(second.status).toBe("complete");
    expect(tab.getState().status).toBe("signed-in");
  });
});

describe("browser client: errors", () => {
  it("turns problem answers into GatehouseAPIError with the API's code", async () => {
    const api = createFakeAPI();
    const tab = browser(api)();
    const wrong = await tab.signInWithPassword({ email: "a@example.com", password: "wrong" }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(GatehouseAPIError);
    expect(wrong).toMatchObject({ status: 401, code: "invalid_credentials" });
    const invalid = await tab.signUp({ email: "x", password: "y" }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: "validation_failed", fieldErrors: [{ pointer: "/email", detail: "bad" }] });
  });

  it("reads Retry-After and reports an unreachable server as network_error", async () => {
    const limited = createGatehouseClient({
      load: false,
      storage: null,
      channel: null,
      fetch: (async () =>
        new Response(JSON.stringify({ code: "rate_limited" }), {
          status: 429,
          headers: { "retry-after": "30" },
        })) as typeof fetch,
    });
    clients.push(limited);
    await expect(limited.requestPasswordReset({ email: "a@example.com" })).rejects.toMatchObject({
      code: "rate_limited",
      retryAfterSeconds: 30,
    });
    const offline = createGatehouseClient({
      load: false,
      storage: null,
      channel: null,
      fetch: (async () => {
        throw new TypeError("Failed to fetch");
      }) as typeof fetch,
    });
    clients.push(offline);
    await expect(offline.requestEmailCode({ email: "a@example.com" })).rejects.toMatchObject({
      status: 0,
      code: "network_error",
    });
  });
});
