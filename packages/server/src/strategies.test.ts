/**
 * The token strategies as an operator runs them: the real built CLI with GATEHOUSE_STRATEGY=jwt
 * or hybrid, real HTTP, tokens checked with jose against the server's published JWKS exactly as
 * an app would. Also the encryption key's life on disk (created 0600 once, reused, never
 * shown), `gatehouse keys rotate` against a stopped server's data directory, the refusal of bad
 * token settings, and a shutdown that does not wait on an open revocation feed.
 *
 * Needs `npm run build` first (the root `npm test` does it in `pretest`).
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  openEventStream,
  postJSON,
  runCLI,
  startCLI,
  strongPassword,
  uniqueEmail,
  type StartedCLI,
} from "./test-support/cli-process.js";

/** The OAuth 2 token response of the bearer transport. */
interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  session_id: string;
  user: { id: string; email: string };
}

const running: StartedCLI[] = [];
const directories: string[] = [];

async function dataDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "gatehouse-tokens-"));
  directories.push(directory);
  return directory;
}

async function start(env: Record<string, string>): Promise<StartedCLI> {
  const cli = await startCLI(env);
  running.push(cli);
  return cli;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.stop()));
});

afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

/** Verifies an access token as an app would: against a freshly fetched JWKS of `server`. */
async function verifyWithJWKS(
  server: StartedCLI,
  token: string,
  expected: { issuer: string; audience: string },
): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(token, jwks, {
    issuer: expected.issuer,
    audience: expected.audience,
    typ: "at+jwt",
    algorithms: ["EdDSA"],
  });
  return payload;
}

