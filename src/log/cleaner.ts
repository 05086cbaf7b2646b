/**
 * Log compaction (cleanup.policy=compact): the cleaning itself, as Kafka's
 * Cleaner does it. When to clean and which segments is cleaner-manager.ts
 * (LogCleanerManager); what is kept of each batch is record-filter.ts; the
 * key -> latest offset map is offset-map.ts. This module holds:
 *
 *  - cleanSegments (Kafka's doClean): the offset map over the dirty section
 *    (from the cleaner checkpoint to the first uncleanable segment), the
 *    groups, each group cleaned and swapped in;
 *  - Kafka's groupSegmentsBySize (small cleaned segments merge into one);
 *  - writing a cleaned segment as `<base>.log.cleaned` (+ indexes);
 *  - the swap protocol's file steps (their recovery at load is loader.ts).
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
 * Transactions seam: see record-filter.ts (markers and aborted batches) and
 * offset-map.ts (aborted batches add no keys).
 */
import { rename } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import {
  BASE_OFFSET,
  BATCH_LENGTH,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  RECORD_BATCH_OVERHEAD,
} from "../protocol/records/batch.js";
import { LogError } from "./errors.js";
import { filterBatch } from "./record-filter.js";
import type { CleanStats, EmptiedBatch, FilterContext } from "./record-filter.js";
import { CLEANED_SUFFIX, CLEANER_SWAP_FILE, DurableFile, SWAP_SUFFIX } from "./files.js";
import { fsyncDir, readFileIfExists, readFully, unlinkIfExists, writeFileAtomic, writevFully } from "../fs/index.js";
import { OFFSET_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE } from "./indexes.js";
import { INT32_MAX, Segment, onIndexRebuild } from "./segment.js";
import { DEFAULT_DEDUPE_BUFFER_SIZE, OffsetMap, mapBatch } from "./offset-map.js";
import type { LogConfig } from "./config.js";
import type { LogFn } from "./types.js";

const READ_CHUNK = 1024 * 1024;
const WRITE_CHUNK = 1024 * 1024;
const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;
const EMPTY = Buffer.alloc(0);

// ---------------------------------------------------------------------------
// public types

/** Steps of the swap after which CompactOptions.crashAt stops, as a crash would. */
export type CleanerCrashPoint = "cleaned" | "manifest" | "swap" | "deleted";

