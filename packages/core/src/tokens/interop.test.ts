// Access tokens verify with independent implementations: jose (JavaScript) and PyJWT (Python,
// Debian's python3-jwt), against nothing but the published JWKS.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, customFetch, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { BASE_URL, createTestEngine, strongPassword, uniqueEmail } from "../test-support/engine.js";

/** Debian's interpreter, where python3-jwt is installed (`.ci/run` installs it). */
const PYTHON = "/usr/bin/python3";
const pyjwt = spawnSync(PYTHON, ["-c", "import jwt, cryptography"], { encoding: "utf8" });
const pyjwtReason = pyjwt.status === 0 ? "" : `PyJWT unavailable (${PYTHON} with python3-jwt)`;
if (pyjwtReason && process.env.CI) throw new Error(`CI requires ${pyjwtReason}`);

const VERIFY_WITH_PYJWT = `
import json, sys, jwt
jwks, token, issuer = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
header = jwt.get_unverified_header(token)
assert header["typ"] == "at+jwt", header
key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=[key["alg"]], audience=issuer, issuer=issuer,
                    options={"require": ["exp", "iat", "sub", "jti"]})
print(json.dumps({"alg": header["alg"], "sub": claims["sub"], "sid": claims["sid"]}))
`;

async function issue(algorithm: "EdDSA" | "ES256") {
  // A real clock: PyJWT checks `exp` against the time now.
  const engine = await createTestEngine({ strategy: "jwt", tokens: { algorithm }, clock: Date.now });
  const response = await engine.request("POST", "/v1/sign-up", {
    json: { email: uniqueEmail(), password: strongPassword() },
    headers: { "auth-transport": "bearer" },
  });
  const body = await response.json();
  const jwks = await (await engine.request("GET", "/.well-known/jwks.json")).json();
  return { engine, token: body.access_token as string, sessionId: body.session_id as string, jwks };
}

describe.each(["EdDSA", "ES256"] as const)("%s access tokens", (algorithm) => {
  it("verify with jose's remote JWKS client", async () => {
    const { engine, token, sessionId } = await issue(algorithm);
    try {
      // The JWKS is fetched over the engine's own handler: no socket needed in-process.
      const keys = createRemoteJWKSet(new URL(`${BASE_URL}/.well-known/jwks.json`), {
        [customFetch]: (url: string) => engine.gatehouse.handler(new Request(url)),
      });
      const { payload } = await jwtVerify(token, keys, { issuer: BASE_URL, audience: BASE_URL, typ: "at+jwt" });
      expect(payload.sid).toBe(sessionId);
    } finally {
      await engine.close();
    }
  });

  it.skipIf(pyjwtReason !== "")(`verify with PyJWT ${pyjwtReason}`.trim(), async () => {
    const { engine, token, sessionId, jwks } = await issue(algorithm);
    try {
      const file = join(mkdtempSync(join(tmpdir(), "gatehouse-jwks-")), "jwks.json");
      writeFileSync(file, JSON.stringify(jwks));
      const output = execFileSync(PYTHON, ["-c", VERIFY_WITH_PYJWT, file, token, BASE_URL], { encoding: "utf8" });
      expect(JSON.parse(output)).toMatchObject({ alg: algorithm, sid: sessionId });
      // And PyJWT refuses the same token with one byte of the payload changed.
      const [header, payload, signature] = token.split(".");
      const altered = `${header}.${payload!.slice(0, -2)}${payload!.at(-2) === "A" ? "B" : "A"}${payload!.at(-1)}.${signature}`;
      const refused = spawnSync(PYTHON, ["-c", VERIFY_WITH_PYJWT, file, altered, BASE_URL], { encoding: "utf8" });
      expect(refused.status).not.toBe(0);
    } finally {
      await engine.close();
    }
  });
});
