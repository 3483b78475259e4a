/**
 * `createVerifier`: the one object an app needs to tell who a request belongs to, for all three
 * strategies. Access tokens (`jwt`, `hybrid`) are checked locally against the issuer's keys and
 * cached; session tokens (`session`) through the store or the server; revocations arrive over
 * the feed, so a signed-out session's JWT is refused at once without a network call per request.
 * The engine builds the same verifier in-process for embedded mode by injecting its own key
 * set, revocation log and session store.
 */
import { createRemoteJWKSet, customFetch, errors as joseErrors, type JWTVerifyGetKey } from "jose";
import { ConfigurationError } from "../errors/index.js";
import { consoleLogger, describeError, type VerifierLogger } from "../lib/logger.js";
import {
  connectRevocationSource,
  connectSSEFeed,
  type ConnectionEvents,
  type RevocationSource,
} from "../revocations/connection.js";
import { createRevocationFollower, type FeedStatus, type RevocationFollower } from "../revocations/follower.js";
import {
  createServerSessionCheck,
  createStoreSessionCheck,
  type SessionCheck,
  type SessionSource,
} from "../sessions/session-check.js";
import { parseSessionToken } from "../sessions/session-token.js";
import { verifyAccessToken, type AccessTokenClaims, type TokenFailureReason } from "../tokens/verify-access-token.js";
import type { AuthState, SignedOutReason, SignedOutState } from "./auth-state.js";
import { cookieNamesFor, readCredential, type HeaderReader, type PresentedCredential } from "./credentials.js";
import { createTokenCache } from "./token-cache.js";

/** What to do once the revocation feed has been out of sync for longer than the limit. */
export type FeedOutagePolicy = "fail-closed" | "accept-until-exp";

/** Tuning of the revocation feed connection; the defaults suit production. */
export interface FeedOptions {
  /**
   * How long requests wait, when the verifier starts, for the feed's first sync. Until then
   * revocations issued before the start are unknown, so after the wait an unsynced feed counts
   * as an outage beyond the limit and the policy applies at once.
   * @default 5000
   */
  startupTimeoutMs?: number;
  /** A connection silent this long (the server pings every 15 s) is replaced. @default 45000 */
  heartbeatTimeoutMs?: number;
  /** First reconnection delay; doubles per failure, with jitter. @default 500 */
  minReconnectDelayMs?: number;
  /** @default 30000 */
  maxReconnectDelayMs?: number;
}

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /**
   * Base URL of Gatehouse (`GATEHOUSE_URL`); the JWKS, the session check and the revocation
   * feed are found under it.
   * @example "https://auth.example.com"
   */
  url: string;
  /** A secret key (`gh_sk_…`, `GATEHOUSE_SECRET_KEY`); needed to follow the revocation feed. */
  secretKey?: string;
  /** Expected `iss`. @default the origin of `url` */
  issuer?: string;
  /** Expected `aud`. @default the issuer */
  audience?: string;
  /** Accepted signature algorithms; `EdDSA` and `ES256` are the ones Gatehouse signs with. @default ["EdDSA"] */
  algorithms?: ("EdDSA" | "ES256")[];
  /**
   * Follow the revocation feed, so a revoked session's access tokens are refused within a
   * second instead of at their `exp`. Needs `secretKey` (or an injected `revocations` source).
   * @default false, or true when `revocations` is given
   */
  followRevocations?: boolean;
  /**
   * Once the feed has been out of sync for longer than `maxFeedOutageSeconds`: refuse every
   * access token (`fail-closed`, reason `feed-unavailable`), or accept tokens until their `exp`
   * as if the feed were not followed (`accept-until-exp`). Session tokens are unaffected: the
   * store or server is asked about them anyway.
   * @default "fail-closed"
   */
  onFeedUnavailable?: FeedOutagePolicy;
  /**
   * How long the feed may be out of sync before the policy applies. Up to this limit a token
   * revoked during the outage is still accepted; match it to the access-token lifetime (600 for
   * `jwt`, 60 for `hybrid`) so an outage never extends a token beyond what not following would.
   * @default 600
   */
  maxFeedOutageSeconds?: number;
  /** Feed connection tuning. */
  feed?: FeedOptions;
  /**
   * Resolves verification keys. @default jose's `createRemoteJWKSet` on
   * `{url}/.well-known/jwks.json`: cached (10 min), refetched on an unknown `kid` at most once
   * per 30 s.
   */
  keys?: JWTVerifyGetKey;
  /** An in-process revocation log to follow instead of the SSE feed (embedded mode). */
  revocations?: RevocationSource;
  /**
   * A session store to check session tokens against directly: one read per request. Without
   * it, session tokens are checked by `GET {url}/v1/session`: one HTTP round trip per request
   * (see `sessionCacheSeconds`).
   */
  sessions?: SessionSource;
  /**
   * The server's session idle timeout (`session.idleTimeoutSeconds`), so the verifier can
   * record activity with `sessions.touchSession`. Required when the store has `touchSession`.
   */
  sessionIdleTimeoutSeconds?: number;
  /**
   * Cache the server's answer for a session token this long (server checks only). A session
   * ended meanwhile is then still accepted for up to this long, unless the revocation feed is
   * followed and in sync (a revocation drops the entry; while the feed is out of sync the cache
   * is bypassed).
   * @default 0 (every request asks the server)
   */
  sessionCacheSeconds?: number;
  /**
   * The server's shared cookie domain (`GATEHOUSE_COOKIE_DOMAIN`), if any; it decides the
   * cookie names (`__Host-gatehouse_access` on https without one, `gatehouse_access` otherwise).
   */
  cookieDomain?: string;
  /** Most credentials remembered as verified. @default 10000 */
  tokenCacheSize?: number;
  /** @default console warnings and errors */
  logger?: VerifierLogger;
  /** Called whenever the feed's state changes (`connecting`, `live`, `unavailable`, `closed`). */
  onFeedStatus?: (status: FeedStatus) => void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; tests freeze it. @default Date.now */
  clock?: () => number;
}

