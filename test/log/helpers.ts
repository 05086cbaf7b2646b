/** Test-only helpers: build valid v2 batches, temp dirs. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBatch } from "../../src/protocol/records/records.js";
import { scanBatches } from "../../src/protocol/records/batch.js";
import type { ScannedBatch } from "../../src/protocol/records/batch.js";

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

/** One uncompressed v2 record batch with base offset 0, records 1 ms apart (the project's own encoder). */
export function buildBatch(spec: BatchSpec = {}): Buffer {
  const values =
    spec.values ??
    Array.from({ length: spec.count ?? 1 }, (_, i) => Buffer.alloc(spec.valueSize ?? 10, (spec.fill ?? 0) + i));
  const ts = spec.timestamp ?? 1_700_000_000_000;
  return encodeBatch({
    records: values.map((value, i) => ({ key: spec.keys?.[i] ?? null, value, timestamp: ts + i })),
  });
}

/** A produce payload of several batches, validated like the broker does. */
export function payload(...batches: Buffer[]): { buf: Buffer; batches: ScannedBatch[] } {
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
export function recordingLogger(): {
  logger: { info: Fn; warn: Fn; error: Fn };
  lines: { level: string; obj: object; msg?: string }[];
} {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const mk =
    (level: string): Fn =>
    (obj, msg) =>
      void lines.push({ level, obj, msg });
  return { logger: { info: mk("info"), warn: mk("warn"), error: mk("error") }, lines };
}
type Fn = (obj: object, msg?: string) => void;
