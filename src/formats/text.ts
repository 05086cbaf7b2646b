/**
 * UTF-8 helpers. Decoding is strict (invalid sequences raise MR_FORMAT_INVALID)
 * unless `lenient` is asked for, in which case they become U+FFFD like Java's
 * String(bytes, UTF_8) does.
 */
import { FormatError } from "./errors.js";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

export function decodeUtf8(buf: Uint8Array, opts: { lenient?: boolean } = {}): string {
  if (opts.lenient) return lenient.decode(buf);
  try {
    return strict.decode(buf);
  } catch (err) {
    throw new FormatError(`invalid UTF-8 (${buf.length} bytes)`, { cause: err });
  }
}

export function encodeUtf8(s: string): Buffer {
  return Buffer.from(s, "utf8");
}

/** Decodes UTF-8 arriving in chunks that may split a character. */
export class Utf8StreamDecoder {
  private readonly dec: TextDecoder;
  constructor(opts: { lenient?: boolean } = {}) {
    this.dec = new TextDecoder("utf-8", { fatal: !opts.lenient, ignoreBOM: true });
  }
  write(chunk: Uint8Array): string {
    try {
      return this.dec.decode(chunk, { stream: true });
    } catch (err) {
      throw new FormatError("invalid UTF-8 in stream", { cause: err });
    }
  }
  end(): string {
    try {
      return this.dec.decode();
    } catch (err) {
      throw new FormatError("stream ended inside a UTF-8 character", { cause: err });
    }
  }
}

/** Length in Unicode code points (what the Twitter v2 API counts entity indices in). */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
