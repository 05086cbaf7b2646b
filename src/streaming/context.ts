/**
 * StreamingContext: the driver of a micro-batch streaming app. Every batch
 * interval (on multiples of it) the job generator asks each input what the
 * batch holds (Kafka offset ranges are decided here), records that in the
 * checkpoint, and queues the batch; queued batches run one at a time, in
 * order: their jobs (output operations, state snapshots, the checkpoint's done
 * record) in scheduler.ts, then the batch's completion is recorded.
 */
import { EventEmitter } from "node:events";
import pino, { type Logger } from "pino";
import { Checkpoint } from "./checkpoint.js";
import type { DStream, InputDStream } from "./dstream.js";
import { DStreamGraph, type GraphHost } from "./graph.js";
import { StreamingError } from "./errors.js";
import { InThreadPool, parseMaster, type TaskPool } from "./executor.js";
import { RDD, type RDDEnv } from "./rdd.js";
import { TaskRegistry, WorkerPool, isStreamingWorker, registerWorkerContext } from "./worker.js";
import { FileInputDStream, QueueInputDStream, SocketTextInputDStream } from "./inputs.js";
import { M, runBatchJobs, type BatchInfo } from "./scheduler.js";

export interface StreamingContextOptions {
  appName: string;
  /** batch interval in milliseconds */
  batchInterval: number;
  /** local, local[N], local[*]; MILLRACE_MASTER (set by `millrace submit --master`) overrides it */
  master?: string;
  /** checkpoint directory: offset ranges, state snapshots and completed batches */
  checkpoint?: string;
  /** the module that builds the graph (import.meta.url), for worker threads */
  appModule?: string;
  /** attempts of an output operation before the batch fails (spark.task.maxFailures); default 1 */
  maxFailures?: number;
  /** Spark-style settings: spark.task.maxFailures, spark.streaming.backpressure.enabled, ... */
  conf?: Record<string, string>;
  /** how many completed batches `batches()` keeps (default 1000) */
  retainedBatches?: number;
  logger?: Logger;
}

export type ContextState = "initialized" | "active" | "stopped";

interface QueuedBatch {
  info: BatchInfo;
}

let active: StreamingContext | undefined;

