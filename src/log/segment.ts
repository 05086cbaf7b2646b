/**
 * One log segment: `<base>.log` with its `.index` and `.timeindex` (the index
 * formats and files: indexes.ts; the active segment's ring of recent batches:
 * batch-ring.ts).
 *
 * The segment never decodes records. It knows batch boundaries from the
 * 61-byte v2 batch headers and keeps, in memory, the offset/time index (loaded
 * lazily for old segments, checked before being trusted) and, for the active
 * segment, a ring of the most recent batch positions so reads at the tail go
 * straight to the right bytes.
 */
import {
  BASE_OFFSET,
  BATCH_LENGTH,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  RECORD_BATCH_OVERHEAD,
  batchCrcValid,
} from "../protocol/records/batch.js";
import type { LogConfig } from "./config.js";
import { LogError } from "./errors.js";
import type { LogFn } from "./types.js";
import { DELETED_SUFFIX, DurableFile, segmentPaths } from "./files.js";
import { readFully, renameIfExists, unlinkIfExists } from "../fs/index.js";
import { BatchRing } from "./batch-ring.js";
import {
  OFFSET_INDEX_ENTRY_SIZE,
  OffsetIndex,
  TIME_INDEX_ENTRY_SIZE,
  TimeIndex,
  readIndexFiles,
  writeIndexFile,
} from "./indexes.js";

export const INT32_MAX = 2147483647;
const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD; // 49
/** bytes of a header needed to know base offset, length and last offset */
const HEADER_PREFIX = LAST_OFFSET_DELTA + 4; // 27
/** bytes of a header up to and including maxTimestamp */
const HEADER_WITH_MAX_TS = MAX_TIMESTAMP + 8; // 43
const SCAN_CHUNK = 4 * 1024 * 1024;
const HEADER_WINDOW = 16 * 1024;
const EMPTY = Buffer.alloc(0);

/** Kafka's index cadence state, shared by appends, recovery and index rebuilds. */
export interface Cadence {
  bytesSince: number;
  maxTs: bigint;
  lastOffsetOfMaxTs: bigint;
  baseOffsetOfMaxTs: bigint;
}

export interface ScannedBatch {
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
}

export interface ScanResult {
  validBytes: number;
  /** next offset after the last valid batch (segment base if none) */
  nextOffset: bigint;
  batches: number;
  /** why the scan stopped before the end of the file, if it did */
  error: string | null;
  firstMaxTimestamp: bigint | null;
}

export class Segment {
  readonly paths: { log: string; index: string; timeIndex: string };
  file: DurableFile | null = null;
  private opening: Promise<DurableFile> | null = null;
  /** committed (written, readable) bytes */
  size: number;
  /** bytes assigned to writes, committed or queued */
  assignedSize: number;
  /** batches assigned but not yet committed (for the index-full check) */
  pendingBatches = 0;
  /** last offset assigned into this segment (assign time), -1 if none */
  assignedLastOffset = -1n;
  /** committed next offset; null when not known (old segments: the next segment's base offset bounds them) */
  nextOffset: bigint | null = null;
  index: OffsetIndex | null = null;
  timeIndex: TimeIndex | null = null;
  private indexLoad: Promise<void> | null = null;
  cadence: Cadence = { bytesSince: 0, maxTs: -1n, lastOffsetOfMaxTs: -1n, baseOffsetOfMaxTs: -1n };
  /** true when `cadence` reflects every batch of the segment (active and recovered segments) */
  cadenceExact = false;
  /** max timestamp of the first batch (Kafka's rollingBasedTimestamp), null until known */
  firstBatchMaxTs: bigint | null = null;
  created: number;
  rollJitterMs = 0;
  lastModified: number;
  ring: BatchRing | null = null;
  deleted = false;

  constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    size = 0,
    now = Date.now(),
  ) {
    this.paths = segmentPaths(dir, baseOffset);
    this.size = size;
    this.assignedSize = size;
    this.created = now;
    this.lastModified = now;
  }

  rel(offset: bigint): number {
    return Number(offset - this.baseOffset);
  }

  private writable = false;

  /**
   * Opens (once) the .log file: "r" read-only (old segments), "r+" read-write,
   * "w+" create/truncate (a new segment). A read-only handle is reopened when
   * write access is asked for.
   */
  open(flags: "r" | "r+" | "w+" = "r+"): Promise<DurableFile> {
    const wantWrite = flags !== "r";
    if (this.file && (!wantWrite || this.writable)) return Promise.resolve(this.file);
    if (this.opening && (!wantWrite || this.writable)) return this.opening;
    const prev = this.opening;
    this.writable = wantWrite;
    this.opening = (async () => {
      if (prev) {
        // upgrade a read-only handle (only happens while loading, before any concurrent use)
        const old = await prev.catch(() => null);
        this.file = null;
        if (old) await old.close();
      }
      const f = await DurableFile.open(this.paths.log, flags);
      if (this.deleted) {
        await f.close();
        throw new LogError("MR_LOG_OFFSET_OUT_OF_RANGE", `segment ${this.paths.log} was deleted`);
      }
      this.file = f;
      return f;
    })();
    this.opening.catch(() => {
      this.opening = null;
      this.file = null;
    });
    return this.opening;
  }

  /** Makes the in-memory indexes empty and exact (a brand-new segment). */
  initEmpty(): void {
    this.index = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    this.indexLoad = Promise.resolve();
    this.nextOffset = this.baseOffset;
    this.cadenceExact = true;
  }

  /** Feeds one batch through Kafka's index cadence (LogSegment.append / recover). */
  trackBatch(
    baseOffset: bigint,
    lastOffset: bigint,
    position: number,
    size: number,
    maxTs: bigint,
    indexIntervalBytes: number,
  ): void {
    const c = this.cadence;
    if (maxTs > c.maxTs) {
      c.maxTs = maxTs;
      c.lastOffsetOfMaxTs = lastOffset;
      c.baseOffsetOfMaxTs = baseOffset;
    }
    if (c.bytesSince > indexIntervalBytes) {
      this.index!.append(Number(lastOffset - this.baseOffset), position);
      this.timeIndex!.maybeAppend(c.maxTs, Number(c.lastOffsetOfMaxTs - this.baseOffset));
      c.bytesSince = 0;
    }
    c.bytesSince += size;
    if (this.firstBatchMaxTs === null) this.firstBatchMaxTs = maxTs;
    this.ring?.push(Number(lastOffset - this.baseOffset), position, size);
  }

  /** Kafka appends the max timestamp to the time index when a segment stops being active (roll/close). */
  finalTimeIndexEntry(): void {
    const c = this.cadence;
    if (this.timeIndex && this.cadenceExact && c.maxTs >= 0n) {
      this.timeIndex.maybeAppend(c.maxTs, Number(c.lastOffsetOfMaxTs - this.baseOffset));
    }
  }

  /** Max timestamp of the first batch (Kafka's getFirstBatchTimestamp), -1 when empty; read once from the file. */
  async firstBatchTimestamp(): Promise<bigint> {
    if (this.firstBatchMaxTs !== null) return this.firstBatchMaxTs;
    if (this.size < RECORD_BATCH_OVERHEAD) return -1n;
    const h = await readFully((await this.open("r")).handle, HEADER_WITH_MAX_TS, 0);
    if (h.length < HEADER_WITH_MAX_TS) return -1n;
    this.firstBatchMaxTs = h.readBigInt64BE(MAX_TIMESTAMP);
    return this.firstBatchMaxTs;
  }

  /** Largest timestamp in the segment (-1 if none known). Loads the time index of old segments. */
  async largestTimestamp(): Promise<bigint> {
    if (this.cadenceExact) return this.cadence.maxTs;
    await this.ensureIndexes();
    return this.cadenceExact ? this.cadence.maxTs : this.timeIndex!.lastTimestamp;
  }

  /**
   * Writes index entries not yet on disk (the whole files when `rewrite`),
   * trims the files to their entries, and fdatasyncs them.
   */
  async persistIndexes(rewrite = false): Promise<void> {
    const idx = this.index;
    const tidx = this.timeIndex;
    if (!idx || !tidx) return;
    if (rewrite) {
      idx.persisted = 0;
      tidx.persisted = 0;
    }
    await writeIndexFile(
      this.paths.index,
      idx.encode(idx.persisted),
      idx.persisted * OFFSET_INDEX_ENTRY_SIZE,
      idx.persisted === 0,
    );
    idx.persisted = idx.entries;
    await writeIndexFile(
      this.paths.timeIndex,
      tidx.encode(tidx.persisted),
      tidx.persisted * TIME_INDEX_ENTRY_SIZE,
      tidx.persisted === 0,
    );
    tidx.persisted = tidx.entries;
  }

  /**
   * Writes the whole in-memory indexes to the index paths + `suffix`, each
   * fdatasync'd (a cleaned segment's indexes, written before its swap).
   */
  async writeIndexesAs(suffix: string): Promise<void> {
    const idx = this.index;
    const tidx = this.timeIndex;
    if (!idx || !tidx) throw new LogError("MR_LOG_CORRUPT", `segment ${this.paths.log} has no indexes to write`);
    await writeIndexFile(this.paths.index + suffix, idx.encode(0), 0, true);
    idx.persisted = idx.entries;
    await writeIndexFile(this.paths.timeIndex + suffix, tidx.encode(0), 0, true);
    tidx.persisted = tidx.entries;
  }

  /**
   * Loads and checks the index files of an old segment (once). An index that
   * fails a check, or is missing, is rebuilt from the log's batch headers.
   * `nextBase` bounds the segment's offsets.
   */
  ensureIndexes(nextBase?: bigint, onRebuild?: (why: string) => void): Promise<void> {
    if (!this.indexLoad) {
      this.indexLoad = this.loadIndexes(nextBase, onRebuild).catch((e) => {
        this.indexLoad = null;
        throw e;
      });
    }
    return this.indexLoad;
  }

  private async loadIndexes(nextBase: bigint | undefined, onRebuild?: (why: string) => void): Promise<void> {
    const maxRel = nextBase !== undefined ? Math.min(INT32_MAX, Number(nextBase - this.baseOffset - 1n)) : INT32_MAX;
    const files = await readIndexFiles(this.paths.index, this.paths.timeIndex, this.size, maxRel);
    let why: string | null = "why" in files ? files.why : null;
    const index = "why" in files ? null : files.index;
    const timeIndex = "why" in files ? null : files.timeIndex;
    // The last entry must point at the start of a batch whose last offset is the entry's offset.
    if (index && index.entries > 0) {
      const i = index.entries - 1;
      const fh = await this.open("r");
      const h = await readFully(fh.handle, HEADER_PREFIX, index.positionAt(i));
      if (
        h.length < HEADER_PREFIX ||
        h.readInt8(MAGIC) !== 2 ||
        h.readBigInt64BE(BASE_OFFSET) + BigInt(h.readInt32BE(LAST_OFFSET_DELTA)) !==
          this.baseOffset + BigInt(index.relAt(i))
      ) {
        why = `offset index: last entry does not point at its batch`;
      }
    }
    if (why !== null) {
      onRebuild?.(why);
      this.index = new OffsetIndex();
      this.timeIndex = new TimeIndex();
      this.cadence = { bytesSince: 0, maxTs: -1n, lastOffsetOfMaxTs: -1n, baseOffsetOfMaxTs: -1n };
      const r = await this.scan({ verifyCrc: false, indexIntervalBytes: this.indexIntervalForRebuild, nextBase });
      if (r.error !== null) {
        throw new LogError(
          "MR_LOG_CORRUPT",
          `segment ${this.paths.log} is corrupt at byte ${r.validBytes}: ${r.error}`,
        );
      }
      this.finalTimeIndexEntry();
      await this.persistIndexes(true);
      return;
    }
    this.index = index!;
    this.timeIndex = timeIndex!;
  }

  /** index.interval.bytes to use when an old segment's index has to be rebuilt */
  indexIntervalForRebuild = 4096;

  /**
   * Reads every batch from byte 0, validating structure (and CRC32C when
   * `verifyCrc`) and monotonic offsets; rebuilds the in-memory indexes and
   * cadence as it goes. Stops at the first invalid or torn batch.
   */
  async scan(opts: {
    verifyCrc: boolean;
    indexIntervalBytes: number;
    nextBase?: bigint;
    minBaseOffset?: bigint;
    forWrite?: boolean;
  }): Promise<ScanResult> {
    // forWrite (recovery, which may truncate) is only used while loading, before any reader holds the handle
    const fh = (await this.open(opts.forWrite ? "r+" : "r")).handle;
    const { size: fileSize } = await fh.stat();
    this.index = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    this.cadence = { bytesSince: 0, maxTs: -1n, lastOffsetOfMaxTs: -1n, baseOffsetOfMaxTs: -1n };
    this.firstBatchMaxTs = null;
    const saveRing = this.ring;
    this.ring = null;
    let expectNext =
      opts.minBaseOffset !== undefined && opts.minBaseOffset > this.baseOffset ? opts.minBaseOffset : this.baseOffset;
    let pos = 0;
    let batches = 0;
    let error: string | null = null;
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = 0;
    let firstMaxTimestamp: bigint | null = null;
    try {
      while (pos < fileSize) {
        const remaining = fileSize - pos;
        if (remaining < LOG_OVERHEAD) {
          error = `${remaining} trailing bytes, too short for a batch`;
          break;
        }
        if (pos + RECORD_BATCH_OVERHEAD > chunkStart + chunk.length) {
          chunkStart = pos;
          chunk = await readFully(fh, Math.min(SCAN_CHUNK, remaining), pos);
        }
        let off = pos - chunkStart;
        if (chunk.length - off < RECORD_BATCH_OVERHEAD) {
          error = `torn batch header (${chunk.length - off} bytes)`;
          break;
        }
        const batchLength = chunk.readInt32BE(off + BATCH_LENGTH);
        const size = batchLength + LOG_OVERHEAD;
        if (batchLength < MIN_BATCH_LENGTH) {
          error = `batch length ${batchLength} below the minimum`;
          break;
        }
        if (size > remaining) {
          error = `torn batch: length ${size} but ${remaining} bytes remain`;
          break;
        }
        const magic = chunk.readInt8(off + MAGIC);
        if (magic !== 2) {
          error = `magic ${magic}`;
          break;
        }
        if (off + size > chunk.length) {
          chunkStart = pos;
          chunk = await readFully(fh, Math.max(size, Math.min(SCAN_CHUNK, remaining)), pos);
          off = 0;
          if (chunk.length < size) {
            error = `short read of batch`;
            break;
          }
        }
        if (opts.verifyCrc && !batchCrcValid(chunk, off, size)) {
          error = `CRC32C mismatch`;
          break;
        }
        const baseOffset = chunk.readBigInt64BE(off + BASE_OFFSET);
        const delta = chunk.readInt32BE(off + LAST_OFFSET_DELTA);
        const lastOffset = baseOffset + BigInt(delta);
        if (delta < 0 || baseOffset < expectNext) {
          error = `offset ${baseOffset} (last ${lastOffset}) where at least ${expectNext} was expected`;
          break;
        }
        if (
          lastOffset - this.baseOffset > BigInt(INT32_MAX) ||
          (opts.nextBase !== undefined && lastOffset >= opts.nextBase)
        ) {
          error = `offset ${lastOffset} outside the segment`;
          break;
        }
        const maxTs = chunk.readBigInt64BE(off + MAX_TIMESTAMP);
        if (firstMaxTimestamp === null) firstMaxTimestamp = maxTs;
        this.trackBatch(baseOffset, lastOffset, pos, size, maxTs, opts.indexIntervalBytes);
        expectNext = lastOffset + 1n;
        pos += size;
        batches++;
      }
    } finally {
      this.ring = saveRing;
    }
    this.cadenceExact = true;
    this.indexLoad = Promise.resolve();
    this.nextOffset = batches > 0 ? expectNext : this.baseOffset;
    return {
      validBytes: pos,
      nextOffset: batches > 0 ? expectNext : this.baseOffset,
      batches,
      error,
      firstMaxTimestamp,
    };
  }

  /**
   * Walks batch headers from `from` to `limit`, calling `visit` for each until it
   * returns true. Structural checks only (length bounds, magic).
   */
  async walkHeaders(
    from: number,
    limit: number,
    visit: (pos: number, size: number, baseOffset: bigint, lastOffset: bigint, maxTs: bigint) => boolean,
  ): Promise<void> {
    const fh = (await this.open("r")).handle;
    let win: Buffer = Buffer.alloc(0);
    let winStart = from;
    let pos = from;
    while (pos < limit) {
      let off = pos - winStart;
      if (off < 0 || off + HEADER_WITH_MAX_TS > win.length) {
        winStart = pos;
        win = await readFully(fh, Math.min(HEADER_WINDOW, limit - pos), pos);
        off = 0;
        if (win.length < HEADER_WITH_MAX_TS) throw this.corrupt(pos, `truncated batch header`);
      }
      const batchLength = win.readInt32BE(off + BATCH_LENGTH);
      const size = batchLength + LOG_OVERHEAD;
      if (batchLength < MIN_BATCH_LENGTH || pos + size > limit || win.readInt8(off + MAGIC) !== 2) {
        throw this.corrupt(pos, `invalid batch header (length ${batchLength})`);
      }
      const base = win.readBigInt64BE(off + BASE_OFFSET);
      const last = base + BigInt(win.readInt32BE(off + LAST_OFFSET_DELTA));
      if (visit(pos, size, base, last, win.readBigInt64BE(off + MAX_TIMESTAMP))) return;
      pos += size;
    }
  }

  corrupt(pos: number, why: string): LogError {
    return new LogError("MR_LOG_CORRUPT", `segment ${this.paths.log} at byte ${pos}: ${why}`);
  }

  /**
   * Whole batches starting at the batch holding `target`, within the first
   * `limit` bytes of the file, up to `maxBytes` (at least one batch when
   * `minOne`). Returns null when no batch below `limit` holds `target` or a
   * later offset, and an empty buffer when the first batch is larger than
   * maxBytes and !minOne.
   */
  async read(
    target: bigint,
    maxBytes: number,
    minOne: boolean,
    limit: number,
    indexIntervalBytes: number,
    nextBase?: bigint,
  ): Promise<Buffer | null> {
    if (limit <= 0) return null;
    const rel = target <= this.baseOffset ? 0 : this.rel(target);
    if (this.ring) {
      const r = this.ring.range(rel, limit, maxBytes, minOne);
      if (r === null) return null;
      if (r !== undefined) {
        if (r.end === r.start) return EMPTY;
        const fh = (await this.open()).handle;
        const buf = await readFully(fh, r.end - r.start, r.start);
        if (buf.length !== r.end - r.start) throw this.corrupt(r.start, `short read`);
        return buf;
      }
    }
    await this.ensureIndexes(nextBase);
    const fh = (await this.open("r")).handle;
    const index = this.index!;
    let k = index.floor(rel);
    while (k >= 0 && index.positionAt(k) >= limit) k--; // entries committed after the caller's snapshot
    const pos = k < 0 ? 0 : index.positionAt(k);
    const want = Math.max(maxBytes, 0) + indexIntervalBytes + 4096;
    let winStart = pos;
    let win: Buffer = await readFully(fh, Math.min(limit - pos, want), pos);
    let i = 0;
    // 1. find the first batch whose last offset >= target
    for (;;) {
      if (winStart + i >= limit) return null;
      if (i + HEADER_PREFIX > win.length) {
        winStart += i;
        i = 0;
        win = await readFully(fh, Math.min(limit - winStart, Math.max(want, HEADER_WINDOW)), winStart);
        if (win.length < HEADER_PREFIX) throw this.corrupt(winStart, `truncated batch header`);
      }
      const batchLength = win.readInt32BE(i + BATCH_LENGTH);
      const size = batchLength + LOG_OVERHEAD;
      if (batchLength < MIN_BATCH_LENGTH || winStart + i + size > limit || win.readInt8(i + MAGIC) !== 2) {
        throw this.corrupt(winStart + i, `invalid batch header (length ${batchLength})`);
      }
      const last = win.readBigInt64BE(i + BASE_OFFSET) + BigInt(win.readInt32BE(i + LAST_OFFSET_DELTA));
      if (last >= target) break;
      i += size;
    }
    const start = winStart + i;
    const available = limit - start;
    // 2. whole batches up to maxBytes, from the window when it holds them
    const fromWindow = wholeBatches(win, i, Math.min(maxBytes, available), minOne);
    if (fromWindow.complete) {
      return fromWindow.length === 0 ? EMPTY : win.subarray(i, i + fromWindow.length);
    }
    // the window ended first: read exactly what can be returned
    let firstSize: number;
    if (win.length - i >= LOG_OVERHEAD) firstSize = win.readInt32BE(i + BATCH_LENGTH) + LOG_OVERHEAD;
    else {
      const h = await readFully(fh, LOG_OVERHEAD, start);
      if (h.length < LOG_OVERHEAD) throw this.corrupt(start, `truncated batch header`);
      firstSize = h.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
    }
    let len = Math.min(maxBytes, available);
    if (minOne && firstSize > len) len = firstSize;
    if (len <= 0) return EMPTY;
    const buf = await readFully(fh, len, start);
    if (buf.length !== len) throw this.corrupt(start, `short read`);
    const r = wholeBatches(buf, 0, len, minOne);
    if (!r.complete || r.length === 0) {
      if (r.length === 0 && !minOne) return EMPTY;
      throw this.corrupt(start, `batch boundaries do not add up`);
    }
    return buf.subarray(0, r.length);
  }

  /** Renames the segment's files to *.deleted (Kafka's asynchronous delete, step 1). */
  async markDeleted(): Promise<void> {
    this.deleted = true;
    for (const p of [this.paths.log, this.paths.index, this.paths.timeIndex])
      await renameIfExists(p, p + DELETED_SUFFIX);
  }

  /** Closes the file (after pending reads/syncs) and removes the *.deleted files (step 2). */
  async destroy(): Promise<void> {
    await this.close();
    for (const p of [this.paths.log, this.paths.index, this.paths.timeIndex]) await unlinkIfExists(p + DELETED_SUFFIX);
  }

  async close(): Promise<void> {
    const f = this.file ?? (this.opening ? await this.opening.catch(() => null) : null);
    this.file = null;
    this.opening = null;
    if (f) await f.close();
  }
}

