/**
 * A Server-Sent Events parser (the `text/event-stream` rules of the WHATWG HTML standard,
 * §9.2.6) for the revocation feed. `EventSource` cannot send an `Authorization` header and is
 * missing from Node 20, so the feed is read with `fetch` and parsed here. Chunks may split
 * anywhere, including between the CR and LF of one line ending.
 */

/** One dispatched event. */
export interface ServerSentEvent {
  /** `event:` field, `"message"` when absent. */
  type: string;
  /** `data:` lines joined with LF. */
  data: string;
  /** The last event ID in force when the event was dispatched (ids persist across events). */
  id: string | null;
}

/** Options of {@link createSSEParser}. */
export interface SSEParserOptions {
  onEvent(event: ServerSentEvent): void;
  /** Comment lines (`: ping`), which carry no data but prove the stream is alive. */
  onComment?(text: string): void;
  /**
   * Longest line accepted. The feed's lines are a few hundred bytes; a stream that never ends
   * a line would otherwise grow the buffer without bound.
   * @default 1048576
   */
  maxLineLength?: number;
}

/** A push parser: feed it decoded text as it arrives. */
export interface SSEParser {
  /** Parses `text`. Throws only when a line exceeds `maxLineLength`. */
  push(text: string): void;
}

/**
 * Creates a parser.
 *
 * @example
 * ```ts
 * const parser = createSSEParser({ onEvent: (event) => console.log(event.type, event.data) });
 * parser.push("event: ready\ndata: {}\n\n");
 * ```
 */
export function createSSEParser(options: SSEParserOptions): SSEParser {
  const maxLineLength = options.maxLineLength ?? 1024 * 1024;
  let pending = "";
  // A CR that ended the previous chunk: an LF at the start of the next one belongs to it.
  let skipLeadingLF = false;
  let eventType = "";
  let data = "";
  let hasData = false;
  let lastEventId: string | null = null;

  function dispatch(): void {
    const type = eventType || "message";
    eventType = "";
    if (!hasData) return;
    const event: ServerSentEvent = { type, data, id: lastEventId };
    data = "";
    hasData = false;
    options.onEvent(event);
  }

  function line(text: string): void {
    if (text === "") return dispatch();
    if (text.startsWith(":")) return options.onComment?.(text.slice(1).replace(/^ /, ""));
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    const value = colon === -1 ? "" : text.slice(colon + 1).replace(/^ /, "");
    switch (field) {
      case "event":
        eventType = value;
        break;
      case "data":
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
        break;
      case "id":
        // The standard ignores ids containing NUL so that a cursor can never be truncated.
        if (!value.includes("\0")) lastEventId = value;
        break;
      default:
        // `retry` and unknown fields: the feed client keeps its own backoff.
        break;
    }
  }

  return {
    push(text) {
      let start = 0;
      if (skipLeadingLF && text.startsWith("\n")) start = 1;
      skipLeadingLF = false;
      for (let i = start; i < text.length; i++) {
        const char = text[i];
        if (char !== "\n" && char !== "\r") continue;
        line(pending + text.slice(start, i));
        pending = "";
        if (char === "\r") {
          if (i + 1 === text.length) skipLeadingLF = true;
          else if (text[i + 1] === "\n") i++;
        }
        start = i + 1;
      }
      pending += text.slice(start);
      if (pending.length > maxLineLength) {
        pending = "";
        throw new RangeError(`A Server-Sent Events line exceeded ${maxLineLength} characters.`);
      }
    },
  };
}
