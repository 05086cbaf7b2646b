/**
 * Flume's memory channel: a bounded in-memory queue with transactions.
 *
 * Keys (Flume's): capacity (100 events), transactionCapacity (100),
 * byteCapacity (bytes of event bodies; default 80% of the heap limit),
 * byteCapacityBufferPercentage (20: headroom kept for headers), keep-alive
 * (3 s: how long a commit waits for space before ChannelFullError).
 *
 * Like Flume, a put is checked against transactionCapacity at put time
 * (TransactionTooLargeError, not ChannelFullError: the channel processor splits
 * such a batch) and
 * against capacity/byteCapacity at commit, where it may wait keep-alive seconds
 * for sinks to make room. A take keeps its slot until commit; rollback puts the
 * taken events back at the head of the queue in their original order.
 *
 * A take from an empty channel waits for a commit, as Flume's does (up to
 * keep-alive there; here up to min(keep-alive, 1 s), and only for the first
 * take of a transaction, so a partial batch is not held back). Without the
 * wait a sink answers BACKOFF and its runner sleeps 1-5 s while the channel
 * fills and the sources wait for room.
 */
import { getHeapStatistics } from "node:v8";
import {
  ChannelError,
  ChannelFullError,
  type Channel,
  type ComponentEnv,
  type Context,
  type Event,
  type Transaction,
  TransactionTooLargeError,
} from "../api.js";
import { ChannelCounter } from "../counters.js";

/** Flume counts byte capacity in slots of 100 bytes. */
const SLOT = 100;

/** A FIFO with O(1) push/shift/unshift. */
class Deque<T> {
  private buf: (T | undefined)[] = new Array(16);
  private head = 0;
  length = 0;
  private grow(): void {
    const n: (T | undefined)[] = new Array(this.buf.length * 2);
    for (let i = 0; i < this.length; i++) n[i] = this.buf[(this.head + i) % this.buf.length];
    this.buf = n;
    this.head = 0;
  }
  push(v: T): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[(this.head + this.length) % this.buf.length] = v;
    this.length++;
  }
  unshift(v: T): void {
    if (this.length === this.buf.length) this.grow();
    this.head = (this.head - 1 + this.buf.length) % this.buf.length;
    this.buf[this.head] = v;
    this.length++;
  }
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.buf.length;
    this.length--;
    return v;
  }
}

/** A counting semaphore whose waiters are served in order, with a timeout. */
class Semaphore {
  private waiters: { n: number; resolve: (ok: boolean) => void; timer?: NodeJS.Timeout }[] = [];
  constructor(public permits: number) {}
  tryAcquire(n: number): boolean {
    if (this.waiters.length === 0 && this.permits >= n) {
      this.permits -= n;
      return true;
    }
    return false;
  }
  acquire(n: number, timeoutMs: number): Promise<boolean> {
    if (this.tryAcquire(n)) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const w: { n: number; resolve: (ok: boolean) => void; timer?: NodeJS.Timeout } = { n, resolve };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(false);
        this.drain();
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
  release(n: number): void {
    this.permits += n;
    this.drain();
  }
  private drain(): void {
    while (this.waiters.length > 0 && this.permits >= this.waiters[0].n) {
      const w = this.waiters.shift()!;
      this.permits -= w.n;
      clearTimeout(w.timer);
      w.resolve(true);
    }
  }
  /** wakes every waiter with failure (channel stopping) */
  failAll(): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
  }
}

export interface MemoryChannelOptions {
  capacity?: number;
  transactionCapacity?: number;
  byteCapacity?: number;
  byteCapacityBufferPercentage?: number;
  keepAliveSeconds?: number;
  agent?: string;
}

function eventBytes(e: Event): number {
  return e.body.length;
}

export class MemoryChannel implements Channel {
  private readonly queue = new Deque<Event>();
  private readonly slots: Semaphore;
  private readonly bytes: Semaphore;
  readonly counter: ChannelCounter;
  readonly cap: number;
  readonly txCap: number;
  readonly keepAliveMs: number;
  readonly byteCapacitySlots: number;
  private running = false;

