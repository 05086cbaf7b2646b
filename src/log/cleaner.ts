/**
 * Log compaction (cleanup.policy=compact), the way Kafka's log cleaner does it.
 *
 * PartitionLog.compact() drives one cleaning; this module holds its parts:
 *
 *  - the offset map: key -> latest offset, built over the dirty section (from
 *    the cleaner checkpoint to the first uncleanable segment);
 *  - the batch filter: a record is kept when its offset is the latest for its
 *    key; tombstones (null values) are kept until their batch's delete horizon
 *    (KIP-534: the first cleaning that keeps a tombstone stamps the batch with
 *    horizon = now + delete.retention.ms, in the base timestamp, attribute bit
 *    6), then dropped. A batch keeps its base offset and last offset delta, so
 *    offsets are preserved and consumers advance past removed records; a batch
 *    left with no records is dropped (Kafka keeps the header of a producer's
 *    last batch for idempotence: not needed until producer state exists);
 *  - Kafka's groupSegmentsBySize (small cleaned segments merge into one);
 *  - writing a cleaned segment as `<base>.log.cleaned` (+ indexes);
 *  - the swap protocol's file steps and their recovery at load.
 *
 * Swap protocol (one group of old segments -> one cleaned segment):
 *   1. `<base>.{log,index,timeindex}.cleaned` written and fsync'd
 *   2. `cleaner-swap.json` {base, replaced: [old base offsets]} written atomically
 *   3. `.cleaned` -> `.swap` renames, the log file last: that rename is the commit
 *   4. old segments renamed to `.deleted` (closed and removed later, after reads)
 *   5. `.swap` -> final names; directory fsync; `cleaner-swap.json` removed
 * On load, a `<base>.log.swap` means the swap committed: the replaced segments
 * (from cleaner-swap.json, or Kafka's rule when it is missing) are removed and
 * the swap renamed into place. Anything `.cleaned` is an uncommitted swap and
 * is removed (the old segments are intact). A `.swap` that fails its CRC scan
 * while every replaced segment is still there is rolled back instead.
 *
 * Transactions seam: control batches are kept as they are and aborted
 * transactional data is treated like any data. When transactions arrive,
 * `controlBatchRetained` and the map/filter are where markers and aborted
 * batches get dropped (Kafka's CleanedTransactionMetadata).
 */
