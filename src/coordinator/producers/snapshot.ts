/**
 * Producer-state snapshots in Kafka's format: `<offset, 20 digits>.snapshot`
 * in the partition directory, holding the producer state of every batch
 * below `offset`.
 *
 *   version int16 (= 1) | crc uint32 | entries: int32 count, then per entry
 *     producerId int64 | epoch int16 | lastSequence int32 | lastOffset int64 |
 *     offsetDelta int32 | timestamp int64 | coordinatorEpoch int32 |
 *     currentTxnFirstOffset int64
 *
 * The CRC32C covers everything after the crc field. Kafka writes one entry per
 * producer (its last batch). millrace writes one entry per retained batch,
 * oldest first (up to 5 per producer), so that all 5 batches still answer as
 * duplicates after a restart. Kafka's reader keeps the last entry it reads
 * for a producer id, which is the one Kafka itself would have written, so
 * the files stay readable by Kafka; a Kafka-written file loads here as
 * producers with one known batch each. coordinatorEpoch and
 * currentTxnFirstOffset are always -1 (no transactions).
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { crc32c } from "../../protocol/records/crc32c.js";
import { ProducerStateError } from "./errors.js";
import { BATCHES_TO_RETAIN, decrementSequence, NO_SEQUENCE } from "./state.js";
import type { ProducerEntry } from "./state.js";

export const SNAPSHOT_SUFFIX = ".snapshot";
export const SNAPSHOT_VERSION = 1;
const CRC_OFFSET = 2;
const ENTRIES_OFFSET = 6;
const ENTRY_SIZE = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

/** One entry of Kafka's snapshot schema. */
export interface SnapshotEntry {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastOffset: bigint;
  offsetDelta: number;
  timestamp: bigint;
  coordinatorEpoch: number;
  currentTxnFirstOffset: bigint;
}

export function snapshotFileName(offset: bigint): string {
  return offset.toString().padStart(20, "0") + SNAPSHOT_SUFFIX;
}

/** The offset of a `<20 digits>.snapshot` file name, or null for any other name. */
export function parseSnapshotFileName(name: string): bigint | null {
  if (!name.endsWith(SNAPSHOT_SUFFIX)) return null;
  const stem = name.slice(0, -SNAPSHOT_SUFFIX.length);
  return /^\d{20}$/.test(stem) ? BigInt(stem) : null;
}

/** The snapshot files of a partition directory, oldest first. */
export async function listSnapshots(dir: string): Promise<{ offset: bigint; path: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const out: { offset: bigint; path: string }[] = [];
  for (const name of names) {
    const offset = parseSnapshotFileName(name);
    if (offset !== null) out.push({ offset, path: join(dir, name) });
  }
  return out.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
}

export function encodeSnapshot(entries: readonly SnapshotEntry[]): Buffer {
  const buf = Buffer.alloc(ENTRIES_OFFSET + 4 + entries.length * ENTRY_SIZE);
  buf.writeInt16BE(SNAPSHOT_VERSION, 0);
  let p = ENTRIES_OFFSET;
  buf.writeInt32BE(entries.length, p);
  p += 4;
  for (const e of entries) {
    buf.writeBigInt64BE(e.producerId, p);
    buf.writeInt16BE(e.producerEpoch, p + 8);
    buf.writeInt32BE(e.lastSequence, p + 10);
    buf.writeBigInt64BE(e.lastOffset, p + 14);
    buf.writeInt32BE(e.offsetDelta, p + 22);
    buf.writeBigInt64BE(e.timestamp, p + 26);
    buf.writeInt32BE(e.coordinatorEpoch, p + 34);
    buf.writeBigInt64BE(e.currentTxnFirstOffset, p + 38);
    p += ENTRY_SIZE;
  }
  buf.writeUInt32BE(crc32c(buf, ENTRIES_OFFSET, buf.length), CRC_OFFSET);
  return buf;
}

