/**
 * What the log cleaner keeps of one record batch, the part Kafka does in
 * MemoryRecords.filterTo with the cleaner's RecordFilter: records are parsed
 * just enough to filter them (the bytes after the offset delta are copied as
 * they are); a record is kept when its offset is the latest for its key in
 * the offset map; tombstones (null values) are kept until their batch's delete
 * horizon (KIP-534: the first cleaning that keeps a tombstone stamps the batch
 * with horizon = now + delete.retention.ms, in the base timestamp, attribute
 * bit 6), then dropped. A batch keeps its base offset and last offset delta, so
 * offsets are preserved and consumers advance past removed records; a batch
 * left with no records is dropped unless the producer-state seam
 * (retainEmptyBatch) keeps its header. Also the produce-time rule of
 * compacted topics (every record has a key).
 *
 * Transactions seam: control batches are kept as they are and aborted
 * transactional data is treated like any data; `controlBatchRetained` and the
 * filter are where markers and aborted batches get dropped (Kafka's
 * CleanedTransactionMetadata).
 */
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  COMPRESSION_MASK,
  CONTROL_MASK,
  CRC,
  CompressionType,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAX_TIMESTAMP,
  BASE_SEQUENCE,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORD_BATCH_OVERHEAD,
  RECORD_COUNT,
  RecordsError,
  TIMESTAMP_TYPE_MASK,
  batchCrcValid,
} from "../protocol/records/batch.js";
import type { ScannedBatch } from "../protocol/records/batch.js";
import {
  compress,
  decompress,
  isXerialSnappy,
  snappyXerialCompress,
  zstdCompressionAvailable,
} from "../protocol/records/compression.js";
import { crc32c } from "../protocol/records/crc32c.js";
import {
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
} from "../protocol/records/varint.js";
import type { Cursor } from "../protocol/records/varint.js";
import { LogError } from "./errors.js";

import type { OffsetMap } from "./offset-map.js";

/** Batch attribute bit 6: the base timestamp is the delete horizon (KIP-534). */
export const DELETE_HORIZON_MASK = 0x40;
/** Delete horizons are capped here so timestamp deltas stay within int64. */
const MAX_HORIZON = 2n ** 62n;
const INVALID_RECORD = 87;
const CORRUPT_MESSAGE = 2;

/** A batch the cleaner is about to drop because none of its records is retained. */
export interface EmptiedBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

export interface CleanStats {
  batchesRead: number;
  recordsRead: number;
  batchesWritten: number;
  /** batches re-encoded (records removed or a delete horizon set) rather than copied */
  batchesRebuilt: number;
  recordsRetained: number;
  /** records removed because a later record has the same key */
  recordsSuperseded: number;
  /** tombstones removed after their delete horizon */
  tombstonesRemoved: number;
  /** records without a key (a compacted topic does not keep them) */
  nullKeysRemoved: number;
}

export function emptyStats(): CleanStats {
  return {
    batchesRead: 0,
    recordsRead: 0,
    batchesWritten: 0,
    batchesRebuilt: 0,
    recordsRetained: 0,
    recordsSuperseded: 0,
    tombstonesRemoved: 0,
    nullKeysRemoved: 0,
  };
}

// ---------------------------------------------------------------------------
// records (parsed just enough to filter them; the bytes after the offset delta are copied as they are)

export interface RawRecord {
  attributes: number;
  timestampDelta: bigint;
  offsetDelta: number;
  /** start of key length | key | value length | value | headers, in the records buffer */
  tailStart: number;
  end: number;
  key: Buffer | null;
  tombstone: boolean;
}

function recordsError(message: string): RecordsError {
  return new RecordsError("MR_RECORDS_TRUNCATED", CORRUPT_MESSAGE, message);
}

export function parseRecords(data: Buffer, start: number, end: number, count: number): RawRecord[] {
  const out: RawRecord[] = [];
  const cur: Cursor = { pos: start };
  for (let i = 0; i < count; i++) {
    if (cur.pos >= end) throw recordsError(`record batch declares ${count} records but holds ${i}`);
    const length = readVarint(data, cur, end);
    const recEnd = cur.pos + length;
    if (length < 1 || recEnd > end) throw recordsError(`record ${i} of ${length} bytes does not fit its batch`);
    const attributes = data[cur.pos++];
    const timestampDelta = readVarlong(data, cur, recEnd);
    const offsetDelta = readVarint(data, cur, recEnd);
    const tailStart = cur.pos;
    const keyLen = readVarint(data, cur, recEnd);
    let key: Buffer | null = null;
    if (keyLen >= 0) {
      if (cur.pos + keyLen > recEnd) throw recordsError(`record ${i}: key runs past the record`);
      key = data.subarray(cur.pos, cur.pos + keyLen);
      cur.pos += keyLen;
    } else if (keyLen !== -1) throw recordsError(`record ${i}: key length ${keyLen}`);
    const valueLen = readVarint(data, cur, recEnd);
    if (valueLen < -1 || (valueLen >= 0 && cur.pos + valueLen > recEnd))
      throw recordsError(`record ${i}: value length ${valueLen} does not fit`);
    out.push({ attributes, timestampDelta, offsetDelta, tailStart, end: recEnd, key, tombstone: valueLen === -1 });
    cur.pos = recEnd;
  }
  if (cur.pos !== end) throw recordsError(`record batch has ${end - cur.pos} bytes after its ${count} records`);
  return out;
}

