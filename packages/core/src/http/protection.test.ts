import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDatabase } from "../adapters/memory/index.js";
import { silentLogger } from "../lib/logger.js";
import {
  TEST_SECRET_KEY,
  createTestEngine,
  strongPassword,
  uniqueEmail,
  type TestEngine,
} from "../test-support/engine.js";

let engine: TestEngine;
beforeEach(async () => {
  engine = await createTestEngine({ allowedOrigins: ["http://app.localhost:5173"] });
});
afterEach(() => engine.close());

async function expectProblem(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = await response.json();
  expect(body).toMatchObject({ status, code, type: `urn:gatehouse:error:${code}` });
  expect(typeof body.title).toBe("string");
  expect(typeof body.detail).toBe("string");
}

describe("cross-site request forgery", () => {
  it.each([
    ["a foreign Origin", { origin: "https://evil.example" }],
    ["a null Origin", { origin: "null" }],
    ["a sibling origin not configured", { origin: "http://localhost:4001" }],
    ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
  ])("refuses cookie-authenticated writes with %s and changes nothing", async (_, headers) => {
    const { token, sessionId, email, password } = await engine.signUp();

    await expectProblem(
      await engine.request("POST", "/v1/sign-out", { cookie: token, headers }),
      403,
      "origin_forbidden",
    );
    await expectProblem(
      await engine.request("DELETE", `/v1/sessions/${sessionId}`, { cookie: token, headers }),
      403,
      "origin_forbidden",
    );
    expect((await engine.request("GET", "/v1/session", { cookie: token })).status).toBe(200);

    // Login CSRF: a foreign page cannot sign the browser into an account either.
    const signIn = await engine.request("POST", "/v1/sign-in/password", { json: { email, password }, headers });
    await expectProblem(signIn, 403, "origin_forbidden");
    expect(signIn.headers.getSetCookie()).toEqual([]);
    const newEmail = uniqueEmail();
    await expectProblem(
      await engine.request("POST", "/v1/sign-up", { json: { email: newEmail, password: strongPassword() }, headers }),
      403,
      "origin_forbidden",
    );
    expect(
      (await engine.request("POST", "/v1/sign-up", { json: { email: newEmail, password: strongPassword() } })).status,
    ).toBe(201);
  });

  it("accepts writes from the base URL's origin, configured origins and non-browser clients", async () => {
    for (const headers of [
      { origin: "http://localhost:4000" },
      { origin: "http://app.localhost:5173" },
      { "sec-fetch-site": "same-origin" },
      {},
    ] as Record<string, string>[]) {
      const { token } = await engine.signUp();
      expect((await engine.request("POST", "/v1/sign-out", { cookie: token, headers })).status).toBe(204);
    }
  });

  it("does not apply to bearer-transport requests, which carry no ambient credential", async () => {
    const { token } = await engine.signUp();
    const response = await engine.request("POST", "/v1/sign-out", {
      bearer: token,
      headers: { origin: "https://native-app.example" },
    });
    expect(response.status).toBe(204);
  });

  it("lets reads through from anywhere (they change nothing)", async () => {
    const { token } = await engine.signUp();
    const response = await engine.request("GET", "/v1/session", {
      cookie: token,
      headers: { origin: "https://evil.example" },
    });
    expect(response.status).toBe(200);
  });
});