import { readdir, rename, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
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
  MAGIC,
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
import type { BatchInfo } from "../protocol/records/batch.js";
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
import { CLEANED_SUFFIX, CLEANER_SWAP_FILE, DurableFile, SWAP_SUFFIX, segmentPaths } from "./files.js";
import {
  fsyncDir,
  readFileIfExists,
  readFully,
  renameIfExists,
  unlinkIfExists,
  writeFileAtomic,
  writevFully,
} from "../fs/index.js";
import { OFFSET_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE } from "./indexes.js";
import { INT32_MAX, Segment } from "./segment.js";

/** Batch attribute bit 6: the base timestamp is the delete horizon (KIP-534). */
export const DELETE_HORIZON_MASK = 0x40;
/** Kafka's log.cleaner.dedupe.buffer.size default. */
export const DEFAULT_DEDUPE_BUFFER_SIZE = 134217728;
/** Rough memory of one offset-map entry besides its key bytes. */
const MAP_ENTRY_OVERHEAD = 64;
/** Delete horizons are capped here so timestamp deltas stay within int64. */
const MAX_HORIZON = 2n ** 62n;
const INVALID_RECORD = 87;
const CORRUPT_MESSAGE = 2;
const READ_CHUNK = 1024 * 1024;
const WRITE_CHUNK = 1024 * 1024;
const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;
const EMPTY = Buffer.alloc(0);

// ---------------------------------------------------------------------------
// public types

/** Steps of the swap after which CompactOptions.crashAt stops, as a crash would. */
export type CleanerCrashPoint = "cleaned" | "manifest" | "swap" | "deleted";

export interface CompactOptions {
  /** clean even when min.cleanable.dirty.ratio / max.compaction.lag.ms say it is not due (and with no dirty bytes: expires tombstones) */
  force?: boolean;
  /** memory bound of the offset map, bytes (Kafka's log.cleaner.dedupe.buffer.size); the dirty section is mapped up to it */
  dedupeBufferSize?: number;
  /** for crash tests: stop right after this step, leaving the files as a crash would */
  crashAt?: CleanerCrashPoint;
  /**
   * Producer-state seam (Kafka's BatchRetention.RETAIN_EMPTY): called for a
   * batch with a producer id whose records are all removed; true keeps its
   * header as an empty batch (same offsets and producer fields, no records),
   * e.g. a producer's last batch that idempotence still needs.
   */
  retainEmptyBatch?: (batch: EmptiedBatch) => boolean;
}

/** A batch the cleaner is about to drop because none of its records is retained. */
export interface EmptiedBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

export interface CompactResult {
  topic: string;
  partition: number;
  /** whether segments were rewritten */
  cleaned: boolean;
  /** why it did or did not clean */
  reason: string;
  /** where the dirty section started (the cleaner checkpoint, or the log start offset) */
  firstDirtyOffset: bigint;
  /** the new cleaner checkpoint: offsets below it are clean */
  endOffset: bigint;
  /** cleanable / (clean + cleanable) bytes before cleaning */
  dirtyRatio: number;
  segmentsBefore: number;
  segmentsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  /** distinct keys in the offset map */
  keys: number;
  stats: CleanStats;
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

/** Thrown by CompactOptions.crashAt. */
export class SimulatedCrashError extends Error {
  constructor(readonly point: CleanerCrashPoint) {
    super(`simulated crash after the "${point}" step of a cleaner swap`);
    this.name = "SimulatedCrashError";
  }
}

// ---------------------------------------------------------------------------
// records (parsed just enough to filter them; the bytes after the offset delta are copied as they are)

interface RawRecord {
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

function parseRecords(data: Buffer, start: number, end: number, count: number): RawRecord[] {
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
function recordsOf(
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
  batches: readonly BatchInfo[],
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

// ---------------------------------------------------------------------------
// offset map

/**
 * key -> latest offset over the dirty section. Keys are held exactly (as
 * latin1 strings, one char per byte), so unlike Kafka's hashed map there are
 * no collisions; memory is bounded by an estimate of bytes per entry.
 */
export class OffsetMap {
  private readonly map = new Map<string, number>();
  private bytes = 0;

  constructor(readonly maxBytes = DEFAULT_DEDUPE_BUFFER_SIZE) {}

  get size(): number {
    return this.map.size;
  }

  /** no more entries should be added */
  get full(): boolean {
    return this.bytes >= this.maxBytes;
  }

  put(key: Buffer, offset: number): void {
    const k = key.toString("latin1");
    const prev = this.map.get(k);
    if (prev === undefined) this.bytes += key.length + MAP_ENTRY_OVERHEAD;
    if (prev === undefined || offset > prev) this.map.set(k, offset);
  }

  get(key: Buffer): number | undefined {
    return this.map.get(key.toString("latin1"));
  }
}

/** Adds the keyed records at or after `from` of one batch to the map. */
export function mapBatch(map: OffsetMap, buf: Buffer, off: number, size: number, from: bigint, where: string): void {
  const attrs = buf.readInt16BE(off + ATTRIBUTES);
  // Transactions seam: aborted transactional batches will be skipped here; control batches carry no data keys.
  if (attrs & CONTROL_MASK) return;
  if (!batchCrcValid(buf, off, size))
    throw new LogError("MR_LOG_CORRUPT", `${where}: batch at ${off} fails its CRC32C`);
  const base = Number(buf.readBigInt64BE(off + BASE_OFFSET));
  const r = wrapCorrupt(() => recordsOf(buf, off, size), where);
  const recs = wrapCorrupt(() => parseRecords(r.data, r.start, r.end, r.count), where);
  const min = Number(from);
  for (const rec of recs) {
    const offset = base + rec.offsetDelta;
    if (rec.key !== null && offset >= min) map.put(rec.key, offset);
  }
}

function wrapCorrupt<T>(fn: () => T, where: string): T {
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

/** Kafka's DefaultRecordBatch.writeEmptyHeader: the batch's header with no records, uncompressed, timestamps = its max timestamp. */
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

// ---------------------------------------------------------------------------
// reading a segment file batch by batch

export interface FileBatch {
  /** the batch is buf[off, off + size) */
  buf: Buffer;
  off: number;
  size: number;
  /** position in the file */
  position: number;
  baseOffset: bigint;
  lastOffset: bigint;
}

/** Every batch in fh[0, limit), structurally checked (length, magic); throws MR_LOG_CORRUPT. */
export async function* fileBatches(fh: FileHandle, limit: number, where: string): AsyncGenerator<FileBatch> {
  let chunk: Buffer = EMPTY;
  let chunkStart = 0;
  let pos = 0;
  const corrupt = (why: string) => new LogError("MR_LOG_CORRUPT", `${where} at byte ${pos}: ${why}`);
  while (pos < limit) {
    let off = pos - chunkStart;
    if (off + RECORD_BATCH_OVERHEAD > chunk.length) {
      chunkStart = pos;
      chunk = await readFully(fh, Math.min(READ_CHUNK, limit - pos), pos);
      off = 0;
      if (chunk.length < RECORD_BATCH_OVERHEAD) throw corrupt(`truncated batch header`);
    }
    const batchLength = chunk.readInt32BE(off + BATCH_LENGTH);
    const size = batchLength + LOG_OVERHEAD;
    if (batchLength < MIN_BATCH_LENGTH || pos + size > limit) throw corrupt(`invalid batch length ${batchLength}`);
    if (chunk.readInt8(off + MAGIC) !== 2) throw corrupt(`magic ${chunk.readInt8(off + MAGIC)}`);
    if (off + size > chunk.length) {
      chunkStart = pos;
      chunk = await readFully(fh, Math.max(size, Math.min(READ_CHUNK, limit - pos)), pos);
      off = 0;
      if (chunk.length < size) throw corrupt(`short read`);
    }
    const baseOffset = chunk.readBigInt64BE(off + BASE_OFFSET);
    const delta = chunk.readInt32BE(off + LAST_OFFSET_DELTA);
    if (delta < 0) throw corrupt(`last offset delta ${delta}`);
    yield { buf: chunk, off, size, position: pos, baseOffset, lastOffset: baseOffset + BigInt(delta) };
    pos += size;
  }
}

// ---------------------------------------------------------------------------
// grouping (Kafka's Cleaner.groupSegmentsBySize)

export interface GroupCandidate {
  baseOffset: bigint;
  size: number;
  /** bytes of its offset index and time index */
  indexBytes: number;
  timeIndexBytes: number;
  /** base offset of the segment after it (bounds its offsets) */
  nextBase: bigint;
}

/**
 * Consecutive segments merged while the sum of their sizes fits segment.bytes,
 * their indexes fit segment.index.bytes, and their offsets stay within int32
 * of the group's base. Returns groups of indexes into `segs`.
 */
export function groupSegmentsBySize(
  segs: readonly GroupCandidate[],
  maxSize: number,
  maxIndexSize: number,
): number[][] {
  const groups: number[][] = [];
  let i = 0;
  while (i < segs.length) {
    const group = [i];
    let logSize = segs[i].size;
    let indexSize = segs[i].indexBytes;
    let timeIndexSize = segs[i].timeIndexBytes;
    const base = segs[i].baseOffset;
    i++;
    while (
      i < segs.length &&
      logSize + segs[i].size <= maxSize &&
      indexSize + segs[i].indexBytes <= maxIndexSize &&
      timeIndexSize + segs[i].timeIndexBytes <= maxIndexSize &&
      (segs[i].size === 0 || segs[i].nextBase - 1n - base <= BigInt(INT32_MAX))
    ) {
      group.push(i);
      logSize += segs[i].size;
      indexSize += segs[i].indexBytes;
      timeIndexSize += segs[i].timeIndexBytes;
      i++;
    }
    groups.push(group);
  }
  return groups;
}

export function indexBytesOf(seg: Segment): { indexBytes: number; timeIndexBytes: number } {
  return {
    indexBytes: (seg.index?.entries ?? 0) * OFFSET_INDEX_ENTRY_SIZE,
    timeIndexBytes: (seg.timeIndex?.entries ?? 0) * TIME_INDEX_ENTRY_SIZE,
  };
}

// ---------------------------------------------------------------------------
// writing a cleaned segment

/**
 * Filters the batches of `group` (old, complete segments whose files are open)
 * into one new segment with the first one's base offset, written as
 * `<base>.log.cleaned` with `.index.cleaned` / `.timeindex.cleaned`, all
 * fsync'd. Returns the new segment (final paths, indexes in memory, file
 * closed). Its mtime is the newest of the group's (Kafka's lastModified rule,
 * which retention falls back on).
 */
export async function writeCleanedSegment(
  dir: string,
  group: readonly Segment[],
  ctx: FilterContext,
  indexIntervalBytes: number,
  checkAbort: () => void,
): Promise<Segment> {
  const base = group[0].baseOffset;
  const seg = new Segment(dir, base, 0);
  seg.initEmpty();
  seg.indexIntervalForRebuild = indexIntervalBytes;
  const path = seg.paths.log + CLEANED_SUFFIX;
  const out = await DurableFile.open(path, "w");
  let pos = 0;
  let flushed = 0;
  let pending: Buffer[] = [];
  let lastOffset = -1n;
  const lastModified = Math.max(...group.map((s) => s.lastModified));
  const flush = async () => {
    if (pos === flushed) return;
    await writevFully(out.handle, pending, flushed);
    pending = [];
    flushed = pos;
  };
  try {
    for (const old of group) {
      const fh = (await old.open("r")).handle;
      const segCtx = { ...ctx, where: old.paths.log };
      for await (const b of fileBatches(fh, old.size, old.paths.log)) {
        checkAbort();
        const kept = filterBatch(b.buf, b.off, b.size, segCtx);
        if (!kept) continue;
        if (pos + kept.length > INT32_MAX)
          throw new LogError("MR_LOG_CORRUPT", `cleaned segment ${path} would exceed ${INT32_MAX} bytes`);
        seg.trackBatch(
          b.baseOffset,
          b.lastOffset,
          pos,
          kept.length,
          kept.readBigInt64BE(MAX_TIMESTAMP),
          indexIntervalBytes,
        );
        pending.push(kept);
        pos += kept.length;
        lastOffset = b.lastOffset;
        if (pos - flushed >= WRITE_CHUNK) await flush();
      }
    }
    await flush();
    await out.handle.utimes(lastModified / 1000, lastModified / 1000);
    await out.handle.sync();
    await out.close();
    seg.finalTimeIndexEntry();
    seg.size = pos;
    seg.assignedSize = pos;
    seg.nextOffset = lastOffset >= 0n ? lastOffset + 1n : base;
    seg.lastModified = lastModified;
    await seg.writeIndexesAs(CLEANED_SUFFIX);
    return seg;
  } catch (e) {
    await out.close().catch(() => undefined);
    await discardCleaned(seg).catch(() => undefined);
    throw e;
  }
}

/** Removes a cleaned segment's `.cleaned` files. */
export async function discardCleaned(seg: Segment): Promise<void> {
  for (const p of [seg.paths.log, seg.paths.index, seg.paths.timeIndex]) await unlinkIfExists(p + CLEANED_SUFFIX);
}

// ---------------------------------------------------------------------------
// swap steps

interface SwapManifest {
  version: 1;
  base: string;
  replaced: string[];
}

/** Step 2: records (durably) which segments the cleaned one replaces. */
export function writeSwapManifest(dir: string, base: bigint, replaced: readonly bigint[]): Promise<void> {
  const m: SwapManifest = { version: 1, base: base.toString(), replaced: replaced.map((b) => b.toString()) };
  return writeFileAtomic(join(dir, CLEANER_SWAP_FILE), JSON.stringify(m) + "\n");
}

async function readSwapManifest(dir: string): Promise<{ base: bigint; replaced: bigint[] } | null> {
  const buf = await readFileIfExists(join(dir, CLEANER_SWAP_FILE));
  if (!buf) return null;
  try {
    const m = JSON.parse(buf.toString("utf8")) as SwapManifest;
    if (
      m.version !== 1 ||
      !/^\d+$/.test(m.base) ||
      !Array.isArray(m.replaced) ||
      !m.replaced.every((r) => /^\d+$/.test(r))
    )
      return null;
    return { base: BigInt(m.base), replaced: m.replaced.map((r) => BigInt(r)) };
  } catch {
    return null;
  }
}

export function removeSwapManifest(dir: string): Promise<boolean> {
  return unlinkIfExists(join(dir, CLEANER_SWAP_FILE));
}

/** Step 3: `.cleaned` -> `.swap`, the log file last (the commit point). Returns after the log rename is done. */
export async function renameCleanedToSwap(seg: Segment, onCommitted: () => void): Promise<void> {
  await rename(seg.paths.index + CLEANED_SUFFIX, seg.paths.index + SWAP_SUFFIX);
  await rename(seg.paths.timeIndex + CLEANED_SUFFIX, seg.paths.timeIndex + SWAP_SUFFIX);
  await rename(seg.paths.log + CLEANED_SUFFIX, seg.paths.log + SWAP_SUFFIX);
  onCommitted();
  await fsyncDir(seg.dir);
}

/** Undoes step 3's index renames of a swap that did not commit. */
export async function discardSwapIndexes(seg: Segment): Promise<void> {
  for (const p of [seg.paths.index, seg.paths.timeIndex]) await unlinkIfExists(p + SWAP_SUFFIX);
}

/** Step 5: `.swap` -> final names, indexes first, then the directory fsync. */
export async function renameSwapToFinal(seg: Segment): Promise<void> {
  await rename(seg.paths.index + SWAP_SUFFIX, seg.paths.index);
  await rename(seg.paths.timeIndex + SWAP_SUFFIX, seg.paths.timeIndex);
  await rename(seg.paths.log + SWAP_SUFFIX, seg.paths.log);
  await fsyncDir(seg.dir);
}

// ---------------------------------------------------------------------------
// recovery at load

type LogFn = (level: "info" | "warn" | "error", obj: object, msg: string) => void;

const SEGMENT_LOG_RE = /^(\d{20})\.log$/;
const SWAP_LOG_RE = /^(\d{20})\.log\.swap$/;

/** CRC scan of a swap file: how many bytes are valid and the offset after its last valid batch. */
async function checkSwapFile(
  path: string,
  base: bigint,
): Promise<{ size: number; validBytes: number; nextOffset: bigint; error: string | null }> {
  const f = await DurableFile.open(path, "r");
  let validBytes = 0;
  let nextOffset = base;
  let size = 0;
  try {
    size = (await f.handle.stat()).size;
    for await (const b of fileBatches(f.handle, size, path)) {
      if (!batchCrcValid(b.buf, b.off, b.size))
        return { size, validBytes, nextOffset, error: `CRC32C mismatch at byte ${b.position}` };
      if (b.baseOffset < nextOffset || b.lastOffset - base > BigInt(INT32_MAX)) {
        return { size, validBytes, nextOffset, error: `offset ${b.baseOffset} out of order at byte ${b.position}` };
      }
      nextOffset = b.lastOffset + 1n;
      validBytes = b.position + b.size;
    }
    return { size, validBytes, nextOffset, error: null };
  } catch (e) {
    return { size, validBytes, nextOffset, error: (e as Error).message };
  } finally {
    await f.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finishes what an interrupted cleaner swap left in a partition directory,
 * before its segments are loaded: `.cleaned` files are removed (uncommitted);
 * a `<base>.log.swap` is completed (replaced segments removed, swap renamed
 * into place) or, when it fails its CRC scan and every replaced segment is
 * still there, rolled back. Returns true when anything was changed.
 */
export async function recoverInterruptedSwaps(dir: string, log: LogFn): Promise<boolean> {
  const names = await readdir(dir);
  let changed = false;
  for (const name of names) {
    if (name.endsWith(CLEANED_SUFFIX)) {
      await unlinkIfExists(join(dir, name));
      changed = true;
    }
  }
  const manifest = await readSwapManifest(dir);
  const logBases = names
    .map((n) => SEGMENT_LOG_RE.exec(n))
    .filter((m) => m !== null)
    .map((m) => BigInt(m![1]));
  const swaps = names
    .map((n) => SWAP_LOG_RE.exec(n))
    .filter((m) => m !== null)
    .map((m) => BigInt(m![1]))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const base of swaps) {
    changed = true;
    const paths = segmentPaths(dir, base);
    const swapLog = paths.log + SWAP_SUFFIX;
    const check = await checkSwapFile(swapLog, base);
    let replaced: bigint[];
    if (manifest && manifest.base === base) replaced = manifest.replaced;
    else {
      // Kafka's rule: the swap replaces the segments whose base offsets fall in [its base, its next offset).
      replaced = logBases.filter((b) => b >= base && b < check.nextOffset);
      if (!replaced.includes(base)) replaced.unshift(base);
      log(
        "warn",
        { segment: base.toString(), replaced: replaced.map(String) },
        "no swap manifest for an interrupted cleaner swap; using the swap's offset range",
      );
    }
    if (check.error !== null) {
      let oldIntact = true;
      for (const r of replaced) if (!(await exists(segmentPaths(dir, r).log))) oldIntact = false;
      if (oldIntact) {
        for (const p of [paths.log, paths.index, paths.timeIndex]) await unlinkIfExists(p + SWAP_SUFFIX);
        await fsyncDir(dir);
        log(
          "warn",
          { segment: base.toString(), reason: check.error },
          "rolled back an interrupted cleaner swap: the cleaned segment is invalid and the old segments are intact",
        );
        continue;
      }
      // Cannot happen when the swap was fsync'd before its commit; keep what is valid.
      const f = await DurableFile.open(swapLog, "r+");
      try {
        await f.handle.truncate(check.validBytes);
        await f.handle.datasync();
      } finally {
        await f.close();
      }
      for (const p of [paths.index, paths.timeIndex]) await unlinkIfExists(p + SWAP_SUFFIX);
      log(
        "error",
        { segment: base.toString(), reason: check.error, validBytes: check.validBytes },
        "interrupted cleaner swap has an invalid cleaned segment and the old segments are gone: keeping its valid prefix",
      );
    }
    for (const r of replaced) {
      const rp = segmentPaths(dir, r);
      for (const p of [rp.log, rp.index, rp.timeIndex]) await unlinkIfExists(p);
    }
    // A missing index is rebuilt on first use.
    await renameIfExists(paths.index + SWAP_SUFFIX, paths.index);
    await renameIfExists(paths.timeIndex + SWAP_SUFFIX, paths.timeIndex);
    await rename(swapLog, paths.log);
    await fsyncDir(dir);
    log(
      "info",
      { segment: base.toString(), replaced: replaced.map(String), bytes: check.validBytes },
      "completed an interrupted cleaner swap",
    );
  }
  // Index swaps without their log swap, and the manifest, are leftovers.
  for (const name of await readdir(dir)) {
    if (name.endsWith(SWAP_SUFFIX)) {
      await unlinkIfExists(join(dir, name));
      changed = true;
    }
  }
  if (await removeSwapManifest(dir)) changed = true;
  return changed;
}
