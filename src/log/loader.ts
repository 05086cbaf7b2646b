/**
 * Opening a partition directory, as Kafka's LogLoader does: leftovers of
 * interrupted operations are finished or removed (cleaner swaps completed or
 * rolled back; `.deleted`, `.cleaned`, `.swap`, `.tmp` files and orphan
 * indexes removed), the segments are listed, and then either
 *  - after an unclean shutdown: every segment from the one holding the
 *    recovery point is CRC-scanned; a torn or corrupt tail is truncated, later
 *    segments deleted, indexes rebuilt; or
 *  - after a clean shutdown: only the active segment's index and tail are
 *    checked (and recovered when the check fails).
 * The log start offset is settled, an empty log gets its first segment, and
 * whatever recovery changed is made durable before new data can land after it.
 *
 * Producer/transaction-state seam: Kafka's loader also rebuilds producer state
 * (and, with transactions, the aborted-transaction index and the last stable
 * offset) from the recovered segments; that step belongs in loadLog, after
 * recovery and before the active segment is prepared, fed from the segments
 * at or after the recovery point.
 */
import { mkdir, readdir, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { batchCrcValid } from "../protocol/records/batch.js";
import { fsyncDir, readFileIfExists, renameIfExists, unlinkIfExists, writeFileAtomic } from "../fs/index.js";
import { fileBatches, readSwapManifest, removeSwapManifest } from "./cleaner.js";
import type { LogConfig } from "./config.js";
import { LogError } from "./errors.js";
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  DurableFile,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  PARTITION_METADATA,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  formatPartitionMetadata,
  offsetFileStem,
  segmentPaths,
} from "./files.js";
import { BatchRing } from "./batch-ring.js";
import { INT32_MAX, Segment, newActiveSegment, rollJitterMs } from "./segment.js";
import { exists } from "./log-dir.js";
import type { LogFn } from "./types.js";

export interface LoadOptions {
  dir: string;
  topic: string;
  partition: number;
  topicId: Buffer;
  /** the data directory was shut down cleanly: trust segments, check only the active segment's tail */
  clean: boolean;
  /** from recovery-point-offset-checkpoint; recovery starts at the segment holding it */
  recoveryPoint?: bigint;
  /** from log-start-offset-checkpoint */
  logStartOffset?: bigint;
  /** from cleaner-offset-checkpoint */
  cleanerCheckpoint?: bigint;
}

/** What a partition starts from: its segments (the last one active and open for writing). */
export interface LoadedLog {
  segments: Segment[];
  logStartOffset: bigint;
  /** the partition directory, for fsyncs after segment files are created, renamed or removed */
  dirFile: DurableFile;
}

/** Opens a partition directory (creating it when missing) and recovers it; see the module comment. */
export async function loadLog(opts: LoadOptions, cfg: LogConfig, log: LogFn): Promise<LoadedLog> {
  const dir = opts.dir;
  await mkdir(dir, { recursive: true });
  const metaPath = join(dir, PARTITION_METADATA);
  const meta = await readFileIfExists(metaPath);
  const wantMeta = formatPartitionMetadata(opts.topicId);
  if (meta === null || meta.toString("utf8") !== wantMeta) await writeFileAtomic(metaPath, wantMeta);

  // An interrupted compaction swap is completed (or rolled back) before segments are listed.
  await recoverInterruptedSwaps(dir, log);
  const logBases = await removeLeftovers(dir);
  const dirFile = await DurableFile.openDir(dir);
  let segs: Segment[] = [];
  for (const base of logBases) {
    const st = await stat(segmentPaths(dir, base).log);
    const seg = new Segment(dir, base, st.size); // created = load time, as in Kafka
    seg.lastModified = st.mtimeMs;
    seg.indexIntervalForRebuild = cfg["index.interval.bytes"];
    segs.push(seg);
  }

  let recovered = false;
  if (segs.length > 0) {
    if (!opts.clean) {
      const rp = opts.recoveryPoint ?? 0n;
      let from = 0;
      for (let i = 0; i < segs.length; i++) if (segs[i].baseOffset <= rp) from = i;
      segs = await recoverSegments(segs, from, cfg, log);
      recovered = true;
    } else if (!(await checkActiveTail(segs[segs.length - 1], log))) {
      segs = await recoverSegments(segs, segs.length - 1, cfg, log);
      recovered = true;
    }
  }

  // log start offset: never before the first segment
  let lso = opts.logStartOffset ?? 0n;
  if (segs.length > 0 && segs[0].baseOffset > lso) lso = segs[0].baseOffset;
  const leo = segs.length > 0 ? segs[segs.length - 1].nextOffset! : lso;
  if (lso > leo && segs.length > 0) {
    log(
      "warn",
      { logStartOffset: lso.toString(), logEndOffset: leo.toString() },
      "log start offset is beyond the log end; starting an empty log there",
    );
    await deleteSegmentFiles(segs);
    segs = [];
    recovered = true;
  }
  if (segs.length === 0) {
    const seg = newActiveSegment(dir, lso, cfg, Date.now());
    await seg.open("w+");
    await seg.persistIndexes(true);
    dirFile.markWritten();
    segs.push(seg);
  }
  await prepareActive(segs[segs.length - 1], cfg);
  // Truncations, deletions and rebuilt files must be durable before new data lands after them.
  if (recovered || dirFile.dirty) await syncAll(segs, dirFile);
  return { segments: segs, logStartOffset: lso, dirFile };
}

