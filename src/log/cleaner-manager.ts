/**
 * When and what to compact, as Kafka's LogCleanerManager decides it; the
 * cleaning itself is cleaner.ts (Kafka's Cleaner).
 *
 *  - firstDirtyOffset: where the dirty section starts (the cleaner checkpoint,
 *    reset to the log start offset when it lies outside the log);
 *  - cleanableSection: which segments may be cleaned (never the active one nor
 *    one younger than min.compaction.lag.ms), the dirty ratio, and whether the
 *    log is due (ratio above min.cleanable.dirty.ratio, a dirty segment older
 *    than max.compaction.lag.ms, or forced);
 *  - LogCleanerManager: the pass over a data directory's compacted partitions,
 *    passes one at a time, partitions with corrupt data set aside (Kafka's
 *    uncleanable partitions), and cleaner-offset-checkpoint.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../fs/index.js";
import type { CompactResult } from "./cleaner.js";
import { hasCleanupPolicy, isNever } from "./config.js";
import type { LogConfig } from "./config.js";
import { LogError } from "./errors.js";
import { CLEANER_OFFSET_CHECKPOINT, formatCheckpoint } from "./files.js";
import { DEFAULT_DEDUPE_BUFFER_SIZE } from "./offset-map.js";
import type { PartitionLog } from "./partition.js";
import type { EmptiedBatch } from "./record-filter.js";
import type { Segment } from "./segment.js";
import type { Logger } from "./types.js";

// ---------------------------------------------------------------------------
// policy (Kafka's LogCleanerManager.cleanableOffsets and the dirty ratio)

export interface FirstDirty {
  offset: bigint;
  /** the checkpoint was outside the log: it becomes the log start offset */
  reset: boolean;
  /** the reset deserves a warning (not when retention simply moved the log start past it) */
  warn: boolean;
}

/** The cleaner checkpoint (null: never cleaned), checked against the log's bounds. */
export function firstDirtyOffset(checkpoint: bigint | null, lso: bigint, hw: bigint, cfg: LogConfig): FirstDirty {
  const offset = checkpoint ?? lso;
  if (offset >= lso && offset <= hw) return { offset, reset: false, warn: false };
  const warn = checkpoint !== null && !(offset < lso && hasCleanupPolicy(cfg, "delete"));
  return { offset: lso, reset: true, warn };
}

/** Indexes into the segment list, oldest first. */
export interface CleanableSection {
  /** the first segment not wholly below the log start offset (those are retention's to delete) */
  first: number;
  /** the segment holding the first dirty offset */
  dirty: number;
  /** the first segment that may not be cleaned (min.compaction.lag.ms, or the active one) */
  uncleanable: number;
  /** cleanable / (clean + cleanable) bytes */
  dirtyRatio: number;
  /** why the log is due for cleaning; null when it is not */
  due: string | null;
  /** why not, when `due` is null */
  notDue: string;
}

/**
 * The cleanable section of `segs`, whose segments before `hwIdx` are complete.
 * `onRebuild` names the segment whose index is rebuilt while timestamps are read.
 */
export async function cleanableSection(
  segs: readonly Segment[],
  hwIdx: number,
  lso: bigint,
  firstDirty: bigint,
  cfg: LogConfig,
  now: number,
  force: boolean,
  onRebuild: (seg: Segment) => (why: string) => void,
): Promise<CleanableSection> {
  let first = 0;
  while (first < hwIdx && segs[first + 1].baseOffset <= lso) first++;
  let dirty = first;
  while (dirty < hwIdx && segs[dirty + 1].baseOffset <= firstDirty) dirty++;
  const uncleanable = await firstUncleanable(segs, dirty, hwIdx, cfg["min.compaction.lag.ms"], now, onRebuild);
  let cleanBytes = 0;
  let cleanableBytes = 0;
  for (let i = first; i < dirty; i++) cleanBytes += segs[i].size;
  for (let i = dirty; i < uncleanable; i++) cleanableBytes += segs[i].size;
  const ratio = cleanBytes + cleanableBytes > 0 ? cleanableBytes / (cleanBytes + cleanableBytes) : 0;
  const overdue =
    cleanableBytes > 0 && (await compactionOverdue(segs, dirty, hwIdx, cfg["max.compaction.lag.ms"], now));
  const section = { first, dirty, uncleanable, dirtyRatio: ratio, due: null, notDue: "" };
  const minRatio = cfg["min.cleanable.dirty.ratio"];
  if (uncleanable <= first)
    return { ...section, notDue: "nothing cleanable (min.compaction.lag.ms or no old segment)" };
  if (overdue) return { ...section, due: "max.compaction.lag.ms exceeded" };
  if (ratio > minRatio) return { ...section, due: `dirty ratio ${ratio.toFixed(3)} above min.cleanable.dirty.ratio` };
  if (force) return { ...section, due: "forced" };
  return {
    ...section,
    notDue: `dirty ratio ${ratio.toFixed(3)} not above min.cleanable.dirty.ratio ${minRatio}`,
  };
}

