/** Test-only helpers: build valid v2 batches, temp dirs. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32c } from "../../src/protocol/records/crc32c.js";
import { scanBatches } from "../../src/protocol/records/batch.js";
import type { BatchInfo } from "../../src/protocol/records/batch.js";

function zigzagVarint(n: number): number[] {
  const v = BigInt(n);
  let z = (v << 1n) ^ (v >> 63n);
  z &= (1n << 64n) - 1n;
  const out: number[] = [];
  do {
    let byte = Number(z & 0x7fn);
    z >>= 7n;
    if (z !== 0n) byte |= 0x80;
    out.push(byte);
  } while (z !== 0n);
  return out;
}

export interface BatchSpec {
  /** record values (default: `count` values of `valueSize` bytes) */
  values?: Buffer[];
  count?: number;
  valueSize?: number;
  /** timestamp of the first record; records are 1 ms apart */
  timestamp?: number;
  /** fill byte for generated values */
  fill?: number;
  /** record keys (default: every key null) */
  keys?: (Buffer | string | null)[];
}

/** One uncompressed v2 record batch with base offset 0 and a valid CRC32C. */
export function buildBatch(spec: BatchSpec = {}): Buffer {
  const values = spec.values ?? Array.from({ length: spec.count ?? 1 }, (_, i) => Buffer.alloc(spec.valueSize ?? 10, (spec.fill ?? 0) + i));
  const ts = spec.timestamp ?? 1_700_000_000_000;
  const records: Buffer[] = values.map((value, i) => {
    const k = spec.keys?.[i] ?? null;
    const key = k === null ? null : Buffer.from(k);
    const body = Buffer.from([
      0, // attributes
      ...zigzagVarint(i), // timestamp delta
      ...zigzagVarint(i), // offset delta
      ...zigzagVarint(key === null ? -1 : key.length),
      ...(key ?? []),
      ...zigzagVarint(value.length),
    ]);
    const tail = Buffer.from(zigzagVarint(0)); // no headers
    const len = body.length + value.length + tail.length;
    return Buffer.concat([Buffer.from(zigzagVarint(len)), body, value, tail]);
  });
  const recs = Buffer.concat(records);
  const h = Buffer.alloc(61);
  h.writeBigInt64BE(0n, 0);
  h.writeInt32BE(61 - 12 + recs.length, 8);
  h.writeInt32BE(-1, 12); // partition leader epoch
  h.writeInt8(2, 16);
  h.writeInt16BE(0, 21);
  h.writeInt32BE(values.length - 1, 23);
  h.writeBigInt64BE(BigInt(ts), 27);
  h.writeBigInt64BE(BigInt(ts + values.length - 1), 35);
  h.writeBigInt64BE(-1n, 43);
  h.writeInt16BE(-1, 51);
  h.writeInt32BE(-1, 53);
  h.writeInt32BE(values.length, 57);
  const buf = Buffer.concat([h, recs]);
  buf.writeUInt32BE(crc32c(buf, 21, buf.length), 17);
  return buf;
}

/** A produce payload of several batches, validated like the broker does. */
export function payload(...batches: Buffer[]): { buf: Buffer; batches: BatchInfo[] } {
  const buf = Buffer.concat(batches);
  return { buf, batches: scanBatches(buf) };
}

/** Decodes base offset / last offset of every batch in a fetched buffer. */
export function batchOffsets(buf: Buffer | null): { base: bigint; last: bigint; size: number }[] {
  const out: { base: bigint; last: bigint; size: number }[] = [];
  if (!buf) return out;
  let p = 0;
  while (p < buf.length) {
    const size = buf.readInt32BE(p + 8) + 12;
    const base = buf.readBigInt64BE(p);
    out.push({ base, last: base + BigInt(buf.readInt32BE(p + 23)), size });
    p += size;
  }
  return out;
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "millrace-log-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A logger that records what it was told. */
export function recordingLogger(): { logger: { info: Fn; warn: Fn; error: Fn }; lines: { level: string; obj: object; msg?: string }[] } {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const mk = (level: string): Fn => (obj, msg) => void lines.push({ level, obj, msg });
  return { logger: { info: mk("info"), warn: mk("warn"), error: mk("error") }, lines };
}
type Fn = (obj: object, msg?: string) => void;
