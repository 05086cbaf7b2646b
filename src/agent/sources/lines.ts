/**
 * Splitting bytes into lines, one home for every source that reads lines: netcat,
 * exec, spooldir and TAILDIR (files, by byte position), the Twitter stream (JSON
 * lines over a chunked HTTP response) and the Server-Sent-Events parser.
 *
 * A line has a maximum length, so a stream without line ends never grows memory
 * without bound: at most maxLineLength + 1 bytes of a line are kept, the rest is
 * counted and dropped, and the line comes out with `truncated` set (its first
 * maxLineLength bytes). What to do with it is the caller's choice: Flume's netcat
 * source sends the cut line and tells the client, spooldir's LINE deserializer
 * keeps the cut line, the stream sources dead-letter it.
 *
 * Line ends: "lf" (the default) ends a line at \n and removes a \r before it;
 * "any" ends one at \r\n, \n or \r, as the event-stream format says (a \r at the
 * end of one chunk and a \n at the start of the next are one line end).
 * Splitting is done on bytes, so it never cuts a UTF-8 character.
 */
import type { FileHandle } from "node:fs/promises";

/** The bound when a caller names none: far above any real line, far below running out of memory. */
export const DEFAULT_MAX_LINE_LENGTH = 16 * 1024 * 1024;

export interface LineSplitterOptions {
  /** bytes a line may have (its end not counted); default DEFAULT_MAX_LINE_LENGTH */
  maxLineLength?: number;
  /** "lf" (\n, a \r before it removed; the default) or "any" (\r\n, \n or \r) */
  lineEnds?: "lf" | "any";
  /**
   * emit a too-long line as soon as it is known to be too long, instead of at its end
   * (Flume's netcat source answers the client right away); its `end` is then unknown
   */
  emitTooLongEarly?: boolean;
  /** the byte offset of the first byte pushed (file readers start mid-file); default 0 */
  offset?: number;
}

export interface Line {
  /** byte offset of the line's first byte */
  offset: number;
  /** byte offset just after the line's end (for a too-long line emitted early: where it was emitted) */
  end: number;
  /**
   * the line without its end, at most maxLineLength bytes. It may be a view of the
   * chunk pushed: copy it if that chunk's memory is reused.
   */
  bytes: Buffer;
  /** the line was longer than maxLineLength; `bytes` holds its beginning */
  truncated: boolean;
  /** the line's length in bytes (so far, for a line emitted early) */
  length: number;
}

