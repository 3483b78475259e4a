/**
 * Email helpers for tests: an engine whose mail lands in memory, and readers for the links and
 * codes in a message, so tests follow an emailed link exactly as a user would.
 */
import { createMemoryEmailTransport, type MemoryEmailTransport } from "../adapters/memory/index.js";
import type { EmailMessage } from "../email/transport.js";
import type { GatehouseConfig } from "../config.js";
import { createTestEngine, type TestEngine } from "./engine.js";

/** A test engine with an in-memory mailbox. */
export interface MailTestEngine extends TestEngine {
  transport: MemoryEmailTransport;
  /** Waits for queued mail, then returns the messages sent to `to` (case-insensitive), oldest first. */
  mailTo(to: string): Promise<EmailMessage[]>;
  /** Waits for queued mail, then returns the newest message to `to`; fails if there is none. */
  lastMailTo(to: string): Promise<EmailMessage>;
}

/** Starts a test engine whose email goes to memory, with quick retries. */
export async function createMailTestEngine(config: Partial<GatehouseConfig> = {}): Promise<MailTestEngine> {
  const transport = createMemoryEmailTransport();
  const engine = await createTestEngine({
    ...config,
    email: { transport, retryDelaysMs: [1, 1], ...config.email },
  });
  const mailTo = async (to: string): Promise<EmailMessage[]> => {
    await engine.gatehouse.email.flush();
    return transport.messages.filter((message) => message.to.toLowerCase() === to.toLowerCase());
  };
  return {
    ...engine,
    transport,
    mailTo,
    async lastMailTo(to) {
      const messages = await mailTo(to);
      const last = messages.at(-1);
      if (!last)
        throw new Error(`no email to ${to}; sent: ${transport.messages.map((m) => m.to).join(", ") || "none"}`);
      return last;
    },
  };
}

/** Every http(s) link in a message's text body. */
export function linksIn(message: Pick<EmailMessage, "text">): string[] {
  return [...message.text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((match) => match[0]);
}

/** The one link in the text body containing `path`; fails when there is not exactly one. */
export function linkIn(message: Pick<EmailMessage, "text">, path: string): URL {
  const links = linksIn(message).filter((link) => new URL(link).pathname.endsWith(path));
  if (links.length !== 1) throw new Error(`expected one ${path} link, found ${links.length}: ${message.text}`);
  return new URL(links[0]!);
}

/** The `token` query parameter of the link containing `path`. */
export function tokenIn(message: Pick<EmailMessage, "text">, path: string): string {
  const token = linkIn(message, path).searchParams.get("token");
  if (!token) throw new Error(`the ${path} link has no token`);
  return token;
}

/** The six-digit code in a message's text body. */
export function codeIn(message: Pick<EmailMessage, "text">): string {
  const match = /(?:^|\s)(\d{6})(?:\s|$)/m.exec(message.text);
  if (!match) throw new Error(`no code in: ${message.text}`);
  return match[1]!;
}
