import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SseParser, type SseEvent } from "../../../../src/agent/sources/connectors/sse.js";

function parseAll(
  chunks: (string | Uint8Array)[],
  initialId = "",
): { events: SseEvent[]; comments: string[]; retries: number[]; parser: SseParser } {
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = new SseParser({ onComment: (c) => comments.push(c), onRetry: (r) => retries.push(r) }, initialId);
  const events = chunks.flatMap((c) => parser.feed(c));
  return { events, comments, retries, parser };
}

describe("SSE parser (WHATWG event stream rules)", () => {
  it("parses event, data, id and retry fields and defaults the type to message", () => {
    const { events, retries } = parseAll([
      'event: update\ndata: {"a":1}\nid: 7\n\ndata: plain\n\nretry: 1500\nretry: 1.5\n\n',
    ]);
    assert.deepEqual(events, [
      { type: "update", data: '{"a":1}', lastEventId: "7" },
      { type: "message", data: "plain", lastEventId: "7" },
    ]);
    assert.deepEqual(retries, [1500]);
  });

  it("joins multi-line data with LF and strips exactly one leading space", () => {
    const { events } = parseAll(["data:first\ndata:  second\ndata\n\n"]);
    assert.deepEqual(events, [{ type: "message", data: "first\n second\n", lastEventId: "" }]);
  });

  it("treats CRLF, LF and CR as line ends, including a CRLF split across chunks", () => {
    const { events } = parseAll(["data: a\r", "\ndata: b\r\r", "data: c\n", "\n", "data: d\r\n\r\n"]);
    assert.deepEqual(
      events.map((e) => e.data),
      ["a\nb", "c", "d"],
    );
  });

  it("reports comments, ignores unknown fields and events without data, and strips a BOM", () => {
    const { events, comments } = parseAll(["\uFEFF:ok\n\n: thump\nfoo: bar\nevent: x\n\nid: 3\n\ndata: y\n\n"]);
    assert.deepEqual(comments, ["ok", "thump"]);
    assert.deepEqual(events, [{ type: "message", data: "y", lastEventId: "3" }]);
  });

  it("keeps the last event id across events, ignores ids with NUL, and an empty id resets it", () => {
    const { events } = parseAll(["id: 1\ndata: a\n\ndata: b\n\nid: bad\u0000\ndata: c\n\nid\ndata: d\n\n"]);
    assert.deepEqual(
      events.map((e) => e.lastEventId),
      ["1", "1", "1", ""],
    );
  });

  it("decodes UTF-8 split between chunks byte by byte", () => {
    const bytes = Buffer.from("data: héllo 🌊\n\n");
    const { events } = parseAll([...bytes].map((b) => Uint8Array.of(b)));
    assert.deepEqual(
      events.map((e) => e.data),
      ["héllo 🌊"],
    );
  });

  it("discards an event cut off by the end of the stream and says so", () => {
    const { events, parser } = parseAll(["data: whole\n\ndata: cut"]);
    assert.deepEqual(
      events.map((e) => e.data),
      ["whole"],
    );
    assert.equal(parser.hasPartialEvent, true);
    parser.reset();
    assert.equal(parser.hasPartialEvent, false);
    assert.deepEqual(
      parser.feed("data: next\n\n").map((e) => e.data),
      ["next"],
    );
  });

  it("starts from a given Last-Event-ID", () => {
    const { events } = parseAll(["data: x\n\n"], '[{"offset":5}]');
    assert.equal(events[0]!.lastEventId, '[{"offset":5}]');
  });

  it(
    "bounds a line: an event with a line over maxLineLength is dropped whole and reported; " + "the next one parses",
    () => {
      const tooLong: number[] = [];
      const parser = new SseParser({ maxLineLength: 16, onLineTooLong: (n) => tooLong.push(n) });
      const events: SseEvent[] = [];
      events.push(...parser.feed("id: 1\ndata: "));
      for (let i = 0; i < 100; i++) events.push(...parser.feed("x".repeat(1000)));
      assert.equal(parser.hasPartialEvent, true);
      events.push(...parser.feed("\ndata: more\n\nid: 2\ndata: ok\n\n"));
      assert.deepEqual(events, [{ type: "message", data: "ok", lastEventId: "2" }]);
      assert.deepEqual(tooLong, [100_006]);
    },
  );
});
