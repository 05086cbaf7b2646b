/**
 * A Server-Sent Events parser following the WHATWG HTML "event stream
 * interpretation" rules: UTF-8 with an optional leading BOM, lines ended by
 * CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of the
 * next are one line end), `event` / `data` / `id` / `retry` fields, comments
 * (lines starting with `:`), multi-line data joined with LF, and the last event
 * id that persists across events. An event still being built when the stream
 * ends is discarded, as the spec says (see `hasPartialEvent`).
 */

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
}

export class SseParser {
  private readonly decoder = new TextDecoder("utf-8");
  private buf = "";
  private first = true;
  private skipLf = false;
  private data = "";
  private dataSeen = false;
  private type = "";
  private idBuffer = "";
  private pending = false;
  /** the last event id (persists across events, like EventSource.lastEventId) */
  lastEventId = "";

  constructor(
    private readonly opts: SseParserOptions = {},
    initialLastEventId = "",
  ) {
    this.lastEventId = initialLastEventId;
    this.idBuffer = initialLastEventId;
  }

  /** Feeds bytes (or already decoded text); returns the events completed by them. */
  feed(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const out: SseEvent[] = [];
    let i = 0;
    if (this.skipLf && text.length > 0) {
      if (text[0] === "\n") i = 1;
      this.skipLf = false;
    }
    let start = i;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 /* LF */ || c === 13 /* CR */) {
        const line = this.buf + text.slice(start, i);
        this.buf = "";
        this.line(line, out);
        if (c === 13) {
          if (i + 1 < text.length) {
            if (text.charCodeAt(i + 1) === 10) i++;
          } else {
            this.skipLf = true;
          }
        }
        start = i + 1;
      }
    }
    this.buf += text.slice(start);
    return out;
  }

  /** true when the stream stopped inside an event (its fields are discarded) */
  get hasPartialEvent(): boolean {
    return this.pending || this.buf.length > 0;
  }

  /** Forgets a partial event (call on reconnect); the last event id is kept. */
  reset(): void {
    this.buf = "";
    this.skipLf = false;
    this.data = "";
    this.dataSeen = false;
    this.type = "";
    this.pending = false;
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
    if (!this.dataSeen) {
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
