/**
 * One partition's log: an ordered list of segments, the append path (offsets
 * assigned synchronously, bytes written in call order through a per-partition
 * queue, group-committed fdatasync for sync appends), reads by offset and by
 * timestamp, retention, and the partition's side of compaction (when:
 * cleaner-manager.ts; how: cleaner.ts; the swap of cleaned segments into the
 * list happens here, in the write queue). Loading and crash recovery: loader.ts.
 */
import { EventEmitter } from "node:events";
import { RECORD_BATCH_OVERHEAD, setBaseOffset, setLogAppendTime } from "../protocol/records/batch.js";
import type { ScannedBatch } from "../protocol/records/batch.js";
import { hasCleanupPolicy, isNever } from "./config.js";
import type { LogConfig } from "./config.js";
import { LogError } from "./errors.js";
import type { DurableFile } from "./files.js";
import { writevFully } from "../fs/index.js";
import {
  SimulatedCrashError,
  cleanSegments,
  discardCleaned,
  discardSwapIndexes,
  removeSwapManifest,
  renameCleanedToSwap,
  renameSwapToFinal,
  writeSwapManifest,
} from "./cleaner.js";
import type { CleaningTarget, CompactOptions, CompactResult } from "./cleaner.js";
import { cleanableSection, firstDirtyOffset } from "./cleaner-manager.js";
import { validateCompactedBatches, emptyStats } from "./record-filter.js";
import type { Flusher, FlushTarget } from "./flusher.js";
import { loadLog } from "./loader.js";
import { deletableSegments } from "./retention.js";
import { ReadGenerations, maxTimestampOffset, offsetForTimestamp, readBatches } from "./reads.js";
import type { ReadOptions, ReadResult, ReadView, TimestampOffset } from "./reads.js";
import type { LoadOptions } from "./loader.js";
import { INT32_MAX, type Segment, newActiveSegment, onIndexRebuild } from "./segment.js";
import type { LogFn, Logger } from "./types.js";
import { OFFSET_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE } from "./indexes.js";

export interface AppendOptions {
  /** resolve only after an fdatasync covering this write (acks=all) */
  sync: boolean;
  /** wall clock in ms (LogAppendTime, segment.ms); Date.now() by default */
  now?: number;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** the time written into the batches for LogAppendTime topics, else -1n */
  logAppendTime: bigint;
  logStartOffset: bigint;
}

/** What a partition needs from its manager. */
export interface PartitionContext {
  flusher: Flusher;
  logger: Logger;
  /** the topic's resolved config (read on every use, so config changes apply) */
  config: () => LogConfig;
  /** the log start offset moved (DeleteRecords or retention); the manager persists the checkpoint */
  onLogStartOffsetChanged?: (p: PartitionLog) => Promise<void>;
  /** cleanerCheckpoint moved (a compaction finished); the manager persists cleaner-offset-checkpoint */
  onCleanerCheckpointChanged?: (p: PartitionLog) => Promise<void>;
  /** runs `destroy` after file.delete.delay.ms (the manager tracks it so close() can finish it) */
  scheduleDelete: (delayMs: number, destroy: () => Promise<void>) => void;
}

