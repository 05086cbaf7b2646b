/** Reading lines from a file handle by byte position (spooldir and TAILDIR). */
import type { FileHandle } from "node:fs/promises";

export interface Line {
  /** byte offset of the line's first byte */
  offset: number;
  bytes: Buffer;
}

/**
 * Reads up to `max` lines starting at byte `pos`. A line ends at \n (a preceding
 * \r is kept out). Without `eofIsLineEnd`, bytes after the last \n are left for
 * later (a line still being written); with it, they form the last line.
 * Lines longer than maxLineLength bytes are truncated (the rest is skipped).
 */
export async function readLines(
  fh: FileHandle,
  pos: number,
  max: number,
  opts: { eofIsLineEnd?: boolean; maxLineLength?: number; chunk?: number } = {},
): Promise<{ lines: Line[]; next: number; truncated: number }> {
  const chunkSize = opts.chunk ?? 64 * 1024;
  const lines: Line[] = [];
  let truncated = 0;
  let start = pos; // offset of the current line's first byte
  let parts: Buffer[] = [];
  let partLen = 0;
  let readAt = pos;
  const buf = Buffer.allocUnsafe(chunkSize);
  while (lines.length < max) {
    const { bytesRead } = await fh.read(buf, 0, chunkSize, readAt);
    if (bytesRead === 0) {
      if (opts.eofIsLineEnd && partLen > 0) {
        lines.push({ offset: start, bytes: cut(Buffer.concat(parts)) });
        start = readAt;
      }
      break;
    }
    let from = 0;
    for (;;) {
      const nl = buf.indexOf(10, from);
      if (nl < 0 || nl >= bytesRead) break;
      parts.push(Buffer.from(buf.subarray(from, nl)));
      const line = Buffer.concat(parts);
      lines.push({
        offset: start,
        bytes: cut(line.length && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line),
      });
      parts = [];
      partLen = 0;
      from = nl + 1;
      start = readAt + from;
      if (lines.length >= max) break;
    }
    if (lines.length >= max) break;
    parts.push(Buffer.from(buf.subarray(from, bytesRead)));
    partLen += bytesRead - from;
    readAt += bytesRead;
  }
  function cut(b: Buffer): Buffer {
    if (opts.maxLineLength !== undefined && b.length > opts.maxLineLength) {
      truncated++;
      return b.subarray(0, opts.maxLineLength);
    }
    return b;
  }
  return { lines, next: start, truncated };
}