/** Parses a snapshot file; throws ProducerStateError MR_PRODUCER_SNAPSHOT_CORRUPT when it is not one. */
export function decodeSnapshot(buf: Buffer, what = "snapshot"): SnapshotEntry[] {
  const corrupt = (why: string) => new ProducerStateError("MR_PRODUCER_SNAPSHOT_CORRUPT", `${what} is corrupt: ${why}`);
  if (buf.length < ENTRIES_OFFSET + 4) throw corrupt(`${buf.length} bytes is too short`);
  const version = buf.readInt16BE(0);
  if (version !== SNAPSHOT_VERSION) throw corrupt(`unknown version ${version}`);
  const stored = buf.readUInt32BE(CRC_OFFSET);
  const computed = crc32c(buf, ENTRIES_OFFSET, buf.length);
  if (stored !== computed) throw corrupt(`stored crc ${stored}, computed ${computed}`);
  const count = buf.readInt32BE(ENTRIES_OFFSET);
  if (count < 0 || buf.length !== ENTRIES_OFFSET + 4 + count * ENTRY_SIZE)
    throw corrupt(`${count} entries do not fill ${buf.length} bytes`);
  const out: SnapshotEntry[] = [];
  let p = ENTRIES_OFFSET + 4;
  for (let i = 0; i < count; i++) {
    out.push({
      producerId: buf.readBigInt64BE(p),
      producerEpoch: buf.readInt16BE(p + 8),
      lastSequence: buf.readInt32BE(p + 10),
      lastOffset: buf.readBigInt64BE(p + 14),
      offsetDelta: buf.readInt32BE(p + 22),
      timestamp: buf.readBigInt64BE(p + 26),
      coordinatorEpoch: buf.readInt32BE(p + 34),
      currentTxnFirstOffset: buf.readBigInt64BE(p + 38),
    });
    p += ENTRY_SIZE;
  }
  return out;
}

/**
 * Snapshot entries for producer states: one per retained batch, oldest first; one without a batch (lastOffset
 * -1) for a producer with none.
 */
export function entriesToSnapshot(producers: readonly ProducerEntry[]): SnapshotEntry[] {
  const out: SnapshotEntry[] = [];
  for (const p of producers) {
    const base = { producerId: p.producerId, producerEpoch: p.epoch, coordinatorEpoch: -1, currentTxnFirstOffset: -1n };
    if (p.batches.length === 0) {
      out.push({ ...base, lastSequence: NO_SEQUENCE, lastOffset: -1n, offsetDelta: 0, timestamp: p.lastTimestamp });
      continue;
    }
    for (const b of p.batches) {
      out.push({
        ...base,
        lastSequence: b.lastSeq,
        lastOffset: b.lastOffset,
        offsetDelta: Number(b.lastOffset - b.firstOffset),
        timestamp: b.timestamp,
      });
    }
  }
  return out;
}

/**
 * Producer states from snapshot entries, in file order: entries of one
 * producer id accumulate as its batches (the last one is the newest); an
 * entry with another epoch than the previous one starts over, as an epoch
 * change does live.
 */
export function snapshotToEntries(entries: readonly SnapshotEntry[]): ProducerEntry[] {
  const byId = new Map<bigint, ProducerEntry>();
  for (const s of entries) {
    if (s.producerId < 0n) continue;
    let e = byId.get(s.producerId);
    if (!e || e.epoch !== s.producerEpoch) {
      e = { producerId: s.producerId, epoch: s.producerEpoch, batches: [], lastTimestamp: s.timestamp };
      byId.set(s.producerId, e);
    }
    if (s.lastOffset >= 0n) {
      e.batches.push({
        firstSeq: decrementSequence(s.lastSequence, s.offsetDelta),
        lastSeq: s.lastSequence,
        firstOffset: s.lastOffset - BigInt(s.offsetDelta),
        lastOffset: s.lastOffset,
        timestamp: s.timestamp,
      });
      if (e.batches.length > BATCHES_TO_RETAIN) e.batches.shift();
    }
    e.lastTimestamp = s.timestamp;
  }
  return [...byId.values()];
}
