/**
 * Variable-length integers as Kafka's v2 records use them: protobuf-style
 * base-128 groups, least significant first, with zigzag encoding for the
 * signed forms (varint = int32, varlong = int64).
 *
 * Readers take a `Cursor` (a mutable position) so a record can be parsed
 * without allocating a result object per field; writers take a position and
 * return the position after what they wrote. Malformed input (too long, or
 * running past `end`) throws RecordsError CORRUPT_MESSAGE.
 */
import { RecordsError } from "./batch.js";

const CORRUPT_MESSAGE = 2;

/** A read position that readers advance. */
export interface Cursor {
  pos: number;
}

function truncated(pos: number): RecordsError {
  return new RecordsError("MR_RECORDS_TRUNCATED", CORRUPT_MESSAGE, `varint runs past the end of its buffer at ${pos}`);
}

function tooLong(pos: number, what: string): RecordsError {
  return new RecordsError("MR_RECORDS_VARINT", CORRUPT_MESSAGE, `${what} at ${pos} is too long`);
}

// ---------------------------------------------------------------- sizes

/** Bytes taken by `value` (a uint32) as an unsigned varint. */
export function sizeOfUnsignedVarint(value: number): number {
  const v = value >>> 0;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/** Bytes taken by `value` (an int32) as a zigzag varint. */
export function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint((value << 1) ^ (value >> 31));
}

const TWO_52 = 2 ** 52;

/** Bytes taken by `value` (an int64) as a zigzag varlong. */
export function sizeOfVarlong(value: number | bigint): number {
  if (typeof value === "number" && value > -TWO_52 && value < TWO_52) {
    let z = value >= 0 ? value * 2 : -value * 2 - 1;
    let n = 1;
    while (z >= 0x80) {
      z = Math.floor(z / 128);
      n++;
    }
    return n;
  }
  let z = zigzag64(BigInt(value));
  let n = 1;
  while (z >= 0x80n) {
    z >>= 7n;
    n++;
  }
  return n;
}

function zigzag64(v: bigint): bigint {
  const x = BigInt.asIntN(64, v);
  return BigInt.asUintN(64, (x << 1n) ^ (x >> 63n));
}

// ---------------------------------------------------------------- writers

/** Writes `value` (a uint32) as an unsigned varint at `pos`; returns the next position. */
export function writeUnsignedVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = value >>> 0;
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes `value` (an int32) as a zigzag varint at `pos`; returns the next position. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes `value` (an int64) as a zigzag varlong at `pos`; returns the next position. */
export function writeVarlong(buf: Uint8Array, pos: number, value: number | bigint): number {
  if (typeof value === "number" && value > -TWO_52 && value < TWO_52) {
    let z = value >= 0 ? value * 2 : -value * 2 - 1;
    while (z >= 0x80) {
      buf[pos++] = (z % 128) | 0x80;
      z = Math.floor(z / 128);
    }
    buf[pos++] = z;
    return pos;
  }
  let z = zigzag64(BigInt(value));
  while (z >= 0x80n) {
    buf[pos++] = Number(z & 0x7fn) | 0x80;
    z >>= 7n;
  }
  buf[pos++] = Number(z);
  return pos;
}

// ---------------------------------------------------------------- readers

/** Reads an unsigned varint (at most 5 bytes, as a uint32) and advances `cur`. */
export function readUnsignedVarint(buf: Uint8Array, cur: Cursor, end = buf.length): number {
  let pos = cur.pos;
  let result = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= end) throw truncated(pos);
    const b = buf[pos++];
    if (shift === 28) {
      if (b & 0x80) throw tooLong(cur.pos, "varint");
      result |= b << 28;
      break;
    }
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
  }
  cur.pos = pos;
  return result >>> 0;
}

/** Reads a zigzag varint (an int32) and advances `cur`. */
export function readVarint(buf: Uint8Array, cur: Cursor, end = buf.length): number {
  // Fast path for the one-byte case, the most frequent in records.
  const pos = cur.pos;
  if (pos < end) {
    const b = buf[pos];
    if (b < 0x80) {
      cur.pos = pos + 1;
      return (b >>> 1) ^ -(b & 1);
    }
  }
  const raw = readUnsignedVarint(buf, cur, end);
  return (raw >>> 1) ^ -(raw & 1);
}

/** Reads a zigzag varlong (an int64) as a bigint and advances `cur`. */
export function readVarlong(buf: Uint8Array, cur: Cursor, end = buf.length): bigint {
  const start = cur.pos;
  let pos = start;
  let raw = 0n;
  for (let shift = 0n; ; shift += 7n) {
    if (pos >= end) throw truncated(pos);
    if (shift > 63n) throw tooLong(start, "varlong");
    const b = buf[pos++];
    raw |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
  }
  cur.pos = pos;
  raw = BigInt.asUintN(64, raw);
  return BigInt.asIntN(64, (raw >> 1n) ^ -(raw & 1n));
}

/**
 * Reads a zigzag varlong as a number. Values of up to 7 bytes (|v| < 2^48)
 * take a fast path with no bigint; longer ones go through `readVarlong` and
 * must still be safe integers (timestamp deltas always are in practice).
 */
export function readVarlongNumber(buf: Uint8Array, cur: Cursor, end = buf.length): number {
  const start = cur.pos;
  let pos = start;
  let raw = 0;
  let mul = 1;
  for (let i = 0; i < 7; i++) {
    if (pos >= end) throw truncated(pos);
    const b = buf[pos++];
    raw += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      cur.pos = pos;
      return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    }
    mul *= 128;
  }
  const big = readVarlong(buf, cur, end);
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    cur.pos = start;
    throw new RecordsError(
      "MR_RECORDS_VARINT",
      CORRUPT_MESSAGE,
      `varlong at ${start} is out of the safe integer range`,
    );
  }
  return Number(big);
}
