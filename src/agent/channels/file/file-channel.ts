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
 */
import { mkdirSync, readdirSync } from "node:fs";
import { open, readFile, rename, statfs, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
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
import {
  COMMIT,
  HEADER,
  LOG_MAGIC,
  PUT,
  TAKE,
  commitRecord,
  decodeCheckpoint,
  decodeEvent,
  decodeTake,
  encodeCheckpoint,
  fileOf,
  offsetOf,
  parseRecords,
  pointer,
  putRecord,
  takeRecord,
} from "./records.js";

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

/** A double-ended queue of event pointers. */
class Deque {
  private a: number[] = [];
  private head = 0;
  get length(): number {
    return this.a.length - this.head;
  }
  push(v: number): void {
    this.a.push(v);
  }
  shift(): number | undefined {
    if (this.head >= this.a.length) return undefined;
    const v = this.a[this.head++]!;
    if (this.head > 4096 && this.head * 2 > this.a.length) {
      this.a = this.a.slice(this.head);
      this.head = 0;
    }
    return v;
  }
  unshiftAll(vs: number[]): void {
    if (vs.length === 0) return;
    if (this.head >= vs.length) {
      this.head -= vs.length;
      for (let i = 0; i < vs.length; i++) this.a[this.head + i] = vs[i]!;
    } else {
      this.a = vs.concat(this.a.slice(this.head));
      this.head = 0;
    }
  }
  toArray(): number[] {
    return this.a.slice(this.head);
  }
  minFile(): number {
    let m = Infinity;
    for (let i = this.head; i < this.a.length; i++) {
      const f = fileOf(this.a[i]!);
      if (f < m) m = f;
    }
    return m;
  }
}

interface PendingWrite {
  bufs: Buffer[];
  resolve(r: { pointers: number[]; gen: number }): void;
  reject(e: unknown): void;
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
  private readonly log?: Logger;

  private queue = new Deque();
  private readonly files = new Map<number, { path: string; read?: Promise<FileHandle> }>();
  private writeId = 0;
  private writeFh: FileHandle | null = null;
  private writePos = 0;
  private writeGen = 0;
  private syncedGen = 0;
  private syncing: Promise<void> | null = null;
  private pending: PendingWrite[] = [];
  private writing = false;
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
  replayStats = { checkpointEvents: 0, replayedPuts: 0, replayedTakes: 0, tornTails: 0, incompleteTransactions: 0 };

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
    this.log = opts.logger;
    this.counter = new ChannelCounter(opts.agentName ?? "agent", name);
    if (this.dataDirs.length === 0)
      throw new ChannelError("MR_AGENT_CHANNEL_CONFIG", `file channel ${name}: no dataDirs`);
  }

  // ------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    if (this.started) return;
    mkdirSync(this.checkpointDir, { recursive: true });
    for (const d of this.dataDirs) mkdirSync(d, { recursive: true });
    await this.replay();
    await this.openWriteFile(this.maxFileId() + 1);
    this.started = true;
    this.counter.register();
    this.counter.setSize(this.size(), this.cap);
    if (this.checkpointInterval > 0) {
      this.timer = setInterval(() => {
        this.checkpoint().catch((err) =>
          this.log?.error({ err, channel: this.name }, "file channel checkpoint failed"),
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
    await this.writeFh?.close();
    this.writeFh = null;
    for (const f of this.files.values()) {
      if (f.read) await (await f.read).close().catch(() => undefined);
      f.read = undefined;
    }
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
    const fh = await this.readHandle(fileOf(p));
    const off = offsetOf(p);
    let buf = Buffer.allocUnsafe(8192);
    let { bytesRead } = await fh.read(buf, 0, buf.length, off);
    if (bytesRead < 8)
      throw new ChannelError(
        "MR_AGENT_CHANNEL_CORRUPT",
        `file channel ${this.name}: event at ${fileOf(p)}:${off} is missing`,
      );
    const total = 8 + buf.readUInt32BE(0);
    if (total > bytesRead) {
      const more = Buffer.allocUnsafe(total);
      buf.copy(more, 0, 0, bytesRead);
      const r = await fh.read(more, bytesRead, total - bytesRead, off + bytesRead);
      bytesRead += r.bytesRead;
      buf = more;
    }
    const { records } = parseRecords(buf.subarray(0, Math.min(bytesRead, total)), off, true);
    const rec = records[0];
    if (!rec || rec.type !== PUT)
      throw new ChannelError(
        "MR_AGENT_CHANNEL_CORRUPT",
        `file channel ${this.name}: bad record at ${fileOf(p)}:${off}`,
      );
    return decodeEvent(rec.payload);
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
      const { pointers, gen } = await this.append(bufs);
      await this.syncTo(gen);
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

  // ------------------------------------------------------------ the log writer (group commit)

  private append(bufs: Buffer[]): Promise<{ pointers: number[]; gen: number }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ bufs, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0);
        let group: { w: PendingWrite; pointers: number[] }[] = [];
        let groupBufs: Buffer[] = [];
        let start = this.writePos;
        const flush = async () => {
          if (groupBufs.length === 0) return;
          await writeAll(this.writeFh!, groupBufs, start);
          this.writeGen++;
          const gen = this.writeGen;
          for (const g of group) g.w.resolve({ pointers: g.pointers, gen });
          group = [];
          groupBufs = [];
          start = this.writePos;
        };
        for (const w of batch) {
          try {
            const size = w.bufs.reduce((n, b) => n + b.length, 0);
            if (this.writePos + size > this.maxFileSize && this.writePos > LOG_MAGIC.length) {
              await flush();
              await this.rotate();
              start = this.writePos;
            }
            const pointers: number[] = [];
            for (const b of w.bufs) {
              pointers.push(pointer(this.writeId, this.writePos));
              this.writePos += b.length;
              groupBufs.push(b);
            }
            group.push({ w, pointers });
          } catch (err) {
            w.reject(err);
          }
        }
        try {
          await flush();
        } catch (err) {
          for (const g of group)
            g.w.reject(
              new ChannelError(
                "MR_AGENT_CHANNEL_IO",
                `file channel ${this.name}: log write failed: ${(err as Error).message}`,
                { cause: err },
              ),
            );
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async syncTo(gen: number): Promise<void> {
    while (this.syncedGen < gen) {
      if (this.syncing) {
        await this.syncing;
        continue;
      }
      const target = this.writeGen;
      const fh = this.writeFh!;
      this.syncing = fh
        .datasync()
        .then(() => {
          if (target > this.syncedGen) this.syncedGen = target;
        })
        .finally(() => {
          this.syncing = null;
        });
      await this.syncing;
    }
  }

  private async rotate(): Promise<void> {
    const fh = this.writeFh!;
    const gen = this.writeGen;
    await fh.datasync();
    if (gen > this.syncedGen) this.syncedGen = gen;
    await fh.close();
    await this.openWriteFile(this.writeId + 1);
  }

  private async openWriteFile(id: number): Promise<void> {
    const dir = this.dataDirs[id % this.dataDirs.length]!;
    const path = join(dir, `log-${id}`);
    const fh = await open(path, "w+");
    await fh.write(LOG_MAGIC, 0, LOG_MAGIC.length, 0);
    await fh.datasync();
    await fsyncDir(dir);
    this.files.set(id, { path });
    this.writeId = id;
    this.writeFh = fh;
    this.writePos = LOG_MAGIC.length;
  }

  private readHandle(id: number): Promise<FileHandle> {
    const f = this.files.get(id);
    if (!f) throw new ChannelError("MR_AGENT_CHANNEL_CORRUPT", `file channel ${this.name}: log file ${id} is gone`);
    f.read ??= open(f.path, "r");
    return f.read;
  }

  private maxFileId(): number {
    let m = 0;
    for (const id of this.files.keys()) if (id > m) m = id;
    return m;
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
      fileId = this.writeId;
      offset = this.writePos;
      this.changedSinceCheckpoint = false;
    } finally {
      this.barrier = null;
      release();
    }
    const buf = encodeCheckpoint(fileId, offset, snapshot, snapshot.length);
    const tmp = join(this.checkpointDir, "checkpoint.tmp");
    const fh = await open(tmp, "w");
    try {
      await fh.write(buf, 0, buf.length, 0);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.checkpointDir, "checkpoint"));
    await fsyncDir(this.checkpointDir);
    // delete log files behind the checkpoint that nothing references
    let minRef = fileId;
    for (const p of snapshot) {
      const f = fileOf(p);
      if (f < minRef) minRef = f;
    }
    for (const [id, f] of [...this.files]) {
      if (id >= minRef || id === this.writeId) continue;
      this.files.delete(id);
      if (f.read) await (await f.read).close().catch(() => undefined);
      await unlink(f.path).catch(() => undefined);
    }
  }

  private async replay(): Promise<void> {
    this.files.clear();
    for (const dir of this.dataDirs) {
      for (const name of readdirSync(dir)) {
        const m = /^log-(\d+)$/.exec(name);
        if (m) this.files.set(Number(m[1]), { path: join(dir, name) });
      }
    }
    let start = { fileId: 0, offset: 0 };
    let base: number[] = [];
    try {
      const ck = decodeCheckpoint(await readFile(join(this.checkpointDir, "checkpoint")));
      if (ck) {
        start = { fileId: ck.fileId, offset: ck.offset };
        base = ck.pointers;
      } else this.log?.warn({ channel: this.name }, "file channel checkpoint is corrupt: replaying every log file");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    this.replayStats = {
      checkpointEvents: base.length,
      replayedPuts: 0,
      replayedTakes: 0,
      tornTails: 0,
      incompleteTransactions: 0,
    };
    const added: number[] = [];
    const removed = new Set<number>();
    const ids = [...this.files.keys()].filter((id) => id >= start.fileId).sort((a, b) => a - b);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const isLast = i === ids.length - 1;
      const from = id === start.fileId && start.offset > 0 ? start.offset : LOG_MAGIC.length;
      const stopAt = await this.replayFile(id, from, added, removed);
      if (stopAt !== null) {
        this.replayStats.tornTails++;
        this.log?.warn(
          { channel: this.name, file: this.files.get(id)!.path, offset: stopAt },
          "file channel log has a torn tail: ignored",
        );
        if (isLast) {
          const fh = await open(this.files.get(id)!.path, "r+");
          await fh.truncate(stopAt);
          await fh.datasync();
          await fh.close();
        }
      }
    }
    const q = new Deque();
    for (const p of base) if (!removed.has(p)) q.push(p);
    for (const p of added) if (!removed.has(p)) q.push(p);
    this.queue = q;
    this.changedSinceCheckpoint = added.length > 0 || removed.size > 0;
  }

  /** replays one file; returns the offset of a torn tail, or null */
  private async replayFile(id: number, from: number, added: number[], removed: Set<number>): Promise<number | null> {
    const fh = await open(this.files.get(id)!.path, "r");
    try {
      const { size } = await fh.stat();
      const magic = Buffer.alloc(LOG_MAGIC.length);
      await fh.read(magic, 0, magic.length, 0);
      if (!magic.equals(LOG_MAGIC)) return size > 0 ? 0 : null;
      const pendingTx = new Map<number, { puts: number[]; takes: number[] }>();
      let pos = from;
      let carry = Buffer.alloc(0);
      const CHUNK = 8 * 1024 * 1024;
      while (pos - carry.length < size) {
        const readFrom = pos;
        const n = Math.min(CHUNK, size - readFrom);
        const chunk = Buffer.allocUnsafe(n);
        let got = 0;
        while (got < n) {
          const r = await fh.read(chunk, got, n - got, readFrom + got);
          if (r.bytesRead === 0) break;
          got += r.bytesRead;
        }
        const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, got)]) : chunk.subarray(0, got);
        const bufBase = readFrom - carry.length;
        const atEof = readFrom + got >= size;
        const { records, used, torn } = parseRecords(buf, bufBase, atEof);
        for (const r of records) {
          let t = pendingTx.get(r.txid);
          if (r.type === PUT) {
            if (!t) pendingTx.set(r.txid, (t = { puts: [], takes: [] }));
            t.puts.push(pointer(id, r.offset));
          } else if (r.type === TAKE) {
            if (!t) pendingTx.set(r.txid, (t = { puts: [], takes: [] }));
            t.takes.push(...decodeTake(r.payload));
          } else if (r.type === COMMIT) {
            if (t) {
              for (const p of t.puts) added.push(p);
              for (const p of t.takes) removed.add(p);
              this.replayStats.replayedPuts += t.puts.length;
              this.replayStats.replayedTakes += t.takes.length;
              pendingTx.delete(r.txid);
            }
          }
        }
        if (torn) {
          this.replayStats.incompleteTransactions += pendingTx.size;
          return bufBase + used;
        }
        carry = Buffer.from(buf.subarray(used));
        pos = readFrom + got;
        if (atEof) {
          if (carry.length > 0) {
            this.replayStats.incompleteTransactions += pendingTx.size;
            return bufBase + used;
          }
          break;
        }
      }
      this.replayStats.incompleteTransactions += pendingTx.size;
      return null;
    } finally {
      await fh.close();
    }
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
            `file channel ${this.name}: usable space in ${dir} is ${free} bytes, below minimumRequiredSpace ${this.minimumRequiredSpace}`,
          );
          break;
        }
      }
    }
    if (this.freeSpaceError) throw this.freeSpaceError;
  }
}

async function writeAll(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  let list = bufs;
  let pos = position;
  // writev takes at most IOV_MAX (1024) buffers
  while (list.length > 0) {
    const part = list.slice(0, 1024);
    const total = part.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await fh.writev(part, pos);
    pos += bytesWritten;
    if (bytesWritten === total) {
      list = list.slice(part.length);
      continue;
    }
    if (bytesWritten <= 0) throw new Error(`writev wrote ${bytesWritten} of ${total} bytes`);
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of list) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    list = rest;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
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