/** The warning a partition logs when a segment's index has to be rebuilt. */
export function onIndexRebuild(log: LogFn, seg: Segment): (why: string) => void {
  return (why) => log("warn", { segment: seg.baseOffset.toString(), why }, "rebuilding index");
}

/** A random roll delay below segment.jitter.ms (and segment.ms), Kafka's LogConfig.randomSegmentJitter. */
export function rollJitterMs(cfg: LogConfig): number {
  const jitter = cfg["segment.jitter.ms"];
  return jitter > 0 ? Math.floor(Math.random() * Math.min(jitter, cfg["segment.ms"])) : 0;
}

/** A brand-new segment for appends at `base`: empty exact indexes, a batch ring, its roll jitter. */
export function newActiveSegment(dir: string, base: bigint, cfg: LogConfig, now: number): Segment {
  const seg = new Segment(dir, base, 0, now);
  seg.initEmpty();
  seg.ring = new BatchRing();
  seg.indexIntervalForRebuild = cfg["index.interval.bytes"];
  if (cfg["segment.jitter.ms"] > 0) seg.rollJitterMs = rollJitterMs(cfg);
  return seg;
}

/**
 * Sums whole batches in buf from `from`, up to `maxBytes` (at least one batch
 * when minOne). `complete` is false when the buffer ends before the answer is known.
 */
function wholeBatches(
  buf: Buffer,
  from: number,
  maxBytes: number,
  minOne: boolean,
): { length: number; complete: boolean } {
  let len = 0;
  let i = from;
  for (;;) {
    if (len >= maxBytes && !(len === 0 && minOne)) return { length: len, complete: true };
    if (i + LOG_OVERHEAD > buf.length) return { length: len, complete: i === buf.length && len === maxBytes };
    const size = buf.readInt32BE(i + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < RECORD_BATCH_OVERHEAD) return { length: len, complete: false };
    if (len + size > maxBytes) {
      if (len === 0 && minOne) {
        if (i + size > buf.length) return { length: 0, complete: false };
        return { length: size, complete: true };
      }
      return { length: len, complete: true };
    }
    if (i + size > buf.length) return { length: len, complete: false };
    len += size;
    i += size;
  }
}