  constructor(
    readonly name: string,
    o: MemoryChannelOptions = {},
  ) {
    this.cap = o.capacity ?? 100;
    this.txCap = o.transactionCapacity ?? 100;
    this.keepAliveMs = (o.keepAliveSeconds ?? 3) * 1000;
    const pct = o.byteCapacityBufferPercentage ?? 20;
    const byteCap = o.byteCapacity ?? Math.floor(getHeapStatistics().heap_size_limit * 0.8);
    this.byteCapacitySlots = Math.max(1, Math.floor((byteCap * (1 - pct / 100)) / SLOT));
    this.slots = new Semaphore(this.cap);
    this.bytes = new Semaphore(this.byteCapacitySlots);
    this.counter = new ChannelCounter(o.agent ?? "", name);
    this.counter.setSize(0, this.cap);
  }

  static fromContext(name: string, ctx: Context, env: ComponentEnv): MemoryChannel {
    const capacity = ctx.getInteger("capacity", 100);
    const transactionCapacity = ctx.getInteger("transactionCapacity", 100);
    if (capacity <= 0) throw ctx.error("capacity", "must be positive");
    if (transactionCapacity <= 0) throw ctx.error("transactionCapacity", "must be positive");
    if (transactionCapacity > capacity) {
      throw ctx.error(
        "transactionCapacity",
        `(${transactionCapacity}) must not be greater than capacity (${capacity})`,
      );
    }
    const byteCapacity = ctx.getInteger("byteCapacity");
    if (byteCapacity !== undefined && byteCapacity <= 0) throw ctx.error("byteCapacity", "must be positive");
    const pct = ctx.getInteger("byteCapacityBufferPercentage", 20);
    if (pct < 0 || pct >= 100) throw ctx.error("byteCapacityBufferPercentage", "must be between 0 and 99");
    const keepAlive = ctx.getNumber("keep-alive", 3);
    if (keepAlive < 0) throw ctx.error("keep-alive", "must not be negative");
    return new MemoryChannel(name, {
      capacity,
      transactionCapacity,
      byteCapacity,
      byteCapacityBufferPercentage: pct,
      keepAliveSeconds: keepAlive,
      agent: env.agentName,
    });
  }

  start(): void {
    this.running = true;
    this.counter.register();
    this.counter.setSize(this.queue.length, this.cap);
  }
  stop(): void {
    this.running = false;
    this.wakeTakers();
    this.slots.failAll();
    this.bytes.failAll();
    this.counter.unregister();
  }
  size(): number {
    return this.queue.length;
  }
  capacity(): number {
    return this.cap;
  }
  transactionCapacity(): number {
    return this.txCap;
  }
  /** byte-capacity slots in use (for tests: memory stays bounded) */
  bytesInUse(): number {
    return (this.byteCapacitySlots - this.bytes.permits) * SLOT;
  }

  getTransaction(): Transaction {
    return new MemoryTransaction(this);
  }

