/**
 * DStream: a sequence of RDDs, one per batch time (a multiple of its slide
 * duration). Operations build a graph; each batch the scheduler asks the output
 * streams for their RDD of that time, which asks their parents, and so on. RDDs
 * are lazy: nothing is read or computed until an output operation runs.
 */
import { StreamingError, TaskFailedError } from "./errors.js";
import { printOp, saveAsTextFilesOp, writeToTopicOp, type WriteToTopicOptions } from "./output-ops.js";
import { COUNT_TASKS, Part, RDD, type RDDEnv } from "./rdd.js";
import type { PartFn } from "./worker.js";
import type { StateSpec } from "./state.js";
import { mapWithState, reduceWindow, updateStateByKey, type MWSItem } from "./stateful.js";
import type { TopicsPort } from "../topics/port.js";
import type { GraphHost } from "./graph.js";

type KV<K, V> = [K, V];

/**
 * registers a partition function (graph-construction order) for worker threads; undefined when the host has
 * no registry
 */
function task(ssc: GraphHost, fn: unknown): number | undefined {
  return ssc.env.tasks?.register(fn as PartFn);
}

export abstract class DStream<T> {
  readonly id: number;
  protected readonly generated = new Map<number, RDD<T>>();
  rememberDuration = 0;

  constructor(
    readonly ssc: GraphHost,
    readonly parents: DStream<unknown>[],
    readonly slideDuration: number,
    readonly opName: string,
  ) {
    this.id = ssc.graph.register(this as DStream<unknown>);
  }

  /** the RDD of this batch time; undefined when the stream has no RDD at that time */
  protected abstract compute(time: number): RDD<T> | undefined;

  validate(batchInterval: number): void {
    if (this.slideDuration % batchInterval !== 0) {
      throw new StreamingError(
        "MR_STREAMING_DURATION",
        `${this.opName}: slide ${this.slideDuration} ms is not a multiple of the batch interval ${batchInterval} ms`,
      );
    }
  }

  isStateful(): boolean {
    return false;
  }

  /** how long parents must keep their RDDs for this stream */
  protected parentRemember(): number {
    return this.rememberDuration;
  }

  remember(d: number): void {
    if (d <= this.rememberDuration) return;
    this.rememberDuration = d;
    for (const p of this.parents) p.remember(this.parentRemember());
  }

  isTimeValid(time: number): boolean {
    const z = this.ssc.graph.zeroTime;
    return time > z && (time - z) % this.slideDuration === 0;
  }

  getOrCompute(time: number): RDD<T> | undefined {
    if (!this.isTimeValid(time)) return undefined;
    const have = this.generated.get(time);
    if (have) return have;
    const rdd = this.compute(time);
    if (rdd) {
      rdd.batchTime ??= time;
      this.generated.set(time, rdd);
    }
    return rdd;
  }

  /** RDDs of times in (from, to] */
  slice(fromExclusive: number, toInclusive: number): RDD<T>[] {
    const out: RDD<T>[] = [];
    const z = this.ssc.graph.zeroTime;
    let t = toInclusive - ((toInclusive - z) % this.slideDuration);
    const times: number[] = [];
    for (; t > fromExclusive; t -= this.slideDuration) times.push(t);
    for (const tt of times.reverse()) {
      const r = this.getOrCompute(tt);
      if (r) out.push(r);
    }
    return out;
  }

  clearOld(time: number): void {
    for (const t of this.generated.keys()) if (t <= time - this.rememberDuration) this.generated.delete(t);
  }

  /** @internal set an RDD recovered from a checkpoint */
  restoreRDD(time: number, rdd: RDD<T>): void {
    rdd.batchTime = time;
    this.generated.set(time, rdd);
  }

  /** @internal the snapshot of a stateful stream at `time` (JSON-able partitions) */
  async snapshot(time: number): Promise<{ time: number; partitions: unknown[][] } | undefined> {
    let t = time;
    while (t > this.ssc.graph.zeroTime && !this.isTimeValid(t)) t -= this.ssc.batchInterval;
    const rdd = this.getOrCompute(t);
    if (!rdd) return undefined;
    return { time: t, partitions: await rdd.partitions() };
  }