describe("headers on every answer", () => {
  const ALLOWED = "http://app.localhost:5173";

  /** One answer of each kind the handler sends, made with `headers` added to the request. */
  async function answersOfEveryKind(headers: Record<string, string>): Promise<[string, Response][]> {
    const { token } = await engine.signUp();
    const signUp = await engine.request("POST", "/v1/sign-up", {
      json: { email: uniqueEmail(), password: strongPassword() },
      headers,
    });
    return [
      ["a JSON answer", await engine.request("GET", "/v1/session", { bearer: token, headers })],
      ["a JSON answer that sets cookies", signUp],
      ["a problem", await engine.request("GET", "/v1/session", { headers })],
      ["an unknown path", await engine.request("GET", "/v1/nothing-here", { headers })],
      ["a 204", await engine.request("POST", "/v1/sign-out", { bearer: token, headers })],
      ["a preflight", await engine.request("OPTIONS", "/v1/session", { headers })],
    ];
  }

  it("every kind carries nosniff and Vary: Origin, and no CORS headers without an allowed origin", async () => {
    for (const headers of [{}, { origin: "https://evil.example" }] as Record<string, string>[]) {
      for (const [kind, response] of await answersOfEveryKind(headers)) {
        expect(response.headers.get("x-content-type-options"), kind).toBe("nosniff");
        expect(response.headers.get("vary"), kind).toBe("Origin");
        expect(response.headers.get("access-control-allow-origin"), kind).toBeNull();
        expect(response.headers.get("access-control-allow-credentials"), kind).toBeNull();
      }
    }
  });

  it("every kind lets an allowed origin read it, with credentials", async () => {
    for (const [kind, response] of await answersOfEveryKind({ origin: ALLOWED })) {
      expect(response.headers.get("access-control-allow-origin"), kind).toBe(ALLOWED);
      expect(response.headers.get("access-control-allow-credentials"), kind).toBe("true");
      expect(response.headers.get("x-content-type-options"), kind).toBe("nosniff");
      expect(response.headers.get("vary"), kind).toBe("Origin");
    }
  });

  it("a JSON answer keeps its own headers and body", async () => {
    const { token, userId } = await engine.signUp();
    const response = await engine.request("GET", "/v1/session", { bearer: token });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect((await response.json()).user.id).toBe(userId);
  });

  it("tells the observer which answers are event streams, which a host must cut at shutdown", async () => {
    const observed: { route: string; status: number; eventStream: boolean }[] = [];
    const observing = await createTestEngine({
      strategy: "jwt",
      observer: { onRequest: ({ route, status, eventStream }) => void observed.push({ route, status, eventStream }) },
    });
    try {
      const bearer = { authorization: `Bearer ${TEST_SECRET_KEY}` };
      const feed = await observing.request("GET", "/v1/revocations/stream", { headers: bearer });
      expect(feed.headers.get("content-type")).toBe("text/event-stream");
      await feed.body!.cancel();
      await observing.request("GET", "/v1/revocations/stream");
      await observing.request("GET", "/v1/session");
      await observing.request("GET", "/.well-known/jwks.json");
      expect(observed).toEqual([
        { route: "/v1/revocations/stream", status: 200, eventStream: true },
        { route: "/v1/revocations/stream", status: 401, eventStream: false },
        { route: "/v1/session", status: 401, eventStream: false },
        { route: "/.well-known/jwks.json", status: 200, eventStream: false },
      ]);
    } finally {
      await observing.close();
    }
  });
});