  // ---- used by MemoryTransaction
  /** @internal */ _take(): Event | undefined {
    return this.queue.shift();
  }
  private takeWaiters: (() => void)[] = [];
  private wakeTakers(): void {
    for (const w of this.takeWaiters.splice(0)) w();
  }
  /** @internal waits (bounded) for the next commit of puts; resolves at once when stopped */
  async _awaitPut(): Promise<void> {
    const ms = Math.min(this.keepAliveMs, 1000);
    if (!this.running || ms <= 0 || this.queue.length > 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.takeWaiters = this.takeWaiters.filter((w) => w !== done);
        resolve();
      }, ms);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.takeWaiters.push(done);
    });
  }
  /** @internal */ async _commit(puts: Event[], takes: Event[], putBytes: number, takeBytes: number): Promise<void> {
    const change = takes.length - puts.length;
    if (change < 0) {
      if (!(await this.slots.acquire(-change, this.running ? this.keepAliveMs : 0))) {
        throw new ChannelFullError(
          this.name,
          "space for commit to queue couldn't be acquired; sinks are likely not keeping up with " +
            `sources, or the buffer size is too tight (capacity ${this.cap})`,
        );
      }
    }
    const putSlots = Math.ceil(putBytes / SLOT);
    if (putSlots > 0 && !(await this.bytes.acquire(putSlots, this.running ? this.keepAliveMs : 0))) {
      if (change < 0) this.slots.release(-change);
      throw new ChannelFullError(this.name, `byte capacity (${this.byteCapacitySlots * SLOT} bytes) is full`);
    }
    for (const e of puts) this.queue.push(e);
    if (puts.length > 0) this.wakeTakers();
    if (change > 0) this.slots.release(change);
    const takeSlots = Math.ceil(takeBytes / SLOT);
    if (takeSlots > 0) this.bytes.release(takeSlots);
    this.counter.inc("EventPutSuccessCount", puts.length);
    this.counter.inc("EventTakeSuccessCount", takes.length);
    this.counter.setSize(this.queue.length, this.cap);
  }
  /** @internal */ _rollback(takes: Event[]): void {
    for (let i = takes.length - 1; i >= 0; i--) this.queue.unshift(takes[i]);
    this.counter.inc("RollbackCounter");
    this.counter.setSize(this.queue.length, this.cap);
  }
}

type TxState = "NEW" | "OPEN" | "COMPLETED" | "CLOSED";

class MemoryTransaction implements Transaction {
  private state: TxState = "NEW";
  private puts: Event[] = [];
  private takes: Event[] = [];
  private putBytes = 0;
  private takeBytes = 0;
  constructor(private readonly ch: MemoryChannel) {}

  private need(state: TxState, op: string): void {
    if (this.state !== state)
      throw new ChannelError("MR_AGENT_TX_STATE", `${op} on a ${this.state} transaction of channel ${this.ch.name}`);
  }
  begin(): void {
    this.need("NEW", "begin");
    this.state = "OPEN";
  }
  async put(event: Event): Promise<void> {
    this.need("OPEN", "put");
    this.ch.counter.inc("EventPutAttemptCount");
    // not ChannelFullError: this transaction can never hold the batch, however empty the channel
    if (this.puts.length >= this.ch.txCap) throw new TransactionTooLargeError(this.ch.name, this.ch.txCap);
    this.puts.push(event);
    this.putBytes += eventBytes(event);
  }
  async take(): Promise<Event | null> {
    this.need("OPEN", "take");
    if (this.takes.length >= this.ch.txCap) {
      throw new ChannelError(
        "MR_AGENT_TAKE_LIST_FULL",
        `take list for the transaction of channel ${this.ch.name} (capacity ${this.ch.txCap}) is ` +
          "full; commit more often or raise transactionCapacity",
      );
    }
    this.ch.counter.inc("EventTakeAttemptCount");
    let e = this.ch._take();
    if (e === undefined && this.takes.length === 0) {
      await this.ch._awaitPut();
      e = this.ch._take();
    }
    if (e === undefined) return null;
    this.takes.push(e);
    this.takeBytes += eventBytes(e);
    return e;
  }
  async commit(): Promise<void> {
    this.need("OPEN", "commit");
    this.state = "COMPLETED";
    try {
      await this.ch._commit(this.puts, this.takes, this.putBytes, this.takeBytes);
    } catch (e) {
      this.state = "OPEN"; // the caller rolls back
      throw e;
    }
    this.puts = [];
    this.takes = [];
  }
  async rollback(): Promise<void> {
    if (this.state === "COMPLETED" && this.puts.length === 0 && this.takes.length === 0) return;
    this.need("OPEN", "rollback");
    this.state = "COMPLETED";
    this.ch._rollback(this.takes);
    this.puts = [];
    this.takes = [];
  }
  close(): void {
    if (this.state === "OPEN")
      throw new ChannelError(
        "MR_AGENT_TX_STATE",
        `close of an open transaction of channel ${this.ch.name}: commit or roll back first`,
      );
    this.state = "CLOSED";
  }
}
