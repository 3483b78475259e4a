/**
 * Runs the real, built `gatehouse` CLI as a child process for the server's integration tests:
 * free ports, output capture, waiting for the "listening" line, and clean stops. Real
 * processes and real HTTP, so the tests prove what an operator would see.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** The launcher the package's `bin` points at; it loads the compiled `dist/cli.js`. */
export const CLI_PATH = fileURLToPath(new URL("../../bin/gatehouse.js", import.meta.url));

/**
 * Variables the child must not inherit from the test runner's environment (services.ts reads
 * DATABASE_URL / REDIS_URL as overrides, and a developer may have a real config exported).
 */
const INHERITED_SETTINGS = /^(PORT|HOST|DATABASE_URL|REDIS_URL|GATEHOUSE_.*)$/;

/** A port nothing listens on right now (asked of the OS, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** A password no policy refuses and no list contains. */
export function strongPassword(): string {
  return `Gh-${randomBytes(18).toString("base64url")}`;
}

/** A unique, valid email address. */
export function uniqueEmail(): string {
  return `user-${randomBytes(6).toString("hex")}@example.com`;
}

/** A running `gatehouse` child process with its output. */
export interface CLIProcess {
  child: ChildProcess;
  /** Everything printed to stdout so far. */
  stdout(): string;
  /** Everything printed to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until stdout matches `pattern`; rejects with the output so far on exit or timeout. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Spawns `node bin/gatehouse.js <args>` with a clean environment plus `env`. */
export function runCLI(args: string[], env: Record<string, string> = {}): CLIProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !INHERITED_SETTINGS.test(name)));
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: { ...base, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let hasExited = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      hasExited = true;
      for (const listener of listeners) listener();
      resolve({ code, signal });
    });
  });

  function waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = stdout.match(pattern);
        if (match) {
          done();
          resolve(match);
        } else if (hasExited) {
          done();
          reject(new Error(`gatehouse exited before printing ${pattern}.\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `gatehouse did not print ${pattern} within ${timeoutMs} ms.\nstdout:\n${stdout}\nstderr:\n${stderr}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  }

  return { child, stdout: () => stdout, stderr: () => stderr, exited, waitForOutput };
}

/** A `gatehouse start` process that has printed its listening line. */
export interface StartedCLI extends CLIProcess {
  /** `http://127.0.0.1:<port>`, where tests send requests. */
  url: string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `gatehouse start` on a free port on 127.0.0.1 and waits for its listening line.
 * `env` adds to (and may override) PORT and HOST.
 */
export async function startCLI(env: Record<string, string>): Promise<StartedCLI> {
  const port = await freePort();
  const cli = runCLI(["start"], { PORT: String(port), HOST: "127.0.0.1", ...env });
  const match = await cli.waitForOutput(/Gatehouse listening on (http:\/\/\S+)/);
  return {
    ...cli,
    url: match[1] as string,
    async stop() {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGTERM");
      return (await cli.exited).code;
    },
  };
}

/** The `name=value` pair of the session cookie a response set, for a later `Cookie` header. */
export function sessionCookie(response: Response): string {
  const header = response.headers.getSetCookie().find((cookie) => /^(__Host-)?gatehouse_session=/.test(cookie));
  if (!header) throw new Error(`no session cookie in the response (status ${response.status})`);
  return header.split(";")[0] as string;
}

/**
 * GET over node:http: the path is sent exactly as given (fetch would normalise `..` and `//`
 * first), and the answer's headers and body come back exactly as the server wrote them.
 */
export function rawGet(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ hostname, port, path, method: "GET", headers }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

/** POSTs JSON, as a same-origin browser or a server-side client would. */
export function postJSON(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/**
 * POSTs `chunks` to `url` as a chunked JSON body, `delayMs` apart. Resolves with the status, or
 * with the error when the server cut the connection before answering.
 */
export function postChunked(url: string, chunks: string[], delayMs = 2): Promise<{ status?: number; error?: Error }> {
  return new Promise((resolve) => {
    const outgoing = httpRequest(
      url,
      { method: "POST", headers: { "content-type": "application/json" } },
      (response) => {
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode! }));
      },
    );
    outgoing.on("error", (error) => resolve({ error }));
    void (async () => {
      for (const chunk of chunks) {
        if (outgoing.destroyed) return;
        outgoing.write(chunk);
        await new Promise((wait) => setTimeout(wait, delayMs));
      }
      outgoing.end();
    })();
  });
}

/** One Server-Sent Event as received. */
export interface ServerSentEvent {
  /** `event:` field; `message` when absent. */
  event: string;
  /** `id:` field, or null. */
  id: string | null;
  /** `data:` lines joined with newlines. */
  data: string;
}

/** An open event stream, read in the background with fetch and a stream reader. */
export interface EventStream {
  /** The response head (status, headers). */
  response: Response;
  /** Every event received so far, in order. */
  events(): ServerSentEvent[];
  /** Resolves with the first event (seen or future) matching `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (event: ServerSentEvent) => boolean, timeoutMs: number): Promise<ServerSentEvent>;
  /** Resolves when the server ends the stream or the connection drops. */
  ended: Promise<void>;
  /** Cancels the request. */
  close(): void;
}

/**
 * Opens `url` as an event stream (`Accept: text/event-stream`) and parses events as they
 * arrive. When the answer is not 200 the body is left unread and `events()` stays empty.
 */
export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: "text/event-stream", ...headers },
    signal: controller.signal,
  });
  const events: ServerSentEvent[] = [];
  const listeners = new Set<() => void>();
  let ended = Promise.resolve();
  if (response.ok && response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    ended = (async () => {
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let boundary = buffer.indexOf("\n\n");
          while (boundary !== -1) {
            const block = buffer.slice(0, boundary);
            buffer = buffer.slice(boundary + 2);
            boundary = buffer.indexOf("\n\n");
            const event: ServerSentEvent = { event: "message", id: null, data: "" };
            const data: string[] = [];
            let fields = 0;
            for (const line of block.split("\n")) {
              const colon = line.indexOf(":");
              // Comments (": ping") and lines without a field name carry nothing.
              if (colon === 0 || line === "") continue;
              const name = colon === -1 ? line : line.slice(0, colon);
              const content = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
              fields++;
              if (name === "event") event.event = content;
              else if (name === "id") event.id = content;
              else if (name === "data") data.push(content);
            }
            event.data = data.join("\n");
            // A block of only `retry:` is a reconnection hint, not an event.
            if (fields > 0 && (data.length > 0 || event.event !== "message")) events.push(event);
          }
          for (const listener of listeners) listener();
        }
      } catch {
        // Aborted by close() or cut by the server: either way the stream is over.
      } finally {
        for (const listener of listeners) listener();
      }
    })();
  }
  let finished = false;
  void ended.then(() => {
    finished = true;
  });

  function waitFor(predicate: (event: ServerSentEvent) => boolean, timeoutMs: number): Promise<ServerSentEvent> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = events.find(predicate);
        if (match) {
          done();
          resolve(match);
        } else if (finished) {
          done();
          reject(new Error(`the event stream ended first; received ${JSON.stringify(events)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching event within ${timeoutMs} ms; received ${JSON.stringify(events)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      void ended.then(check);
      check();
    });
  }

  return { response, events: () => [...events], waitFor, ended, close: () => controller.abort() };
}
