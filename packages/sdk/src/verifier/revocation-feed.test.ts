// Following revocations: over the SSE feed of a local fake issuer (service mode) and from an
// in-process source (embedded mode). A revoked session's token is refused within 1 s with no
// network call per request; a reconnect resumes from Last-Event-ID and misses nothing; an
// outage beyond the limit applies the configured policy; close() leaves nothing running.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RevocationRecord, RevocationSource } from "../revocations/connection.js";
import type { FeedStatus } from "../revocations/follower.js";
import { startFakeIssuer, type FakeIssuer } from "../test-support/fake-issuer.js";
import { bearer, countingKeys, manualClock, recordingLogger, waitFor } from "../test-support/helpers.js";
import { createVerifier, type Verifier, type VerifierOptions } from "./create-verifier.js";

let issuer: FakeIssuer;
const verifiers: Verifier[] = [];

beforeEach(async () => {
  issuer = await startFakeIssuer();
});
afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
  await issuer.close();
});

function following(options: Partial<VerifierOptions> = {}): Verifier {
  const verifier = createVerifier({
    url: issuer.url,
    secretKey: issuer.secretKey,
    followRevocations: true,
    keys: countingKeys([issuer.publicJWK]),
    logger: recordingLogger(),
    feed: { minReconnectDelayMs: 20, maxReconnectDelayMs: 100 },
    ...options,
  });
  verifiers.push(verifier);
  return verifier;
}

async function reason(verifier: Verifier, token: string): Promise<string> {
  const state = await verifier.authenticateRequest(bearer(token));
  return state.status === "signed-in" ? "signed-in" : state.reason;
}