  protected env(): RDDEnv {
    return this.ssc.env;
  }

  // ---- transformations ----

  transform<U>(fn: (rdd: RDD<T>, time: number) => RDD<U>): DStream<U> {
    return new TransformedDStream<U>(
      this.ssc,
      [this],
      (rdds, time) => (rdds[0] ? fn(rdds[0] as RDD<T>, time) : undefined),
      "transform",
    );
  }

  transformWith<W, U>(other: DStream<W>, fn: (a: RDD<T>, b: RDD<W>, time: number) => RDD<U>): DStream<U> {
    return new TransformedDStream<U>(
      this.ssc,
      [this, other],
      (rdds, time) =>
        fn((rdds[0] as RDD<T>) ?? RDD.empty(this.env()), (rdds[1] as RDD<W>) ?? RDD.empty(this.env()), time),
      "transformWith",
    );
  }

  private narrow<U>(op: string, fn: (rdd: RDD<T>) => RDD<U>): DStream<U> {
    return new TransformedDStream<U>(this.ssc, [this], (rdds) => (rdds[0] ? fn(rdds[0] as RDD<T>) : undefined), op);
  }

  map<U>(fn: (x: T) => U): DStream<U> {
    const t = task(this.ssc, Part.map(fn));
    return this.narrow("map", (r) => r.map(fn, t));
  }
  flatMap<U>(fn: (x: T) => Iterable<U>): DStream<U> {
    const t = task(this.ssc, Part.flatMap(fn));
    return this.narrow("flatMap", (r) => r.flatMap(fn, t));
  }
  filter(fn: (x: T) => boolean): DStream<T> {
    const t = task(this.ssc, Part.filter(fn));
    return this.narrow("filter", (r) => r.filter(fn, t));
  }
  mapPartitions<U>(fn: (items: T[]) => Iterable<U> | U[]): DStream<U> {
    const t = task(
      this.ssc,
      Part.mapPartitions((items: T[]) => fn(items)),
    );
    return this.narrow("mapPartitions", (r) => r.mapPartitions(fn, t));
  }
  repartition(n: number): DStream<T> {
    return this.narrow("repartition", (r) => r.repartition(n));
  }
  union(...others: DStream<T>[]): DStream<T> {
    for (const o of others) {
      if (o.slideDuration !== this.slideDuration)
        throw new StreamingError("MR_STREAMING_DURATION", "union of streams with different slide durations");
    }
    return new TransformedDStream<T>(
      this.ssc,
      [this, ...others],
      (rdds) => {
        const present = rdds.filter((r): r is RDD<T> => r !== undefined);
        return present.length ? present[0]!.union(...present.slice(1)) : undefined;
      },
      "union",
    );
  }
  /** one element per batch: the number of elements */
  count(): DStream<number> {
    return this.narrow("count", (r) => new RDD<number>(r.env, async () => [[await r.count()]], "count"));
  }
  /** one element per batch (none when the batch is empty) */
  reduce(fn: (a: T, b: T) => T): DStream<T> {
    return this.narrow(
      "reduce",
      (r) =>
        new RDD<T>(
          r.env,
          async () => {
            const parts = await r.partitions();
            let first = true;
            let acc: T | undefined;
            for (const p of parts)
              for (const x of p) {
                try {
                  acc = first ? x : fn(acc as T, x);
                } catch (e) {
                  throw new TaskFailedError("reduce", r.batchTime, e);
                }
                first = false;
              }
            return first ? [[]] : [[acc as T]];
          },
          "reduce",
        ),
    );
  }
  countByValue(numPartitions?: number): DStream<KV<T, number>> {
    const t1 = task(this.ssc, COUNT_TASKS[0]);
    const t2 = task(this.ssc, COUNT_TASKS[1]);
    const ids = t1 !== undefined && t2 !== undefined ? ([t1, t2] as [number, number]) : undefined;
    return this.narrow("countByValue", (r) => r.countByValue(numPartitions, ids));
  }
  mapValues<K, V, U>(this: DStream<KV<K, V>>, fn: (v: V) => U): DStream<KV<K, U>> {
    const t = task(this.ssc, Part.mapValues(fn));
    return this.narrow("mapValues", (r) => r.mapValues(fn, t));
  }
  flatMapValues<K, V, U>(this: DStream<KV<K, V>>, fn: (v: V) => Iterable<U>): DStream<KV<K, U>> {
    const t = task(this.ssc, Part.flatMapValues(fn));
    return this.narrow("flatMapValues", (r) => r.flatMapValues(fn, t));
  }
  reduceByKey<K, V>(this: DStream<KV<K, V>>, fn: (a: V, b: V) => V, numPartitions?: number): DStream<KV<K, V>> {
    const t = task(
      this.ssc,
      Part.combine((v: V) => v, fn),
    );
    return this.narrow("reduceByKey", (r) => r.reduceByKey(fn, numPartitions, t));
  }
  groupByKey<K, V>(this: DStream<KV<K, V>>, numPartitions?: number): DStream<KV<K, V[]>> {
    return this.narrow("groupByKey", (r) => r.groupByKey(numPartitions));
  }
  cogroup<K, V, W>(
    this: DStream<KV<K, V>>,
    other: DStream<KV<K, W>>,
    numPartitions?: number,
  ): DStream<KV<K, [V[], W[]]>> {
    return this.transformWith(other, (a, b) => a.cogroup(b, numPartitions));
  }
  join<K, V, W>(this: DStream<KV<K, V>>, other: DStream<KV<K, W>>, numPartitions?: number): DStream<KV<K, [V, W]>> {
    return this.transformWith(other, (a, b) => a.join(b, numPartitions));
  }
  leftOuterJoin<K, V, W>(
    this: DStream<KV<K, V>>,
    other: DStream<KV<K, W>>,
    numPartitions?: number,
  ): DStream<KV<K, [V, W | undefined]>> {
    return this.transformWith(other, (a, b) => a.leftOuterJoin(b, numPartitions));
  }
  rightOuterJoin<K, V, W>(
    this: DStream<KV<K, V>>,
    other: DStream<KV<K, W>>,
    numPartitions?: number,
  ): DStream<KV<K, [V | undefined, W]>> {
    return this.transformWith(other, (a, b) => a.rightOuterJoin(b, numPartitions));
  }
  fullOuterJoin<K, V, W>(
    this: DStream<KV<K, V>>,
    other: DStream<KV<K, W>>,
    numPartitions?: number,
  ): DStream<KV<K, [V | undefined, W | undefined]>> {
    return this.transformWith(other, (a, b) => a.fullOuterJoin(b, numPartitions));
  }

