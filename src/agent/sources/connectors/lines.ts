/**
 * Splits a byte stream into lines ended by LF (a trailing CR is removed), as
 * the Twitter v2 stream and JSON-lines files use them. Bytes are kept until a
 * line is whole, so a multi-byte character cut between chunks stays intact.
 * What is left when the stream ends (`rest()`) is a line cut off mid-way.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private partLen = 0;

  feed(chunk: Buffer): string[] {
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      let piece = chunk.subarray(start, nl);
      if (this.partLen > 0) {
        piece = Buffer.concat([...this.parts, piece]);
        this.parts = [];
        this.partLen = 0;
      }
      let line = piece.toString("utf8");
      if (line.endsWith("\r")) line = line.slice(0, -1);
      out.push(line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const tail = chunk.subarray(start);
      this.parts.push(Buffer.from(tail));
      this.partLen += tail.length;
    }
    return out;
  }

  /** the unterminated tail, then forgotten ("" when none) */
  rest(): string {
    if (this.partLen === 0) return "";
    const s = Buffer.concat(this.parts).toString("utf8");
    this.parts = [];
    this.partLen = 0;
    return s.endsWith("\r") ? s.slice(0, -1) : s;
  }
}
