/**
 * Revocation latency: how long after a sign-out a verifier that follows the revocation feed
 * refuses the signed-out session's access token. The server runs the `jwt` strategy on SQLite +
 * Redis (revocations go through the Redis stream, as between instances in production); the
 * verifier is the SDK's, in this process, connected to the server's SSE feed like any app.
 *
 * For each session: its token is verified once (so it sits in the verifier's cache, the hard
 * case), the clock starts, `POST /v1/sign-out` is sent, and the verifier is asked every
 * millisecond until it answers `revoked`; at most 2 s per sign-out.
 */
import { createVerifier } from "@gatehouse/sdk";
import type { BenchOptions } from "../lib/args.js";
import { mapConcurrently, nextClientIP, signUp, startGatehouse, type Credential } from "../lib/gatehouse.js";
import { percentile, summarize, type Summary } from "../lib/stats.js";

/** Measured figures of the phase. */
export interface RevocationResult {
  signOuts: number;
  /** Sign-outs whose token was still accepted after 2 s. */
  missed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Time for the sign-out request itself to be answered. */
  signOutResponseMs: Summary;
}

const GIVE_UP_MS = 2000;

/** Runs the revocation phase. */
export async function runRevocation(
  options: BenchOptions,
  redisURL: string,
  runPrefix: string,
  log: (message: string) => void,
): Promise<RevocationResult> {
  const server = await startGatehouse({
    name: "gatehouse (revocation)",
    strategy: "jwt",
    redisURL,
    redisPrefix: `${runPrefix}gh-revocation:`,
  });
  const verifier = createVerifier({ url: server.url, secretKey: server.secretKey, followRevocations: true });
  try {
    await verifier.ready();
    log(`  signing up ${options.signOuts} accounts`);
    const emails = Array.from({ length: options.signOuts }, (_, index) => `revocation-${index}@example.com`);
    const credentials = await mapConcurrently(emails, 4, (email) => signUp(server, email, "bearer"));
    const request = (credential: Credential): Request =>
      new Request("http://127.0.0.1/api/me", { headers: credential.headers });

    const latencies: number[] = [];
    const responses: number[] = [];
    let missed = 0;
    for (const credential of credentials) {
      const before = await verifier.authenticateRequest(request(credential));
      if (before.status !== "signed-in") throw new Error(`a fresh token was refused: ${before.reason}`);
      const started = performance.now();
      const signOut = await fetch(`${server.url}/v1/sign-out`, {
        method: "POST",
        headers: { ...credential.headers, "x-forwarded-for": nextClientIP() },
      });
      responses.push(performance.now() - started);
      if (signOut.status >= 300) throw new Error(`sign-out answered ${signOut.status}`);
      await signOut.arrayBuffer();
      let rejectedAt: number | null = null;
      while (performance.now() - started < GIVE_UP_MS) {
        const state = await verifier.authenticateRequest(request(credential));
        if (state.status === "signed-out") {
          if (state.reason !== "revoked") throw new Error(`expected "revoked", got "${state.reason}"`);
          rejectedAt = performance.now();
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      if (rejectedAt === null) missed++;
      else latencies.push(rejectedAt - started);
    }
    if (latencies.length === 0) throw new Error("no sign-out reached the verifier within 2 s");
    const result = {
      signOuts: credentials.length,
      missed,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      signOutResponseMs: summarize(responses),
    };
    log(`  revocation p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms over ${result.signOuts}`);
    return result;
  } finally {
    await verifier.close();
    await server.stop();
  }
}
