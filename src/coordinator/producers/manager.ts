/**
 * The producer state of every partition of a LogManager: the idempotence
 * check around each append, snapshots (`<offset>.snapshot` in the partition
 * directory, Kafka's format, see snapshot.ts) and recovery on startup
 * (latest usable snapshot, then the batch headers of the log after it).
 *
 * Invariant: every append of batches with a producer id goes through
 * `append()`, so a partition's state always reflects exactly the batches
 * with offsets below the partition's `nextOffset`. A snapshot is therefore
 * taken at `nextOffset`, captured synchronously with the state, and written
 * only after the log data below it is on disk.
 */
import { readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { AppendOptions, AppendResult, LogManager, PartitionLog } from "../../log/index.js";
import type { Logger } from "../../log/index.js";
import { writeFileAtomic } from "../../fs/index.js";
import {
  BATCH_LENGTH,
  CONTROL_MASK,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  readBatchHeader,
} from "../../protocol/records/batch.js";
import type { ScannedBatch } from "../../protocol/records/batch.js";
import { ProducerStateError } from "./errors.js";
import {
  decodeSnapshot,
  encodeSnapshot,
  entriesToSnapshot,
  listSnapshots,
  snapshotFileName,
  snapshotToEntries,
} from "./snapshot.js";
import { DEFAULT_PRODUCER_ID_EXPIRATION_MS, NO_PRODUCER_ID, PartitionProducerState } from "./state.js";

export interface ProducerStateManagerOptions {
  /** producer.id.expiration.ms (Kafka's default 86400000) */
  "producer.id.expiration.ms"?: number;
  /**
   * producer.id.expiration.check.interval.ms (Kafka's default 600000): how often startBackgroundTasks()
   * expires producers
   */
  "producer.id.expiration.check.interval.ms"?: number;
  /** how often startBackgroundTasks() snapshots every partition that changed (default 60000) */
  snapshotIntervalMs?: number;
  /** bytes per read while replaying the log (default 1 MiB) */
  replayReadBytes?: number;
  /** partitions loaded in parallel (default 8) */
  loadConcurrency?: number;
  logger?: Logger;
}

/**
 * What the broker answers for one partition of a Produce request:
 *   appended:  the batches went to the log; `result` is the log's AppendResult;
 *   duplicate: a retry of an appended batch; nothing was appended and `result`
 *              resolves with the original offsets once those are as durable
 *              as the request asks (written for acks=1, fdatasync'd for acks=all);
 *   error:     refused; answer `errorCode` (and `message` as the error message).
 */
export type ProduceOutcome =
  | { kind: "appended"; result: Promise<AppendResult> }
  | { kind: "duplicate"; result: Promise<AppendResult> }
  | { kind: "error"; errorCode: number; message: string };

const noop: Logger = { info() {}, warn() {}, error() {} };

export class ProducerStateManager {
  readonly expirationMs: number;
  private readonly logs: LogManager;
  private readonly opts: ProducerStateManagerOptions;
  private readonly logger: Logger;
  private readonly states = new WeakMap<PartitionLog, PartitionProducerState>();
  /** offset of the last snapshot written (or loaded) per partition */
  private readonly snapshotted = new WeakMap<PartitionLog, bigint>();
  /** snapshot writes of one partition run one after the other */
  private readonly chains = new WeakMap<PartitionLog, Promise<unknown>>();
  private timers: NodeJS.Timeout[] = [];
  private closing: Promise<void> | null = null;

  constructor(logs: LogManager, opts: ProducerStateManagerOptions = {}) {
    this.logs = logs;
    this.opts = opts;
    this.logger = opts.logger ?? noop;
    this.expirationMs = opts["producer.id.expiration.ms"] ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS;
  }

  /** The state of a partition (created empty on first use), or undefined when the partition does not exist. */
  forPartition(topic: string, partition: number): PartitionProducerState | undefined {
    const p = this.logs.partition(topic, partition);
    return p ? this.stateOf(p) : undefined;
  }

  /**
   * The state of a partition log, created empty on first use. A recreated topic has new PartitionLogs, hence
   * new state.
   */
  stateOf(p: PartitionLog): PartitionProducerState {
    let s = this.states.get(p);
    if (!s) {
      s = this.newState(p);
      this.states.set(p, s);
    }
    return s;
  }

  private newState(p: PartitionLog): PartitionProducerState {
    return new PartitionProducerState({ expirationMs: this.expirationMs, name: `${p.topic}-${p.partition}` });
  }

  // -------------------------------------------------------------------------
  // the produce path

  /**
   * Checks the batches of one partition of a Produce request and, when they
   * pass, appends them and records them, all synchronously (offsets are
   * assigned by PartitionLog.append at call time, so nothing can interleave).
   * `buf`/`batches` are what PartitionLog.append takes (validated v2 batches);
   * call this exactly where the broker would call `p.append(buf, batches, opts)`.
   */
  append(p: PartitionLog, buf: Buffer, batches: ScannedBatch[], opts: AppendOptions): ProduceOutcome {
    let idempotent = false;
    for (const b of batches) if (b.producerId > NO_PRODUCER_ID) idempotent = true;
    if (!idempotent) return { kind: "appended", result: p.append(buf, batches, opts) };

    const state = this.stateOf(p);
    const c = state.check(batches);
    if (c.kind === "error") return { kind: "error", errorCode: c.errorCode, message: c.message };
    const logAppendTimeTopic = p.config["message.timestamp.type"] === "LogAppendTime";
    if (c.kind === "duplicate") {
      const response = {
        baseOffset: c.firstOffset,
        lastOffset: c.lastOffset,
        // Kafka answers a duplicate with the stored batch timestamp as logAppendTime; on CreateTime
        // topics that is not an append time, so answer -1 there, as the original response did.
        logAppendTime: logAppendTimeTopic ? c.timestamp : -1n,
      };
      return {
        kind: "duplicate",
        result: this.whenDurable(p, c.lastOffset, opts.sync).then(() => ({
          ...response,
          logStartOffset: p.logStartOffset,
        })),
      };
    }
    const now = opts.now ?? Date.now();
    const base = p.nextOffset;
    const result = p.append(buf, batches, { ...opts, now });
    // Offsets were assigned (nextOffset moved) unless the log refused the append up front.
    if (p.nextOffset !== base) state.onAppended(batches, base, logAppendTimeTopic ? BigInt(now) : -1n);
    return { kind: "appended", result };
  }

  /** Resolves once offset `last` is written (and fdatasync'd when `sync`), as the original append would have. */
  private async whenDurable(p: PartitionLog, last: bigint, sync: boolean): Promise<void> {
    if (sync ? p.recoveryPoint > last : p.highWatermark > last) return;
    await p.flush();
  }

  // -------------------------------------------------------------------------
  // recovery

  /**
   * Rebuilds the state of every partition (call once on startup, after
   * LogManager.open and before serving Produce requests). `now` is the time
   * producers are expired against.
   */
  async load(now: number = Date.now()): Promise<void> {
    const parts: PartitionLog[] = [];
    for (const t of this.logs.topics()) for (const p of t.partitions) if (p) parts.push(p);
    let next = 0;
    const worker = async () => {
      while (next < parts.length) {
        const p = parts[next++];
        await this.loadPartition(p, now);
      }
    };
    const n = Math.max(1, Math.min(this.opts.loadConcurrency ?? 8, parts.length));
    await Promise.all(Array.from({ length: n }, worker));
  }

  /**
   * Rebuilds one partition's state: snapshots above the log end are deleted
   * (the log lost data after them), the latest readable one at or below it is
   * loaded (corrupt ones are deleted), and the batch headers from it (or from
   * the log start) to the log end are replayed. Producers expired at `now`
   * are dropped.
   */
  async loadPartition(p: PartitionLog, now: number = Date.now()): Promise<PartitionProducerState> {
    const state = this.newState(p);
    const end = p.nextOffset;
    const where = { topic: p.topic, partition: p.partition };
    const snapshots = await listSnapshots(p.dir);
    let from = p.logStartOffset;
    let loaded: bigint | null = null;
    for (let i = snapshots.length - 1; i >= 0; i--) {
      const s = snapshots[i];
      if (s.offset > end) {
        this.logger.warn(
          { ...where, snapshot: s.offset.toString(), logEndOffset: end.toString() },
          "deleting producer snapshot beyond the log end",
        );
        await unlinkQuiet(s.path);
        continue;
      }
      try {
        const entries = snapshotToEntries(decodeSnapshot(await readFile(s.path), s.path));
        for (const e of entries) state.restore(e);
        loaded = s.offset;
        break;
      } catch (e) {
        if (!(e instanceof ProducerStateError)) throw e;
        this.logger.warn(
          { ...where, snapshot: s.offset.toString(), err: e.message },
          "deleting unreadable producer snapshot",
        );
        state.clear();
        await unlinkQuiet(s.path);
      }
    }
    if (loaded !== null && loaded > from) from = loaded;
    const replayed = await this.replay(p, state, from, end);
    const expired = state.removeExpired(now);
    this.states.set(p, state);
    if (loaded !== null) this.snapshotted.set(p, loaded);
    if (loaded !== null || replayed > 0) {
      this.logger.info(
        { ...where, snapshot: loaded?.toString() ?? null, replayedBatches: replayed, producers: state.size, expired },
        "loaded producer state",
      );
    }
    return state;
  }

  /** Replays the headers of the batches in [from, end); returns how many batches had a producer id. */
  private async replay(p: PartitionLog, state: PartitionProducerState, from: bigint, end: bigint): Promise<number> {
    const maxBytes = this.opts.replayReadBytes ?? 1 << 20;
    let next = from;
    let n = 0;
    while (next < end) {
      const r = await p.read(next, maxBytes);
      const buf = r.records;
      if (!buf) break;
      let pos = 0;
      const before = next;
      while (pos + RECORD_BATCH_OVERHEAD <= buf.length) {
        const size = buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
        if (size < RECORD_BATCH_OVERHEAD || pos + size > buf.length) break;
        const h = readBatchHeader(buf, pos);
        const last = h.baseOffset + BigInt(h.lastOffsetDelta);
        if (last >= next && h.baseOffset < end) {
          if (h.producerId > NO_PRODUCER_ID && (h.attributes & CONTROL_MASK) === 0) {
            state.replay(h, h.baseOffset);
            n++;
          }
          next = last + 1n;
        }
        pos += size;
      }
      if (next === before) break; // nothing usable came back: stop rather than loop
    }
    return n;
  }

  // -------------------------------------------------------------------------
  // snapshots

  /**
   * Writes a snapshot of every partition whose state moved since its last
   * snapshot (on clean shutdown, before LogManager.close, and periodically).
   * A partition that fails is logged and skipped.
   */
  async snapshotAll(): Promise<void> {
    const jobs: Promise<unknown>[] = [];
    for (const t of this.logs.topics()) {
      for (const p of t.partitions) {
        if (!p) continue;
        jobs.push(
          this.snapshotPartition(p).catch((e) => {
            if (!p.isClosed)
              this.logger.error({ topic: p.topic, partition: p.partition, err: e }, "producer snapshot failed");
          }),
        );
      }
    }
    await Promise.all(jobs);
  }

  /**
   * Snapshots one partition at its next offset: the state is captured now,
   * written once the log below that offset is on disk, then older snapshot
   * files are removed. Returns the snapshot offset, or null when nothing was
   * written (no change since the last snapshot, or the partition is closed).
   */
  snapshotPartition(p: PartitionLog): Promise<bigint | null> {
    const prev = this.chains.get(p) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.writeSnapshot(p));
    this.chains.set(p, run);
    return run;
  }

  private async writeSnapshot(p: PartitionLog): Promise<bigint | null> {
    if (p.isClosed || p.failed) return null;
    const offset = p.nextOffset;
    const last = this.snapshotted.get(p);
    if (last === offset || (last === undefined && offset === 0n)) return null;
    const data = encodeSnapshot(entriesToSnapshot(this.stateOf(p).entries()));
    // Everything below `offset` was queued before this call: flush() writes and fdatasyncs it.
    await p.flush();
    await writeFileAtomic(join(p.dir, snapshotFileName(offset)), data);
    this.snapshotted.set(p, offset);
    for (const s of await listSnapshots(p.dir)) if (s.offset !== offset) await unlinkQuiet(s.path);
    return offset;
  }

  // -------------------------------------------------------------------------
  // expiry and lifecycle

  /** Drops producers idle longer than producer.id.expiration.ms in every partition. Returns how many. */
  removeExpired(now: number = Date.now()): number {
    let n = 0;
    for (const t of this.logs.topics()) {
      for (const p of t.partitions) {
        const s = p ? this.states.get(p) : undefined;
        if (s) n += s.removeExpired(now);
      }
    }
    return n;
  }

  /** Starts the expiry and snapshot timers (unref'd). */
  startBackgroundTasks(): void {
    if (this.timers.length > 0 || this.closing) return;
    const every = (ms: number, fn: () => unknown, what: string) => {
      const t = setInterval(() => {
        Promise.resolve()
          .then(fn)
          .catch((e) => this.logger.error({ err: e }, `${what} failed`));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(
      this.opts["producer.id.expiration.check.interval.ms"] ?? 600000,
      () => this.removeExpired(),
      "producer id expiration",
    );
    every(this.opts.snapshotIntervalMs ?? 60000, () => this.snapshotAll(), "producer snapshot");
  }

  /** Stops the timers and writes a final snapshot of every partition. Call before LogManager.close(). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      this.timers = [];
      await this.snapshotAll();
    })();
    return this.closing;
  }
}

async function unlinkQuiet(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}