interface WriteOp {
  kind: "write";
  seg: Segment;
  position: number;
  buf: Buffer;
  batches: ScannedBatch[];
  baseOffset: bigint;
  lastOffset: bigint;
  logAppendTime: bigint;
  sync: boolean;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface RollOp {
  kind: "roll";
  old: Segment;
  seg: Segment;
}

interface TaskOp {
  kind: "task";
  run: () => Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

type Op = WriteOp | RollOp | TaskOp;

/** Most writes gathered into one writev. */
const MAX_GATHER_OPS = 512;
const MAX_GATHER_BYTES = 32 * 1024 * 1024;

/**
 * Kafka's analyzeAndValidateRecords, for batches already validated one by one
 * (size, magic, CRC32C): they must tile `buf` in order, fit max.message.bytes,
 * and, on a compacted topic, carry a key on every record. Returns the record
 * count and the largest max timestamp; throws LogError or RecordsError.
 */
function analyzeAndValidateBatches(
  buf: Buffer,
  batches: readonly ScannedBatch[],
  cfg: LogConfig,
  topic: string,
  partition: number,
): { count: number; maxTs: bigint } {
  const maxMessageBytes = cfg["max.message.bytes"];
  let p = 0;
  let count = 0;
  let maxTs = -1n;
  for (const b of batches) {
    if (b.position !== p || b.size < RECORD_BATCH_OVERHEAD || b.lastOffsetDelta < 0) {
      throw new LogError("MR_LOG_INVALID_APPEND", `batch at ${b.position} does not follow the previous one at ${p}`);
    }
    if (b.size > maxMessageBytes) {
      throw new LogError(
        "MR_LOG_RECORD_TOO_LARGE",
        `record batch of ${b.size} bytes exceeds max.message.bytes=${maxMessageBytes} of ${topic}`,
      );
    }
    if (b.maxTimestamp > maxTs) maxTs = b.maxTimestamp;
    p += b.size;
    count += b.lastOffsetDelta + 1;
  }
  if (batches.length === 0 || p !== buf.length) {
    throw new LogError("MR_LOG_INVALID_APPEND", `batches cover ${p} of ${buf.length} bytes`);
  }
  if (hasCleanupPolicy(cfg, "compact")) validateCompactedBatches(buf, batches, `${topic}-${partition}`);
  return { count, maxTs };
}

export class PartitionLog extends EventEmitter implements FlushTarget {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly topicId: Buffer;
  /** oldest first; replaced (never mutated) when segments are added or removed */
  private segs: Segment[] = [];
  private lso = 0n;
  /** next offset to assign (assignment is synchronous, at append call time) */
  private assignNext = 0n;
  /** end of the data written: offsets below it are readable */
  private hw = 0n;
  /** the segment and byte position where written data ends */
  private hwSeg!: Segment;
  private hwPos = 0;
  private totalSize = 0;
  /** offsets below this are on disk (fdatasync'd) */
  recoveryPoint = 0n;
  private lastFlushTime = Date.now();
  private queue: Op[] = [];
  private pumping = false;
  private dirtyFiles = new Set<DurableFile>();
  private dirFile: DurableFile | null = null;
  private failure: LogError | null = null;
  private closedError: LogError | null = null;
  private closing: Promise<void> | null = null;
  private readonly ctx: PartitionContext;
  /**
   * Kafka's cleaner checkpoint: offsets below it were cleaned by the last
   * compaction (the dirty section starts here); null when never cleaned.
   */
  cleanerCheckpoint: bigint | null = null;
  private compacting: Promise<CompactResult> | null = null;
  /** reads in flight, by the generation of the segment list they started in */
  private readonly reads = new ReadGenerations();
  /** segments removed from the log whose files stay open until reads that may use them are done */
  private retired = new Set<Segment>();

  private constructor(opts: LoadOptions, ctx: PartitionContext) {
    super();
    this.setMaxListeners(0);
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.dir = opts.dir;
    this.topicId = opts.topicId;
    this.ctx = ctx;
    this.cleanerCheckpoint = opts.cleanerCheckpoint ?? null;
  }

  get config(): LogConfig {
    return this.ctx.config();
  }

  get logStartOffset(): bigint {
    return this.lso;
  }

  /** single node: the end of the data written */
  get logEndOffset(): bigint {
    return this.hw;
  }

  get highWatermark(): bigint {
    return this.hw;
  }

  /** the offset the next append will get (appends still being written are below it) */
  get nextOffset(): bigint {
    return this.assignNext;
  }

  /** Bytes of written data on disk, over all segments. */
  size(): number {
    return this.totalSize;
  }

  /** The segments, oldest first (for tools and tests). */
  segments(): { baseOffset: bigint; size: number; path: string }[] {
    return this.segs.map((s) => ({ baseOffset: s.baseOffset, size: s.size, path: s.paths.log }));
  }

  /** Set when a write or fsync failed: the partition refuses appends until reopened. */
  get failed(): LogError | null {
    return this.failure;
  }

  private active(): Segment {
    return this.segs[this.segs.length - 1];
  }

  private log(level: "info" | "warn" | "error", obj: object, msg: string): void {
    this.ctx.logger[level]({ topic: this.topic, partition: this.partition, ...obj }, msg);
  }

  /** `log` for the partition's parts (loader, cleaner, policy) */
  private readonly logFn: LogFn = (level, obj, msg) => this.log(level, obj, msg);

  // -------------------------------------------------------------------------
  // append