export interface CompactOptions {
  /**
   * clean even when min.cleanable.dirty.ratio / max.compaction.lag.ms say it is not due (and with no dirty
   * bytes: expires tombstones)
   */
  force?: boolean;
  /**
   * memory bound of the offset map, bytes (Kafka's log.cleaner.dedupe.buffer.size); the dirty section is
   * mapped up to it
   */
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

/** Thrown by CompactOptions.crashAt. */
export class SimulatedCrashError extends Error {
  constructor(readonly point: CleanerCrashPoint) {
    super(`simulated crash after the "${point}" step of a cleaner swap`);
    this.name = "SimulatedCrashError";
  }
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

export async function readSwapManifest(dir: string): Promise<{ base: bigint; replaced: bigint[] } | null> {
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
// one cleaning (Kafka's Cleaner.doClean): offset map, groups, cleaned segments swapped in

/** What the cleaner needs from the log it cleans. */
export interface CleaningTarget {
  readonly dir: string;
  /** throws when the log was closed or went offline meanwhile */
  checkAbort(): void;
  /**
   * inside the write queue: `cleaned` replaces `olds` on disk and in memory; false when the log no longer
   * holds them
   */
  replaceSegments(olds: Segment[], cleaned: Segment): Promise<boolean>;
  log: LogFn;
}

/** The segments to clean: segs[first, uncleanable), the dirty ones from segs[dirty] (see cleaner-manager.ts). */
export interface CleaningRange {
  first: number;
  dirty: number;
  uncleanable: number;
}

/**
 * Cleans segs[first, uncleanable) of `target` up to the end of what the offset
 * map could hold; fills in result.keys, endOffset and the segment/byte counts.
 * `pending` holds the cleaned segments written but not yet swapped in (the
 * caller discards them when this throws). Returns the new cleaner checkpoint.
 */
export async function cleanSegments(
  target: CleaningTarget,
  segs: readonly Segment[],
  range: CleaningRange,
  firstDirty: bigint,
  cfg: LogConfig,
  now: number,
  opts: CompactOptions,
  result: CompactResult,
  pending: Segment[],
): Promise<bigint> {
  const { first, uncleanable } = range;
  // The old segments are read through their open handles and in-memory indexes from here on, so that
  // readers (and this cleaning) keep working while their files are renamed by swaps.
  for (let i = first; i < uncleanable; i++) {
    await segs[i].ensureIndexes(segs[i + 1].baseOffset, onIndexRebuild(target.log, segs[i]));
    await segs[i].open("r");
  }
  // 1. the offset map over the dirty section (up to the memory bound, whole batches)
  const { map, endOffset } = await buildOffsetMap(target, segs, range, firstDirty, opts);
  result.keys = map.size;
  result.endOffset = endOffset;
  // 2. every segment from the log start below endOffset, grouped by size
  const { candidates, groups } = cleaningGroups(segs, first, uncleanable, endOffset, cfg);
  // 3. clean each group into one segment and swap it in
  const filter: FilterContext = {
    map,
    now,
    deleteRetentionMs: cfg["delete.retention.ms"],
    stats: result.stats,
    where: "",
    retainEmptyBatch: opts.retainEmptyBatch,
  };
  for (const group of groups) {
    const olds = group.map((j) => candidates[j]);
    const cleaned = await writeCleanedSegment(target.dir, olds, filter, cfg["index.interval.bytes"], () =>
      target.checkAbort(),
    );
    pending.push(cleaned);
    if (opts.crashAt === "cleaned") throw new SimulatedCrashError("cleaned");
    const ok = await target.replaceSegments(olds, cleaned);
    pending.splice(pending.indexOf(cleaned), 1);
    if (!ok) {
      await discardCleaned(cleaned);
      target.checkAbort();
      target.log(
        "info",
        { segments: olds.map((s) => s.baseOffset.toString()) },
        "cleaned segments were removed meanwhile; discarding the cleaned copy",
      );
      continue;
    }
    result.cleaned = true;
    result.segmentsBefore += olds.length;
    result.segmentsAfter += 1;
    for (const s of olds) result.bytesBefore += s.size;
    result.bytesAfter += cleaned.size;
  }
  return endOffset;
}

/** The segments from segs[first] below `endOffset` (and below segs[uncleanable]), grouped by size. */
function cleaningGroups(
  segs: readonly Segment[],
  first: number,
  uncleanable: number,
  endOffset: bigint,
  cfg: LogConfig,
): { candidates: Segment[]; groups: number[][] } {
  let end = first;
  while (end < uncleanable && segs[end].baseOffset < endOffset) end++;
  const candidates = segs.slice(first, end);
  const groups = groupSegmentsBySize(
    candidates.map((s, j) => ({
      baseOffset: s.baseOffset,
      size: s.size,
      nextBase: segs[first + j + 1].baseOffset,
      ...indexBytesOf(s),
    })),
    cfg["segment.bytes"],
    cfg["segment.index.bytes"],
  );
  return { candidates, groups };
}

/** Kafka's Cleaner.buildOffsetMap: the dirty section's keys, whole batches, until the map is full. */
async function buildOffsetMap(
  target: CleaningTarget,
  segs: readonly Segment[],
  range: CleaningRange,
  firstDirty: bigint,
  opts: CompactOptions,
): Promise<{ map: OffsetMap; endOffset: bigint }> {
  const map = new OffsetMap(opts.dedupeBufferSize ?? DEFAULT_DEDUPE_BUFFER_SIZE);
  const stop = segs[range.uncleanable].baseOffset;
  const endOffset = stop > firstDirty ? stop : firstDirty;
  let mappedEnd = -1n;
  for (let i = range.dirty; i < range.uncleanable; i++) {
    const seg = segs[i];
    for await (const b of fileBatches((await seg.open("r")).handle, seg.size, seg.paths.log)) {
      target.checkAbort();
      if (b.lastOffset < firstDirty) continue;
      if (map.full && mappedEnd >= 0n) return { map, endOffset: mappedEnd };
      mapBatch(map, b.buf, b.off, b.size, firstDirty, seg.paths.log);
      mappedEnd = b.lastOffset + 1n;
    }
  }
  return { map, endOffset };
}
