/**
 * Flume's hdfs sink (HDFSEventSink): events go to files under hdfs.path (with
 * BucketPath escapes), one open file per resolved path + prefix (a bucket).
 * Files are named <filePrefix>.<counter><fileSuffix>[.gz], written as
 * <inUsePrefix><name><inUseSuffix> and renamed on close. A file is closed (rolled)
 * after rollInterval seconds, rollSize bytes of bodies, rollCount events (checked
 * before each append, as Flume does) or idleTimeout seconds without writes.
 *
 * fileType DataStream writes the serializer's bytes; CompressedStream (codeC gzip)
 * writes one gzip member per flush (gunzip reads the concatenation).
 *
 * Delivery: a batch is taken in one transaction, written to every bucket it
 * touched and flushed (fdatasync / WebHDFS response), then committed. Any failure
 * rolls the transaction back and returns BACKOFF. An event whose time escapes
 * cannot be resolved (no `timestamp` header and useLocalTimeStamp false) fails its
 * batch the same way, every time, as in Flume (the sink is stuck on it until a
 * timestamp interceptor or useLocalTimeStamp is configured); EventWriteFail counts it.
 */
import { gzipSync } from "node:zlib";
import type { Logger } from "pino";
import { Context, type Channel, type ComponentEnv, type Event, type Sink, type Status } from "../api.js";
import { SinkCounter } from "../counters.js";
import { escapeString, validTimeZone, type EscapeOptions } from "./hdfs/bucket-path.js";
import { LocalFs, WebHdfs, isWebHdfs, localPath, type OutFile, type SinkFs } from "./hdfs/fs.js";
import { TextSerializer, createSerializer, type EventSerializer } from "./serializers.js";

export interface HdfsSinkOptions {
  path: string;
  filePrefix?: string;
  fileSuffix?: string;
  inUsePrefix?: string;
  inUseSuffix?: string;
  rollInterval?: number;
  rollSize?: number;
  rollCount?: number;
  idleTimeout?: number;
  batchSize?: number;
  fileType?: "DataStream" | "CompressedStream";
  codeC?: "gzip";
  maxOpenFiles?: number;
  callTimeout?: number;
  user?: string;
  escape?: EscapeOptions;
  serializer?: () => EventSerializer;
  agentName?: string;
  logger?: Logger;
}

class BucketWriter {
  private out: OutFile | null = null;
  private inUsePath = "";
  private targetPath = "";
  private counter = Date.now();
  private events = 0;
  private bytes = 0;
  private pending: Event[] = [];
  private serializer: EventSerializer;
  private rollTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  closed = false;

  constructor(
    private readonly sink: HdfsSink,
    readonly dir: string,
    readonly prefix: string,
  ) {
    this.serializer = sink.makeSerializer();
  }

  /** runs fn after everything queued before (process() and timers share a writer) */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async open(): Promise<void> {
    const o = this.sink.opts;
    this.counter++;
    const ext = o.fileType === "CompressedStream" ? ".gz" : "";
    const name = `${this.prefix}.${this.counter}${o.fileSuffix ?? ""}${ext}`;
    this.targetPath = `${this.dir}/${name}`;
    this.inUsePath = `${this.dir}/${o.inUsePrefix ?? ""}${name}${o.inUseSuffix ?? ".tmp"}`;
    this.serializer = this.sink.makeSerializer();
    try {
      this.out = await this.sink.fs.create(this.inUsePath, this.encode(this.serializer.header(), true));
    } catch (err) {
      this.sink.counter.inc("ConnectionFailedCount");
      throw err;
    }
    this.sink.counter.inc("ConnectionCreatedCount");
    this.events = 0;
    this.bytes = 0;
    if ((o.rollInterval ?? 30) > 0) {
      this.rollTimer = setTimeout(
        () => {
          void this.run(() => this.close()).catch((err) =>
            this.sink.log?.error({ err, sink: this.sink.name }, "hdfs: roll failed"),
          );
        },
        (o.rollInterval ?? 30) * 1000,
      );
      this.rollTimer.unref();
    }
  }

  private encode(data: Buffer, isHeader = false): Buffer {
    if (this.sink.opts.fileType === "CompressedStream" && (data.length > 0 || !isHeader))
      return data.length > 0 ? gzipSync(data) : data;
    return data;
  }

  /** buffers one event, rolling first when rollCount/rollSize is reached */
  async append(e: Event): Promise<void> {
    const o = this.sink.opts;
    if (!this.out) await this.open();
    const rollCount = o.rollCount ?? 10;
    const rollSize = o.rollSize ?? 1024;
    if ((rollCount > 0 && this.events >= rollCount) || (rollSize > 0 && this.bytes >= rollSize)) {
      await this.close(false);
      await this.open();
    }
    this.pending.push(e);
    this.events++;
    this.bytes += e.body.length;
  }

