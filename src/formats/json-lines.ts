/**
 * JSON lines (one JSON value per line, as the Twitter/X streams, Jetstream dumps
 * and `--json` tools write them). Lines end with \n or \r\n; blank lines (the
 * streams' keep-alives) are skipped but still counted, so line numbers match
 * the input. A bad line is reported with its number and never costs a good one.
 */
import { FormatError } from "./errors.js";
import { decodeUtf8 } from "./text.js";

export interface JsonLine<T = unknown> {
  line: number;
  value: T;
}

export interface BadLine {
  line: number;
  text: string;
  error: FormatError;
}

export type LineResult<T = unknown> = ({ ok: true } & JsonLine<T>) | ({ ok: false } & BadLine);

export interface RawLine {
  line: number;
  bytes: Buffer;
  /** the line outgrew the limit; its bytes were dropped */
  tooLong?: boolean;
}

/** Splits bytes into lines across chunk boundaries (splits on 0x0a, so never inside a UTF-8 character). */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private lineNo = 0;
  private skipping = false;
  constructor(private readonly maxLineBytes = 16 * 1024 * 1024) {}

  /** Returns the complete lines in `chunk` (with their 1-based numbers). */
  push(chunk: Buffer | string): RawLine[] {
    const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    const out: RawLine[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      if (this.skipping) {
        // the end of a line already reported as too long
        this.skipping = false;
        start = nl + 1;
        continue;
      }
      let piece = buf.subarray(start, nl);
      if (this.pendingLen > 0) {
        piece = Buffer.concat([...this.pending, piece]);
        this.pending = [];
        this.pendingLen = 0;
      }
      if (piece.length > this.maxLineBytes) out.push({ line: ++this.lineNo, bytes: Buffer.alloc(0), tooLong: true });
      else {
        if (piece.length > 0 && piece[piece.length - 1] === 0x0d) piece = piece.subarray(0, piece.length - 1);
        out.push({ line: ++this.lineNo, bytes: piece });
      }
      start = nl + 1;
    }
    if (start < buf.length && !this.skipping) {
      const rest = buf.subarray(start);
      this.pendingLen += rest.length;
      if (this.pendingLen > this.maxLineBytes) {
        // A runaway line: report it once, drop its bytes up to the next newline, keep going.
        this.pending = [];
        this.pendingLen = 0;
        this.skipping = true;
        out.push({ line: ++this.lineNo, bytes: Buffer.alloc(0), tooLong: true });
      } else this.pending.push(Buffer.from(rest));
    }
    return out;
  }

  /** The unterminated last line, if any (e.g. a stream cut off mid-object). */
  end(): RawLine | null {
    this.skipping = false;
    if (this.pendingLen === 0) return null;
    let bytes = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingLen = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    return { line: ++this.lineNo, bytes };
  }
}

function isBlank(b: Buffer): boolean {
  for (const c of b) if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  return true;
}

/** Parses one line; blank lines give null. */
export function parseJsonLine<T = unknown>(raw: RawLine): LineResult<T> | null {
  const { line, bytes } = raw;
  if (raw.tooLong) {
    return { ok: false, line, text: "", error: new FormatError(`line ${line}: longer than the line limit`) };
  }
  if (isBlank(bytes)) return null;
  let text: string;
  try {
    text = decodeUtf8(bytes);
  } catch (err) {
    return {
      ok: false,
      line,
      text: bytes.toString("utf8"),
      error: new FormatError(`line ${line}: invalid UTF-8`, { cause: err }),
    };
  }
  try {
    return { ok: true, line, value: JSON.parse(text) as T };
  } catch (err) {
    return { ok: false, line, text, error: new FormatError(`line ${line}: ${(err as Error).message}`, { cause: err }) };
  }
}

/** Parses a whole buffer or string of JSON lines. */
export function parseJsonLines<T = unknown>(input: Buffer | string): { records: JsonLine<T>[]; errors: BadLine[] } {
  const sp = new LineSplitter(Number.MAX_SAFE_INTEGER);
  const lines = sp.push(input);
  const last = sp.end();
  if (last) lines.push(last);
  const records: JsonLine<T>[] = [];
  const errors: BadLine[] = [];
  for (const l of lines) {
    const r = parseJsonLine<T>(l);
    if (!r) continue;
    if (r.ok) records.push({ line: r.line, value: r.value });
    else errors.push({ line: r.line, text: r.text, error: r.error });
  }
  return { records, errors };
}

/** Reads JSON lines from a byte stream (an http response, a file stream...), yielding good and bad lines in order. */
export async function* readJsonLines<T = unknown>(
  source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  opts: { maxLineBytes?: number } = {},
): AsyncGenerator<LineResult<T>> {
  const sp = new LineSplitter(opts.maxLineBytes);
  for await (const chunk of source) {
    for (const l of sp.push(chunk)) {
      const r = parseJsonLine<T>(l);
      if (r) yield r;
    }
  }
  const last = sp.end();
  if (last) {
    const r = parseJsonLine<T>(last);
    if (r) yield r;
  }
}

const bigintAsString = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

/**
 * One value as the text of a JSON line (without its "\n"): bigints (offsets)
 * as decimal strings, since JSON numbers stop being exact at 2^53; undefined
 * for a value JSON cannot hold (undefined, a function).
 */
export function toJsonLine(value: unknown): string | undefined {
  return JSON.stringify(value, bigintAsString);
}

/** One value per line, "\n"-terminated (a value JSON cannot hold is written as null). */
export function toJsonLines(values: Iterable<unknown>): string {
  let s = "";
  for (const v of values) s += (toJsonLine(v) ?? "null") + "\n";
  return s;
}
