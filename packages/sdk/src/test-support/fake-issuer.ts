/**
 * A local stand-in for the Gatehouse server, for the SDK's own tests: a real HTTP server on
 * 127.0.0.1 that publishes a JWKS made with jose, serves the revocation feed exactly as the
 * server contract says (Bearer secret key, `Last-Event-ID` replay of retained entries, one
 * `ready`, `: ping` heartbeats) and answers `GET /v1/session`. Tests can cut feed connections,
 * take the feed down, and count what was asked. End-to-end tests against the real server live
 * with the server.
 */
import { randomBytes, createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";

/** Options of {@link startFakeIssuer}. */
export interface FakeIssuerOptions {
  /** Interval of `: ping` comments on the feed. @default 15000 */
  pingIntervalMs?: number;
}

/** What {@link FakeIssuer.issueAccessToken} accepts. */
export interface IssueOptions {
  sub?: string;
  sid?: string;
  /** Issue time, ms since the epoch. @default Date.now() */
  now?: number;
  /** @default 600 */
  lifetimeSeconds?: number;
  kid?: string;
  /** Extra or overriding claims. */
  claims?: Record<string, unknown>;
  /** Extra or overriding header parameters. */
  header?: Record<string, unknown>;
}

/** A revocation as the fake retains it. */
export interface FakeRevocation {
  cursor: string;
  sid: string;
  sub: string;
  revokedAt: number;
  until: number;
}

/** The running fake. */
export interface FakeIssuer {
  /** Base URL, e.g. `http://127.0.0.1:41234`; also the issuer and audience. */
  url: string;
  secretKey: string;
  /** The kid of the default signing key. */
  kid: string;
  /** The default key pair (EdDSA). */
  publicJWK: JWK;
  privateKey: CryptoKey;
  issueAccessToken(options?: IssueOptions): Promise<string>;
  /** Adds an EdDSA key to the JWKS and returns its kid. */
  addKey(): Promise<string>;
  revoke(sid: string, options?: { sub?: string; until?: number; revokedAt?: number }): FakeRevocation;
  /** Destroys every open feed connection (as a crash or network cut would). */
  dropFeedConnections(): void;
  /** While false, feed requests get their socket destroyed at once. */
  setFeedAvailable(available: boolean): void;
  /** The `Last-Event-ID` header of every feed request, in order (null when absent). */
  feedRequests: (string | null)[];
  /** Open feed connections. */
  readonly openFeeds: number;
  jwksFetches: number;
  sessionRequests: number;
  createSession(userId: string, options?: { expiresAt?: number }): string;
  endSession(sessionId: string): void;
  close(): Promise<void>;
}

function problem(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { "content-type": "application/problem+json" });
  res.end(JSON.stringify({ type: `urn:gatehouse:error:${code}`, title: "Error", status, detail: code, code }));
}

function randomToken(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}

/**
 * Starts the fake on a free port.
 *
 * @example
 * ```ts
 * const issuer = await startFakeIssuer();
 * const token = await issuer.issueAccessToken({ sid: "sess_x" });
 * await issuer.close();
 * ```
 */