  /**
   * Appends validated v2 batches. Offsets are assigned now, in call order, and
   * written into the batches (and LogAppendTime when configured); the bytes are
   * then written as one write. See AppendOptions for when it resolves.
   */
  append(buf: Buffer, batches: ScannedBatch[], opts: AppendOptions): Promise<AppendResult> {
    const refused = this.closedError ?? this.failure;
    if (refused) return Promise.reject(refused);
    const cfg = this.config;
    let analyzed: { count: number; maxTs: bigint };
    try {
      analyzed = analyzeAndValidateBatches(buf, batches, cfg, this.topic, this.partition);
    } catch (e) {
      return Promise.reject(e);
    }
    const { count } = analyzed;
    let maxTs = analyzed.maxTs;
    const now = opts.now ?? Date.now();
    const logAppendTime = cfg["message.timestamp.type"] === "LogAppendTime" ? BigInt(now) : -1n;
    if (logAppendTime >= 0n) maxTs = logAppendTime;
    const baseOffset = this.assignNext;
    const lastOffset = baseOffset + BigInt(count) - 1n;

    let seg = this.active();
    if (this.shouldRoll(seg, cfg, buf.length, batches.length, lastOffset, maxTs, now)) seg = this.roll(cfg, now);

    let next = baseOffset;
    for (const b of batches) {
      setBaseOffset(buf, b.position, next);
      if (logAppendTime >= 0n) setLogAppendTime(buf, b.position, b.size, logAppendTime);
      next += BigInt(b.lastOffsetDelta + 1);
    }
    this.assignNext = next;
    if (seg.assignedSize === 0 && seg.firstBatchMaxTs === null) {
      seg.firstBatchMaxTs = logAppendTime >= 0n ? logAppendTime : batches[0].maxTimestamp;
    }
    const position = seg.assignedSize;
    seg.assignedSize += buf.length;
    seg.pendingBatches += batches.length;
    seg.assignedLastOffset = lastOffset;

    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({
        kind: "write",
        seg,
        position,
        buf,
        batches,
        baseOffset,
        lastOffset,
        logAppendTime,
        sync: opts.sync,
        resolve,
        reject,
      });
      void this.pump();
    });
  }

  /** Kafka's LogSegment.shouldRoll, evaluated on assigned (not yet written) state. */
  private shouldRoll(
    seg: Segment,
    cfg: LogConfig,
    bytes: number,
    nBatches: number,
    lastOffset: bigint,
    maxTs: bigint,
    now: number,
  ): boolean {
    if (seg.assignedSize === 0) return false;
    if (seg.assignedSize + bytes > cfg["segment.bytes"]) return true;
    const first = seg.firstBatchMaxTs;
    const waited = first !== null && first >= 0n ? Number(maxTs - first) : now - seg.created;
    if (waited > cfg["segment.ms"] - seg.rollJitterMs) return true;
    const pending = seg.pendingBatches + nBatches;
    if (seg.index!.entries + pending >= Math.floor(cfg["segment.index.bytes"] / OFFSET_INDEX_ENTRY_SIZE)) return true;
    if (seg.timeIndex!.entries + pending >= Math.floor(cfg["segment.index.bytes"] / TIME_INDEX_ENTRY_SIZE)) return true;
    return lastOffset - seg.baseOffset > BigInt(INT32_MAX);
  }