/** A verifier; see {@link createVerifier}. */
export interface Verifier {
  /**
   * Who the request belongs to. Never throws for a bad or missing credential. Takes a web
   * `Request`, or any {@link RequestLike} (the framework adapters pass a view of the framework's
   * own request, so no `Request` is built per request).
   */
  authenticateRequest(request: RequestLike): Promise<AuthState>;
  /** The revocation feed's state (`off` when not following). */
  status(): FeedStatus;
  /** Resolves once the feed has first synced (or the startup wait is over); at once when not following. */
  ready(): Promise<void>;
  /** Stops the feed and every timer. Afterwards the outage policy applies to access tokens. */
  close(): Promise<void>;
}

/**
 * What the verifier reads of a request: the `authorization` and `cookie` headers, and, only for
 * the refresh link of an expired access cookie, the method and absolute URL. A web `Request` is
 * one; adapters pass a lighter view of their framework's request.
 */
export interface RequestLike {
  readonly method: string;
  /** The absolute URL; read only when a refresh link is built, so it may be a getter. */
  readonly url: string;
  readonly headers: HeaderReader;
}

const ALGORITHMS = new Set(["EdDSA", "ES256"]);
const SECRET_KEY = /^gh_sk_[A-Za-z0-9_-]{32,128}$/;
const KEY_SOURCE_MISS = [joseErrors.JWKSNoMatchingKey, joseErrors.JWKSMultipleMatchingKeys];

function fail(message: string): never {
  throw new ConfigurationError(message);
}

function parseBaseURL(url: unknown): URL {
  const hint =
    'url must be the absolute http(s) base URL of Gatehouse (GATEHOUSE_URL), e.g. "https://auth.example.com".';
  if (typeof url !== "string") fail(hint);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ConfigurationError(hint, { cause });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") fail(hint);
  if (parsed.search || parsed.hash) fail(`${hint} Leave out the query and fragment.`);
  return parsed;
}