export async function startFakeIssuer(options: FakeIssuerOptions = {}): Promise<FakeIssuer> {
  const keys: { kid: string; publicJWK: JWK; privateKey: CryptoKey }[] = [];
  async function addKey(): Promise<string> {
    const pair = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const kid = `key_${randomToken(9)}`;
    const publicJWK = { ...(await exportJWK(pair.publicKey)), kid, alg: "EdDSA", use: "sig" };
    keys.push({ kid, publicJWK, privateKey: pair.privateKey });
    return kid;
  }
  await addKey();
  const primary = keys[0]!;

  const secretKey = `gh_sk_${randomToken(24)}`;
  const revocations: FakeRevocation[] = [];
  const feeds = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const sessions = new Map<string, { userId: string; secretHash: string; expiresAt: number }>();
  let nextCursor = 1;
  let feedAvailable = true;

  const fake: FakeIssuer = {
    url: "",
    secretKey,
    kid: primary.kid,
    publicJWK: primary.publicJWK,
    privateKey: primary.privateKey,
    feedRequests: [],
    jwksFetches: 0,
    sessionRequests: 0,
    get openFeeds() {
      return feeds.size;
    },
    async issueAccessToken(issue = {}) {
      const now = Math.floor((issue.now ?? Date.now()) / 1000);
      const key = keys.find((candidate) => candidate.kid === (issue.kid ?? primary.kid)) ?? primary;
      return new SignJWT({
        iss: fake.url,
        aud: fake.url,
        sub: issue.sub ?? "user_test",
        sid: issue.sid ?? "sess_test",
        jti: `at_${randomToken(9)}`,
        iat: now,
        exp: now + (issue.lifetimeSeconds ?? 600),
        ...issue.claims,
      })
        .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: issue.kid ?? key.kid, ...issue.header })
        .sign(key.privateKey);
    },
    addKey,
    revoke(sid, revocation = {}) {
      const entry: FakeRevocation = {
        cursor: String(nextCursor++),
        sid,
        sub: revocation.sub ?? "user_test",
        revokedAt: revocation.revokedAt ?? Date.now(),
        until: revocation.until ?? Date.now() + 600_000,
      };
      revocations.push(entry);
      for (const feed of feeds) feed.write(eventOf(entry));
      return entry;
    },
    dropFeedConnections() {
      for (const feed of feeds) feed.socket?.destroy();
      feeds.clear();
    },
    setFeedAvailable(available) {
      feedAvailable = available;
      if (!available) fake.dropFeedConnections();
    },
    createSession(userId, session = {}) {
      const sessionId = `sess_${randomToken(16)}`;
      const secret = randomToken(32);
      sessions.set(sessionId, {
        userId,
        secretHash: createHash("sha256").update(secret).digest("base64url"),
        expiresAt: session.expiresAt ?? Date.now() + 3_600_000,
      });
      return `${sessionId}.${secret}`;
    },
    endSession(sessionId) {
      sessions.delete(sessionId);
    },
    close: async () => {},
  };

  function eventOf(entry: FakeRevocation): string {
    const data = { sid: entry.sid, sub: entry.sub, revoked_at: entry.revokedAt, until: entry.until };
    return `id: ${entry.cursor}\nevent: revocation\ndata: ${JSON.stringify(data)}\n\n`;
  }

  function feed(req: IncomingMessage, res: ServerResponse): void {
    const lastEventId = (req.headers["last-event-id"] as string | undefined) ?? null;
    fake.feedRequests.push(lastEventId);
    if (!feedAvailable) {
      req.socket.destroy();
      return;
    }
    if (req.headers.authorization !== `Bearer ${secretKey}`) return problem(res, 401, "unauthenticated");
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
    res.write("retry: 1000\n\n");
    const after = lastEventId === null ? 0 : Number(lastEventId);
    const now = Date.now();
    for (const entry of revocations) {
      if (Number(entry.cursor) > after && entry.until > now) res.write(eventOf(entry));
    }
    res.write("event: ready\ndata: {}\n\n");
    feeds.add(res);
    const ping = setInterval(() => res.write(": ping\n\n"), options.pingIntervalMs ?? 15_000);
    res.on("close", () => {
      clearInterval(ping);
      feeds.delete(res);
    });
  }

  function session(req: IncomingMessage, res: ServerResponse): void {
    fake.sessionRequests++;
    const match = /^Bearer (sess_[A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(req.headers.authorization ?? "");
    const stored = match ? sessions.get(match[1]!) : undefined;
    const secretHash = match ? createHash("sha256").update(match[2]!).digest("base64url") : "";
    if (!match || !stored || stored.secretHash !== secretHash || stored.expiresAt <= Date.now()) {
      return problem(res, 401, "unauthenticated");
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        user: { id: stored.userId, email: "user@example.com" },
        session: {
          id: match[1],
          user_id: stored.userId,
          expires_at: new Date(stored.expiresAt).toISOString(),
          idle_expires_at: new Date(stored.expiresAt).toISOString(),
        },
      }),
    );
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method === "GET" && path === "/.well-known/jwks.json") {
      fake.jwksFetches++;
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" });
      res.end(JSON.stringify({ keys: keys.map((key) => key.publicJWK) }));
    } else if (req.method === "GET" && path === "/.well-known/openid-configuration") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ issuer: fake.url, jwks_uri: `${fake.url}/.well-known/jwks.json` }));
    } else if (req.method === "GET" && path === "/v1/revocations/stream") {
      feed(req, res);
    } else if (req.method === "GET" && path === "/v1/session") {
      session(req, res);
    } else {
      problem(res, 404, "not_found");
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}
