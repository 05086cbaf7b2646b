/**
 * A Server-Sent Events parser following the WHATWG HTML "event stream
 * interpretation" rules: UTF-8 with an optional leading BOM, lines ended by
 * CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of the
 * next are one line end), `event` / `data` / `id` / `retry` fields, comments
 * (lines starting with `:`), multi-line data joined with LF, and the last event
 * id that persists across events. An event still being built when the stream
 * ends is discarded, as the spec says (see `hasPartialEvent`).
 *
 * Lines are split by the sources' one LineSplitter, with its bound: an event with
 * a line longer than maxLineLength is discarded whole (reported to onLineTooLong),
 * so a stream without line ends cannot grow memory without bound.
 */
import { LineSplitter } from "../lines.js";

export interface SseEvent {
  /** the `event` field, or "message" */
  type: string;
  data: string;
  /** the last event id at dispatch time ("" when none was ever set) */
  lastEventId: string;
}

export interface SseParserOptions {
  /** every comment line (`: thump`, `:ok`), useful as liveness */
  onComment?: (text: string) => void;
  /** a valid `retry` field (milliseconds) */
  onRetry?: (ms: number) => void;
  /** bytes a line may have (default DEFAULT_MAX_LINE_LENGTH) */
  maxLineLength?: number;
  /** a line was longer than maxLineLength: the event it is part of is discarded */
  onLineTooLong?: (length: number) => void;
}

export class SseParser {
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  private readonly splitter: LineSplitter;
  private first = true;
  private data = "";
  private dataSeen = false;
  private type = "";
  private idBuffer = "";
  private pending = false;
  /** the event being built had a line over the bound: it is dropped at its end */
  private tooLong = false;
  /** the last event id (persists across events, like EventSource.lastEventId) */
  lastEventId = "";

  constructor(
    private readonly opts: SseParserOptions = {},
    initialLastEventId = "",
  ) {
    this.lastEventId = initialLastEventId;
    this.idBuffer = initialLastEventId;
    this.splitter = new LineSplitter({ lineEnds: "any", maxLineLength: opts.maxLineLength });
  }

  /** Feeds bytes (or already decoded text); returns the events completed by them. */
  feed(chunk: Uint8Array | string): SseEvent[] {
    const bytes =
      typeof chunk === "string"
        ? Buffer.from(chunk, "utf8")
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: SseEvent[] = [];
    for (const l of this.splitter.push(bytes)) {
      let b = l.bytes;
      if (this.first) {
        this.first = false;
        if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
      }
      if (l.truncated) {
        this.tooLong = true;
        this.pending = true;
        this.opts.onLineTooLong?.(l.length);
        continue;
      }
      this.line(this.decoder.decode(b), out);
    }
    return out;
  }

  /** true when the stream stopped inside an event (its fields are discarded) */
  get hasPartialEvent(): boolean {
    return this.pending || this.splitter.pending() > 0;
  }

  /** Forgets a partial event (call on reconnect); the last event id is kept. */
  reset(): void {
    this.splitter.reset();
    this.data = "";
    this.dataSeen = false;
    this.type = "";
    this.pending = false;
    this.tooLong = false;
    this.idBuffer = this.lastEventId;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === "") {
      this.dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) {
      this.opts.onComment?.(line.slice(1).replace(/^ /, ""));
      return;
    }
    this.pending = true;
    const colon = line.indexOf(":");
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = "";
    } else {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
    }
    switch (field) {
      case "event":
        this.type = value;
        break;
      case "data":
        this.data += value + "\n";
        this.dataSeen = true;
        break;
      case "id":
        if (!value.includes("\u0000")) this.idBuffer = value;
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) this.opts.onRetry?.(Number(value));
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  private dispatch(out: SseEvent[]): void {
    this.pending = false;
    this.lastEventId = this.idBuffer;
    if (!this.dataSeen || this.tooLong) {
      this.tooLong = false;
      this.data = "";
      this.dataSeen = false;
      this.type = "";
      return;
    }
    const data = this.data.endsWith("\n") ? this.data.slice(0, -1) : this.data;
    out.push({ type: this.type === "" ? "message" : this.type, data, lastEventId: this.lastEventId });
    this.data = "";
    this.dataSeen = false;
    this.type = "";
  }
}