  /** writes buffered events durably */
  async flush(): Promise<void> {
    if (this.pending.length === 0 || !this.out) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.out.write(this.encode(this.serializer.encode(batch)));
    } catch (err) {
      // the batch is rolled back and retaken; the file keeps what earlier batches wrote
      this.events -= batch.length;
      this.bytes -= batch.reduce((n, e) => n + e.body.length, 0);
      throw err;
    }
    this.touch();
  }

  private touch(): void {
    const idle = this.sink.opts.idleTimeout ?? 0;
    if (idle <= 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      void this.run(async () => {
        await this.close();
        this.sink.forget(this);
      }).catch((err) => this.sink.log?.error({ err, sink: this.sink.name }, "hdfs: idle close failed"));
    }, idle * 1000);
    this.idleTimer.unref();
  }

  private clearTimers(): void {
    if (this.rollTimer) clearTimeout(this.rollTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.rollTimer = this.idleTimer = null;
  }

  /** flushes, closes and renames the in-use file to its final name */
  async close(final = true): Promise<void> {
    if (!this.out) return;
    await this.flush();
    this.clearTimers();
    const out = this.out;
    this.out = null;
    await out.close();
    await this.sink.fs.rename(this.inUsePath, this.targetPath);
    this.sink.counter.inc("ConnectionClosedCount");
    this.sink.closedFiles.push(this.targetPath);
    if (final) this.closed = true;
  }

  discardPending(): void {
    this.pending = [];
  }
}

export class HdfsSink implements Sink {
  readonly counter: SinkCounter;
  readonly fs: SinkFs;
  readonly log?: Logger;
  /** final paths of every file closed, in order (for tests and tools) */
  readonly closedFiles: string[] = [];
  private channel: Channel | null = null;
  private readonly writers = new Map<string, BucketWriter>();
  private readonly batch: number;
  /** events per take transaction (checked against the channel's transactionCapacity) */
  batchSize(): number {
    return this.batch;
  }

  constructor(
    readonly name: string,
    readonly opts: HdfsSinkOptions,
  ) {
    this.fs = isWebHdfs(opts.path) ? new WebHdfs(opts.user, opts.callTimeout ?? 10_000) : new LocalFs();
    this.batch = opts.batchSize ?? 100;
    this.log = opts.logger;
    this.counter = new SinkCounter(opts.agentName ?? "agent", name);
  }

  makeSerializer(): EventSerializer {
    return this.opts.serializer ? this.opts.serializer() : new TextSerializer();
  }

  setChannel(channel: Channel): void {
    this.channel = channel;
  }
  start(): void {
    this.counter.register();
  }
  async stop(): Promise<void> {
    for (const w of [...this.writers.values()]) {
      await w.run(() => w.close()).catch((err) => this.log?.error({ err, sink: this.name }, "hdfs: close failed"));
    }
    this.writers.clear();
    this.counter.unregister();
  }

  forget(w: BucketWriter): void {
    const key = `${w.dir}/${w.prefix}`;
    if (this.writers.get(key) === w) this.writers.delete(key);
  }

  private writerFor(e: Event): BucketWriter {
    const esc = this.opts.escape ?? {};
    let dir = escapeString(this.opts.path, e.headers, esc);
    if (!isWebHdfs(dir)) dir = localPath(dir);
    dir = dir.replace(/\/+$/, "");
    const prefix = escapeString(this.opts.filePrefix ?? "FlumeData", e.headers, esc);
    const key = `${dir}/${prefix}`;
    let w = this.writers.get(key);
    if (!w || w.closed) {
      w = new BucketWriter(this, dir, prefix);
      this.writers.set(key, w);
      const max = this.opts.maxOpenFiles ?? 5000;
      if (this.writers.size > max) {
        const [eldestKey, eldest] = this.writers.entries().next().value as [string, BucketWriter];
        this.writers.delete(eldestKey);
        void eldest
          .run(() => eldest.close())
          .catch((err) => this.log?.error({ err, sink: this.name }, "hdfs: close failed"));
      }
    }
    return w;
  }

