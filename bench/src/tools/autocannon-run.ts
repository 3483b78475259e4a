/**
 * Runs autocannon in a process of its own and prints one `BENCH_RESULT {json}` line, in the
 * shape of `LoadResult`. Two modes:
 * - `get`: fixed headers against one URL (the throughput rows when wrk is not installed);
 * - `sign-in`: the sign-in storm, `POST /v1/sign-in/password` cycling through the accounts
 *   given, each account from a network of its own and each request from another address in it
 *   (`X-Forwarded-For` in 198.18.0.0/15, the range reserved for benchmarks; the server trusts
 *   it only from 127.0.0.1).
 */
import autocannon from "autocannon";
import { networkClientIP } from "../lib/client-ips.js";

interface GetSpec {
  mode: "get";
  url: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
}

interface SignInSpec {
  mode: "sign-in";
  url: string;
  emails: string[];
  password: string;
  connections: number;
  seconds: number;
  /** The first account's network, from `reserveNetworks` (see `networkClientIP`). */
  firstNetwork: number;
}

const spec = JSON.parse(process.argv[2]!) as GetSpec | SignInSpec;

function options(): autocannon.Options {
  if (spec.mode === "get") {
    return { url: spec.url, headers: spec.headers, connections: spec.connections, duration: spec.seconds };
  }
  let next = 0;
  const { emails, password, firstNetwork } = spec;
  return {
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: 30,
    requests: [
      {
        method: "POST",
        setupRequest(request) {
          const index = next++;
          const account = index % emails.length;
          return {
            ...request,
            path: "/v1/sign-in/password",
            headers: {
              "content-type": "application/json",
              "auth-transport": "bearer",
              "x-forwarded-for": networkClientIP(firstNetwork, account, Math.floor(index / emails.length)),
            },
            body: JSON.stringify({ email: emails[account], password }),
          };
        },
      },
    ],
  };
}

const result = await autocannon(options());
const seconds = result.duration;
const ok = result["2xx"];
process.stdout.write(
  `BENCH_RESULT ${JSON.stringify({
    requests: result.requests.total,
    seconds,
    requestsPerSecond: (spec.mode === "sign-in" ? ok : result.requests.total) / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  })}\n`,
);