  /** Starts a new active segment at the next offset; its files are created in write order. */
  private roll(cfg: LogConfig, now: number): Segment {
    const old = this.active();
    const seg = newActiveSegment(this.dir, this.assignNext, cfg, now);
    this.segs = [...this.segs, seg];
    this.queue.push({ kind: "roll", old, seg });
    return seg;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const op = this.queue[0];
        if (op.kind === "write") {
          let n = 1;
          let bytes = op.buf.length;
          while (n < this.queue.length && n < MAX_GATHER_OPS && bytes < MAX_GATHER_BYTES) {
            const o = this.queue[n];
            if (o.kind !== "write" || o.seg !== op.seg) break;
            bytes += o.buf.length;
            n++;
          }
          const ops = this.queue.splice(0, n) as WriteOp[];
          try {
            const f = await op.seg.open();
            await writevFully(
              f.handle,
              ops.map((o) => o.buf),
              op.position,
            );
            f.markWritten();
            this.dirtyFiles.add(f);
          } catch (e) {
            this.fail(e, "write", ops);
            continue;
          }
          this.commit(ops);
        } else if (op.kind === "roll") {
          this.queue.shift();
          try {
            await this.finishRoll(op);
          } catch (e) {
            this.fail(e, "roll", []);
          }
        } else {
          this.queue.shift();
          try {
            await op.run();
            op.resolve();
          } catch (e) {
            op.reject(e);
          }
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Data of `ops` is written: index it, make it readable, acknowledge it. */
  private commit(ops: WriteOp[]): void {
    const seg = ops[0].seg;
    const cfg = this.config;
    const interval = cfg["index.interval.bytes"];
    for (const op of ops) {
      let base = op.baseOffset;
      for (const b of op.batches) {
        const last = base + BigInt(b.lastOffsetDelta);
        seg.trackBatch(
          base,
          last,
          op.position + b.position,
          b.size,
          op.logAppendTime >= 0n ? op.logAppendTime : b.maxTimestamp,
          interval,
        );
        base = last + 1n;
      }
      seg.size += op.buf.length;
      seg.pendingBatches -= op.batches.length;
      seg.nextOffset = op.lastOffset + 1n;
      this.totalSize += op.buf.length;
    }
    const lastOp = ops[ops.length - 1];
    this.hw = lastOp.lastOffset + 1n;
    this.hwSeg = seg;
    this.hwPos = seg.size;
    seg.lastModified = Date.now();

    const flushMessages = cfg["flush.messages"];
    const forceFlush = !isNever(flushMessages) && Number(this.hw - this.recoveryPoint) >= flushMessages;
    const waiting: WriteOp[] = [];
    for (const op of ops) {
      if (op.sync || forceFlush) waiting.push(op);
      else op.resolve(this.result(op));
    }
    if (waiting.length > 0) {
      this.ctx.flusher.request(this).then(
        () => {
          for (const op of waiting) op.resolve(this.result(op));
        },
        (e) => {
          const err =
            e instanceof LogError
              ? e
              : new LogError("MR_LOG_IO", `fsync failed for ${this.topic}-${this.partition}`, { cause: e });
          for (const op of waiting) op.reject(err);
        },
      );
    }
    try {
      this.emit("append", this.hw);
    } catch (e) {
      this.log("error", { err: e }, "an 'append' listener threw");
    }
  }

  private result(op: WriteOp): AppendResult {
    return {
      baseOffset: op.baseOffset,
      lastOffset: op.lastOffset,
      logAppendTime: op.logAppendTime,
      logStartOffset: this.lso,
    };
  }

  /** The old segment stops being active: final time index entry, index files durable; new files created. */
  private async finishRoll(op: RollOp): Promise<void> {
    const { old, seg } = op;
    old.finalTimeIndexEntry();
    old.ring = null;
    await old.persistIndexes();
    const f = await seg.open("w+");
    await seg.persistIndexes(true);
    this.dirtyFiles.add(f);
    if (this.dirFile) {
      this.dirFile.markWritten();
      this.dirtyFiles.add(this.dirFile);
    }
    this.log(
      "info",
      { segment: seg.baseOffset.toString(), previous: old.baseOffset.toString(), previousSize: old.size },
      "rolled new log segment",
    );
    // Kafka flushes the previous segment in the background on roll.
    this.ctx.flusher.requestAsync(this);
  }

  private fail(e: unknown, what: string, ops: WriteOp[]): void {
    const err = new LogError(
      "MR_LOG_IO",
      `${what} failed for ${this.topic}-${this.partition}: ${(e as Error)?.message ?? e}`,
      { cause: e },
    );
    if (!this.failure && !this.closedError) {
      this.failure = err;
      this.log("error", { err: e, what }, "log write failed; partition is offline until the log is reopened");
    }
    const refuse = this.closedError ?? err;
    for (const op of ops) op.reject(refuse);
    const rest = this.queue;
    this.queue = [];
    for (const o of rest) {
      if (o.kind === "write" || o.kind === "task") o.reject(refuse);
    }
  }

  /** FlushTarget: fdatasync every dirty file; the recovery point advances to what was written before. */
  async flushOnce(): Promise<number> {
    const end = this.hw;
    const files = [...this.dirtyFiles];
    this.dirtyFiles.clear();
    let n = 0;
    await Promise.all(
      files.map(async (f) => {
        try {
          if (await f.sync()) n++;
        } catch (e) {
          if (f.closed) return; // segment deleted or partition closed meanwhile
          const err = new LogError("MR_LOG_IO", `fsync of ${f.path} failed: ${(e as Error).message}`, { cause: e });
          if (!this.failure) {
            this.failure = err;
            this.log("error", { err: e, file: f.path }, "fsync failed; partition is offline until the log is reopened");
          }
          throw err;
        }
      }),
    );
    if (end > this.recoveryPoint) this.recoveryPoint = end;
    this.lastFlushTime = Date.now();
    return n;
  }

  /** Waits for an fdatasync covering everything written so far. */
  async flush(): Promise<void> {
    await this.barrier();
    await this.ctx.flusher.request(this);
  }

  /** flush.ms: called periodically by the manager. */
  maybeTimedFlush(now: number): void {
    const ms = this.config["flush.ms"];
    if (isNever(ms) || this.hw <= this.recoveryPoint || this.closedError || this.failure) return;
    if (now - this.lastFlushTime >= ms) this.ctx.flusher.requestAsync(this);
  }

  /** Runs `fn` after every write queued before it, and before any queued after. */
  private enqueueTask(run: () => Promise<void>): Promise<void> {
    const refused = this.failure;
    if (refused) return Promise.reject(refused);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: "task", run, resolve, reject });
      void this.pump();
    });
  }

  private barrier(): Promise<void> {
    return this.enqueueTask(async () => {});
  }

  // -------------------------------------------------------------------------
  // reads

  /** What a read starting now sees. */
  private view(): ReadView {
    return { segs: this.segs, lso: this.lso, hw: this.hw, hwSeg: this.hwSeg, hwPos: this.hwPos };
  }

  private checkReadable(): void {
    if (this.closedError) throw this.closedError;
  }

  /**
   * Segments just removed from the list: their files are closed and removed
   * after file.delete.delay.ms and once no read that could still use them is
   * in flight (they were renamed to *.deleted already).
   */
  private retire(segs: Segment[], delayMs: number): void {
    const drained = this.reads.drained();
    for (const seg of segs) {
      this.retired.add(seg);
      this.ctx.scheduleDelete(delayMs, async () => {
        await drained;
        this.retired.delete(seg);
        await seg.destroy();
      });
    }
  }

  private outOfRange(offset: bigint, lso: bigint, hw: bigint): LogError {
    return new LogError(
      "MR_LOG_OFFSET_OUT_OF_RANGE",
      `offset ${offset} is out of range for ${this.topic}-${this.partition}: log start ${lso}, high watermark ${hw}`,
    );
  }

  /**
   * Whole batches from the one holding `offset`, up to maxBytes (at least one
   * batch unless minOneBatch is false), never beyond the high watermark.
   */
  async read(offset: bigint, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    this.checkReadable();
    const gen = this.reads.begin();
    try {
      return await readBatches(this.view(), offset, maxBytes, opts, this.config["index.interval.bytes"], (o, l, h) =>
        this.outOfRange(o, l, h),
      );
    } finally {
      this.reads.end(gen);
    }
  }

  /**
   * The first batch whose max timestamp is >= ts: its base offset (not before
   * the log start offset) and its max timestamp. Batch granularity: the log
   * does not decode records; the broker may refine within the batch.
   */
  async offsetForTimestamp(ts: bigint): Promise<TimestampOffset | null> {
    this.checkReadable();
    const gen = this.reads.begin();
    try {
      return await offsetForTimestamp(this.view(), ts, this.logFn);
    } finally {
      this.reads.end(gen);
    }
  }

  /**
   * The batch holding the largest timestamp (ListOffsets MAX_TIMESTAMP): its
   * base offset and that timestamp; null when no batch has a timestamp.
   */
  async maxTimestampOffset(): Promise<TimestampOffset | null> {
    this.checkReadable();
    const gen = this.reads.begin();
    try {
      return await maxTimestampOffset(this.view());
    } finally {
      this.reads.end(gen);
    }
  }

  // -------------------------------------------------------------------------
  // retention and DeleteRecords

  /**
   * Advances the log start offset (DeleteRecords): -1n means the high
   * watermark. Segments wholly below it are deleted. Returns the new log start offset.
   */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    this.checkReadable();
    const target = offset === -1n ? this.hw : offset;
    if (target < 0n || target > this.hw) throw this.outOfRange(offset, this.lso, this.hw);
    if (target > this.lso) {
      this.lso = target;
      this.log("info", { logStartOffset: target.toString() }, "log start offset advanced by DeleteRecords");
      await this.ctx.onLogStartOffsetChanged?.(this);
    }
    await this.enqueueTask(async () => {
      await this.deleteSegments(Date.now(), true);
    });
    return this.lso;
  }

  /**
   * Deletes old segments: wholly below the log start offset always; by
   * retention.ms and retention.bytes when cleanup.policy has "delete".
   * Never the active segment. Returns the number of segments deleted.
   */
  async applyRetention(now = Date.now()): Promise<number> {
    if (this.closedError || this.failure) return 0;
    let deleted = 0;
    await this.enqueueTask(async () => {
      deleted = await this.deleteSegments(now, false);
    });
    return deleted;
  }

  /** Runs inside the write queue, so every non-active segment is complete. */
  private async deleteSegments(now: number, startOffsetOnly: boolean): Promise<number> {
    const cfg = this.config;
    const segs = this.segs;
    const { count: k, reasons } = await deletableSegments(
      segs,
      this.lso,
      this.totalSize,
      cfg,
      now,
      startOffsetOnly,
      this.logFn,
    );
    if (k === 0) return 0;
    const removed = segs.slice(0, k);
    // this.segs, not the snapshot: appends may have rolled new segments meanwhile (only queued tasks remove any).
    this.segs = this.segs.slice(k);
    const oldLso = this.lso;
    if (this.segs[0].baseOffset > this.lso) this.lso = this.segs[0].baseOffset;
    let bytes = 0;
    for (const seg of removed) {
      bytes += seg.size;
      this.totalSize -= seg.size;
      await seg.markDeleted();
    }
    this.retire(removed, cfg["file.delete.delay.ms"]);
    if (this.dirFile) {
      this.dirFile.markWritten();
      this.dirtyFiles.add(this.dirFile);
    }
    this.log(
      "info",
      {
        segments: removed.map((s) => s.baseOffset.toString()),
        bytes,
        reasons,
        logStartOffset: this.lso.toString(),
      },
      "deleted log segments",
    );
    if (this.lso !== oldLso) await this.ctx.onLogStartOffsetChanged?.(this);
    return k;
  }

  // -------------------------------------------------------------------------
  // compaction (cleanup.policy=compact): see cleaner.ts

  /** Compacted topics refuse records without a key at append (Kafka's INVALID_RECORD); see validateCompactedBatches. */
  get requiresKeys(): boolean {
    return hasCleanupPolicy(this.config, "compact");
  }

  /**
   * Compacts the log as Kafka's cleaner does, when it is due (the dirty ratio
   * is above min.cleanable.dirty.ratio, or a dirty segment is older than
   * max.compaction.lag.ms) or `opts.force`. Never touches the active segment
   * (nor a segment still being written, nor one younger than
   * min.compaction.lag.ms). Runs alongside appends and reads; each group of
   * segments is swapped in inside the write queue. Calls for one partition run
   * one at a time. `now` is the clock for compaction lags and tombstone horizons.
   */
  compact(now = Date.now(), opts: CompactOptions = {}): Promise<CompactResult> {
    const prev = this.compacting ?? Promise.resolve(null);
    const run = prev.catch(() => null).then(() => this.compactOnce(now, opts));
    this.compacting = run;
    void run
      .finally(() => {
        if (this.compacting === run) this.compacting = null;
      })
      .catch(() => undefined);
    return run;
  }

  private async compactOnce(now: number, opts: CompactOptions): Promise<CompactResult> {
    const cfg = this.config;
    const result: CompactResult = {
      topic: this.topic,
      partition: this.partition,
      cleaned: false,
      reason: "",
      firstDirtyOffset: this.cleanerCheckpoint ?? this.lso,
      endOffset: this.cleanerCheckpoint ?? this.lso,
      dirtyRatio: 0,
      segmentsBefore: 0,
      segmentsAfter: 0,
      bytesBefore: 0,
      bytesAfter: 0,
      keys: 0,
      stats: emptyStats(),
    };
    if (this.closedError || this.failure) return { ...result, reason: "the log is closed or offline" };
    if (!hasCleanupPolicy(cfg, "compact")) return { ...result, reason: "cleanup.policy has no compact" };
    const gen = this.reads.begin(); // the old segments stay open while this runs
    const pending: Segment[] = []; // cleaned segments written but not swapped in
    try {
      return await this.compactSegments(now, opts, cfg, result, pending);
    } catch (e) {
      if (!(e instanceof SimulatedCrashError)) for (const s of pending) await discardCleaned(s).catch(() => undefined);
      if (this.closedError && !(e instanceof SimulatedCrashError))
        return { ...result, reason: "the log was closed during compaction" };
      throw e;
    } finally {
      this.reads.end(gen);
    }
  }

  private checkCompactionAbort(): void {
    const refused = this.closedError ?? this.failure;
    if (refused) throw refused;
  }

  /** The first dirty offset; a cleaner checkpoint outside the log is reset to the log start offset (and persisted). */
  private async checkedFirstDirtyOffset(cfg: LogConfig): Promise<bigint> {
    const lso = this.lso;
    const fd = firstDirtyOffset(this.cleanerCheckpoint, lso, this.hw, cfg);
    if (fd.reset) {
      if (fd.warn) {
        this.log(
          "warn",
          {
            checkpoint: (this.cleanerCheckpoint ?? lso).toString(),
            logStartOffset: lso.toString(),
            highWatermark: this.hw.toString(),
          },
          "cleaner checkpoint is outside the log; cleaning from the log start",
        );
      }
      this.cleanerCheckpoint = lso;
      await this.ctx.onCleanerCheckpointChanged?.(this);
    }
    return fd.offset;
  }

  private async compactSegments(
    now: number,
    opts: CompactOptions,
    cfg: LogConfig,
    result: CompactResult,
    pending: Segment[],
  ): Promise<CompactResult> {
    const segs = this.segs;
    // Segments before hwSeg are complete (rolled, every write committed); hwSeg and later are not cleanable.
    const hwIdx = segs.indexOf(this.hwSeg);
    if (hwIdx <= 0) return { ...result, reason: "no segment before the active one" };
    const lso = this.lso;
    const firstDirty = await this.checkedFirstDirtyOffset(cfg);
    result.firstDirtyOffset = firstDirty;
    result.endOffset = firstDirty;
    const logFn = this.logFn;
    const section = await cleanableSection(segs, hwIdx, lso, firstDirty, cfg, now, opts.force ?? false, (seg) =>
      onIndexRebuild(logFn, seg),
    );
    result.dirtyRatio = section.dirtyRatio;
    if (section.due === null) return { ...result, reason: section.notDue };
    const target: CleaningTarget = {
      dir: this.dir,
      checkAbort: () => this.checkCompactionAbort(),
      replaceSegments: async (olds, cleaned) => {
        let ok = false;
        await this.enqueueTask(async () => {
          ok = await this.swapIn(olds, cleaned, opts);
        });
        return ok;
      },
      log: logFn,
    };
    const endOffset = await cleanSegments(target, segs, section, firstDirty, cfg, now, opts, result, pending);
    // 4. the checkpoint: everything below endOffset is clean now
    result.reason = section.due;
    if (this.cleanerCheckpoint !== endOffset) {
      this.cleanerCheckpoint = endOffset;
      await this.ctx.onCleanerCheckpointChanged?.(this);
    }
    this.log(
      "info",
      {
        reason: section.due,
        firstDirtyOffset: firstDirty.toString(),
        endOffset: endOffset.toString(),
        dirtyRatio: Number(section.dirtyRatio.toFixed(4)),
        segments: `${result.segmentsBefore} -> ${result.segmentsAfter}`,
        bytes: `${result.bytesBefore} -> ${result.bytesAfter}`,
        keys: result.keys,
        ...result.stats,
      },
      "compacted log",
    );
    return result;
  }

  /**
   * Inside the write queue: replaces `olds` (consecutive, still in the log)
   * by `cleaned` on disk (the swap protocol in cleaner.ts) and in memory.
   * Returns false, changing nothing, when the log no longer holds them.
   */
  private async swapIn(olds: Segment[], cleaned: Segment, opts: CompactOptions): Promise<boolean> {
    if (this.closedError || this.failure) return false;
    const at = this.segs.indexOf(olds[0]);
    if (at < 0 || olds.some((s, i) => this.segs[at + i] !== s) || at + olds.length >= this.segs.length) return false;
    let committed = false;
    try {
      await writeSwapManifest(
        this.dir,
        cleaned.baseOffset,
        olds.map((s) => s.baseOffset),
      );
      if (opts.crashAt === "manifest") throw new SimulatedCrashError("manifest");
      await renameCleanedToSwap(cleaned, () => {
        committed = true;
      });
      if (opts.crashAt === "swap") throw new SimulatedCrashError("swap");
      for (const s of olds) await s.markDeleted();
      if (opts.crashAt === "deleted") throw new SimulatedCrashError("deleted");
      await renameSwapToFinal(cleaned);
    } catch (e) {
      if (committed) {
        // Disk and memory disagree until the next load completes the swap: stop taking writes.
        if (!this.failure) {
          this.failure = new LogError(
            "MR_LOG_IO",
            `compaction swap failed for ${this.topic}-${this.partition}: ${(e as Error).message}`,
            { cause: e },
          );
          if (!(e instanceof SimulatedCrashError))
            this.log(
              "error",
              { err: e },
              "compaction swap failed after its commit; partition is offline until the log is reopened",
            );
        }
      } else if (!(e instanceof SimulatedCrashError)) {
        await discardSwapIndexes(cleaned).catch(() => undefined);
        await removeSwapManifest(this.dir).catch(() => undefined);
      }
      throw e;
    }
    const segs = this.segs;
    const k = segs.indexOf(olds[0]);
    this.segs = [...segs.slice(0, k), cleaned, ...segs.slice(k + olds.length)];
    let removed = 0;
    for (const s of olds) removed += s.size;
    this.totalSize += cleaned.size - removed;
    await removeSwapManifest(this.dir);
    this.retire(olds, this.config["file.delete.delay.ms"]);
    return true;
  }

  // -------------------------------------------------------------------------
  // load (see loader.ts)

  /** Opens and recovers a partition directory (creating it when missing): see loadLog. */
  static async load(opts: LoadOptions, ctx: PartitionContext): Promise<PartitionLog> {
    const p = new PartitionLog(opts, ctx);
    const loaded = await loadLog(opts, p.config, p.logFn);
    p.dirFile = loaded.dirFile;
    p.segs = loaded.segments;
    const active = p.active();
    p.lso = loaded.logStartOffset;
    p.hw = active.nextOffset!;
    p.assignNext = p.hw;
    p.hwSeg = active;
    p.hwPos = active.size;
    p.totalSize = p.segs.reduce((n, s) => n + s.size, 0);
    p.recoveryPoint = p.hw;
    return p;
  }

  // -------------------------------------------------------------------------
  // close

  /**
   * Clean close: waits for queued writes, fdatasyncs, writes the active
   * segment's index files, closes every file. `deleted`: the topic is being
   * deleted, so skip flushing; later calls fail with MR_LOG_UNKNOWN_TOPIC.
   */
  close(opts: { deleted?: boolean } = {}): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      const waitQueue =
        this.pumping || this.queue.length > 0 ? this.barrier().catch(() => undefined) : Promise.resolve();
      this.closedError = opts.deleted
        ? new LogError("MR_LOG_UNKNOWN_TOPIC", `topic ${this.topic} was deleted`)
        : new LogError("MR_LOG_CLOSED", `log ${this.topic}-${this.partition} is closed`);
      await waitQueue;
      if (!opts.deleted && !this.failure) {
        await this.ctx.flusher.request(this);
        const act = this.active();
        act.finalTimeIndexEntry();
        await act.persistIndexes();
      }
      await this.closeFiles();
      this.emit("close");
    })();
    return this.closing;
  }

  /**
   * What a crash leaves behind (minus page-cache loss): stop, close files, no
   * flush, no index files, no checkpoint. For tests and fatal errors.
   */
  abort(): Promise<void> {
    if (this.closing) return this.closing;
    this.closedError = new LogError("MR_LOG_CLOSED", `log ${this.topic}-${this.partition} was aborted`);
    const rest = this.queue.splice(0);
    for (const o of rest) if (o.kind !== "roll") o.reject(this.closedError);
    this.closing = (async () => {
      while (this.pumping) await new Promise((r) => setImmediate(r));
      await this.closeFiles();
    })();
    return this.closing;
  }

  get isClosed(): boolean {
    return this.closedError !== null;
  }

  /** true when the partition must not be called clean at shutdown */
  get unclean(): boolean {
    return this.failure !== null;
  }

  private async closeFiles(): Promise<void> {
    await Promise.all([...this.segs, ...this.retired].map((s) => s.close()));
    if (this.dirFile) await this.dirFile.close();
    this.dirtyFiles.clear();
  }
}
