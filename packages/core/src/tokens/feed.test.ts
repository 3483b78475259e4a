import { afterEach, describe, expect, it } from "vitest";
import {
  createTestEngine,
  strongPassword,
  TEST_SECRET_KEY,
  uniqueEmail,
  type TestEngine,
} from "../test-support/engine.js";

const engines: TestEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

interface FeedEvent {
  event: string;
  id?: string;
  data: string;
}

/** Reads SSE events from a streaming response until `until` says stop (bounded by a timeout). */
async function readEvents(response: Response, until: (events: FeedEvent[]) => boolean): Promise<FeedEvent[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: FeedEvent[] = [];
  let buffer = "";
  const deadline = Date.now() + 3000;
  while (!until(events)) {
    if (Date.now() > deadline) throw new Error(`timed out with ${JSON.stringify(events)}`);
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const event: FeedEvent = { event: "message", data: "" };
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event.event = line.slice(7);
        else if (line.startsWith("id: ")) event.id = line.slice(4);
        else if (line.startsWith("data: ")) event.data = line.slice(6);
      }
      if (block.split("\n").some((line) => line.startsWith("event: ") || line.startsWith("data: "))) events.push(event);
    }
  }
  await reader.cancel();
  return events;
}

async function signInTwice(engine: TestEngine): Promise<{ first: string; second: string; userId: string }> {
  const email = uniqueEmail();
  const password = strongPassword();
  const bearer = { "auth-transport": "bearer" };
  const first = await (
    await engine.request("POST", "/v1/sign-up", { json: { email, password }, headers: bearer })
  ).json();
  const second = await (
    await engine.request("POST", "/v1/sign-in/password", { json: { email, password }, headers: bearer })
  ).json();
  return { first: first.access_token, second: second.access_token, userId: first.user.id };
}

const stream = (engine: TestEngine, headers: Record<string, string> = {}) =>
  engine.request("GET", "/v1/revocations/stream", {
    headers: { authorization: `Bearer ${TEST_SECRET_KEY}`, ...headers },
  });

describe("GET /v1/revocations/stream", () => {
  it("requires a secret key; a user's token is refused", async () => {
    const engine = await createTestEngine({ strategy: "jwt" });
    engines.push(engine);
    const { first } = await signInTwice(engine);
    expect((await engine.request("GET", "/v1/revocations/stream")).status).toBe(401);
    expect((await engine.request("GET", "/v1/revocations/stream", { bearer: first })).status).toBe(401);
  });

  it("replays retained revocations on connect, says ready, then streams live ones", async () => {
    const engine = await createTestEngine({ strategy: "jwt" });
    engines.push(engine);
    const alice = await signInTwice(engine);
    await engine.request("POST", "/v1/sign-out", { bearer: alice.first });

    const response = await stream(engine);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reading = readEvents(
      response,
      (events) => events.filter((event) => event.event === "revocation").length === 2,
    );
    // Revoke the second session while the stream is open.
    setTimeout(() => void engine.request("POST", "/v1/sign-out", { bearer: alice.second }), 50);
    const events = await reading;
    expect(events.map((event) => event.event)).toEqual(["revocation", "ready", "revocation"]);
    const [replayed, , live] = events;
    expect(JSON.parse(replayed!.data)).toMatchObject({ sub: alice.userId });
    expect(JSON.parse(live!.data)).toMatchObject({ sub: alice.userId });
    const { sid, revoked_at, until } = JSON.parse(live!.data);
    expect(sid).toMatch(/^sess_/);
    // Retained until no access token of the session can be valid: lifetime plus skew.
    expect(until - revoked_at).toBe(600_000 + 60_000);
    expect(Number(live!.id)).toBeGreaterThan(Number(replayed!.id));
  });

  it("resumes after Last-Event-ID: only what came later", async () => {
    const engine = await createTestEngine({ strategy: "hybrid" });
    engines.push(engine);
    const alice = await signInTwice(engine);
    const bob = await signInTwice(engine);
    await engine.request("POST", "/v1/sign-out", { bearer: alice.first });
    const firstRead = await readEvents(await stream(engine), (events) =>
      events.some((event) => event.event === "ready"),
    );
    const cursor = firstRead[0]!.id!;
    await engine.request("POST", "/v1/sign-out", { bearer: bob.first });
    await engine.request("POST", "/v1/sign-out", { bearer: bob.second });
    const resumed = await readEvents(await stream(engine, { "last-event-id": cursor }), (events) =>
      events.some((event) => event.event === "ready"),
    );
    const revocations = resumed.filter((event) => event.event === "revocation").map((event) => JSON.parse(event.data));
    expect(revocations.map((entry) => entry.sub)).toEqual([bob.userId, bob.userId]);
  });

  it("forgets revocations once no token of theirs can be valid", async () => {
    const engine = await createTestEngine({ strategy: "jwt" });
    engines.push(engine);
    const alice = await signInTwice(engine);
    await engine.request("POST", "/v1/sign-out", { bearer: alice.first });
    engine.clock.now += 660_001;
    expect(await engine.database.revocations.prune(engine.clock.now)).toBe(1);
    const events = await readEvents(await stream(engine), (seen) => seen.some((event) => event.event === "ready"));
    expect(events.map((event) => event.event)).toEqual(["ready"]);
  });
});