  async process(): Promise<Status> {
    if (!this.channel) throw new Error(`sink ${this.name} has no channel`);
    const tx = this.channel.getTransaction();
    tx.begin();
    const touched = new Set<BucketWriter>();
    let n = 0;
    try {
      for (; n < this.batch; n++) {
        const e = await tx.take();
        if (!e) break;
        const w = this.writerFor(e);
        touched.add(w);
        await w.run(() => w.append(e));
      }
      this.counter.inc("EventDrainAttemptCount", n);
      for (const w of touched) await w.run(() => w.flush());
      await tx.commit();
      this.counter.inc("EventDrainSuccessCount", n);
      if (n === 0) this.counter.inc("BatchEmptyCount");
      else if (n < this.batch) this.counter.inc("BatchUnderflowCount");
      else this.counter.inc("BatchCompleteCount");
      return n === 0 ? "BACKOFF" : "READY";
    } catch (err) {
      for (const w of touched) w.discardPending();
      this.counter.inc("EventWriteFail");
      this.log?.error({ err, sink: this.name }, "hdfs: batch failed, transaction rolled back");
      await tx.rollback().catch(() => undefined);
      return "BACKOFF";
    } finally {
      tx.close();
    }
  }
}

export function createHdfsSink(name: string, ctx: Context, env: ComponentEnv): HdfsSink {
  const path = ctx.requireString("hdfs.path");
  const nonNeg = (key: string, def: number) => {
    const v = ctx.getInteger(key, def);
    if (v < 0) throw ctx.error(key, "must be >= 0");
    return v;
  };
  const fileType = ctx.getString("hdfs.fileType", "DataStream");
  if (fileType !== "DataStream" && fileType !== "CompressedStream")
    throw ctx.error("hdfs.fileType", `"${fileType}" is not supported (DataStream or CompressedStream)`);
  let codeC: "gzip" | undefined;
  if (ctx.has("hdfs.codeC") || fileType === "CompressedStream") {
    const c = ctx.getString("hdfs.codeC", "").toLowerCase();
    if (c !== "gzip" && c !== "gzipcodec" && c !== "org.apache.hadoop.io.compress.gzipcodec")
      throw ctx.error("hdfs.codeC", `"${c}" is not supported (gzip)`);
    codeC = "gzip";
  }
  // Flume's writeFormat applies to SequenceFile only; DataStream ignores it, so do we
  ctx.getString("hdfs.writeFormat");
  const roundUnit = ctx.getString("hdfs.roundUnit", "second").toLowerCase();
  if (roundUnit !== "second" && roundUnit !== "minute" && roundUnit !== "hour")
    throw ctx.error("hdfs.roundUnit", `must be second, minute or hour, got "${roundUnit}"`);
  const roundValue = ctx.getInteger("hdfs.roundValue", 1);
  if (roundValue <= 0) throw ctx.error("hdfs.roundValue", "must be positive");
  const timeZone = ctx.getString("hdfs.timeZone");
  if (timeZone && !validTimeZone(timeZone)) throw ctx.error("hdfs.timeZone", `unknown time zone "${timeZone}"`);
  const batchSize = ctx.getInteger("hdfs.batchSize", 100);
  if (batchSize <= 0) throw ctx.error("hdfs.batchSize", "must be positive");
  const serCtx = ctx;
  createSerializer(serCtx, "serializer"); // validates
  const serType = ctx.getString("serializer", "TEXT");
  const appendNewline = ctx.sub("serializer").getBoolean("appendNewline", true);
  return new HdfsSink(name, {
    path,
    filePrefix: ctx.getString("hdfs.filePrefix", "FlumeData"),
    fileSuffix: ctx.getString("hdfs.fileSuffix", ""),
    inUsePrefix: ctx.getString("hdfs.inUsePrefix", ""),
    inUseSuffix: ctx.getString("hdfs.inUseSuffix", ".tmp"),
    rollInterval: nonNeg("hdfs.rollInterval", 30),
    rollSize: nonNeg("hdfs.rollSize", 1024),
    rollCount: nonNeg("hdfs.rollCount", 10),
    idleTimeout: nonNeg("hdfs.idleTimeout", 0),
    batchSize,
    fileType,
    codeC,
    maxOpenFiles: ctx.getInteger("hdfs.maxOpenFiles", 5000),
    callTimeout: ctx.getInteger("hdfs.callTimeout", 10_000),
    user: ctx.getString("hdfs.proxyUser") || undefined,
    escape: {
      timeZone: timeZone || undefined,
      useLocalTimeStamp: ctx.getBoolean("hdfs.useLocalTimeStamp", false),
      round: ctx.getBoolean("hdfs.round", false),
      roundValue,
      roundUnit: roundUnit as "second" | "minute" | "hour",
    },
    serializer: () =>
      createSerializer(
        Context.of({ serializer: serType, "serializer.appendNewline": String(appendNewline) }),
        "serializer",
      ),
    agentName: env.agentName,
    logger: env.logger,
  });
}