  // ---- windows ----

  window(windowMs: number, slideMs: number = this.slideDuration): DStream<T> {
    return new WindowedDStream<T>(this, windowMs, slideMs);
  }

  countByWindow(windowMs: number, slideMs: number): DStream<number> {
    return this.map(() => 1).reduceByWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      windowMs,
      slideMs,
    );
  }

  reduceByWindow(fn: (a: T, b: T) => T, windowMs: number, slideMs: number): DStream<T>;
  reduceByWindow(fn: (a: T, b: T) => T, invFn: (a: T, b: T) => T, windowMs: number, slideMs: number): DStream<T>;
  reduceByWindow(fn: (a: T, b: T) => T, a: number | ((a: T, b: T) => T), b: number, c?: number): DStream<T> {
    if (typeof a === "number") return this.reduce(fn).window(a, b).reduce(fn);
    return this.map((x) => [0, x] as KV<number, T>)
      .reduceByKeyAndWindow(fn, a, b, c ?? this.slideDuration, 1)
      .map((kv) => kv[1]);
  }

  reduceByKeyAndWindow<K, V>(
    this: DStream<KV<K, V>>,
    fn: (a: V, b: V) => V,
    windowMs: number,
    slideMs?: number,
    numPartitions?: number,
  ): DStream<KV<K, V>>;
  reduceByKeyAndWindow<K, V>(
    this: DStream<KV<K, V>>,
    fn: (a: V, b: V) => V,
    invFn: (a: V, b: V) => V,
    windowMs: number,
    slideMs?: number,
    numPartitions?: number,
    filterFunc?: (kv: KV<K, V>) => boolean,
  ): DStream<KV<K, V>>;
  reduceByKeyAndWindow<K, V>(this: DStream<KV<K, V>>, fn: (a: V, b: V) => V, ...rest: unknown[]): DStream<KV<K, V>> {
    if (typeof rest[0] === "number") {
      const [windowMs, slideMs, numPartitions] = rest as [number, number | undefined, number | undefined];
      return this.reduceByKey(fn, numPartitions)
        .window(windowMs, slideMs ?? this.slideDuration)
        .reduceByKey(fn, numPartitions);
    }
    const [invFn, windowMs, slideMs, numPartitions, filterFunc] = rest as [
      (a: V, b: V) => V,
      number,
      number | undefined,
      number | undefined,
      ((kv: KV<K, V>) => boolean) | undefined,
    ];
    return new ReducedWindowedDStream<K, V>(
      this.reduceByKey(fn, numPartitions),
      fn,
      invFn,
      windowMs,
      slideMs ?? this.slideDuration,
      numPartitions,
      filterFunc,
    );
  }

  countByValueAndWindow(windowMs: number, slideMs: number, numPartitions?: number): DStream<KV<T, number>> {
    return this.map((x) => [x, 1] as KV<T, number>).reduceByKeyAndWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      windowMs,
      slideMs,
      numPartitions,
      (kv) => kv[1] !== 0,
    );
  }

  // ---- state ----

  updateStateByKey<K, V, S>(
    this: DStream<KV<K, V>>,
    fn: (values: V[], state: S | undefined) => S | undefined,
    numPartitions?: number,
  ): DStream<KV<K, S>> {
    return new StateDStream<K, V, S>(this, fn, numPartitions);
  }

  mapWithState<K, V, S, U>(this: DStream<KV<K, V>>, spec: StateSpec<K, V, S, U>): MapWithStateDStream<K, V, S, U> {
    const internal = new InternalMapWithStateDStream<K, V, S, U>(this, spec);
    return new MapWithStateDStream<K, V, S, U>(internal);
  }

  // ---- output operations ----

  foreachRDD(fn: (rdd: RDD<T>, time: number) => unknown): void {
    this.ssc.graph.addOutput({
      stream: this as DStream<unknown>,
      name: "foreachRDD",
      run: async (rdd, time) => {
        await fn(rdd as RDD<T>, time);
      },
    });
  }

  /** prints the first `n` elements of every batch, like Spark's DStream.print */
  print(n = 10): void {
    this.ssc.graph.addOutput(printOp(this as DStream<unknown>, n));
  }

  /** per batch, a directory `prefix-<time>[.suffix]` of part files and _SUCCESS */
  saveAsTextFiles(prefix: string, suffix?: string): void {
    this.ssc.graph.addOutput(saveAsTextFilesOp(this as DStream<unknown>, prefix, suffix));
  }

  /**
   * Writes every element to a topic: `serialize` gives the key and value of a
   * record (default: no key, the element as a line). Records carry the header
   * millrace.batch.time, so a consumer can drop a re-run batch's duplicates.
   */
  writeToTopic(port: TopicsPort, topic: string, opts: WriteToTopicOptions<T> = {}): void {
    this.ssc.graph.addOutput(writeToTopicOp(this, port, topic, opts));
  }
}

