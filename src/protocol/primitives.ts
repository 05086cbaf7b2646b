/**
 * Kafka protocol primitives: fixed-width integers, unsigned varints (compact
 * lengths, tagged fields), strings and bytes in their classic (int16/int32
 * length) and compact (varint length + 1) forms, UUIDs.
 *
 * Reader works over one Buffer. Writer builds a response as a list of chunks
 * so that large byte fields (fetched record batches) are referenced, never
 * copied.
 */
import { MillraceError } from "../errors.js";

/** Malformed or unsupported protocol data. */
export class ProtocolError extends MillraceError {}

function underflow(need: number, pos: number, len: number): never {
  throw new ProtocolError("MR_PROTOCOL_TRUNCATED", `need ${need} bytes at ${pos} of a ${len}-byte frame`);
}

export class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    const p = this.pos;
    if (p + n > this.end) underflow(n, p, this.end);
    this.pos = p + n;
    return p;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }
  bool(): boolean {
    return this.buf[this.need(1)] !== 0;
  }
  uuid(): string {
    const p = this.need(16);
    return uuidToString(this.buf.subarray(p, p + 16));
  }

  /** Unsigned varint (up to 32 bits). */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) underflow(1, this.pos, this.end);
      const b = this.buf[this.pos++];
      if (shift === 28) {
        if (b > 0x0f) throw new ProtocolError("MR_PROTOCOL_VARINT", "unsigned varint longer than 32 bits");
        return (result | (b << 28)) >>> 0;
      }
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  }

  /** Signed zigzag varint (32 bits). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  private length(compact: boolean, wide: boolean): number {
    if (compact) return this.uvarint() - 1;
    return wide ? this.int32() : this.int16();
  }

  private checkLength(n: number): void {
    if (n > this.end - this.pos) underflow(n, this.pos, this.end);
  }

  string(compact: boolean): string {
    const n = this.length(compact, false);
    if (n < 0) throw new ProtocolError("MR_PROTOCOL_NULL", "null where a string is required");
    this.checkLength(n);
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  nullableString(compact: boolean): string | null {
    const n = this.length(compact, false);
    if (n < 0) return null;
    this.checkLength(n);
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Bytes as a view into the frame (no copy). */
  nullableBytes(compact: boolean): Buffer | null {
    const n = this.length(compact, true);
    if (n < 0) return null;
    this.checkLength(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  bytes(compact: boolean): Buffer {
    const b = this.nullableBytes(compact);
    if (b === null) throw new ProtocolError("MR_PROTOCOL_NULL", "null where bytes are required");
    return b;
  }

  /** Array length; -1 means null. Guards against absurd lengths before allocation. */
  arrayLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n > this.end - this.pos) {
      throw new ProtocolError(
        "MR_PROTOCOL_TRUNCATED",
        `array of ${n} elements cannot fit ${this.end - this.pos} bytes`,
      );
    }
    return n;
  }

  skip(n: number): void {
    this.need(n);
  }
}

const SCRATCH = 16 * 1024;
/** Byte fields at least this large are referenced instead of copied. */
const REF_THRESHOLD = 4096;

export class Writer {
  private chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;
  private start = 0;
  private done = 0;

  constructor(initial = 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > this.start) this.chunks.push(this.buf.subarray(this.start, this.pos));
    this.done += this.pos - this.start;
    this.buf = Buffer.allocUnsafe(Math.max(SCRATCH, n, this.buf.length * 2));
    this.pos = this.start = 0;
  }

  get length(): number {
    return this.done + this.pos - this.start;
  }

  int8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
  }
  int16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }
  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }
  uint16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }
  uint32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }
  int64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
  }
  float64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }
  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }
  uuid(v: string): void {
    this.raw(uuidFromString(v));
  }

  uvarint(v: number): void {
    this.ensure(5);
    let x = v >>> 0;
    while (x >= 0x80) {
      this.buf[this.pos++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.buf[this.pos++] = x;
  }

  varint(v: number): void {
    this.uvarint((v << 1) ^ (v >> 31));
  }

  nullableString(v: string | null, compact: boolean): void {
    if (v === null) {
      if (compact) this.uvarint(0);
      else this.int16(-1);
      return;
    }
    const n = Buffer.byteLength(v, "utf8");
    if (compact) this.uvarint(n + 1);
    else this.int16(n);
    this.ensure(n);
    this.pos += this.buf.write(v, this.pos, n, "utf8");
  }

  nullableBytes(v: Buffer | null, compact: boolean): void {
    if (v === null) {
      if (compact) this.uvarint(0);
      else this.int32(-1);
      return;
    }
    if (compact) this.uvarint(v.length + 1);
    else this.int32(v.length);
    this.raw(v);
  }

  arrayLength(n: number, compact: boolean): void {
    if (compact) this.uvarint(n + 1);
    else this.int32(n);
  }

  /** Appends bytes: copied when small, referenced when large. */
  raw(v: Buffer): void {
    if (v.length >= REF_THRESHOLD) {
      if (this.pos > this.start) this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.done += this.pos - this.start;
      this.start = this.pos;
      this.chunks.push(v);
      this.done += v.length;
      return;
    }
    this.ensure(v.length);
    v.copy(this.buf, this.pos);
    this.pos += v.length;
  }

  /** The written bytes as a list of buffers (large byte fields by reference). */
  toChunks(): Buffer[] {
    const out = this.chunks.slice();
    if (this.pos > this.start) out.push(this.buf.subarray(this.start, this.pos));
    return out;
  }

  toBuffer(): Buffer {
    const c = this.toChunks();
    return c.length === 1 ? c[0] : Buffer.concat(c);
  }
}

/** Kafka renders UUIDs as URL-safe base64 without padding (Uuid.toString()). */
export function uuidToString(b: Buffer): string {
  return b.toString("base64url");
}

export function uuidFromString(s: string): Buffer {
  const b = Buffer.from(s, "base64url");
  if (b.length !== 16) throw new ProtocolError("MR_PROTOCOL_UUID", `not a 16-byte UUID: ${s}`);
  return b;
}

export const ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA";