/** min.compaction.lag.ms: the first segment from `dirty` holding a record younger than the lag (else `hwIdx`). */
async function firstUncleanable(
  segs: readonly Segment[],
  dirty: number,
  hwIdx: number,
  minLag: number,
  now: number,
  onRebuild: (seg: Segment) => (why: string) => void,
): Promise<number> {
  if (minLag <= 0) return hwIdx;
  for (let i = dirty; i < hwIdx; i++) {
    const seg = segs[i];
    await seg.ensureIndexes(segs[i + 1].baseOffset, onRebuild(seg));
    const largest = await seg.largestTimestamp();
    const ts = largest >= 0n ? Number(largest) : seg.lastModified;
    if (ts > now - minLag) return i;
  }
  return hwIdx;
}

/** max.compaction.lag.ms: a dirty segment's first batch is older than the lag. */
async function compactionOverdue(
  segs: readonly Segment[],
  dirty: number,
  hwIdx: number,
  maxLag: number,
  now: number,
): Promise<boolean> {
  if (isNever(maxLag)) return false;
  for (let i = dirty; i < hwIdx; i++) {
    const t = await segs[i].firstBatchTimestamp();
    if (t > 0n && Number(t) < now - maxLag) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// the pass over a data directory

export interface CleanerManagerContext {
  dir: string;
  logger: Logger;
  /** every partition of the data directory */
  partitions: () => PartitionLog[];
  /** the log manager is closing: stop between partitions */
  closing: () => boolean;
  /** memory bound of one partition's offset map (log.cleaner.dedupe.buffer.size) */
  dedupeBufferSize?: number;
}

export class LogCleanerManager {
  private running: Promise<CompactResult[]> | null = null;
  /** partitions whose cleaning found corrupt data: skipped until reopened (Kafka's uncleanable partitions) */
  private readonly uncleanable = new Set<PartitionLog>();
  /**
   * Producer-state seam for the cleaner (see CompactOptions.retainEmptyBatch):
   * set by whoever keeps producer state; null drops emptied batches.
   */
  retainEmptyBatch: ((p: PartitionLog, batch: EmptiedBatch) => boolean) | null = null;

  constructor(private readonly ctx: CleanerManagerContext) {}

  /** the pass in progress, if any */
  get inProgress(): Promise<CompactResult[]> | null {
    return this.running;
  }

  /** One pass; passes run one at a time (a call during a pass runs after it). */
  run(now: number, force: boolean): Promise<CompactResult[]> {
    const prev = this.running ?? Promise.resolve([]);
    const run = prev.catch(() => []).then(() => this.pass(now, force));
    this.running = run;
    void run
      .finally(() => {
        if (this.running === run) this.running = null;
      })
      .catch(() => undefined);
    return run;
  }

  private async pass(now: number, force: boolean): Promise<CompactResult[]> {
    const out: CompactResult[] = [];
    const dedupeBufferSize = this.ctx.dedupeBufferSize ?? DEFAULT_DEDUPE_BUFFER_SIZE;
    const logger = this.ctx.logger;
    for (const p of this.ctx.partitions()) {
      if (this.ctx.closing()) break;
      if (p.isClosed || p.failed || this.uncleanable.has(p) || !hasCleanupPolicy(p.config, "compact")) continue;
      const hook = this.retainEmptyBatch;
      try {
        out.push(
          await p.compact(now, { force, dedupeBufferSize, retainEmptyBatch: hook ? (b) => hook(p, b) : undefined }),
        );
      } catch (e) {
        if (p.isClosed) continue;
        if (e instanceof LogError && e.code === "MR_LOG_CORRUPT") {
          this.uncleanable.add(p);
          logger.error(
            { topic: p.topic, partition: p.partition, err: e },
            "log compaction found corrupt data; not cleaning this partition until the log is reopened",
          );
        } else {
          logger.error({ topic: p.topic, partition: p.partition, err: e }, "log compaction failed");
        }
      }
    }
    return out;
  }

  /** Writes cleaner-offset-checkpoint (atomically): every partition that has been compacted. */
  async writeCheckpoint(): Promise<void> {
    const entries: [string, number, bigint][] = [];
    for (const p of this.ctx.partitions())
      if (p.cleanerCheckpoint !== null) entries.push([p.topic, p.partition, p.cleanerCheckpoint]);
    await writeFileAtomic(join(this.ctx.dir, CLEANER_OFFSET_CHECKPOINT), formatCheckpoint(entries));
  }
}
