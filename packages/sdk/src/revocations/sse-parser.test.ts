// The text/event-stream parser: every line ending, chunks split anywhere, comments, ids that
// persist, and a line that never ends.
import { describe, expect, it } from "vitest";
import { createSSEParser, type ServerSentEvent } from "./sse-parser.js";

function parse(chunks: string[], maxLineLength?: number) {
  const events: ServerSentEvent[] = [];
  const comments: string[] = [];
  const parser = createSSEParser({
    onEvent: (event) => events.push(event),
    onComment: (text) => comments.push(text),
    ...(maxLineLength ? { maxLineLength } : {}),
  });
  for (const chunk of chunks) parser.push(chunk);
  return { events, comments };
}

const STREAM =
  'retry: 1000\n\nid: 7\nevent: revocation\ndata: {"sid":"sess_a"}\n\n: ping\n\nevent: ready\ndata: {}\n\n';

describe("createSSEParser", () => {
  it("parses the feed's events, with ids that persist across events", () => {
    const { events, comments } = parse([STREAM]);
    expect(events).toEqual([
      { type: "revocation", data: '{"sid":"sess_a"}', id: "7" },
      { type: "ready", data: "{}", id: "7" },
    ]);
    expect(comments).toEqual(["ping"]);
  });

  it.each([
    ["CRLF", "\r\n"],
    ["CR", "\r"],
  ])("accepts %s line endings", (_name, ending) => {
    expect(parse([STREAM.replaceAll("\n", ending)]).events).toHaveLength(2);
  });

  it("gives the same events however the stream is split, even between CR and LF", () => {
    const crlf = STREAM.replaceAll("\n", "\r\n");
    const whole = parse([crlf]).events;
    for (let cut = 1; cut < crlf.length; cut++) {
      expect(parse([crlf.slice(0, cut), crlf.slice(cut)]).events).toEqual(whole);
    }
    expect(parse([...crlf]).events).toEqual(whole);
  });

  it("joins data lines with LF, defaults the type to message, and drops events without data", () => {
    const { events } = parse(["data: a\ndata:b\ndata\n\nevent: nothing\n\n"]);
    expect(events).toEqual([{ type: "message", data: "a\nb\n", id: null }]);
  });

  it("keeps one leading space of a value only once, and ignores unknown fields and NUL ids", () => {
    const { events } = parse(["id: 1\nfoo: bar\ndata:  two spaces\n\nid: x\0y\ndata: z\n\n"]);
    expect(events).toEqual([
      { type: "message", data: " two spaces", id: "1" },
      { type: "message", data: "z", id: "1" },
    ]);
  });

  it("does not dispatch an event the stream cut off before its blank line", () => {
    expect(parse(["id: 9\ndata: half"]).events).toEqual([]);
  });

  it("refuses a line longer than the limit", () => {
    const parser = createSSEParser({ onEvent: () => {}, maxLineLength: 16 });
    expect(() => parser.push("data: " + "x".repeat(32))).toThrow(RangeError);
  });
});