async function jwks(server: StartedCLI): Promise<{ keys: { kid: string; alg: string; d?: string }[] }> {
  const response = await fetch(`${server.url}/.well-known/jwks.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as { keys: { kid: string; alg: string; d?: string }[] };
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

describe("GATEHOUSE_STRATEGY=jwt", () => {
  const issuer = "https://auth.example.test";
  const audience = "https://api.example.test";
  let dataDir: string;
  let env: Record<string, string>;
  let keyFile: string;
  let keyOnFirstStart: string;
  /** The latest access token, carried across restarts and the rotation. */
  let accessToken: string;
  let sessionId: string;
  let userId: string;
  let firstKid: string;

  beforeAll(async () => {
    dataDir = await dataDirectory();
    keyFile = join(dataDir, "encryption.key");
    env = {
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_STRATEGY: "jwt",
      GATEHOUSE_URL: issuer,
      GATEHOUSE_AUDIENCE: audience,
      // Everything the server can log, so the check that the key never appears sees it all.
      GATEHOUSE_LOG_LEVEL: "trace",
    };
  });

  it("signs up over bearer transport with an access JWT that jose verifies against the JWKS, and a working refresh token", async () => {
    const server = await start(env);

    const signUp = await postJSON(
      `${server.url}/v1/sign-up`,
      { email: uniqueEmail(), password: strongPassword() },
      { "auth-transport": "bearer" },
    );
    expect(signUp.status).toBe(201);
    const issued = (await signUp.json()) as TokenResponse;
    expect(issued).toMatchObject({ token_type: "Bearer", session_id: expect.stringMatching(/^sess_/) });
    // The jwt strategy's default lifetime: 10 minutes.
    expect(issued.expires_in).toBeGreaterThan(590);
    expect(issued.expires_in).toBeLessThanOrEqual(600);

    const payload = await verifyWithJWKS(server, issued.access_token, { issuer, audience });
    expect(payload).toMatchObject({ iss: issuer, aud: audience, sub: issued.user.id, sid: issued.session_id });
    expect(payload.exp! - payload.iat!).toBe(600);
    expect(typeof payload.jti).toBe("string");
    const header = decodeProtectedHeader(issued.access_token);
    expect(header).toMatchObject({ alg: "EdDSA", typ: "at+jwt" });
    // The JWKS publishes the public half only.
    const published = await jwks(server);
    expect(published.keys.map((key) => key.kid)).toEqual([header.kid]);
    expect(published.keys[0]?.d).toBeUndefined();
    firstKid = header.kid!;

    const session = await fetch(`${server.url}/v1/session`, { headers: bearer(issued.access_token) });
    expect(session.status).toBe(200);

    const refresh = await postJSON(`${server.url}/v1/token`, {
      grant_type: "refresh_token",
      refresh_token: issued.refresh_token,
    });
    expect(refresh.status).toBe(200);
    const refreshed = (await refresh.json()) as TokenResponse;
    expect(refreshed.refresh_token).not.toBe(issued.refresh_token);
    expect(refreshed.session_id).toBe(issued.session_id);
    expect(await verifyWithJWKS(server, refreshed.access_token, { issuer, audience })).toMatchObject({
      sid: issued.session_id,
    });

    accessToken = refreshed.access_token;
    sessionId = issued.session_id;
    userId = issued.user.id;
    expect(await server.stop()).toBe(0);
  });

  it("generated the encryption key on the first start into <data dir>/encryption.key with mode 0600, and never shows it", async () => {
    const { mode } = await stat(keyFile);
    expect(mode & 0o777).toBe(0o600);
    keyOnFirstStart = (await readFile(keyFile, "utf8")).trim();
    expect(keyOnFirstStart).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(keyOnFirstStart, "base64url")).toHaveLength(32);

    // A restart reuses it; nothing the process prints contains it.
    const server = await start(env);
    expect((await readFile(keyFile, "utf8")).trim()).toBe(keyOnFirstStart);
    // The log line is written asynchronously and may follow the listening line under load.
    await server.waitForOutput(/"encryptionKeySource":"file"/);
    expect(server.stdout()).not.toContain(keyOnFirstStart);
    expect(server.stderr()).not.toContain(keyOnFirstStart);

    // Same keys after the restart: a token signed before it still verifies, and still works.
    expect(await verifyWithJWKS(server, accessToken, { issuer, audience })).toMatchObject({ sid: sessionId });
    expect((await jwks(server)).keys.map((key) => key.kid)).toEqual([firstKid]);
    const session = await fetch(`${server.url}/v1/session`, { headers: bearer(accessToken) });
    expect(session.status).toBe(200);
    expect(((await session.json()) as { user: { id: string } }).user.id).toBe(userId);
    expect(await server.stop()).toBe(0);
  });

  it("gatehouse keys rotate on the stopped server's data directory: a new signing key, the old one still published", async () => {
    const rotate = runCLI(["keys", "rotate"], env);
    expect((await rotate.exited).code).toBe(0);
    // The kid alone on stdout, so a script can capture it.
    const kid = rotate.stdout().trim();
    expect(kid).toMatch(/^key_[A-Za-z0-9_-]+$/);
    expect(rotate.stdout()).toBe(`${kid}\n`);
    expect(kid).not.toBe(firstKid);
    expect(rotate.stdout() + rotate.stderr()).not.toContain(keyOnFirstStart);

    const server = await start(env);
    const published = await jwks(server);
    // Newest first: the new key signs, the retired one stays until its tokens have expired.
    expect(published.keys.map((key) => key.kid)).toEqual([kid, firstKid]);
    expect(await verifyWithJWKS(server, accessToken, { issuer, audience })).toMatchObject({ sid: sessionId });
    expect((await fetch(`${server.url}/v1/session`, { headers: bearer(accessToken) })).status).toBe(200);

    const signUp = await postJSON(
      `${server.url}/v1/sign-up`,
      { email: uniqueEmail(), password: strongPassword() },
      { "auth-transport": "bearer" },
    );
    const fresh = (await signUp.json()) as TokenResponse;
    expect(decodeProtectedHeader(fresh.access_token).kid).toBe(kid);
    await verifyWithJWKS(server, fresh.access_token, { issuer, audience });
    expect(await server.stop()).toBe(0);
  });

  it("gatehouse keys rotate refuses a different encryption key, without printing either key", async () => {
    const wrong = randomBytes(32).toString("base64url");
    const rotate = runCLI(["keys", "rotate"], { ...env, GATEHOUSE_ENCRYPTION_KEY: wrong });
    expect((await rotate.exited).code).toBe(1);
    expect(rotate.stderr()).toMatch(/different encryption key/);
    expect(rotate.stderr()).toMatch(/GATEHOUSE_ENCRYPTION_KEY/);
    expect(rotate.stderr()).not.toMatch(/\n\s+at /);
    for (const key of [wrong, keyOnFirstStart]) expect(rotate.stdout() + rotate.stderr()).not.toContain(key);
  });
});

describe("gatehouse keys", () => {
  it("rotate refuses a data directory without a database (exit 1), creating nothing", async () => {
    const empty = await dataDirectory();
    const rotate = runCLI(["keys", "rotate", "--data-dir", empty]);
    expect((await rotate.exited).code).toBe(1);
    expect(rotate.stderr()).toMatch(/No database at .*gatehouse\.db/);
    expect(rotate.stderr()).toMatch(/GATEHOUSE_DATA_DIR/);
    await expect(stat(join(empty, "gatehouse.db"))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(empty, "encryption.key"))).rejects.toThrow(/ENOENT/);
  });

  it("rotate refuses a database whose encryption key is nowhere to be found (exit 1)", async () => {
    const dataDir = await dataDirectory();
    const server = await start({ GATEHOUSE_DATA_DIR: dataDir });
    expect(await server.stop()).toBe(0);
    await rm(join(dataDir, "encryption.key"));
    const rotate = runCLI(["keys", "rotate"], { GATEHOUSE_DATA_DIR: dataDir });
    expect((await rotate.exited).code).toBe(1);
    expect(rotate.stderr()).toMatch(/No encryption key: GATEHOUSE_ENCRYPTION_KEY is unset/);
    // It must not have made a new key, which could not decrypt the stored signing keys.
    await expect(stat(join(dataDir, "encryption.key"))).rejects.toThrow(/ENOENT/);
  });

  it.each([[["keys"]], [["keys", "frobnicate"]], [["keys", "rotate", "--bogus"]]])(
    "%j is a usage error (exit 2)",
    async (args) => {
      const cli = runCLI(args);
      expect((await cli.exited).code).toBe(2);
    },
  );

  it.each([[["keys", "--help"]], [["keys", "rotate", "--help"]]])("%j documents rotate", async (args) => {
    const cli = runCLI(args);
    expect((await cli.exited).code).toBe(0);
    expect(cli.stdout()).toContain("gatehouse keys rotate");
    expect(cli.stdout()).toMatch(/kid/);
  });
});

describe("token settings that cannot work stop the start", () => {
  const secret = "hunter2-not-a-real-key";

  it.each([
    [{ GATEHOUSE_ENCRYPTION_KEY: secret }, "GATEHOUSE_ENCRYPTION_KEY"],
    // 32 bytes, but in padded standard base64 (as `openssl rand -base64 32` prints them).
    [
      { GATEHOUSE_ENCRYPTION_KEY: Buffer.from("thirty-two bytes of padded b64!!").toString("base64") },
      "GATEHOUSE_ENCRYPTION_KEY",
    ],
    [{ GATEHOUSE_SIGNING_ALGORITHM: "RS256" }, "GATEHOUSE_SIGNING_ALGORITHM"],
    [{ GATEHOUSE_SIGNING_ALGORITHM: "none" }, "GATEHOUSE_SIGNING_ALGORITHM"],
    [{ GATEHOUSE_REFRESH_GRACE: "90s" }, "GATEHOUSE_REFRESH_GRACE"],
    [{ GATEHOUSE_REFRESH_GRACE: "soon" }, "GATEHOUSE_REFRESH_GRACE"],
    [{ GATEHOUSE_ACCESS_TOKEN_TTL: "0" }, "GATEHOUSE_ACCESS_TOKEN_TTL"],
    [{ GATEHOUSE_KEY_ROTATION_INTERVAL: "10s" }, "GATEHOUSE_KEY_ROTATION_INTERVAL"],
  ] as [Record<string, string>, string][])("%j: exit 1 naming %s, no stack trace", async (settings, name) => {
    const dataDir = await dataDirectory();
    const cli = runCLI(["start"], { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_STRATEGY: "jwt", ...settings });
    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr()).toContain(name);
    expect(cli.stderr()).not.toMatch(/\n\s+at /);
    const key = settings.GATEHOUSE_ENCRYPTION_KEY;
    if (key !== undefined) expect(cli.stderr() + cli.stdout()).not.toContain(key);
    // Refused before anything was written.
    await expect(stat(join(dataDir, "encryption.key"))).rejects.toThrow(/ENOENT/);
  });

  it("a key file that does not hold a key: exit 1 naming the file, not regenerated over", async () => {
    const dataDir = await dataDirectory();
    const file = join(dataDir, "encryption.key");
    await writeFile(file, `${secret}\n`, { mode: 0o600 });
    const cli = runCLI(["start"], { GATEHOUSE_DATA_DIR: dataDir });
    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr()).toContain(file);
    expect(cli.stderr()).not.toContain(secret);
    expect(await readFile(file, "utf8")).toBe(`${secret}\n`);
  });
});

describe("an encryption key file other users can read", () => {
  it("is used, with a warning that names the file and not the key", async () => {
    const dataDir = await dataDirectory();
    const file = join(dataDir, "encryption.key");
    const key = randomBytes(32).toString("base64url");
    await writeFile(file, `${key}\n`);
    await chmod(file, 0o644);
    const server = await start({ GATEHOUSE_DATA_DIR: dataDir });
    expect(server.stdout()).toMatch(/encryption\.key can be read or written by other users \(mode 644\)/);
    await server.waitForOutput(/"encryptionKeySource":"file"/);
    expect(server.stdout()).not.toContain(key);
    // Left as the operator made it: the warning says what to do.
    expect((await stat(file)).mode & 0o777).toBe(0o644);
  });
});

describe("GATEHOUSE_STRATEGY=hybrid", () => {
  it("sets the access JWT in an HttpOnly cookie for Path=/ and the refresh token in one for Path=/v1/token", async () => {
    const dataDir = await dataDirectory();
    const server = await start({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_STRATEGY: "hybrid" });
    // The default public URL is plain http, so the cookies carry no __Host-/__Secure- prefix.
    const issuer = server.url.replace("127.0.0.1", "localhost");

    const signUp = await postJSON(`${server.url}/v1/sign-up`, { email: uniqueEmail(), password: strongPassword() });
    expect(signUp.status).toBe(201);
    const cookies = signUp.headers.getSetCookie();
    const access = cookies.find((cookie) => cookie.startsWith("gatehouse_access="));
    const refresh = cookies.find((cookie) => cookie.startsWith("gatehouse_refresh="));
    expect(access).toBeDefined();
    expect(refresh).toBeDefined();
    expect(access).toMatch(/;\s*HttpOnly/i);
    expect(access).toMatch(/;\s*Path=\/(;|$)/);
    expect(refresh).toMatch(/;\s*HttpOnly/i);
    expect(refresh).toMatch(/;\s*Path=\/v1\/token(;|$)/);

    const accessToken = access!.split(";")[0]!.slice("gatehouse_access=".length);
    const payload = await verifyWithJWKS(server, accessToken, { issuer, audience: issuer });
    // The hybrid strategy's default lifetime: 60 seconds.
    expect(payload.exp! - payload.iat!).toBe(60);

    const accessCookie = access!.split(";")[0]!;
    const refreshCookie = refresh!.split(";")[0]!;
    expect((await fetch(`${server.url}/v1/session`, { headers: { cookie: accessCookie } })).status).toBe(200);

    // A same-origin browser refreshing with its refresh cookie gets both cookies anew.
    const refreshed = await fetch(`${server.url}/v1/token`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: refreshCookie, origin: issuer },
      body: JSON.stringify({ grant_type: "refresh_token" }),
    });
    expect(refreshed.status).toBe(200);
    const renewed = refreshed.headers.getSetCookie();
    expect(renewed.some((cookie) => cookie.startsWith("gatehouse_access="))).toBe(true);
    expect(renewed.some((cookie) => /^gatehouse_refresh=.*Path=\/v1\/token/i.test(cookie))).toBe(true);
  });
});

describe("GATEHOUSE_STRATEGY=session", () => {
  it("still publishes a signing key, since the server always has an encryption key", async () => {
    const dataDir = await dataDirectory();
    const server = await start({ GATEHOUSE_DATA_DIR: dataDir });
    const published = await jwks(server);
    expect(published.keys).toHaveLength(1);
    expect(published.keys[0]).toMatchObject({ alg: "EdDSA" });
    expect((await stat(join(dataDir, "encryption.key"))).mode & 0o777).toBe(0o600);
  });
});

describe("the revocation feed", () => {
  const secretKey = `gh_sk_${randomBytes(32).toString("base64url")}`;

  it("needs the secret key, and an open stream does not hold up the shutdown", async () => {
    const dataDir = await dataDirectory();
    const server = await start({
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_STRATEGY: "jwt",
      GATEHOUSE_SECRET_KEY: secretKey,
    });
    const anonymous = await fetch(`${server.url}/v1/revocations/stream`);
    expect(anonymous.status).toBe(401);

    const feed = await openEventStream(`${server.url}/v1/revocations/stream`, bearer(secretKey));
    expect(feed.response.status).toBe(200);
    expect(feed.response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    await feed.waitFor((event) => event.event === "ready", 2_000);

    const started = Date.now();
    expect(await server.stop()).toBe(0);
    // Well under the 10 s in-flight grace: the stream is cut at once, and its client resumes
    // elsewhere with Last-Event-ID.
    expect(Date.now() - started).toBeLessThan(5_000);
    await feed.ended;
    feed.close();
  });
});