/** The (decompressed) records section of the batch at buf[off, off + size). */
export function recordsOf(
  buf: Buffer,
  off: number,
  size: number,
): { data: Buffer; start: number; end: number; count: number } {
  const attrs = buf.readInt16BE(off + ATTRIBUTES);
  const count = buf.readInt32BE(off + RECORD_COUNT);
  if (count < 0) throw recordsError(`record batch with ${count} records`);
  const start = off + RECORD_BATCH_OVERHEAD;
  const end = off + size;
  const compression = (attrs & COMPRESSION_MASK) as CompressionType;
  if (compression === CompressionType.None || (count === 0 && start === end)) return { data: buf, start, end, count };
  const data = decompress(compression, buf.subarray(start, end));
  return { data, start: 0, end: data.length, count };
}

/**
 * Kafka's produce-time rule for compacted topics: every record needs a key.
 * Throws RecordsError INVALID_RECORD (87) otherwise. Control batches are not
 * checked. `batches` as scanBatches returns them for `buf`.
 */
export function validateCompactedBatches(
  buf: Buffer,
  batches: readonly ScannedBatch[],
  topicPartition = "a compacted topic",
): void {
  for (const b of batches) {
    if (b.attributes & CONTROL_MASK) continue;
    const r = recordsOf(buf, b.position, b.size);
    for (const rec of parseRecords(r.data, r.start, r.end, r.count)) {
      if (rec.key === null) {
        throw new RecordsError(
          "MR_RECORDS_NO_KEY",
          INVALID_RECORD,
          `Compacted topic cannot accept message without key in topic partition ${topicPartition}.`,
        );
      }
    }
  }
}

export function wrapCorrupt<T>(fn: () => T, where: string): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RecordsError) throw new LogError("MR_LOG_CORRUPT", `${where}: ${e.message}`, { cause: e });
    throw e;
  }
}

// ---------------------------------------------------------------------------
// the batch filter

export interface FilterContext {
  map: OffsetMap;
  /** wall clock (ms) against which delete horizons are checked and set */
  now: number;
  deleteRetentionMs: number;
  stats: CleanStats;
  /** for error messages */
  where: string;
  retainEmptyBatch?: (batch: EmptiedBatch) => boolean;
}

/** Transactions seam: Kafka drops a marker once its transaction's records are gone; kept for now. */
function controlBatchRetained(): boolean {
  return true;
}

/**
 * What to write for one batch of a segment being cleaned: the batch itself
 * (nothing removed, nothing to stamp), a rebuilt batch with the same base
 * offset and last offset delta, or null when no record is retained.
 */
export function filterBatch(buf: Buffer, off: number, size: number, ctx: FilterContext): Buffer | null {
  const stats = ctx.stats;
  stats.batchesRead++;
  const original = buf.subarray(off, off + size);
  const attrs = buf.readInt16BE(off + ATTRIBUTES);
  if (attrs & CONTROL_MASK) return controlBatchRetained() ? original : null;
  if (!batchCrcValid(buf, off, size))
    throw new LogError("MR_LOG_CORRUPT", `${ctx.where}: batch at ${off} fails its CRC32C`);
  const base = Number(buf.readBigInt64BE(off + BASE_OFFSET));
  const baseTs = buf.readBigInt64BE(off + BASE_TIMESTAMP);
  const horizon = attrs & DELETE_HORIZON_MASK ? baseTs : null;
  const r = wrapCorrupt(() => recordsOf(buf, off, size), ctx.where);
  const recs = wrapCorrupt(() => parseRecords(r.data, r.start, r.end, r.count), ctx.where);
  stats.recordsRead += recs.length;
  const now = BigInt(ctx.now);
  const kept: RawRecord[] = [];
  let keptTombstone = false;
  for (const rec of recs) {
    if (rec.key === null) {
      stats.nullKeysRemoved++;
      continue;
    }
    const latest = ctx.map.get(rec.key);
    if (latest !== undefined && base + rec.offsetDelta < latest) {
      stats.recordsSuperseded++;
      continue;
    }
    if (rec.tombstone) {
      if (horizon !== null && now >= horizon) {
        stats.tombstonesRemoved++;
        continue;
      }
      keptTombstone = true;
    }
    kept.push(rec);
  }
  stats.recordsRetained += kept.length;
  // An empty batch is dropped (see the module comment); its offsets become a gap.
  if (kept.length === 0) {
    const producerId = buf.readBigInt64BE(off + PRODUCER_ID);
    if (producerId >= 0n && ctx.retainEmptyBatch) {
      const baseOffset = buf.readBigInt64BE(off + BASE_OFFSET);
      const emptied: EmptiedBatch = {
        baseOffset,
        lastOffset: baseOffset + BigInt(buf.readInt32BE(off + LAST_OFFSET_DELTA)),
        producerId,
        producerEpoch: buf.readInt16BE(off + PRODUCER_EPOCH),
        baseSequence: buf.readInt32BE(off + BASE_SEQUENCE),
      };
      if (ctx.retainEmptyBatch(emptied)) {
        stats.batchesWritten++;
        stats.batchesRebuilt++;
        return emptyHeader(buf, off);
      }
    }
    return null;
  }
  stats.batchesWritten++;
  const stamp = keptTombstone && horizon === null;
  if (kept.length === recs.length && !stamp) return original;
  stats.batchesRebuilt++;
  let newHorizon = horizon;
  if (stamp) {
    newHorizon = now + BigInt(Math.max(0, Math.min(ctx.deleteRetentionMs, Number.MAX_SAFE_INTEGER)));
    if (newHorizon > MAX_HORIZON) newHorizon = MAX_HORIZON;
  }
  return rebuildBatch(buf, off, size, r.data, kept, newHorizon);
}