const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  readonly maxLineLength: number;
  private readonly anyEnd: boolean;
  private readonly early: boolean;
  /** the current line's kept bytes (at most maxLineLength + 1); parts before `owned` are copies */
  private held: Buffer[] = [];
  private owned = 0;
  private heldLen = 0;
  /** bytes of the current line so far, kept or dropped */
  private lineLen = 0;
  private lastByte = -1;
  private lineStart: number;
  /** offset of the next byte to come */
  private pos: number;
  /** a too-long line was emitted early: drop bytes up to its end */
  private skipping = false;
  /** "any": the last chunk ended with \r, so a \n first in the next one belongs to it */
  private skipLf = false;

  constructor(opts: LineSplitterOptions = {}) {
    this.maxLineLength = opts.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    if (!(this.maxLineLength > 0)) throw new RangeError(`maxLineLength must be positive, not ${this.maxLineLength}`);
    this.anyEnd = opts.lineEnds === "any";
    this.early = opts.emitTooLongEarly ?? false;
    this.pos = this.lineStart = opts.offset ?? 0;
  }

  /** The lines `chunk` completes, in order. */
  push(chunk: Buffer): Line[] {
    const out: Line[] = [];
    const n = chunk.length;
    let i = 0;
    if (this.skipLf && n > 0) {
      this.skipLf = false;
      if (chunk[0] === LF) {
        i = 1;
        this.pos++;
        this.lineStart = this.pos;
      }
    }
    let nextLf = -2;
    let nextCr = -2;
    while (i < n) {
      if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i);
      if (this.anyEnd && nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
      const e = this.anyEnd ? firstOf(nextLf, nextCr) : nextLf;
      if (e < 0) {
        this.take(chunk, i, n, out);
        break;
      }
      this.take(chunk, i, e, out);
      let endLen = 1;
      if (this.anyEnd && chunk[e] === CR) {
        if (e + 1 < n) {
          if (chunk[e + 1] === LF) endLen = 2;
        } else this.skipLf = true;
      }
      this.finish(endLen, out);
      i = e + endLen;
    }
    // what is kept of an unfinished line must not be a view of the caller's chunk
    for (let k = this.owned; k < this.held.length; k++) this.held[k] = Buffer.from(this.held[k]!);
    this.owned = this.held.length;
    return out;
  }

  /** The unterminated last line (its bytes as they are), or null; the splitter then starts afresh. */
  end(): Line | null {
    const skipping = this.skipping;
    const line = this.lineLen > 0 && !skipping ? this.line(this.lineLen, this.pos) : null;
    this.startLine();
    this.skipLf = false;
    return line;
  }

  /** Forgets the unfinished line (a reconnect); offsets go on. */
  reset(): void {
    this.startLine();
    this.skipLf = false;
  }

  /** bytes of the unfinished line seen so far */
  pending(): number {
    return this.lineLen;
  }

  private take(chunk: Buffer, from: number, to: number, out: Line[]): void {
    const len = to - from;
    if (len === 0) return;
    if (!this.skipping) {
      const room = this.maxLineLength + 1 - this.heldLen;
      if (room > 0) {
        const n = Math.min(room, len);
        this.held.push(chunk.subarray(from, from + n));
        this.heldLen += n;
      }
    }
    this.lineLen += len;
    this.lastByte = chunk[to - 1]!;
    this.pos += len;
    if (this.early && !this.skipping && this.tooLongSoFar()) {
      out.push(this.line(this.lineLen, this.pos));
      this.held = [];
      this.owned = 0;
      this.heldLen = 0;
      this.skipping = true;
    }
  }

  /** true once the line cannot end within the bound (a final \r may still be the \n's) */
  private tooLongSoFar(): boolean {
    const max = this.maxLineLength;
    if (this.anyEnd) return this.lineLen > max;
    return this.lineLen > max + 1 || (this.lineLen === max + 1 && this.lastByte !== CR);
  }

  private finish(endLen: number, out: Line[]): void {
    let len = this.lineLen;
    if (!this.anyEnd && len > 0 && this.lastByte === CR) len--;
    this.pos += endLen;
    if (!this.skipping) out.push(this.line(len, this.pos));
    this.startLine();
  }

  private line(length: number, end: number): Line {
    const all = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldLen);
    const truncated = length > this.maxLineLength;
    const bytes = all.subarray(0, Math.min(length, this.maxLineLength));
    return { offset: this.lineStart, end, bytes, truncated, length };
  }

  private startLine(): void {
    this.held = [];
    this.owned = 0;
    this.heldLen = 0;
    this.lineLen = 0;
    this.lastByte = -1;
    this.skipping = false;
    this.lineStart = this.pos;
  }
}

function firstOf(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

/**
 * Reads up to `max` lines of a file starting at byte `pos` (spooldir and TAILDIR).
 * Without `eofIsLineEnd`, bytes after the last \n are left for later (a line still
 * being written); with it, they form the last line. A line longer than
 * maxLineLength (default DEFAULT_MAX_LINE_LENGTH) is cut to it and counted in
 * `truncated`; `next` is where the next read starts (after the last line returned).
 */
export async function readLines(
  fh: FileHandle,
  pos: number,
  max: number,
  opts: { eofIsLineEnd?: boolean; maxLineLength?: number; chunk?: number } = {},
): Promise<{ lines: Line[]; next: number; truncated: number }> {
  const chunkSize = opts.chunk ?? 64 * 1024;
  const splitter = new LineSplitter({ maxLineLength: opts.maxLineLength, offset: pos });
  const lines: Line[] = [];
  let truncated = 0;
  let next = pos;
  let readAt = pos;
  const buf = Buffer.allocUnsafe(chunkSize);
  const keep = (l: Line) => {
    // the read buffer is reused: each line gets bytes of its own
    lines.push({ ...l, bytes: Buffer.from(l.bytes) });
    next = l.end;
    if (l.truncated) truncated++;
  };
  while (lines.length < max) {
    const { bytesRead } = await fh.read(buf, 0, chunkSize, readAt);
    if (bytesRead === 0) {
      const last = opts.eofIsLineEnd ? splitter.end() : null;
      if (last) keep(last);
      break;
    }
    readAt += bytesRead;
    for (const l of splitter.push(buf.subarray(0, bytesRead))) {
      keep(l);
      if (lines.length >= max) break;
    }
  }
  return { lines, next, truncated };
}
