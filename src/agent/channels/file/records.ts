/**
 * The file channel's on-disk formats: log records and the checkpoint.
 *
 * A log file starts with an 8-byte magic, then records:
 *   u32 length (of what follows the CRC) | u32 CRC32 (of what follows) | u8 type | u32 txid | payload
 * A record whose length runs past the end of the file or whose CRC does not match
 * is a torn tail: replay stops there.
 *
 *   PUT    payload: u32 header count, (u32 len, key, u32 len, value)*, u32 body len, body
 *   TAKE   payload: u32 n, then n * (u32 fileId, u32 offset)   (the events taken)
 *   COMMIT payload: empty  (the transaction's PUT/TAKE records precede it)
 *
 * Records of one transaction are written together, at commit, so nothing that
 * was rolled back ever reaches the log. An event's pointer is fileId * 2^32 + offset
 * of its PUT record.
 */
import { crc32 } from "@node-rs/crc32";
import type { Event } from "../../api.js";

export const LOG_MAGIC = Buffer.from("MRFCLOG1");
export const CKPT_MAGIC = Buffer.from("MRFCCKP1");

export const PUT = 1;
export const TAKE = 2;
export const COMMIT = 3;

export const HEADER = 13; // len + crc + type + txid

export const TWO32 = 2 ** 32;
export const pointer = (fileId: number, offset: number): number => fileId * TWO32 + offset;
export const fileOf = (p: number): number => Math.floor(p / TWO32);
export const offsetOf = (p: number): number => p % TWO32;

function frame(type: number, txid: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32BE(payload.length + 5, 0);
  out.writeUInt8(type, 8);
  out.writeUInt32BE(txid >>> 0, 9);
  payload.copy(out, HEADER);
  out.writeUInt32BE(crc32(out.subarray(8)), 4);
  return out;
}

export function putRecord(txid: number, e: Event): Buffer {
  const keys = Object.keys(e.headers);
  let size = 4 + 4 + e.body.length;
  const kv: Buffer[] = [];
  for (const k of keys) {
    const kb = Buffer.from(k);
    const vb = Buffer.from(e.headers[k] ?? "");
    kv.push(kb, vb);
    size += 8 + kb.length + vb.length;
  }
  const p = Buffer.allocUnsafe(size);
  let o = p.writeUInt32BE(keys.length, 0);
  for (const b of kv) {
    o = p.writeUInt32BE(b.length, o);
    o += b.copy(p, o);
  }
  o = p.writeUInt32BE(e.body.length, o);
  e.body.copy(p, o);
  return frame(PUT, txid, p);
}

export function takeRecord(txid: number, pointers: number[]): Buffer {
  const p = Buffer.allocUnsafe(4 + 8 * pointers.length);
  p.writeUInt32BE(pointers.length, 0);
  let o = 4;
  for (const ptr of pointers) {
    o = p.writeUInt32BE(fileOf(ptr), o);
    o = p.writeUInt32BE(offsetOf(ptr), o);
  }
  return frame(TAKE, txid, p);
}

export function commitRecord(txid: number): Buffer {
  return frame(COMMIT, txid, Buffer.alloc(0));
}

export function decodeEvent(payload: Buffer): Event {
  let o = 0;
  const n = payload.readUInt32BE(o);
  o += 4;
  const headers: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const kl = payload.readUInt32BE(o);
    const k = payload.toString("utf8", o + 4, o + 4 + kl);
    o += 4 + kl;
    const vl = payload.readUInt32BE(o);
    headers[k] = payload.toString("utf8", o + 4, o + 4 + vl);
    o += 4 + vl;
  }
  const bl = payload.readUInt32BE(o);
  o += 4;
  return { headers, body: Buffer.from(payload.subarray(o, o + bl)) };
}

export function decodeTake(payload: Buffer): number[] {
  const n = payload.readUInt32BE(0);
  const out: number[] = [];
  for (let i = 0, o = 4; i < n; i++, o += 8) out.push(pointer(payload.readUInt32BE(o), payload.readUInt32BE(o + 4)));
  return out;
}

export interface ParsedRecord {
  type: number;
  txid: number;
  offset: number;
  /** bytes after the 13-byte header */
  payload: Buffer;
}

/**
 * Parses whole records from `buf` (which holds file bytes starting at file offset
 * `base`). Returns the records and how many bytes they used; `torn` is set when a
 * record is incomplete at the end of the buffer or fails its CRC.
 */
export function parseRecords(
  buf: Buffer,
  base: number,
  atEof: boolean,
): { records: ParsedRecord[]; used: number; torn: boolean } {
  const records: ParsedRecord[] = [];
  let o = 0;
  while (o + 8 <= buf.length) {
    const len = buf.readUInt32BE(o);
    if (len < 5 || len > 0x7fffffff) return { records, used: o, torn: true };
    if (o + 8 + len > buf.length) return { records, used: o, torn: atEof };
    const body = buf.subarray(o + 8, o + 8 + len);
    if (crc32(body) !== buf.readUInt32BE(o + 4)) return { records, used: o, torn: true };
    records.push({ type: body[0]!, txid: body.readUInt32BE(1), offset: base + o, payload: body.subarray(5) });
    o += 8 + len;
  }
  return { records, used: o, torn: atEof && o !== buf.length };
}

/** Checkpoint: magic | u32 fileId | u32 offset | u32 count | count * (u32,u32) | u32 CRC32 of all before. */
export function encodeCheckpoint(fileId: number, offset: number, pointers: ArrayLike<number>, count: number): Buffer {
  const out = Buffer.allocUnsafe(8 + 12 + count * 8 + 4);
  CKPT_MAGIC.copy(out, 0);
  let o = out.writeUInt32BE(fileId, 8);
  o = out.writeUInt32BE(offset, o);
  o = out.writeUInt32BE(count, o);
  for (let i = 0; i < count; i++) {
    const p = pointers[i]!;
    o = out.writeUInt32BE(fileOf(p), o);
    o = out.writeUInt32BE(offsetOf(p), o);
  }
  out.writeUInt32BE(crc32(out.subarray(0, o)), o);
  return out;
}

export function decodeCheckpoint(buf: Buffer): { fileId: number; offset: number; pointers: number[] } | null {
  if (buf.length < 24 || !buf.subarray(0, 8).equals(CKPT_MAGIC)) return null;
  const count = buf.readUInt32BE(16);
  const end = 20 + count * 8;
  if (buf.length !== end + 4 || crc32(buf.subarray(0, end)) !== buf.readUInt32BE(end)) return null;
  const pointers = new Array<number>(count);
  for (let i = 0, o = 20; i < count; i++, o += 8) pointers[i] = pointer(buf.readUInt32BE(o), buf.readUInt32BE(o + 4));
  return { fileId: buf.readUInt32BE(8), offset: buf.readUInt32BE(12), pointers };
}
