// Embedded mode: the engine's own verifier checks requests in-process, for every strategy,
// and learns of revocations from the engine's log without any network.
import { afterEach, describe, expect, it } from "vitest";
import { BASE_URL, cookieFrom, createTestEngine, type TestEngine } from "../test-support/engine.js";

const engines: TestEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

const appRequest = (headers: Record<string, string>) => new Request(`${BASE_URL}/app/orders`, { headers });

describe.each(["session", "jwt", "hybrid"] as const)("%s strategy", (strategy) => {
  it("signs a request in from a cookie or a bearer token, and out once the session is revoked", async () => {
    const engine = await createTestEngine({ strategy });
    engines.push(engine);
    const { verifier } = engine.gatehouse;
    await verifier.ready();

    const signUp = await engine.request("POST", "/v1/sign-up", {
      json: { email: "embedded@example.com", password: "an embedded passphrase" },
    });
    const cookieToken = cookieFrom(signUp, engine.cookieName)!;
    const signIn = await engine.request("POST", "/v1/sign-in/password", {
      json: { email: "embedded@example.com", password: "an embedded passphrase" },
      headers: { "auth-transport": "bearer" },
    });
    const { access_token: bearerToken, session_id: bearerSession, user } = await signIn.json();

    const viaCookie = await verifier.authenticateRequest(appRequest({ cookie: `${engine.cookieName}=${cookieToken}` }));
    expect(viaCookie).toMatchObject({ status: "signed-in", userId: user.id });
    const viaBearer = await verifier.authenticateRequest(appRequest({ authorization: `Bearer ${bearerToken}` }));
    expect(viaBearer).toMatchObject({ status: "signed-in", userId: user.id, sessionId: bearerSession });

    await engine.request("POST", "/v1/sign-out", { bearer: bearerToken });
    const after = await verifier.authenticateRequest(appRequest({ authorization: `Bearer ${bearerToken}` }));
    expect(after.status).toBe("signed-out");
    const stillIn = await verifier.authenticateRequest(appRequest({ cookie: `${engine.cookieName}=${cookieToken}` }));
    expect(stillIn.status).toBe("signed-in");
  });
});
