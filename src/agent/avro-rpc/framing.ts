/**
 * The Netty transport's framing (Avro's NettyTransportCodec): a "data pack"
 * is a 4-byte big-endian serial (the call id the response echoes), a 4-byte
 * count of buffers, then each buffer as a 4-byte big-endian length and its
 * bytes. The Avro message is the buffers' concatenation; where it is split is
 * up to the sender.
 */
import { MillraceError } from "../../errors.js";

export class AvroRpcError extends MillraceError {}

export interface DataPack {
  serial: number;
  buffers: Buffer[];
}

export function encodePack(serial: number, buffers: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(8);
  head.writeInt32BE(serial | 0, 0);
  head.writeInt32BE(buffers.length, 4);
  parts.push(head);
  for (const b of buffers) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(b.length, 0);
    parts.push(len, b);
  }
  return Buffer.concat(parts);
}

export interface DecoderLimits {
  /** most buffers in one pack */
  maxBuffers?: number;
  /** most bytes in one pack */
  maxBytes?: number;
}

/** Incremental decoder: push bytes, get whole packs. Throws MR_AVRO_FRAME on a pack over the limits. */
export class PackDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private readonly maxBuffers: number;
  private readonly maxBytes: number;
  constructor(limits: DecoderLimits = {}) {
    this.maxBuffers = limits.maxBuffers ?? 1 << 20;
    this.maxBytes = limits.maxBytes ?? 256 << 20;
  }

  push(chunk: Buffer): DataPack[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: DataPack[] = [];
    for (;;) {
      if (this.buf.length < 8) break;
      const serial = this.buf.readInt32BE(0);
      const count = this.buf.readInt32BE(4);
      if (count < 0 || count > this.maxBuffers)
        throw new AvroRpcError("MR_AVRO_FRAME", `data pack with ${count} buffers (limit ${this.maxBuffers})`);
      let pos = 8;
      let total = 0;
      const buffers: Buffer[] = [];
      let complete = true;
      for (let i = 0; i < count; i++) {
        if (this.buf.length < pos + 4) {
          complete = false;
          break;
        }
        const len = this.buf.readInt32BE(pos);
        total += len;
        if (len < 0 || total > this.maxBytes)
          throw new AvroRpcError("MR_AVRO_FRAME", `data pack of more than ${this.maxBytes} bytes`);
        if (this.buf.length < pos + 4 + len) {
          complete = false;
          break;
        }
        buffers.push(this.buf.subarray(pos + 4, pos + 4 + len));
        pos += 4 + len;
      }
      if (!complete) break;
      out.push({ serial, buffers: buffers.map((b) => Buffer.from(b)) });
      this.buf = this.buf.subarray(pos);
    }
    if (this.buf.length > 0 && this.buf.byteOffset !== 0) this.buf = Buffer.from(this.buf);
    return out;
  }
}