function segmentStem(name: string, suffix: string): bigint | null {
  if (!name.endsWith(suffix)) return null;
  const stem = name.slice(0, -suffix.length);
  return /^\d{20}$/.test(stem) ? BigInt(stem) : null;
}

/**
 * Removes what interrupted deletes, cleanings and atomic writes left (`.deleted`,
 * `.cleaned`, `.swap`, `.tmp`) and index files without their log; returns the
 * base offsets of the segments, in order.
 */
async function removeLeftovers(dir: string): Promise<bigint[]> {
  const logBases: bigint[] = [];
  const indexStems = new Set<string>();
  for (const name of await readdir(dir)) {
    if (
      name.endsWith(DELETED_SUFFIX) ||
      name.endsWith(CLEANED_SUFFIX) ||
      name.endsWith(SWAP_SUFFIX) ||
      name.endsWith(".tmp")
    ) {
      await unlinkIfExists(join(dir, name));
      continue;
    }
    const b = segmentStem(name, LOG_SUFFIX);
    if (b !== null) logBases.push(b);
    else if (segmentStem(name, INDEX_SUFFIX) !== null) indexStems.add(name.slice(0, -INDEX_SUFFIX.length));
    else if (segmentStem(name, TIME_INDEX_SUFFIX) !== null) indexStems.add(name.slice(0, -TIME_INDEX_SUFFIX.length));
  }
  logBases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const logStems = new Set(logBases.map((b) => offsetFileStem(b)));
  for (const stem of indexStems) {
    if (!logStems.has(stem)) {
      await unlinkIfExists(join(dir, stem + INDEX_SUFFIX));
      await unlinkIfExists(join(dir, stem + TIME_INDEX_SUFFIX));
    }
  }
  return logBases;
}

async function deleteSegmentFiles(segs: readonly Segment[]): Promise<void> {
  for (const s of segs) {
    await s.close();
    for (const path of [s.paths.log, s.paths.index, s.paths.timeIndex]) await unlinkIfExists(path);
  }
}

/** The active segment: open for writing, its batch ring, its first batch's timestamp and its roll jitter. */
async function prepareActive(active: Segment, cfg: LogConfig): Promise<void> {
  await active.open("r+");
  if (!active.ring) active.ring = new BatchRing(active.size > 0 ? active.rel(active.nextOffset! - 1n) : -1);
  if (active.size > 0) await active.firstBatchTimestamp();
  if (cfg["segment.jitter.ms"] > 0) active.rollJitterMs = rollJitterMs(cfg);
}

/**
 * fdatasync of every segment file and fsync of the directory, in parallel (what the partition's first flush
 * would do).
 */
async function syncAll(segs: readonly Segment[], dirFile: DurableFile): Promise<void> {
  const files: DurableFile[] = [];
  for (const s of segs) if (s.file) files.push(s.file);
  files.push(dirFile);
  await Promise.all(
    files.map(async (f) => {
      f.markWritten();
      try {
        await f.sync();
      } catch (e) {
        throw new LogError("MR_LOG_IO", `fsync of ${f.path} failed: ${(e as Error).message}`, { cause: e });
      }
    }),
  );
}