/** A stream computed from its parents' RDDs of the same time. */
export class TransformedDStream<U> extends DStream<U> {
  constructor(
    ssc: GraphHost,
    parents: DStream<unknown>[],
    private readonly fn: (rdds: (RDD<unknown> | undefined)[], time: number) => RDD<U> | undefined,
    opName: string,
  ) {
    super(ssc, parents, parents[0]!.slideDuration, opName);
  }
  protected compute(time: number): RDD<U> | undefined {
    return this.fn(
      this.parents.map((p) => p.getOrCompute(time)),
      time,
    );
  }
}

export abstract class InputDStream<T> extends DStream<T> {
  /** data decided for each generated batch (offset ranges, lines, files) */
  protected readonly infos = new Map<number, unknown>();

  constructor(ssc: GraphHost, opName: string) {
    super(ssc, [], ssc.batchInterval, opName);
  }

  /**
   * decides what the batch of `time` holds; runs on the driver before the batch; the result is recorded in
   * the checkpoint
   */
  abstract prepare(time: number): Promise<unknown>;
  /** builds the RDD of a batch from its recorded info */
  protected abstract rddFor(time: number, info: unknown): RDD<T>;
  /** number of records of the batch, when known from its info */
  recordCount(_info: unknown): number | undefined {
    return undefined;
  }
  /** whether `info` survives a restart (false for in-memory queues) */
  recoverable(): boolean {
    return true;
  }
  /** @internal restores a batch's info from the checkpoint */
  restoreInfo(time: number, info: unknown): void {
    this.infos.set(time, info);
  }
  setInfo(time: number, info: unknown): void {
    this.infos.set(time, info);
  }
  infoFor(time: number): unknown {
    return this.infos.get(time);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  /** called after a batch completed (rate estimation) */
  onBatchCompleted(_info: { time: number; records: number; processingMs: number; schedulingDelayMs: number }): void {}

  protected compute(time: number): RDD<T> | undefined {
    if (!this.infos.has(time)) return RDD.empty(this.env());
    return this.rddFor(time, this.infos.get(time));
  }

  override clearOld(time: number): void {
    super.clearOld(time);
    for (const t of this.infos.keys()) if (t <= time - this.rememberDuration) this.infos.delete(t);
  }
}

export class WindowedDStream<T> extends DStream<T> {
  constructor(
    private readonly parent: DStream<T>,
    readonly windowDuration: number,
    slideDuration: number,
  ) {
    super(parent.ssc, [parent], slideDuration, "window");
  }
  override validate(batchInterval: number): void {
    super.validate(batchInterval);
    if (this.windowDuration % this.parent.slideDuration !== 0 || this.slideDuration % this.parent.slideDuration !== 0) {
      throw new StreamingError(
        "MR_STREAMING_DURATION",
        `window ${this.windowDuration} ms / slide ${this.slideDuration} ms must be multiples of the parent's ` +
          `slide ${this.parent.slideDuration} ms`,
      );
    }
  }
  protected override parentRemember(): number {
    return this.rememberDuration + this.windowDuration;
  }
  protected compute(time: number): RDD<T> | undefined {
    const rdds = this.parent.slice(time - this.windowDuration, time);
    return rdds.length ? rdds[0]!.union(...rdds.slice(1)) : RDD.empty(this.env());
  }
}

/** reduceByKeyAndWindow with an inverse function: the previous window plus new batches minus old ones */
export class ReducedWindowedDStream<K, V> extends DStream<KV<K, V>> {
  constructor(
    private readonly parent: DStream<KV<K, V>>,
    private readonly fn: (a: V, b: V) => V,
    private readonly invFn: (a: V, b: V) => V,
    readonly windowDuration: number,
    slideDuration: number,
    private readonly numPartitions: number | undefined,
    private readonly filterFunc: ((kv: KV<K, V>) => boolean) | undefined,
  ) {
    super(parent.ssc, [parent], slideDuration, "reduceByKeyAndWindow");
  }
  override isStateful(): boolean {
    return true;
  }
  override validate(batchInterval: number): void {
    super.validate(batchInterval);
    if (this.windowDuration % this.parent.slideDuration !== 0) {
      throw new StreamingError(
        "MR_STREAMING_DURATION",
        `window ${this.windowDuration} ms must be a multiple of the parent's slide ${this.parent.slideDuration} ms`,
      );
    }
  }
  override remember(d: number): void {
    super.remember(Math.max(d, 2 * this.slideDuration));
  }
  protected override parentRemember(): number {
    return this.rememberDuration + this.windowDuration + this.slideDuration;
  }
  protected compute(time: number): RDD<KV<K, V>> | undefined {
    const prev =
      time - this.slideDuration > this.ssc.graph.zeroTime ? this.getOrCompute(time - this.slideDuration) : undefined;
    const olds = this.parent.slice(time - this.windowDuration - this.slideDuration, time - this.windowDuration);
    const news = this.parent.slice(time - this.slideDuration, time);
    const n = Math.max(1, this.numPartitions ?? this.env().parallelism);
    return new RDD<KV<K, V>>(
      this.env(),
      async () =>
        reduceWindow(
          prev ? await prev.partitions() : [],
          await Promise.all(olds.map((r) => r.partitions())),
          await Promise.all(news.map((r) => r.partitions())),
          this.fn,
          this.invFn,
          n,
          this.filterFunc,
        ),
      "reduceByKeyAndWindow",
    );
  }
}

export class StateDStream<K, V, S> extends DStream<KV<K, S>> {
  constructor(
    private readonly parent: DStream<KV<K, V>>,
    private readonly fn: (values: V[], state: S | undefined) => S | undefined,
    private readonly numPartitions: number | undefined,
  ) {
    super(parent.ssc, [parent], parent.slideDuration, "updateStateByKey");
  }
  override isStateful(): boolean {
    return true;
  }
  override remember(d: number): void {
    super.remember(Math.max(d, 2 * this.slideDuration));
  }
  protected compute(time: number): RDD<KV<K, S>> | undefined {
    const prev =
      time - this.slideDuration > this.ssc.graph.zeroTime ? this.getOrCompute(time - this.slideDuration) : undefined;
    const batch = this.parent.getOrCompute(time);
    const n = Math.max(1, this.numPartitions ?? this.env().parallelism);
    return new RDD<KV<K, S>>(
      this.env(),
      async () =>
        updateStateByKey(prev ? await prev.partitions() : [], batch ? await batch.partitions() : [], this.fn, n, time),
      "updateStateByKey",
    );
  }
}

export class InternalMapWithStateDStream<K, V, S, U> extends DStream<MWSItem<K, S, U>> {
  constructor(
    private readonly parent: DStream<KV<K, V>>,
    private readonly spec: StateSpec<K, V, S, U>,
  ) {
    super(parent.ssc, [parent], parent.slideDuration, "mapWithState");
  }
  override isStateful(): boolean {
    return true;
  }
  override remember(d: number): void {
    super.remember(Math.max(d, 2 * this.slideDuration));
  }
  override async snapshot(time: number): Promise<{ time: number; partitions: unknown[][] } | undefined> {
    const s = await super.snapshot(time);
    if (!s) return s;
    return {
      time: s.time,
      partitions: (s.partitions as MWSItem<K, S, U>[][]).map((p) => p.filter((x) => !("m" in x))),
    };
  }
  protected compute(time: number): RDD<MWSItem<K, S, U>> | undefined {
    const prev =
      time - this.slideDuration > this.ssc.graph.zeroTime ? this.getOrCompute(time - this.slideDuration) : undefined;
    const batch = this.parent.getOrCompute(time);
    const n = Math.max(1, this.spec.numPartitions ?? this.env().parallelism);
    return new RDD<MWSItem<K, S, U>>(
      this.env(),
      async () =>
        mapWithState(prev ? await prev.partitions() : [], batch ? await batch.partitions() : [], this.spec, n, time),
      "mapWithState",
    );
  }
}

/** The mapped values of mapWithState; stateSnapshots() gives the [key, state] pairs after each batch. */
export class MapWithStateDStream<K, V, S, U> extends DStream<U> {
  constructor(private readonly internal: InternalMapWithStateDStream<K, V, S, U>) {
    super(internal.ssc, [internal], internal.slideDuration, "mapWithState");
  }
  protected compute(time: number): RDD<U> | undefined {
    const r = this.internal.getOrCompute(time);
    return r?.mapPartitionsWithIndex((items) => items.filter((x) => "m" in x).map((x) => x.m as U), "mapWithState");
  }
  stateSnapshots(): DStream<KV<K, S>> {
    return new TransformedDStream<KV<K, S>>(
      this.ssc,
      [this.internal],
      (rdds) =>
        (rdds[0] as RDD<MWSItem<K, S, U>> | undefined)?.mapPartitionsWithIndex(
          (items) => items.filter((x) => !("m" in x)).map((x) => [x.k as K, x.s as S] as KV<K, S>),
          "stateSnapshots",
        ),
      "stateSnapshots",
    );
  }
}
