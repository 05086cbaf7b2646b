/**
 * Flume's file channel (org.apache.flume.channel.file.FileChannel): a durable
 * channel made of a write-ahead log in dataDirs and a checkpoint in checkpointDir.
 *
 * - A transaction keeps its puts and takes in memory; commit() appends its PUT and
 *   TAKE records and a COMMIT record in one write, waits for an fdatasync covering
 *   it (concurrent commits share one fdatasync: group commit), then applies it to
 *   the in-memory queue of event pointers. So everything whose commit() resolved
 *   survives SIGKILL, and nothing rolled back or uncommitted is ever in the log.
 * - Takes leave the queue at take() and come back to its head on rollback.
 * - Every checkpointInterval ms the queue (plus events held by open take
 *   transactions) and the log position it reflects are written to
 *   checkpointDir/checkpoint atomically (temp file, fdatasync, rename, dir fsync).
 *   Log files behind the checkpoint that no queued event references are deleted.
 * - On start the checkpoint is loaded and the logs after its position replayed;
 *   committed transactions are applied, incomplete ones dropped; a torn tail
 *   (short record or CRC mismatch) ends the replay and is truncated away.
 * - At-least-once edge: a take whose commit record was torn by a crash comes back.
 *
 * Along Flume's seams: the write-ahead log is log.ts (Log, LogFile), replay at
 * start replay.ts (ReplayHandler), the queue of event pointers and its checkpoint
 * queue.ts (FlumeEventQueue, EventQueueBackingStore); this class keeps the
 * transactions, the capacity and when to checkpoint.
 */
import { mkdirSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import {
  ChannelError,
  ChannelFullError,
  type Channel,
  type ComponentEnv,
  type Context,
  type Event,
  type Transaction,
} from "../../api.js";
import { ChannelCounter } from "../../counters.js";
import { WriteAheadLog } from "./log.js";
import { CheckpointStore, EventQueue } from "./queue.js";
import { commitRecord, fileOf, putRecord, takeRecord } from "./records.js";
import { ReplayHandler, emptyReplayStats, type ReplayStats } from "./replay.js";

export interface FileChannelOptions {
  checkpointDir: string;
  dataDirs: string[];
  capacity?: number;
  transactionCapacity?: number;
  /** ms between checkpoints (Flume's default 30000) */
  checkpointInterval?: number;
  maxFileSize?: number;
  minimumRequiredSpace?: number;
  /** seconds a put waits for space when the channel is full */
  keepAlive?: number;
  /** bytes of recently put events kept in memory so takes need not read the log */
  cacheBytes?: number;
  agentName?: string;
  logger?: Logger;
}

const MIN_SPACE_FLOOR = 1024 * 1024;

export class FileChannel implements Channel {
  readonly counter: ChannelCounter;
  private readonly checkpointDir: string;
  private readonly dataDirs: string[];
  private readonly cap: number;
  readonly txCapacity: number;
  /** events per transaction (for the runtime's batchSize <= transactionCapacity check) */
  transactionCapacity(): number {
    return this.txCapacity;
  }
  private readonly checkpointInterval: number;
  private readonly maxFileSize: number;
  private readonly minimumRequiredSpace: number;
  private readonly keepAlive: number;
  private readonly cacheLimit: number;
  private readonly logger?: Logger;

  private queue = new EventQueue();
  private readonly log: WriteAheadLog;
  private readonly checkpoints: CheckpointStore;
  private readonly cache = new Map<number, Event>();
  private cacheUsed = 0;
  /** puts in open transactions (reserve capacity) */
  private reservedPuts = 0;
  /** open transactions holding takes */
  readonly takers = new Set<FileTransaction>();
  private takenCount = 0;
  private inflightCommits = 0;
  private idleWaiters: (() => void)[] = [];
  private barrier: Promise<void> | null = null;
  private spaceWaiters: (() => void)[] = [];
  private checkpointing: Promise<void> | null = null;
  private changedSinceCheckpoint = false;
  private timer: NodeJS.Timeout | null = null;
  private freeSpaceCheckedAt = 0;
  private freeSpaceError: ChannelError | null = null;
  private started = false;
  private nextTxid = 1;
  /** statistics of the last start(): events replayed from the logs, torn tails found */
  replayStats: ReplayStats = emptyReplayStats();

  constructor(
    readonly name: string,
    opts: FileChannelOptions,
  ) {
    this.checkpointDir = opts.checkpointDir;
    this.dataDirs = opts.dataDirs;
    this.cap = opts.capacity ?? 1_000_000;
    this.txCapacity = opts.transactionCapacity ?? 10_000;
    this.checkpointInterval = opts.checkpointInterval ?? 30_000;
    this.maxFileSize = Math.min(opts.maxFileSize ?? 2146435071, 2 ** 32 - 1);
    this.minimumRequiredSpace = Math.max(opts.minimumRequiredSpace ?? 524288000, MIN_SPACE_FLOOR);
    this.keepAlive = opts.keepAlive ?? 3;
    this.cacheLimit = opts.cacheBytes ?? 32 * 1024 * 1024;
    this.logger = opts.logger;
    this.counter = new ChannelCounter(opts.agentName ?? "agent", name);
    if (this.dataDirs.length === 0)
      throw new ChannelError("MR_AGENT_CHANNEL_CONFIG", `file channel ${name}: no dataDirs`);
    this.log = new WriteAheadLog(name, this.dataDirs, this.maxFileSize);
    this.checkpoints = new CheckpointStore(this.checkpointDir);
  }

  // ------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    if (this.started) return;
    mkdirSync(this.checkpointDir, { recursive: true });
    for (const d of this.dataDirs) mkdirSync(d, { recursive: true });
    await this.replay();
    await this.log.openForWrite();
    this.started = true;
    this.counter.register();
    this.counter.setSize(this.size(), this.cap);
    if (this.checkpointInterval > 0) {
      this.timer = setInterval(() => {
        this.checkpoint().catch((err) =>
          this.logger?.error({ err, channel: this.name }, "file channel checkpoint failed"),
        );
      }, this.checkpointInterval);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checkpoint(true);
    this.started = false;
    await this.log.close();
    this.counter.unregister();
  }

  getTransaction(): Transaction {
    return new FileTransaction(this);
  }
  size(): number {
    return this.queue.length;
  }
  capacity(): number {
    return this.cap;
  }
  /** events held by the channel: queued, taken by open transactions, and reserved by open puts */
  used(): number {
    return this.queue.length + this.takenCount + this.reservedPuts;
  }

  // ------------------------------------------------------------ used by transactions

  newTxid(): number {
    const t = this.nextTxid;
    this.nextTxid = (this.nextTxid + 1) >>> 0 || 1;
    return t;
  }

  /** reserves room for one put, waiting up to keepAlive seconds */
  async reservePut(): Promise<void> {
    this.ensureStarted();
    await this.checkFreeSpace();
    if (this.used() >= this.cap) {
      const deadline = Date.now() + this.keepAlive * 1000;
      while (this.used() >= this.cap) {
        const left = deadline - Date.now();
        if (left <= 0) throw new ChannelFullError(this.name, `capacity ${this.cap}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, Math.min(left, 100));
          function done() {
            clearTimeout(t);
            resolve();
          }
          this.spaceWaiters.push(done);
        });
      }
    }
    this.reservedPuts++;
  }

  releasePuts(n: number): void {
    this.reservedPuts -= n;
    if (n > 0) this.wakeSpace();
  }

  takeOne(tx: FileTransaction): number | undefined {
    this.ensureStarted();
    const p = this.queue.shift();
    if (p === undefined) return undefined;
    this.takers.add(tx);
    this.takenCount++;
    return p;
  }

  returnTakes(ptrs: number[]): void {
    this.queue.unshiftAll(ptrs);
    this.takenCount -= ptrs.length;
    this.counter.setSize(this.size(), this.cap);
  }

  async readEvent(p: number): Promise<Event> {
    const cached = this.cache.get(p);
    if (cached) {
      this.cache.delete(p);
      this.cacheUsed -= cached.body.length + 64;
      return cached;
    }
    return this.log.readEvent(p);
  }

  /** writes a transaction's records durably and applies it */
  async commitTx(tx: FileTransaction, puts: Event[], takes: number[]): Promise<void> {
    while (this.barrier) await this.barrier;
    this.inflightCommits++;
    try {
      const txid = this.newTxid();
      const bufs: Buffer[] = puts.map((e) => putRecord(txid, e));
      if (takes.length > 0) bufs.push(takeRecord(txid, takes));
      bufs.push(commitRecord(txid));
      const { pointers, gen } = await this.log.append(bufs);
      await this.log.syncTo(gen);
      for (let i = 0; i < puts.length; i++) {
        const p = pointers[i]!;
        this.queue.push(p);
        const e = puts[i]!;
        const cost = e.body.length + 64;
        if (this.cacheUsed + cost <= this.cacheLimit) {
          this.cache.set(p, e);
          this.cacheUsed += cost;
        }
      }
      this.reservedPuts -= puts.length;
      this.takenCount -= takes.length;
      this.takers.delete(tx);
      this.changedSinceCheckpoint = true;
      if (takes.length > 0) this.wakeSpace();
    } finally {
      this.inflightCommits--;
      if (this.inflightCommits === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  // ------------------------------------------------------------ checkpoint and replay

  /** Writes a checkpoint now (also done every checkpointInterval ms and at stop). */
  async checkpoint(force = false): Promise<void> {
    if (!this.started && !force) return;
    while (this.checkpointing) await this.checkpointing;
    if (!force && !this.changedSinceCheckpoint) return;
    this.checkpointing = this.doCheckpoint().finally(() => {
      this.checkpointing = null;
    });
    return this.checkpointing;
  }

  private async doCheckpoint(): Promise<void> {
    let release!: () => void;
    this.barrier = new Promise<void>((r) => (release = r));
    let snapshot: number[];
    let fileId: number;
    let offset: number;
    try {
      if (this.inflightCommits > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
      const held: number[] = [];
      for (const tx of this.takers) held.push(...tx.takenPointers());
      snapshot = held.concat(this.queue.toArray());
      ({ fileId, offset } = this.log.position());
      this.changedSinceCheckpoint = false;
    } finally {
      this.barrier = null;
      release();
    }
    await this.checkpoints.write({ fileId, offset, pointers: snapshot });
    // delete log files behind the checkpoint that nothing references
    let minRef = fileId;
    for (const p of snapshot) {
      const f = fileOf(p);
      if (f < minRef) minRef = f;
    }
    await this.log.deleteBefore(minRef);
  }

  private async replay(): Promise<void> {
    this.log.scan();
    const checkpoint = await this.checkpoints.read();
    const { queue, stats, changed } = await new ReplayHandler(this.name, this.log, this.logger).replay(checkpoint);
    this.queue = queue;
    this.replayStats = stats;
    this.changedSinceCheckpoint = changed;
  }

  // ------------------------------------------------------------ helpers

  private ensureStarted(): void {
    if (!this.started) throw new ChannelError("MR_AGENT_CHANNEL_STOPPED", `file channel ${this.name} is not started`);
  }

  private wakeSpace(): void {
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  private async checkFreeSpace(): Promise<void> {
    const now = Date.now();
    if (now - this.freeSpaceCheckedAt > 1000) {
      this.freeSpaceCheckedAt = now;
      this.freeSpaceError = null;
      for (const dir of [this.checkpointDir, ...this.dataDirs]) {
        const s = await statfs(dir);
        const free = Number(s.bavail) * Number(s.bsize);
        if (free < this.minimumRequiredSpace) {
          this.freeSpaceError = new ChannelError(
            "MR_AGENT_CHANNEL_DISK_SPACE",
            `file channel ${this.name}: usable space in ${dir} is ${free} bytes, below ` +
              `minimumRequiredSpace ${this.minimumRequiredSpace}`,
          );
          break;
        }
      }
    }
    if (this.freeSpaceError) throw this.freeSpaceError;
  }
}

type TxState = "NEW" | "OPEN" | "COMPLETED" | "CLOSED";

export class FileTransaction implements Transaction {
  private state: TxState = "NEW";
  private puts: Event[] = [];
  private takes: number[] = [];
  constructor(private readonly ch: FileChannel) {}

  takenPointers(): number[] {
    return this.takes;
  }

  begin(): void {
    if (this.state !== "NEW") throw new ChannelError("MR_AGENT_TRANSACTION_STATE", `begin() in state ${this.state}`);
    this.state = "OPEN";
  }

  async put(event: Event): Promise<void> {
    this.expectOpen("put");
    this.ch.counter.inc("EventPutAttemptCount");
    if (this.puts.length >= this.ch.txCapacity)
      throw new ChannelError(
        "MR_AGENT_TRANSACTION_FULL",
        `file channel ${this.ch.name}: put list of transaction (capacity ${this.ch.txCapacity}) is full`,
      );
    await this.ch.reservePut();
    this.puts.push(event);
  }

  async take(): Promise<Event | null> {
    this.expectOpen("take");
    this.ch.counter.inc("EventTakeAttemptCount");
    if (this.takes.length >= this.ch.txCapacity)
      throw new ChannelError(
        "MR_AGENT_TRANSACTION_FULL",
        `file channel ${this.ch.name}: take list of transaction (capacity ${this.ch.txCapacity}) is full`,
      );
    const p = this.ch.takeOne(this);
    if (p === undefined) return null;
    this.takes.push(p);
    try {
      return await this.ch.readEvent(p);
    } catch (err) {
      this.takes.pop();
      this.ch.returnTakes([p]);
      throw err;
    }
  }

  async commit(): Promise<void> {
    this.expectOpen("commit");
    if (this.puts.length === 0 && this.takes.length === 0) {
      this.state = "COMPLETED";
      return;
    }
    try {
      await this.ch.commitTx(this, this.puts, this.takes);
    } catch (err) {
      await this.rollback();
      throw err;
    }
    this.ch.counter.inc("EventPutSuccessCount", this.puts.length);
    this.ch.counter.inc("EventTakeSuccessCount", this.takes.length);
    this.ch.counter.setSize(this.ch.size(), this.ch.capacity());
    this.puts = [];
    this.takes = [];
    this.state = "COMPLETED";
  }

  async rollback(): Promise<void> {
    if (this.state !== "OPEN")
      throw new ChannelError("MR_AGENT_TRANSACTION_STATE", `rollback() in state ${this.state}`);
    this.undo();
    this.ch.counter.inc("RollbackCounter");
    this.state = "COMPLETED";
  }

  close(): void {
    if (this.state === "OPEN") {
      this.undo();
      this.ch.counter.inc("RollbackCounter");
    }
    this.state = "CLOSED";
  }

  private undo(): void {
    this.ch.releasePuts(this.puts.length);
    this.puts = [];
    if (this.takes.length > 0) this.ch.returnTakes(this.takes);
    this.ch.takers.delete(this);
    this.takes = [];
  }

  private expectOpen(op: string): void {
    if (this.state !== "OPEN")
      throw new ChannelError("MR_AGENT_TRANSACTION_STATE", `${op}() outside an open transaction (state ${this.state})`);
  }
}

/** Factory for `type = file` / org.apache.flume.channel.file.FileChannel. */
export function createFileChannel(name: string, ctx: Context, env: ComponentEnv): FileChannel {
  const home = process.env.HOME ?? ".";
  const checkpointDir = ctx.getString("checkpointDir", join(home, ".flume", "file-channel", "checkpoint"));
  const dataDirs = ctx
    .getString("dataDirs", join(home, ".flume", "file-channel", "data"))
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const capacity = ctx.getInteger("capacity", 1_000_000);
  const transactionCapacity = ctx.getInteger("transactionCapacity", 10_000);
  if (capacity <= 0) throw ctx.error("capacity", "must be positive");
  if (transactionCapacity <= 0) throw ctx.error("transactionCapacity", "must be positive");
  if (transactionCapacity > capacity)
    throw ctx.error("transactionCapacity", `(${transactionCapacity}) must not exceed capacity (${capacity})`);
  const checkpointInterval = ctx.getInteger("checkpointInterval", 30_000);
  const maxFileSize = ctx.getInteger("maxFileSize", 2146435071);
  if (maxFileSize < 1024) throw ctx.error("maxFileSize", "must be at least 1024");
  const minimumRequiredSpace = ctx.getInteger("minimumRequiredSpace", 524288000);
  const keepAlive = ctx.getInteger("keep-alive", 3);
  // we always checkpoint on close; other Flume keys (useDualCheckpoints, ...) stay unread and are reported
  ctx.getBoolean("checkpointOnClose", true);
  return new FileChannel(name, {
    checkpointDir,
    dataDirs,
    capacity,
    transactionCapacity,
    checkpointInterval,
    maxFileSize,
    minimumRequiredSpace,
    keepAlive,
    agentName: env.agentName,
    logger: env.logger,
  });
}