/**
 * Clean shutdown: the active segment's index is checked (rebuilt if bad) and
 * its tail walked from the last index entry to the end of the file. Returns
 * false when that walk does not end exactly at the end of the file.
 */
async function checkActiveTail(seg: Segment, log: LogFn): Promise<boolean> {
  try {
    await seg.ensureIndexes(undefined, (why) =>
      log("warn", { segment: seg.baseOffset.toString(), why }, "rebuilding index of active segment"),
    );
    // A rebuilt index came from a structural scan of the whole file, which also set nextOffset.
    if (seg.cadenceExact) return true;
    const idx = seg.index!;
    const tidx = seg.timeIndex!;
    const from = idx.entries > 0 ? idx.positionAt(idx.entries - 1) : 0;
    const c = seg.cadence;
    c.maxTs = tidx.lastTimestamp;
    c.lastOffsetOfMaxTs = tidx.entries > 0 ? seg.baseOffset + BigInt(tidx.lastRel) : -1n;
    c.baseOffsetOfMaxTs = -1n;
    let next = seg.baseOffset;
    let end = from;
    await seg.walkHeaders(from, seg.size, (pos, size, base, lastOff, maxTs) => {
      if (base < next || lastOff - seg.baseOffset > BigInt(INT32_MAX))
        throw seg.corrupt(pos, `offset ${base} out of order`);
      next = lastOff + 1n;
      if (maxTs > c.maxTs) {
        c.maxTs = maxTs;
        c.lastOffsetOfMaxTs = lastOff;
        c.baseOffsetOfMaxTs = base;
      }
      end = pos + size;
      return false;
    });
    if (end !== seg.size) return false;
    c.bytesSince = seg.size - from;
    seg.cadenceExact = true;
    seg.nextOffset = next;
    return true;
  } catch (e) {
    log(
      "warn",
      { segment: seg.baseOffset.toString(), err: (e as Error).message },
      "active segment failed its check after a clean shutdown; recovering it",
    );
    return false;
  }
}

/** CRC-validating recovery of segs[from..]; returns the segments that remain. */
async function recoverSegments(segs: Segment[], from: number, cfg: LogConfig, log: LogFn): Promise<Segment[]> {
  let minBase: bigint | undefined;
  for (let i = from; i < segs.length; i++) {
    const seg = segs[i];
    const nextBase = segs[i + 1]?.baseOffset;
    const r = await seg.scan({
      verifyCrc: true,
      indexIntervalBytes: cfg["index.interval.bytes"],
      nextBase,
      minBaseOffset: minBase,
      forWrite: true,
    });
    seg.nextOffset = r.nextOffset;
    if (r.error !== null) {
      const truncated = seg.size - r.validBytes;
      await seg.file!.handle.truncate(r.validBytes);
      seg.size = r.validBytes;
      seg.assignedSize = r.validBytes;
      const later = segs.slice(i + 1);
      log(
        "warn",
        {
          segment: seg.baseOffset.toString(),
          reason: r.error,
          validBytes: r.validBytes,
          truncatedBytes: truncated,
          nextOffset: r.nextOffset.toString(),
          deletedSegments: later.map((s) => ({ baseOffset: s.baseOffset.toString(), bytes: s.size })),
        },
        `recovery truncated ${truncated} bytes at offset ${r.nextOffset}` +
          (later.length ? ` and deleted ${later.length} later segment(s)` : ""),
      );
      await deleteSegmentFiles(later);
      segs = segs.slice(0, i + 1);
      await seg.persistIndexes(true);
      break;
    }
    if (i < segs.length - 1) seg.finalTimeIndexEntry();
    await seg.persistIndexes(true);
    if (r.batches > 0) minBase = r.nextOffset;
    log("info", { segment: seg.baseOffset.toString(), batches: r.batches, bytes: r.validBytes }, "recovered segment");
  }
  return segs;
}

// ---------------------------------------------------------------------------
// interrupted cleaner swaps (Kafka's LogLoader completes swaps before loading segments)

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

/** Completes (or, when it is invalid and the old segments are intact, rolls back) the swap of `<base>.log.swap`. */
async function completeSwap(
  dir: string,
  base: bigint,
  manifest: { base: bigint; replaced: bigint[] } | null,
  logBases: readonly bigint[],
  log: LogFn,
): Promise<void> {
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
      return;
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
    await completeSwap(dir, base, manifest, logBases, log);
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
