/**
 * A real SMTP server for tests (the `smtp-server` package) on a free local port. Every message
 * it accepts is parsed with `mailparser` and kept with its SMTP envelope, so tests see exactly
 * what a mail server would receive: headers, envelope recipients, text and HTML bodies.
 */
import type { AddressInfo } from "node:net";
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

/** One received message. */
export interface ReceivedEmail {
  /** `MAIL FROM`. */
  envelopeFrom: string;
  /** Every `RCPT TO`, in order. */
  envelopeTo: string[];
  /** The parsed message. */
  parsed: ParsedMail;
  /** Addresses of the `To` header. */
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** A running test SMTP server. */
export interface TestSMTPServer {
  /** `smtp://user:password@127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Everything received so far, oldest first. */
  received: ReceivedEmail[];
  /** Resolves once `count` messages have been received (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedEmail[]>;
  /** The next `count` messages are refused with a temporary error (451). */
  failNext(count: number): void;
  close(): Promise<void>;
}

function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  const list = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return list.flatMap((each) => each.value.map((entry) => entry.address ?? ""));
}

/** Starts an SMTP server on 127.0.0.1 that requires the given user name and password. */
export async function startTestSMTPServer(
  credentials: { user: string; password: string } = { user: "gatehouse", password: "smtp-test-password" },
): Promise<TestSMTPServer> {
  const received: ReceivedEmail[] = [];
  const waiters = new Set<() => void>();
  let failures = 0;

  const server = new SMTPServer({
    // Plain SMTP on loopback: no certificate to manage in tests.
    secure: false,
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === credentials.user && auth.password === credentials.password) {
        callback(null, { user: auth.username });
      } else {
        callback(new Error("Invalid username or password"));
      }
    },
    onData(stream, session, callback) {
      if (failures > 0) {
        failures--;
        stream.resume();
        stream.on("end", () => {
          const error = new Error("Temporary failure, try again later") as Error & { responseCode: number };
          error.responseCode = 451;
          callback(error);
        });
        return;
      }
      simpleParser(stream).then(
        (parsed) => {
          const envelopeFrom = session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address;
          received.push({
            envelopeFrom,
            envelopeTo: session.envelope.rcptTo.map((recipient) => recipient.address),
            parsed,
            to: addresses(parsed.to),
            subject: parsed.subject ?? "",
            text: parsed.text ?? "",
            html: typeof parsed.html === "string" ? parsed.html : "",
          });
          for (const waiter of waiters) waiter();
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://${credentials.user}:${credentials.password}@127.0.0.1:${port}`,
    port,
    received,
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (received.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(received.slice());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} messages, received ${received.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    failNext(count) {
      failures = count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