/** A duration option, validated: finite, not negative, and not zero unless allowed. */
function positive(
  value: number | undefined,
  fallback: number,
  what: string,
  options: { allowZero?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (value === 0 && !options.allowZero)) {
    fail(
      `${what} must be a ${options.allowZero ? "non-negative" : "positive"} number of ${what.endsWith("Ms") ? "milliseconds" : "seconds"}.`,
    );
  }
  return value;
}

function signedOut(reason: SignedOutReason, extra: Omit<SignedOutState, "status" | "reason"> = {}): SignedOutState {
  return { status: "signed-out", reason, ...extra };
}

function freeze(claims: AccessTokenClaims): Readonly<AccessTokenClaims> {
  if (Array.isArray(claims.aud)) Object.freeze(claims.aud);
  return Object.freeze(claims);
}

/**
 * Creates a verifier.
 *
 * @example JWT or hybrid strategy, with instant revocation
 * ```ts
 * import { createVerifier } from "@gatehouse/sdk";
 *
 * const verifier = createVerifier({
 *   url: "https://auth.example.com",
 *   secretKey: process.env.GATEHOUSE_SECRET_KEY,
 *   followRevocations: true,
 * });
 * const auth = await verifier.authenticateRequest(request);
 * if (auth.status === "signed-in") console.log(auth.userId, auth.sessionId);
 * else console.log(auth.reason); // "no-credential", "expired", "revoked", …
 * ```
 * @example Session strategy, checked against the shared store (one read per request)
 * ```ts
 * const verifier = createVerifier({
 *   url: "https://auth.example.com",
 *   sessions: createRedisStorage({ url: process.env.REDIS_URL! }).sessionStore,
 *   sessionIdleTimeoutSeconds: 604800,
 * });
 * ```
 * @throws ConfigurationError when the options cannot work; the message says what to change.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  if (typeof options !== "object" || options === null) fail("createVerifier needs an options object: { url }.");
  const base = parseBaseURL(options.url);
  const baseHref = base.href.replace(/\/+$/, "");
  const issuer = options.issuer ?? base.origin;
  const audience = options.audience ?? issuer;
  if (typeof issuer !== "string" || issuer === "") {
    fail("issuer must be a non-empty string (the server's GATEHOUSE_URL origin).");
  }
  if (typeof audience !== "string" || audience === "") fail("audience must be a non-empty string.");
  const algorithms = options.algorithms ?? ["EdDSA"];
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every((alg) => ALGORITHMS.has(alg))) {
    fail('algorithms must list the algorithms Gatehouse signs with: "EdDSA" (the default) and/or "ES256".');
  }
  if (
    options.secretKey !== undefined &&
    (typeof options.secretKey !== "string" || !SECRET_KEY.test(options.secretKey))
  ) {
    // The value itself is never repeated: it may be a real secret pasted into the wrong option.
    fail("secretKey is not a Gatehouse secret key (they look like gh_sk_…); use the value of GATEHOUSE_SECRET_KEY.");
  }
  const following = options.followRevocations ?? options.revocations !== undefined;
  if (following && !options.revocations && !options.secretKey) {
    fail(
      "followRevocations needs secretKey: the revocation feed is authenticated with a secret key (GATEHOUSE_SECRET_KEY, gh_sk_…).",
    );
  }
  const policy = options.onFeedUnavailable ?? "fail-closed";
  if (policy !== "fail-closed" && policy !== "accept-until-exp") {
    fail('onFeedUnavailable must be "fail-closed" or "accept-until-exp".');
  }
  const maxOutageMs = positive(options.maxFeedOutageSeconds, 600, "maxFeedOutageSeconds") * 1000;
  const tokenCacheSize = options.tokenCacheSize ?? 10_000;
  if (!Number.isInteger(tokenCacheSize) || tokenCacheSize < 1) {
    fail("tokenCacheSize must be a whole number of at least 1.");
  }
  const sessionCacheMs = positive(options.sessionCacheSeconds, 0, "sessionCacheSeconds", { allowZero: true }) * 1000;
  if (options.sessions && sessionCacheMs > 0) {
    fail("sessionCacheSeconds applies to checks through the server only; a store check is one read and is not cached.");
  }
  if (options.sessions?.touchSession && options.sessionIdleTimeoutSeconds === undefined) {
    fail(
      "sessionIdleTimeoutSeconds is required with a session store that has touchSession: set it to the server's session.idleTimeoutSeconds (default 604800), or pass a store without touchSession to never write.",
    );
  }
  const idleTimeoutSeconds =
    options.sessionIdleTimeoutSeconds === undefined
      ? null
      : positive(options.sessionIdleTimeoutSeconds, 0, "sessionIdleTimeoutSeconds");
  if (
    options.cookieDomain !== undefined &&
    (typeof options.cookieDomain !== "string" || options.cookieDomain.trim() === "")
  ) {
    fail('cookieDomain must be the server\'s GATEHOUSE_COOKIE_DOMAIN, e.g. ".example.com".');
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== "function") fail("No fetch is available: pass options.fetch (Node 20 and later have one).");
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? consoleLogger;
  const feed = options.feed ?? {};
  const retry = {
    minReconnectDelayMs: positive(feed.minReconnectDelayMs, 500, "feed.minReconnectDelayMs"),
    maxReconnectDelayMs: positive(feed.maxReconnectDelayMs, 30_000, "feed.maxReconnectDelayMs"),
  };
  const startupTimeoutMs = positive(feed.startupTimeoutMs, 5000, "feed.startupTimeoutMs", { allowZero: true });
  const heartbeatTimeoutMs = positive(feed.heartbeatTimeoutMs, 45_000, "feed.heartbeatTimeoutMs");

  let secure = base.protocol === "https:";
  try {
    secure = new URL(issuer).protocol === "https:";
  } catch {
    // An issuer that is not a URL says nothing about cookies; the base URL decides.
  }
  const cookieNames = cookieNamesFor({ secure, cookieDomain: options.cookieDomain?.trim() ?? null });

  const keys =
    options.keys ??
    createRemoteJWKSet(new URL(`${baseHref}/.well-known/jwks.json`), {
      // jose's defaults, spelled out because the README promises them.
      cooldownDuration: 30_000,
      cacheMaxAge: 600_000,
      [customFetch]: (url, init) => fetchImpl(url, init),
    });

  const tokenCache = createTokenCache<Readonly<AccessTokenClaims>>({ maxEntries: tokenCacheSize });
  const sessionCache = createTokenCache<{ userId: string; sessionId: string }>({ maxEntries: tokenCacheSize });
  const checkSession: SessionCheck = options.sessions
    ? createStoreSessionCheck({ store: options.sessions, idleTimeoutSeconds, clock, logger })
    : createServerSessionCheck({ sessionURL: `${baseHref}/v1/session`, fetch: fetchImpl, logger });

  let follower: RevocationFollower | null = null;
  if (following) {
    const source = options.revocations;
    const secretKey = options.secretKey;
    follower = createRevocationFollower({
      connect: (events: ConnectionEvents) =>
        source
          ? connectRevocationSource(source, { ...retry, logger }, events)
          : connectSSEFeed(
              {
                streamURL: `${baseHref}/v1/revocations/stream`,
                secretKey: secretKey!,
                fetch: fetchImpl,
                heartbeatTimeoutMs,
                ...retry,
                logger,
              },
              events,
            ),
      clock,
      maxOutageMs,
      startupTimeoutMs,
      policy,
      onRevoked(sessionId) {
        tokenCache.deleteSession(sessionId);
        sessionCache.deleteSession(sessionId);
      },
      onStatus: options.onFeedStatus,
      logger,
    });
  }

  /** Verifies with a key resolver that notes whether the key source itself failed. */
  async function verify(
    token: string,
    now: number,
  ): Promise<{ ok: true; claims: AccessTokenClaims } | { ok: false; reason: TokenFailureReason | "unavailable" }> {
    let keySourceFailed = false;
    const result = await verifyAccessToken(token, {
      keys: async (header, input) => {
        try {
          return await keys(header, input);
        } catch (error) {
          if (!KEY_SOURCE_MISS.some((type) => error instanceof type)) {
            keySourceFailed = true;
            logger.warn({ error: describeError(error) }, "gatehouse: the signing keys could not be fetched");
          }
          throw error;
        }
      },
      issuer,
      audience,
      algorithms,
      now: new Date(now),
    });
    // A JWKS outage is not the user's fault: it must not read as a forged token.
    if (!result.ok && keySourceFailed) return { ok: false, reason: "unavailable" };
    return result;
  }

  function refreshURLFor(request: RequestLike): string | undefined {
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    return `${baseHref}/v1/token/refresh?redirect_url=${encodeURIComponent(request.url)}`;
  }

  async function authenticateAccessToken(token: string, request: RequestLike | null): Promise<AuthState> {
    if (follower && !follower.isReady()) await follower.ready();
    const now = clock();
    let claims = tokenCache.get(token, now);
    if (!claims) {
      const result = await verify(token, now);
      if (!result.ok) {
        if (result.reason === "unavailable") return signedOut("unavailable");
        if (result.reason === "expired") {
          const refreshURL = request ? refreshURLFor(request) : undefined;
          return signedOut("expired", refreshURL ? { refreshURL } : {});
        }
        return signedOut("invalid", { detail: result.reason });
      }
      claims = freeze(result.claims);
      tokenCache.set(token, claims, claims.exp * 1000, claims.sid);
    }
    if (follower) {
      const checkedAt = clock();
      const state = follower.state(checkedAt);
      if ((state === "unavailable" || state === "closed") && policy === "fail-closed") {
        return signedOut("feed-unavailable");
      }
      if (follower.isRevoked(claims.sid, checkedAt)) return signedOut("revoked");
    }
    return { status: "signed-in", userId: claims.sub, sessionId: claims.sid, credential: "access-token", claims };
  }

  async function authenticateSession(token: string): Promise<AuthState> {
    const parsed = parseSessionToken(token);
    if (!parsed) return signedOut("invalid", { detail: "malformed" });
    if (follower?.isRevoked(parsed.sessionId, clock())) return signedOut("revoked");
    // A cached answer is only as fresh as the revocations the feed has delivered.
    const cacheUsable = sessionCacheMs > 0 && (!follower || follower.state(clock()) === "live");
    const cached = cacheUsable ? sessionCache.get(token, clock()) : undefined;
    if (cached) return { status: "signed-in", ...cached, credential: "session", claims: null };
    const result = await checkSession(token);
    if (!result.ok) {
      if (result.reason === "invalid") return signedOut("invalid", { detail: "malformed" });
      return signedOut(result.reason);
    }
    if (sessionCacheMs > 0) {
      const now = clock();
      const expiresAt = Math.min(now + sessionCacheMs, result.expiresAt ?? Infinity);
      sessionCache.set(token, { userId: result.userId, sessionId: result.sessionId }, expiresAt, result.sessionId);
    }
    return {
      status: "signed-in",
      userId: result.userId,
      sessionId: result.sessionId,
      credential: "session",
      claims: null,
    };
  }

  return {
    // Not `async`: an async function returning the inner promise would cost extra turns of the
    // microtask queue on every request.
    authenticateRequest(request) {
      let credential: PresentedCredential;
      try {
        credential = readCredential(request.headers, cookieNames);
      } catch (error) {
        return Promise.reject(error);
      }
      switch (credential.kind) {
        case "none":
          return Promise.resolve(signedOut("no-credential"));
        case "malformed":
          return Promise.resolve(signedOut("invalid", { detail: "malformed" }));
        case "access-cookie":
          return authenticateAccessToken(credential.token, request);
        case "session-cookie":
          return authenticateSession(credential.token);
        case "bearer":
          // A bearer credential is a session token or a JWT; the shape tells which.
          return parseSessionToken(credential.token)
            ? authenticateSession(credential.token)
            : authenticateAccessToken(credential.token, null);
      }
    },
    status() {
      return follower?.status(clock()) ?? { state: "off", lastSyncedAt: null, revokedSessions: 0, lastError: null };
    },
    async ready() {
      await follower?.ready();
    },
    async close() {
      await follower?.close();
    },
  };
}