describe("over the SSE feed", () => {
  it("refuses a revoked session's token within 1 s, with no network call per request", async () => {
    let fetches = 0;
    const verifier = following({
      fetch: (input, init) => {
        fetches++;
        return fetch(input, init);
      },
    });
    await verifier.ready();
    expect(verifier.status().state).toBe("live");
    const revoked = await issuer.issueAccessToken({ sid: "sess_revoked" });
    const other = await issuer.issueAccessToken({ sid: "sess_other" });
    expect(await reason(verifier, revoked)).toBe("signed-in");
    const connections = fetches;

    const started = performance.now();
    issuer.revoke("sess_revoked");
    let requests = 0;
    await waitFor(async () => {
      requests++;
      return (await reason(verifier, revoked)) === "revoked";
    });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(1000);
    expect(await reason(verifier, other)).toBe("signed-in");
    expect(requests).toBeGreaterThan(0);
    expect(fetches).toBe(connections);
    expect(issuer.feedRequests).toEqual([null]);
  });

  it("rejects at startup what was revoked before the verifier started", async () => {
    issuer.revoke("sess_before");
    const verifier = following();
    // No ready() here: the first request itself waits for the replay.
    expect(await reason(verifier, await issuer.issueAccessToken({ sid: "sess_before" }))).toBe("revoked");
  });

  it("after a cut connection, reconnects with Last-Event-ID and catches up on what it missed", async () => {
    const verifier = following();
    await verifier.ready();
    const first = issuer.revoke("sess_first");
    await waitFor(
      async () => (await reason(verifier, await issuer.issueAccessToken({ sid: "sess_first" }))) === "revoked",
    );

    issuer.setFeedAvailable(false);
    await waitFor(() => verifier.status().state === "connecting");
    issuer.revoke("sess_missed");
    const missed = await issuer.issueAccessToken({ sid: "sess_missed" });
    // Disconnected, within the outage limit: the verifier cannot know yet.
    expect(await reason(verifier, missed)).toBe("signed-in");

    issuer.setFeedAvailable(true);
    await waitFor(() => verifier.status().state === "live");
    expect(await reason(verifier, missed)).toBe("revoked");
    expect(issuer.feedRequests[0]).toBeNull();
    expect(issuer.feedRequests.at(-1)).toBe(first.cursor);
  });

  it("a connection killed mid-stream is replaced and resumes after the last applied event", async () => {
    const verifier = following();
    await verifier.ready();
    const last = issuer.revoke("sess_one");
    await waitFor(() => verifier.status().revokedSessions === 1);
    issuer.dropFeedConnections();
    issuer.revoke("sess_two"); // while no connection is open: only the replay can deliver it
    await waitFor(
      async () => (await reason(verifier, await issuer.issueAccessToken({ sid: "sess_two" }))) === "revoked",
    );
    expect(issuer.feedRequests).toEqual([null, last.cursor]);
    expect(verifier.status().lastError).toBeNull();
  });

  it("fail-closed: an outage longer than the limit refuses every access token, and recovers", async () => {
    const clock = manualClock();
    const statuses: FeedStatus[] = [];
    const logger = recordingLogger();
    const verifier = following({
      clock: clock.now,
      maxFeedOutageSeconds: 60,
      onFeedUnavailable: "fail-closed",
      onFeedStatus: (status) => {
        statuses.push(status);
        throw new Error("a broken hook must not break the follower");
      },
      logger,
    });
    await verifier.ready();
    const token = await issuer.issueAccessToken({ now: clock.now() });
    expect(await reason(verifier, token)).toBe("signed-in");

    issuer.setFeedAvailable(false);
    await waitFor(() => verifier.status().state === "connecting");
    clock.advance(59_000);
    expect(await reason(verifier, token)).toBe("signed-in");
    clock.advance(2_000);
    expect(await reason(verifier, token)).toBe("feed-unavailable");
    expect(verifier.status().state).toBe("unavailable");
    expect(statuses.map((status) => status.state)).toEqual(["live", "connecting", "unavailable"]);
    expect(logger.lines.some((line) => line.level === "error" && /fail-closed/.test(line.message ?? ""))).toBe(true);

    issuer.setFeedAvailable(true);
    await waitFor(() => verifier.status().state === "live");
    expect(await reason(verifier, token)).toBe("signed-in");
    expect(statuses.at(-1)?.state).toBe("live");
  });

  it("accept-until-exp: an outage longer than the limit accepts tokens until exp, and still refuses known revocations", async () => {
    const clock = manualClock();
    const verifier = following({ clock: clock.now, maxFeedOutageSeconds: 60, onFeedUnavailable: "accept-until-exp" });
    await verifier.ready();
    issuer.revoke("sess_known");
    await waitFor(() => verifier.status().revokedSessions === 1);
    const token = await issuer.issueAccessToken({ now: clock.now(), lifetimeSeconds: 600 });
    const known = await issuer.issueAccessToken({ now: clock.now(), sid: "sess_known" });

    issuer.setFeedAvailable(false);
    await waitFor(() => verifier.status().state === "connecting");
    clock.advance(120_000);
    expect(verifier.status().state).toBe("unavailable");
    expect(await reason(verifier, token)).toBe("signed-in");
    expect(await reason(verifier, known)).toBe("revoked");
    clock.advance(600_000);
    expect(await reason(verifier, token)).toBe("expired");
  });

  it("a feed never reached: requests wait for the startup timeout, then the policy applies at once", async () => {
    issuer.setFeedAvailable(false);
    const closed = following({ feed: { startupTimeoutMs: 100, minReconnectDelayMs: 20, maxReconnectDelayMs: 100 } });
    const open = following({
      onFeedUnavailable: "accept-until-exp",
      feed: { startupTimeoutMs: 100, minReconnectDelayMs: 20, maxReconnectDelayMs: 100 },
    });
    const token = await issuer.issueAccessToken();
    expect(await reason(closed, token)).toBe("feed-unavailable");
    expect(await reason(open, token)).toBe("signed-in");
    expect(closed.status()).toMatchObject({ state: "unavailable", lastSyncedAt: null });
  });

  it("a refused secret key is reported (status and log) without the key, and fails closed", async () => {
    const wrongKey = "gh_sk_thisIsNotTheRightKeyAtAllNotEvenClose";
    const logger = recordingLogger();
    const verifier = following({
      secretKey: wrongKey,
      logger,
      feed: { startupTimeoutMs: 200, minReconnectDelayMs: 20, maxReconnectDelayMs: 100 },
    });
    expect(await reason(verifier, await issuer.issueAccessToken())).toBe("feed-unavailable");
    expect(verifier.status().lastError).toMatch(/401.*secretKey/);
    const logged = JSON.stringify(logger.lines);
    expect(logged).toMatch(/401/);
    expect(logged).not.toContain(wrongKey);
    expect(logged).not.toContain(issuer.secretKey);
  });

  it("replaces a connection that stays silent past the heartbeat timeout, but keeps one that pings", async () => {
    const silent = await startFakeIssuer({ pingIntervalMs: 60_000 });
    const chatty = await startFakeIssuer({ pingIntervalMs: 20 });
    try {
      const feed = { heartbeatTimeoutMs: 150, minReconnectDelayMs: 20, maxReconnectDelayMs: 50 };
      const logger = recordingLogger();
      const a = following({ url: silent.url, secretKey: silent.secretKey, feed, logger });
      const b = following({ url: chatty.url, secretKey: chatty.secretKey, feed });
      await Promise.all([a.ready(), b.ready()]);
      await waitFor(() => silent.feedRequests.length >= 2);
      expect(logger.lines).toContainEqual(
        expect.objectContaining({ level: "warn", object: { problem: "no data or heartbeat for 150 ms" } }),
      );
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(chatty.feedRequests).toHaveLength(1);
      expect(b.status().state).toBe("live");
    } finally {
      await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
      await Promise.all([silent.close(), chatty.close()]);
    }
  });

  it("forgets a revocation after its until, and a revocation evicts the session's cached tokens", async () => {
    const clock = manualClock();
    const keys = countingKeys([issuer.publicJWK]);
    const verifier = following({ clock: clock.now, keys });
    await verifier.ready();
    const token = await issuer.issueAccessToken({ now: clock.now(), sid: "sess_short" });
    expect(await reason(verifier, token)).toBe("signed-in");
    expect(keys.calls).toBe(1);

    // An until shorter than the token's life is not what the server sends; here it makes the
    // eviction observable: once the entry is gone, the token has to be verified afresh.
    issuer.revoke("sess_short", { until: clock.now() + 1_000 });
    await waitFor(async () => (await reason(verifier, token)) === "revoked");
    expect(verifier.status().revokedSessions).toBe(1);
    clock.advance(2_000);
    expect(verifier.status().revokedSessions).toBe(0);
    expect(await reason(verifier, token)).toBe("signed-in");
    expect(keys.calls).toBe(2);
  });

  it("never follows a redirect with the secret key (feed) or a user's session token (session check)", async () => {
    const seen: (string | undefined)[] = [];
    const elsewhere = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.end();
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
    const target = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/`;
    const redirecting = createServer((_req, res) => {
      res.writeHead(302, { location: target });
      res.end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
      const logger = recordingLogger();
      const verifier = following({
        url,
        feed: { startupTimeoutMs: 200, minReconnectDelayMs: 20, maxReconnectDelayMs: 50 },
        logger,
      });
      await verifier.ready();
      expect(verifier.status().lastError).toMatch(/HTTP 302/);
      const session = await verifier.authenticateRequest(bearer(`sess_${"A".repeat(22)}.${"B".repeat(43)}`));
      expect(session).toEqual({ status: "signed-out", reason: "unavailable" });
      expect(seen).toEqual([]);
    } finally {
      await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
      await Promise.all([
        new Promise((resolve) => elsewhere.close(resolve)),
        new Promise((resolve) => redirecting.close(resolve)),
      ]);
    }
  });

  it("ignores a malformed revocation event and applies the next, however the stream is chunked", async () => {
    const logger = recordingLogger();
    const body = [
      "event: revocation\nid: 1\ndata: not json\n\n",
      'event: revocation\nid: 2\ndata: {"sid":"sess_x"}\n\n',
      'event: revocation\nid: 3\ndata: {"sid":"sess_ok","sub":"user_ok",',
      '"revoked_at":1,"until":' + String(Date.now() + 600_000) + "}\n\nevent: ready\ndata: {}\n\n",
    ];
    const verifier = following({
      logger,
      fetch: async () =>
        new Response(
          new ReadableStream({
            start(controller) {
              for (const chunk of body) controller.enqueue(new TextEncoder().encode(chunk));
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    });
    await verifier.ready();
    expect(verifier.status()).toMatchObject({ state: "live", revokedSessions: 1 });
    expect(await reason(verifier, await issuer.issueAccessToken({ sid: "sess_ok" }))).toBe("revoked");
    expect(logger.lines.filter((line) => /malformed revocation/.test(line.message ?? ""))).toHaveLength(2);
  });

  it("close() ends the feed connection and every timer; afterwards the policy applies", async () => {
    const closed = following();
    const open = following({ onFeedUnavailable: "accept-until-exp" });
    await Promise.all([closed.ready(), open.ready()]);
    expect(issuer.openFeeds).toBe(2);
    await Promise.all([closed.close(), open.close(), closed.close()]);
    await waitFor(() => issuer.openFeeds === 0);
    expect(closed.status().state).toBe("closed");
    const token = await issuer.issueAccessToken();
    expect(await reason(closed, token)).toBe("feed-unavailable");
    expect(await reason(open, token)).toBe("signed-in");
  });
});

describe("from an in-process source (embedded mode)", () => {
  function memorySource(retained: RevocationRecord[], options: { failFirstReads?: number } = {}) {
    const listeners = new Set<(entry: RevocationRecord) => void>();
    let failures = options.failFirstReads ?? 0;
    const reads: (string | null)[] = [];
    const source: RevocationSource & { append(entry: RevocationRecord): void; reads: typeof reads } = {
      reads,
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async readAfter(cursor, limit) {
        reads.push(cursor);
        if (failures-- > 0) throw Object.assign(new Error("postgres://user:hunter2@db/x down"), { code: "ECONNRESET" });
        const start = cursor === null ? 0 : retained.findIndex((entry) => entry.cursor === cursor) + 1;
        return retained.slice(start, start + limit);
      },
      append(entry) {
        retained.push(entry);
        for (const listener of listeners) listener(entry);
      },
    };
    return source;
  }

  const entry = (i: number): RevocationRecord => ({
    sessionId: `sess_${i}`,
    userId: "user_test",
    revokedAt: Date.now(),
    until: Date.now() + 600_000,
    cursor: String(i).padStart(6, "0"),
  });

  it("replays every retained entry page by page, then applies live entries at once", async () => {
    const source = memorySource(Array.from({ length: 1200 }, (_, i) => entry(i)));
    const verifier = createVerifier({
      url: "https://auth.example.com",
      issuer: issuer.url,
      keys: countingKeys([issuer.publicJWK]),
      revocations: source,
      logger: recordingLogger(),
    });
    verifiers.push(verifier);
    await verifier.ready();
    expect(verifier.status()).toMatchObject({ state: "live", revokedSessions: 1200 });
    expect(source.reads).toEqual([null, "000499", "000999"]);
    expect(await reason(verifier, await issuer.issueAccessToken({ sid: "sess_1199" }))).toBe("revoked");

    const token = await issuer.issueAccessToken({ sid: "sess_live" });
    expect(await reason(verifier, token)).toBe("signed-in");
    source.append({ ...entry(5000), sessionId: "sess_live" });
    expect(await reason(verifier, token)).toBe("revoked");
  });

  it("retries a failed replay with backoff, logging no connection details", async () => {
    const logger = recordingLogger();
    const source = memorySource([entry(1)], { failFirstReads: 2 });
    const verifier = createVerifier({
      url: "https://auth.example.com",
      issuer: issuer.url,
      keys: countingKeys([issuer.publicJWK]),
      revocations: source,
      logger,
      feed: { minReconnectDelayMs: 10, maxReconnectDelayMs: 20 },
    });
    verifiers.push(verifier);
    await verifier.ready();
    expect(verifier.status()).toMatchObject({ state: "live", revokedSessions: 1, lastError: null });
    expect(source.reads).toHaveLength(3);
    expect(JSON.stringify(logger.lines)).toContain("ECONNRESET");
    expect(JSON.stringify(logger.lines)).not.toContain("hunter2");
  });
});