describe("bad input gets a 4xx problem and changes nothing", () => {
  const post = (body: BodyInit, headers: Record<string, string> = { "content-type": "application/json" }) =>
    engine.request("POST", "/v1/sign-up", { body, headers });

  it("malformed JSON → 400 malformed_json", async () => {
    await expectProblem(await post('{"email": "a@example.com", "password": '), 400, "malformed_json");
    await expectProblem(await post(""), 400, "malformed_json");
    await expectProblem(await post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), 400, "malformed_json");
  });

  it("a body that is not JSON → 415 unsupported_media_type", async () => {
    const form = "email=a%40example.com&password=whatever-password";
    await expectProblem(
      await post(form, { "content-type": "application/x-www-form-urlencoded" }),
      415,
      "unsupported_media_type",
    );
    await expectProblem(
      await post('{"email":"a@example.com"}', { "content-type": "text/plain" }),
      415,
      "unsupported_media_type",
    );
    await expectProblem(await post('{"email":"a@example.com"}', {}), 415, "unsupported_media_type");
  });

  it.each([
    ["a string", '"hello"'],
    ["a number", "42"],
    ["null", "null"],
    ["an array", "[]"],
  ])("a JSON body that is %s → 422", async (_, body) => {
    await expectProblem(await post(body), 422, "validation_failed");
  });

  it("an oversized body → 413 before parsing, whether or not it declares its length", async () => {
    const email = uniqueEmail();
    const huge = JSON.stringify({ email, password: strongPassword(), name: "x".repeat(70_000) });
    await expectProblem(await post(huge), 413, "payload_too_large");
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 100; i++) controller.enqueue(new TextEncoder().encode(" ".repeat(1024)));
        controller.close();
      },
    });
    const streamed = await engine.gatehouse.handler(
      new Request("http://localhost:4000/v1/sign-up", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chunks,
        duplex: "half",
      } as RequestInit),
      { remoteAddress: "192.0.2.1" },
    );
    await expectProblem(streamed, 413, "payload_too_large");
    // Nothing was created.
    expect((await engine.request("POST", "/v1/sign-up", { json: { email, password: strongPassword() } })).status).toBe(
      201,
    );
  });

  describe("a body read by the edge (RequestContext.readBody)", () => {
    const signUpRequest = (headers: Record<string, string> = {}) =>
      new Request("http://localhost:4000/v1/sign-up", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        // What the edge reads wins; this stand-in would fail validation if it were read.
        body: "{}",
      });

    it("is what the route gets, in place of request.body, read with the route's limit", async () => {
      const email = uniqueEmail();
      const limits: number[] = [];
      const response = await engine.gatehouse.handler(signUpRequest(), {
        remoteAddress: "192.0.2.1",
        readBody: async (limitBytes) => {
          limits.push(limitBytes);
          return new TextEncoder().encode(JSON.stringify({ email, password: strongPassword() }));
        },
      });
      expect(response.status).toBe(201);
      expect(limits).toEqual([64 * 1024]);
    });

    it("past the limit (null) → 413 and nothing is created", async () => {
      const email = uniqueEmail();
      const response = await engine.gatehouse.handler(signUpRequest(), {
        remoteAddress: "192.0.2.1",
        readBody: async () => null,
      });
      await expectProblem(response, 413, "payload_too_large");
      const again = await engine.request("POST", "/v1/sign-up", { json: { email, password: strongPassword() } });
      expect(again.status).toBe(201);
    });

    it("is not even asked when the declared length is over the limit", async () => {
      let asked = false;
      const response = await engine.gatehouse.handler(signUpRequest({ "content-length": String(64 * 1024 + 1) }), {
        remoteAddress: "192.0.2.1",
        readBody: async () => {
          asked = true;
          return new Uint8Array();
        },
      });
      await expectProblem(response, 413, "payload_too_large");
      expect(asked).toBe(false);
    });
  });

  it("unknown paths → 404, wrong methods → 405 with Allow, bad encodings → 404", async () => {
    await expectProblem(await engine.request("GET", "/v1/nope"), 404, "not_found");
    const wrongMethod = await engine.request("GET", "/v1/sign-up");
    await expectProblem(wrongMethod, 405, "method_not_allowed");
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    const { token } = await engine.signUp();
    await expectProblem(await engine.request("DELETE", "/v1/sessions/%E0%A4%A", { cookie: token }), 404, "not_found");
  });

  it("an unexpected fault becomes a generic 500 that reveals nothing; the detail goes to the log", async () => {
    const database = createMemoryDatabase({ warn: () => {} });
    const logged: Record<string, unknown>[] = [];
    const logger = { ...silentLogger, error: (object: Record<string, unknown>) => void logged.push(object) };
    const failing = await createTestEngine({
      database,
      logger,
      sessionStore: {
        ...database.sessions,
        getSession: async () => {
          throw new Error("connection to 10.0.0.5 refused (password=hunter2)");
        },
      },
    });
    try {
      const { token } = await failing.signUp();
      const response = await failing.request("GET", "/v1/session", { cookie: token });
      await expectProblem(response.clone(), 500, "internal_error");
      const text = await response.text();
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain("10.0.0.5");
      expect(logged).toHaveLength(1);
      expect(String((logged[0]!.err as Error).message)).toContain("refused");
    } finally {
      await failing.close();
    }
  });
});