/**
 * Kafka's DefaultRecordBatch.writeEmptyHeader: the batch's header with no records, uncompressed, timestamps =
 * its max timestamp.
 */
function emptyHeader(buf: Buffer, off: number): Buffer {
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD);
  buf.copy(out, 0, off, off + RECORD_BATCH_OVERHEAD);
  out.writeInt32BE(RECORD_BATCH_OVERHEAD - LOG_OVERHEAD, BATCH_LENGTH);
  const attrs = buf.readInt16BE(off + ATTRIBUTES);
  out.writeInt16BE(attrs & ~(COMPRESSION_MASK | DELETE_HORIZON_MASK), ATTRIBUTES);
  const maxTs = buf.readBigInt64BE(off + MAX_TIMESTAMP);
  out.writeBigInt64BE(maxTs, BASE_TIMESTAMP);
  out.writeInt32BE(0, RECORD_COUNT);
  out.writeUInt32BE(crc32c(out, ATTRIBUTES, out.length), CRC);
  return out;
}

/**
 * A v2 batch with the header of buf[off, off+size) (base offset, last offset
 * delta, leader epoch, producer fields, timestamp type kept), `kept` as its
 * records, compressed with the same codec when this process can (zstd needs a
 * compressor; else uncompressed). With a horizon, the base timestamp is the
 * horizon and the delete-horizon bit is set; record timestamps are unchanged.
 */
function rebuildBatch(
  buf: Buffer,
  off: number,
  size: number,
  data: Buffer,
  kept: RawRecord[],
  horizon: bigint | null,
): Buffer {
  const attrs = buf.readInt16BE(off + ATTRIBUTES);
  const oldBaseTs = buf.readBigInt64BE(off + BASE_TIMESTAMP);
  const newBaseTs = horizon ?? oldBaseTs;
  const logAppendTime = (attrs & TIMESTAMP_TYPE_MASK) !== 0;
  const deltas: bigint[] = new Array(kept.length);
  const bodies = new Int32Array(kept.length);
  let total = 0;
  let maxTs: bigint | null = null;
  for (let i = 0; i < kept.length; i++) {
    const rec = kept[i];
    const ts = oldBaseTs + rec.timestampDelta;
    if (maxTs === null || ts > maxTs) maxTs = ts;
    const d = ts - newBaseTs;
    deltas[i] = d;
    const body = 1 + sizeOfVarlong(d) + sizeOfVarint(rec.offsetDelta) + (rec.end - rec.tailStart);
    bodies[i] = body;
    total += sizeOfVarint(body) + body;
  }
  const raw = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < kept.length; i++) {
    const rec = kept[i];
    pos = writeVarint(raw, pos, bodies[i]);
    raw[pos++] = rec.attributes;
    pos = writeVarlong(raw, pos, deltas[i]);
    pos = writeVarint(raw, pos, rec.offsetDelta);
    pos += data.copy(raw, pos, rec.tailStart, rec.end);
  }
  let compression = (attrs & COMPRESSION_MASK) as CompressionType;
  let payload: Buffer = raw;
  if (compression !== CompressionType.None) {
    if (compression === CompressionType.Zstd && !zstdCompressionAvailable()) compression = CompressionType.None;
    else if (
      compression === CompressionType.Snappy &&
      isXerialSnappy(buf.subarray(off + RECORD_BATCH_OVERHEAD, off + size))
    )
      payload = snappyXerialCompress(raw);
    else payload = compress(compression, raw);
  }
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + payload.length);
  buf.copy(out, 0, off, off + RECORD_BATCH_OVERHEAD);
  payload.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH);
  const newAttrs =
    (attrs & ~(COMPRESSION_MASK | DELETE_HORIZON_MASK)) | compression | (horizon !== null ? DELETE_HORIZON_MASK : 0);
  out.writeInt16BE(newAttrs, ATTRIBUTES);
  out.writeBigInt64BE(newBaseTs, BASE_TIMESTAMP);
  if (!logAppendTime && maxTs !== null) out.writeBigInt64BE(maxTs, MAX_TIMESTAMP);
  out.writeInt32BE(kept.length, RECORD_COUNT);
  out.writeUInt32BE(crc32c(out, ATTRIBUTES, out.length), CRC);
  return out;
}
