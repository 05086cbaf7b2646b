/** Test helpers for the idempotent-producer tests: batches with producer fields, temp dirs. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBatch } from "../../../src/protocol/records/records.js";
import { scanBatches } from "../../../src/protocol/records/batch.js";
import type { ScannedBatch } from "../../../src/protocol/records/batch.js";
import type { ProducerBatch } from "../../../src/coordinator/producers/index.js";

/** A fixed reference time: record timestamps and "now" are derived from it, never from the clock. */
export const T0 = 1_700_000_000_000;

/** Header fields of a batch of `count` records (for the pure state tests). */
export function hdr(
  producerId: bigint,
  producerEpoch: number,
  baseSequence: number,
  count = 1,
  ts: number | bigint = T0,
): ProducerBatch {
  return { producerId, producerEpoch, baseSequence, lastOffsetDelta: count - 1, maxTimestamp: BigInt(ts) };
}

export interface Spec {
  pid?: bigint;
  epoch?: number;
  seq?: number;
  count?: number;
  ts?: number;
}

/** One encoded v2 batch (encodeBatch) with the producer fields set. */
export function encoded(spec: Spec = {}): Buffer {
  const count = spec.count ?? 1;
  const ts = spec.ts ?? T0;
  return encodeBatch({
    records: Array.from({ length: count }, (_, i) => ({ value: `v${spec.seq ?? 0}-${i}`, timestamp: ts + i })),
    producerId: spec.pid ?? -1n,
    producerEpoch: spec.epoch ?? -1,
    baseSequence: spec.seq ?? -1,
  });
}

/** A produce payload for one partition (one or more batches), validated as the broker does. */
export function produce(...specs: Spec[]): { buf: Buffer; batches: ScannedBatch[] } {
  const buf = Buffer.concat(specs.map(encoded));
  return { buf, batches: scanBatches(buf) };
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "millrace-producers-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A logger that records what it was told. */
export function recordingLogger(): {
  logger: { info: Fn; warn: Fn; error: Fn };
  lines: { level: string; obj: Record<string, unknown>; msg?: string }[];
} {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const mk =
    (level: string): Fn =>
    (obj, msg) =>
      void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { logger: { info: mk("info"), warn: mk("warn"), error: mk("error") }, lines };
}
type Fn = (obj: object, msg?: string) => void;