export class StreamingContext implements GraphHost {
  readonly appName: string;
  readonly batchInterval: number;
  readonly master: string;
  readonly parallelism: number;
  readonly graph = new DStreamGraph();
  readonly env: RDDEnv;
  readonly listener = new EventEmitter();
  readonly logger: Logger;
  readonly appModule: string | undefined;
  readonly conf: Record<string, string>;
  private checkpointDir: string | undefined;
  private ckpt: Checkpoint | undefined;
  private readonly pool: TaskPool;
  private readonly maxFailures: number;
  private readonly retained: number;
  private _state: ContextState = "initialized";
  private readonly history: BatchInfo[] = [];
  private readonly queue: QueuedBatch[] = [];
  private nextTime = 0;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private stopping = false;
  private graceful = false;
  private running: Promise<void> | undefined;
  private generating: Promise<void> | undefined;
  private termination: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void };
  private error: unknown;
  private workers: WorkerPool | undefined;
  /** true in a worker thread: the graph is built for its closures only (no checkpoint, inputs or timers) */
  readonly definitionOnly: boolean;
  private workerStarted: (() => void) | undefined;

  constructor(opts: StreamingContextOptions) {
    if (!Number.isInteger(opts.batchInterval) || opts.batchInterval <= 0) {
      throw new StreamingError(
        "MR_STREAMING_CONFIG",
        `batchInterval must be a positive whole number of milliseconds, got ${opts.batchInterval}`,
      );
    }
    this.appName = process.env.MILLRACE_APP_NAME || opts.appName;
    this.batchInterval = opts.batchInterval;
    this.master = process.env.MILLRACE_MASTER || opts.master || "local[2]";
    this.parallelism = parseMaster(this.master);
    this.conf = {
      ...(opts.conf ?? {}),
      ...(process.env.MILLRACE_CONF ? (JSON.parse(process.env.MILLRACE_CONF) as Record<string, string>) : {}),
    };
    this.maxFailures = Math.max(1, opts.maxFailures ?? Number(this.conf["spark.task.maxFailures"] ?? 1));
    this.retained = opts.retainedBatches ?? 1000;
    this.appModule = opts.appModule ?? process.env.MILLRACE_APP_MODULE;
    this.logger =
      opts.logger ??
      pino({ name: `streaming:${opts.appName}`, level: process.env.MILLRACE_LOG_LEVEL ?? "warn" }, pino.destination(2));
    this.pool = new InThreadPool(this.parallelism);
    this.env = { pool: this.pool, parallelism: this.parallelism, tasks: new TaskRegistry() };
    this.definitionOnly = isStreamingWorker();
    if (this.definitionOnly) this.workerStarted = registerWorkerContext(this.appName, this.env.tasks!);
    else if (opts.checkpoint) this.checkpoint(opts.checkpoint);
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {});
    this.termination = { promise, resolve, reject };
  }

  /**
   * Like Spark's getOrCreate: builds the context with `factory` (which defines the
   * whole graph); when `checkpointDir` holds a previous run, start() resumes it:
   * unfinished batches re-run with their recorded offset ranges and the last state.
   */
  static async getOrCreate(
    checkpointDir: string,
    factory: () => StreamingContext | Promise<StreamingContext>,
  ): Promise<StreamingContext> {
    const ssc = await factory();
    if (ssc.checkpointDir === undefined) ssc.checkpoint(checkpointDir);
    return ssc;
  }

  static getActive(): StreamingContext | undefined {
    return active;
  }

  get state(): ContextState {
    return this._state;
  }

  checkpoint(dir: string): void {
    if (this.definitionOnly) return;
    if (this._state !== "initialized")
      throw new StreamingError("MR_STREAMING_STARTED", "checkpoint() must be set before start()");
    this.checkpointDir = dir;
  }

  log(msg: string): void {
    this.logger.info(msg);
  }

  /** the last completed (or failed) batches, oldest first */
  batches(): BatchInfo[] {
    return [...this.history];
  }

  /** batches generated and waiting or running */
  pendingBatches(): BatchInfo[] {
    return this.queue.map((q) => q.info);
  }

  async start(): Promise<void> {
    if (this.definitionOnly) {
      // in a worker thread: the graph is complete; nothing runs here
      this._state = "active";
      this.workerStarted?.();
      return;
    }
    if (this._state !== "initialized")
      throw new StreamingError("MR_STREAMING_STARTED", `cannot start a StreamingContext that is ${this._state}`);
    if (this.graph.outputs.length === 0)
      throw new StreamingError(
        "MR_STREAMING_NO_OUTPUT",
        "no output operations registered: add print(), foreachRDD() or saveAsTextFiles()",
      );
    this.graph.prepare(this.batchInterval);
    // workers first: loading the app module in them takes a while, and the first batch should not wait for it
    await this.startWorkers();
    try {
      await this.startDriver();
    } catch (e) {
      this.env.remote = undefined;
      await this.workers?.close();
      throw e;
    }
  }

  private async startDriver(): Promise<void> {
    const I = this.batchInterval;
    let resumed: number[] = [];
    if (this.checkpointDir) {
      this.ckpt = new Checkpoint(this.checkpointDir);
      const meta = this.ckpt.meta();
      if (meta) {
        if (meta.batchInterval !== I) {
          throw new StreamingError(
            "MR_STREAMING_CHECKPOINT",
            `checkpoint ${this.checkpointDir} was written with batchInterval ${meta.batchInterval} ms, not ${I} ms`,
          );
        }
        resumed = this.restore(this.ckpt, meta.zeroTime);
      } else {
        this.graph.zeroTime = Math.floor(Date.now() / I) * I;
        this.nextTime = this.graph.zeroTime + I;
        this.ckpt.writeMeta({ appName: this.appName, batchInterval: I, zeroTime: this.graph.zeroTime });
      }
    } else {
      this.graph.zeroTime = Math.floor(Date.now() / I) * I;
      this.nextTime = this.graph.zeroTime + I;
    }
    for (const input of this.graph.inputs()) await input.start();
    this._state = "active";
    active = this;
    for (const t of resumed)
      this.enqueue({ time: t, records: this.countRecords(t), submittedAt: Date.now(), stages: [], recovered: true });
    this.generating = this.generatorLoop();
    this.kick();
    this.logger.info({ zeroTime: this.graph.zeroTime, resumed }, "streaming context started");
  }

  private async startWorkers(): Promise<void> {
    if (this.parallelism < 2) return;
    const why = !this.appModule
      ? "no app module (give appModule: import.meta.url, or run it with millrace submit)"
      : this.env.tasks!.fns.length === 0
        ? "the graph has no per-partition operations"
        : undefined;
    if (why) {
      this.logger.info(`${this.master}: tasks run in the driver thread: ${why}`);
      return;
    }
    const pool = new WorkerPool({
      size: this.parallelism,
      appModule: this.appModule!,
      appName: this.appName,
      taskCount: () => this.env.tasks!.fns.length,
      logger: this.logger,
    });
    try {
      await pool.start();
    } catch (e) {
      this.logger.warn(
        { err: e },
        `${this.master}: cannot load the app module in worker threads; tasks run in the driver thread`,
      );
      return;
    }
    this.workers = pool;
    this.env.remote = pool;
  }

  /** whether per-partition tasks run on worker threads */
  get usesWorkerThreads(): boolean {
    return this.env.remote !== undefined;
  }

  private restore(ckpt: Checkpoint, zeroTime: number): number[] {
    this.graph.zeroTime = zeroTime;
    const inputs = new Map(this.graph.inputs().map((s) => [String(s.id), s]));
    const batches = ckpt.batches();
    for (const [time, infos] of batches) {
      for (const [id, info] of Object.entries(infos)) inputs.get(id)?.restoreInfo(time, info);
    }
    const done = ckpt.lastDone();
    const lastDone = done?.time ?? zeroTime;
    if (done) {
      const byId = new Map(this.graph.streams.map((s) => [String(s.id), s]));
      for (const [id, snap] of Object.entries(done.states)) {
        const s = byId.get(id);
        if (!s?.isStateful()) {
          throw new StreamingError(
            "MR_STREAMING_CHECKPOINT",
            `checkpoint state of stream ${id} does not match the graph the factory built (was the app changed?)`,
          );
        }
        s.restoreRDD(snap.time, RDD.of(this.env, snap.partitions as unknown[][], "checkpoint"));
      }
    }
    const pending = [...batches.keys()].filter((t) => t > lastDone).sort((a, b) => a - b);
    const last = Math.max(lastDone, ...batches.keys());
    this.nextTime = last + this.batchInterval;
    return pending;
  }

  private countRecords(time: number): number {
    let n = 0;
    for (const input of this.graph.inputs()) n += input.recordCount(input.infoFor(time)) ?? 0;
    return n;
  }

  private sleepUntil(t: number): Promise<void> {
    const ms = t - Date.now();
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  private async generatorLoop(): Promise<void> {
    let backoff = 0;
    while (!this.stopping) {
      // timers may fire a millisecond early (by the wall clock): a batch is never generated before its time
      while (!this.stopping && Date.now() < this.nextTime) await this.sleepUntil(this.nextTime);
      if (this.stopping) break;
      const time = this.nextTime;
      try {
        await this.generateBatch(time);
        this.nextTime = time + this.batchInterval;
        backoff = 0;
      } catch (e) {
        if (e instanceof StreamingError && e.code === "MR_STREAMING_CONFIG") {
          this.fail(e);
          break;
        }
        backoff = Math.min(5000, backoff ? backoff * 2 : 100);
        this.logger.warn({ err: e, time }, `cannot generate the batch of time ${time} ms; retrying in ${backoff} ms`);
        await new Promise((r) => setTimeout(r, backoff));
      }
    }
  }

  private async generateBatch(time: number): Promise<void> {
    const infos: Record<string, unknown> = {};
    const inputs = this.graph.inputs();
    const decided: unknown[] = [];
    for (const input of inputs) decided.push(await input.prepare(time));
    if (this.stopping && !this.graceful) return;
    let records = 0;
    inputs.forEach((input, i) => {
      input.setInfo(time, decided[i]);
      if (input.recoverable()) infos[String(input.id)] = decided[i];
      records += input.recordCount(decided[i]) ?? 0;
    });
    // the batch's contents are durable before it runs
    this.ckpt?.writeBatch(time, infos);
    this.enqueue({ time, records, submittedAt: Date.now(), stages: [] });
  }

  private enqueue(info: BatchInfo): void {
    this.queue.push({ info });
    M.queued.set({ app: this.appName }, this.queue.length);
    this.listener.emit("batchSubmitted", info);
    this.kick();
  }

  private kick(): void {
    if (this.running || this._state !== "active" || (this.stopping && !this.graceful)) return;
    this.running = this.runQueue()
      .catch((e) => this.fail(e))
      .finally(() => {
        this.running = undefined;
        if (this.queue.length && !this.error && this._state === "active" && !(this.stopping && !this.graceful))
          this.kick();
      });
  }

  private async runQueue(): Promise<void> {
    while (this.queue.length && !this.error) {
      if (this.stopping && !this.graceful) return;
      const b = this.queue[0]!;
      try {
        await this.runBatch(b.info);
      } catch (e) {
        b.info.error = (e as Error).message;
        this.record(b.info);
        M.failed.inc({ app: this.appName });
        this.listener.emit("batchFailed", b.info, e);
        this.logger.error({ err: e, time: b.info.time }, "batch failed");
        this.fail(e);
        return;
      }
      this.queue.shift();
      M.queued.set({ app: this.appName }, this.queue.length);
    }
  }

  private async runBatch(info: BatchInfo): Promise<void> {
    info.startedAt = Date.now();
    info.schedulingDelay = Math.max(0, info.startedAt - info.time);
    this.listener.emit("batchStarted", info);
    const { appName, batchInterval, graph, maxFailures, logger } = this;
    await runBatchJobs({ appName, batchInterval, graph, maxFailures, logger, checkpoint: this.ckpt }, info);
    this.record(info);
    this.listener.emit("batchCompleted", info);
  }

  private record(info: BatchInfo): void {
    this.history.push(info);
    while (this.history.length > this.retained) this.history.shift();
  }

  private fail(e: unknown): void {
    if (this.error) return;
    this.error = e;
    if (this.listener.listenerCount("error") > 0) this.listener.emit("error", e);
    void this.shutdown().then(() => this.termination.reject(e));
  }

  /**
   * Stops generating batches. graceful: the batches already generated run to
   * completion first; otherwise only the running batch finishes. Do not await
   * stop() inside an output operation (the batch waits for itself): call it
   * without await there.
   */
  async stop(opts: { graceful?: boolean } = {}): Promise<void> {
    if (this._state === "initialized" || this.definitionOnly) {
      this._state = "stopped";
      this.termination.resolve();
      return;
    }
    if (this._state === "stopped") return this.termination.promise.catch(() => {});
    this.graceful = !!opts.graceful;
    await this.shutdown();
    if (!this.error) this.termination.resolve();
  }

  private shuttingDown: Promise<void> | undefined;
  private shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      this.stopping = true;
      if (this.timer) clearTimeout(this.timer);
      this.wake?.();
      await this.generating?.catch(() => {});
      while (this.running) await this.running.catch(() => {});
      for (const input of this.graph.inputs())
        await input.stop().catch((e) => this.logger.warn({ err: e }, "input stop failed"));
      await this.pool.close();
      this.env.remote = undefined;
      await this.workers?.close();
      this._state = "stopped";
      if (active === this) active = undefined;
      this.listener.emit("stopped");
    })();
    return this.shuttingDown;
  }

  /** resolves when the context stops; rejects with the error that stopped it */
  awaitTermination(): Promise<void> {
    // in a worker thread the app never terminates (its code after this point is the driver's)
    if (this.definitionOnly) return new Promise<void>(() => {});
    return this.termination.promise;
  }

  /** resolves true when stopped within `ms`, false otherwise */
  async awaitTerminationOrTimeout(ms: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (t = setTimeout(() => r(false), ms)));
    try {
      return await Promise.race([this.termination.promise.then(() => true), timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  // ---- inputs (Kafka: KafkaUtils.createDirectStream in kafka.ts) ----

  /** each batch takes the next RDD (or array) of `queue` (all of them when oneAtATime is false); for tests */
  queueStream<T>(queue: Array<RDD<T> | T[]>, oneAtATime = true, defaultRDD?: RDD<T> | T[]): InputDStream<T> {
    return new QueueInputDStream<T>(this, queue, oneAtATime, defaultRDD);
  }

  /** lines read from a TCP server (like `nc -lk 9999`) */
  socketTextStream(host: string, port: number): InputDStream<string> {
    return new SocketTextInputDStream(this, host, port);
  }

  /** lines of files that appear in `dir` after the start */
  textFileStream(dir: string): InputDStream<string> {
    return new FileInputDStream(this, dir);
  }

  /** an RDD of `items` in `numSlices` partitions */
  parallelize<T>(items: T[], numSlices = this.parallelism): RDD<T> {
    const parts: T[][] = Array.from({ length: Math.max(1, numSlices) }, () => []);
    const per = Math.ceil(items.length / parts.length);
    items.forEach((x, i) => {
      parts[Math.min(parts.length - 1, Math.floor(i / Math.max(1, per)))]!.push(x);
    });
    return RDD.of(this.env, parts);
  }
}

export type { DStream };
