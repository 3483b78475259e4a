/**
 * A latency probe, in a process of its own: GETs at a fixed rate (not as fast as possible),
 * each timed with a monotonic clock, so what it reports is the latency a user would see, not
 * queueing the probe itself caused. Used for authenticated GETs while idle and during the
 * sign-in storm. Bounded: `rate * seconds` requests at most, then it stops; a request still
 * open 10 s after the last one was sent counts as failed.
 */
import { Agent, request } from "node:http";
import { percentile } from "../lib/stats.js";

interface ProbeSpec {
  url: string;
  headers: Record<string, string>;
  /** Requests per second. */
  rate: number;
  seconds: number;
}

const spec = JSON.parse(process.argv[2]!) as ProbeSpec;
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const latencies: number[] = [];
let failures = 0;
let inFlight = 0;

function once(): void {
  const started = process.hrtime.bigint();
  inFlight++;
  const finish = (ok: boolean): void => {
    inFlight--;
    if (ok) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    else failures++;
  };
  const outgoing = request(spec.url, { agent, headers: spec.headers }, (response) => {
    response.resume();
    response.once("end", () => finish(response.statusCode === 200));
    response.once("error", () => finish(false));
  });
  outgoing.once("error", () => finish(false));
  outgoing.end();
}

const total = Math.round(spec.rate * spec.seconds);
const intervalMs = 1000 / spec.rate;
const start = performance.now();
for (let sent = 0; sent < total; sent++) {
  // Absolute schedule, so a late timer does not shift every later request.
  const due = start + sent * intervalMs;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  once();
}
const deadline = performance.now() + 10_000;
while (inFlight > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
failures += inFlight;
agent.destroy();
process.stdout.write(
  `BENCH_RESULT ${JSON.stringify({
    requests: latencies.length,
    failures,
    p50Ms: latencies.length ? percentile(latencies, 50) : null,
    p99Ms: latencies.length ? percentile(latencies, 99) : null,
    maxMs: latencies.length ? Math.max(...latencies) : null,
  })}\n`,
);
process.exit(0);
