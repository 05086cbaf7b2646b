/**
 * RDD: the data of one batch, as partitions (arrays), computed lazily and at most
 * once (the result is kept; a failed computation is not). Transformations build
 * new RDDs; actions return Promises.
 */
import { TaskFailedError } from "./errors.js";
import type { TaskPool } from "./executor.js";
import { keyOf, partitionOf, reduceByKeyInto } from "./keys.js";
import type { TaskRegistry, WorkerPool } from "./worker.js";

export interface RDDEnv {
  pool: TaskPool;
  /** default number of partitions of shuffles */
  parallelism: number;
  /** worker threads for registered per-partition tasks (local[N], N >= 2, with an app module) */
  remote?: WorkerPool;
  tasks?: TaskRegistry;
}

/** partition functions of the narrow operations (the same code runs in the driver and in workers) */
export const Part = {
  map:
    <T, U>(fn: (x: T) => U) =>
    (items: T[]): U[] =>
      items.map((x) => fn(x)),
  flatMap:
    <T, U>(fn: (x: T) => Iterable<U>) =>
    (items: T[]): U[] => {
      const out: U[] = [];
      for (const x of items) for (const y of fn(x)) out.push(y);
      return out;
    },
  filter:
    <T>(fn: (x: T) => boolean) =>
    (items: T[]): T[] =>
      items.filter((x) => fn(x)),
  mapPartitions:
    <T, U>(fn: (items: T[], index: number) => Iterable<U> | U[]) =>
    (items: T[], index: number): U[] => {
      const out = fn(items, index);
      return Array.isArray(out) ? out : Array.from(out);
    },
  mapValues:
    <K, V, U>(fn: (v: V) => U) =>
    (items: KV<K, V>[]): KV<K, U>[] =>
      items.map(([k, v]) => [k, fn(v)] as KV<K, U>),
  flatMapValues:
    <K, V, U>(fn: (v: V) => Iterable<U>) =>
    (items: KV<K, V>[]): KV<K, U>[] => {
      const out: KV<K, U>[] = [];
      for (const [k, v] of items) for (const u of fn(v)) out.push([k, u]);
      return out;
    },
  /** map-side combine of a partition of pairs */
  combine:
    <K, V, C>(create: (v: V) => C, merge: (c: C, v: V) => C) =>
    (items: KV<K, V>[]): KV<K, C>[] => {
      const m = new Map<string, KV<K, C>>();
      for (const [k, v] of items) {
        const ek = keyOf(k);
        const cur = m.get(ek);
        if (cur) cur[1] = merge(cur[1], v);
        else m.set(ek, [k, create(v)]);
      }
      return [...m.values()];
    },
};

export interface OffsetRange {
  topic: string;
  partition: number;
  fromOffset: bigint;
  untilOffset: bigint;
}

type KV<K, V> = [K, V];

export class RDD<T> {
  private cached: Promise<T[][]> | undefined;
  /** set by the direct Kafka stream on the RDDs it creates */
  offsetRanges?: OffsetRange[];
  /** the batch this RDD belongs to (for error messages) */
  batchTime?: number;
  /** @internal for worker execution: the RDD whose partitions feed a chain of registered tasks */
  lineage?: { source: RDD<unknown>; chain: number[]; packed: boolean };
  /** @internal the partitions are raw Kafka records, sent to workers packed */
  packedSource = false;
  /** @internal one promise per partition (memoized), so worker tasks start as each partition is read */
  partitionPromises?: () => Promise<T[]>[];

  constructor(
    readonly env: RDDEnv,
    private readonly computeFn: () => Promise<T[][]>,
    readonly name = "rdd",
  ) {}

  static of<T>(env: RDDEnv, partitions: T[][], name = "parallelize"): RDD<T> {
    return new RDD(env, async () => partitions, name);
  }

  static empty<T>(env: RDDEnv): RDD<T> {
    return new RDD<T>(env, async () => [], "empty");
  }

  /** the computed partitions (memoized) */
  partitions(): Promise<T[][]> {
    if (!this.cached) {
      const p = this.computeFn();
      this.cached = p;
      p.catch(() => {
        if (this.cached === p) this.cached = undefined;
      });
    }
    return this.cached;
  }

  private derive<U>(name: string, fn: () => Promise<U[][]>): RDD<U> {
    const r = new RDD<U>(this.env, fn, name);
    r.batchTime = this.batchTime;
    return r;
  }

  private fail(op: string, e: unknown): never {
    if (e instanceof TaskFailedError) throw e;
    throw new TaskFailedError(op, this.batchTime, e);
  }

  // ---- narrow transformations ----

  /**
   * `taskId`: the same partition function registered in the context's task
   * registry; with worker threads, the task runs there (chained after the tasks
   * of this RDD's lineage, so the data crosses once).
   */
  mapPartitionsWithIndex<U>(
    fn: (items: T[], index: number) => Iterable<U> | U[],
    op = "mapPartitions",
    taskId?: number,
  ): RDD<U> {
    const remote = taskId !== undefined ? this.remoteDerive<U>(op, taskId) : undefined;
    if (remote) return remote;
    return this.derive(op, async () => {
      const parts = await this.partitions();
      return this.env.pool.runTasks(
        parts.map((items, i) => () => {
          try {
            const out = fn(items, i);
            return Array.isArray(out) ? out : Array.from(out);
          } catch (e) {
            this.fail(op, e);
          }
        }),
      );
    });
  }

  private remoteDerive<U>(op: string, taskId: number): RDD<U> | undefined {
    const remote = this.env.remote;
    const tasks = this.env.tasks;
    if (!remote || !tasks) return undefined;
    const lin = this.lineage
      ? { source: this.lineage.source, chain: [...this.lineage.chain, taskId], packed: this.lineage.packed }
      : { source: this as RDD<unknown>, chain: [taskId], packed: this.packedSource };
    const r = this.derive<U>(op, async () => {
      const pp = lin.source.partitionPromises;
      const srcP = pp ? pp() : (await lin.source.partitions()).map((p) => Promise.resolve(p));
      const { parts, reports } = await remote.runChain(lin.chain, srcP, op, r.batchTime, lin.packed);
      const src = reports.length ? await Promise.all(srcP) : [];
      if (reports.length) {
        const byTask = new Map<number, unknown[]>();
        for (const x of reports as { index: number; r: { task: number; r: unknown } }[]) {
          if (!byTask.has(x.r.task)) byTask.set(x.r.task, []);
          byTask.get(x.r.task)!.push({ index: x.index, r: x.r.r });
        }
        for (const [t, rs] of byTask) await tasks.onReports.get(t)?.(rs, src, r.batchTime);
      }
      return parts as U[][];
    });
    r.lineage = lin;
    return r;
  }

  mapPartitions<U>(fn: (items: T[]) => Iterable<U> | U[], taskId?: number): RDD<U> {
    return this.mapPartitionsWithIndex((items) => fn(items), "mapPartitions", taskId);
  }

  map<U>(fn: (x: T) => U, taskId?: number): RDD<U> {
    return this.mapPartitionsWithIndex(Part.map(fn), "map", taskId);
  }

  flatMap<U>(fn: (x: T) => Iterable<U>, taskId?: number): RDD<U> {
    return this.mapPartitionsWithIndex(Part.flatMap(fn), "flatMap", taskId);
  }

  filter(fn: (x: T) => boolean, taskId?: number): RDD<T> {
    return this.mapPartitionsWithIndex(Part.filter(fn), "filter", taskId);
  }

  union(...others: RDD<T>[]): RDD<T> {
    return this.derive("union", async () => {
      const all = await Promise.all([this, ...others].map((r) => r.partitions()));
      return all.flat(1);
    });
  }

  /** round-robin into n partitions, in element order */
  repartition(n: number): RDD<T> {
    return this.derive("repartition", async () => {
      const out: T[][] = Array.from({ length: Math.max(1, n) }, () => []);
      let i = 0;
      for (const p of await this.partitions()) for (const x of p) out[i++ % out.length]!.push(x);
      return out;
    });
  }

  /** sorted by `keyFn` (numbers, strings, or arrays of them compared element-wise), stable, in one partition */
  sortBy<K>(keyFn: (x: T) => K, ascending = true): RDD<T> {
    return this.derive("sortBy", async () => {
      const all = (await this.partitions()).flat(1).map((x, i) => ({ x, k: keyFn(x), i }));
      all.sort((a, b) => compareKeys(a.k, b.k) * (ascending ? 1 : -1) || a.i - b.i);
      return [all.map((e) => e.x)];
    });
  }

  /** one partition with every element */
  coalesce1(): RDD<T> {
    return this.derive("coalesce", async () => [(await this.partitions()).flat(1)]);
  }

  // ---- shuffles (pair RDDs) ----

  /** hash-partitions pairs by key (stable order: parent partition order, then element order) */
  partitionBy<K, V>(this: RDD<KV<K, V>>, n?: number): RDD<KV<K, V>> {
    const num = Math.max(1, n ?? this.env.parallelism);
    return this.derive("partitionBy", async () => {
      const out: KV<K, V>[][] = Array.from({ length: num }, () => []);
      for (const p of await this.partitions()) for (const kv of p) out[partitionOf(kv[0], num)]!.push(kv);
      return out;
    });
  }

  private combineByKey<K, V, C>(
    this: RDD<KV<K, V>>,
    op: string,
    create: (v: V) => C,
    merge: (c: C, v: V) => C,
    taskId?: number,
  ): RDD<KV<K, C>> {
    // map-side combine per partition (then the caller shuffles and merges per partition)
    return this.mapPartitionsWithIndex(Part.combine(create, merge), op, taskId);
  }

  /** `combineTaskId`: the registered Part.combine((v) => v, fn), for worker execution of the map side */
  reduceByKey<K, V>(
    this: RDD<KV<K, V>>,
    fn: (a: V, b: V) => V,
    numPartitions?: number,
    combineTaskId?: number,
  ): RDD<KV<K, V>> {
    const local = this.combineByKey("reduceByKey", (v) => v, fn, combineTaskId);
    return local.partitionBy(numPartitions).mapPartitionsWithIndex((items) => {
      const m = new Map<string, KV<K, V>>();
      reduceByKeyInto(m, items, fn);
      return m.values();
    }, "reduceByKey");
  }

  groupByKey<K, V>(this: RDD<KV<K, V>>, numPartitions?: number): RDD<KV<K, V[]>> {
    return this.partitionBy(numPartitions).mapPartitionsWithIndex((items) => {
      const m = new Map<string, KV<K, V[]>>();
      for (const [k, v] of items) {
        const ek = keyOf(k);
        const cur = m.get(ek);
        if (cur) cur[1].push(v);
        else m.set(ek, [k, [v]]);
      }
      return m.values();
    }, "groupByKey");
  }

  /** `taskIds`: the registered COUNT_PAIRS map and COUNT_COMBINE, for worker execution */
  countByValue(numPartitions?: number, taskIds?: [number, number]): RDD<KV<T, number>> {
    return this.map(COUNT_PAIR, taskIds?.[0]).reduceByKey(ADD, numPartitions, taskIds?.[1]);
  }

  mapValues<K, V, U>(this: RDD<KV<K, V>>, fn: (v: V) => U, taskId?: number): RDD<KV<K, U>> {
    return this.mapPartitionsWithIndex(Part.mapValues(fn), "mapValues", taskId);
  }

  flatMapValues<K, V, U>(this: RDD<KV<K, V>>, fn: (v: V) => Iterable<U>, taskId?: number): RDD<KV<K, U>> {
    return this.mapPartitionsWithIndex(Part.flatMapValues(fn), "flatMapValues", taskId);
  }

  keys<K, V>(this: RDD<KV<K, V>>): RDD<K> {
    return this.map((kv) => kv[0]);
  }

  values<K, V>(this: RDD<KV<K, V>>): RDD<V> {
    return this.map((kv) => kv[1]);
  }

  /** groups several pair RDDs by key: [k, [values of this, values of other, ...]] */
  cogroup<K, V, W>(this: RDD<KV<K, V>>, other: RDD<KV<K, W>>, numPartitions?: number): RDD<KV<K, [V[], W[]]>> {
    const num = Math.max(1, numPartitions ?? this.env.parallelism);
    const left = this.partitionBy(num);
    const right = other.partitionBy(num);
    return new RDD<KV<K, [V[], W[]]>>(
      this.env,
      async () => {
        const [lp, rp] = await Promise.all([left.partitions(), right.partitions()]);
        return this.env.pool.runTasks(
          lp.map((l, i) => () => {
            const m = new Map<string, KV<K, [V[], W[]]>>();
            for (const [k, v] of l) {
              const ek = keyOf(k);
              const cur = m.get(ek);
              if (cur) cur[1][0].push(v);
              else m.set(ek, [k, [[v], []]]);
            }
            for (const [k, w] of rp[i]!) {
              const ek = keyOf(k);
              const cur = m.get(ek);
              if (cur) cur[1][1].push(w);
              else m.set(ek, [k, [[], [w]]]);
            }
            return [...m.values()];
          }),
        );
      },
      "cogroup",
    );
  }

  join<K, V, W>(this: RDD<KV<K, V>>, other: RDD<KV<K, W>>, numPartitions?: number): RDD<KV<K, [V, W]>> {
    return this.cogroup(other, numPartitions).flatMapValues(([vs, ws]) =>
      vs.flatMap((v) => ws.map((w) => [v, w] as [V, W])),
    );
  }

  leftOuterJoin<K, V, W>(
    this: RDD<KV<K, V>>,
    other: RDD<KV<K, W>>,
    numPartitions?: number,
  ): RDD<KV<K, [V, W | undefined]>> {
    return this.cogroup(other, numPartitions).flatMapValues(([vs, ws]) =>
      vs.flatMap((v) =>
        ws.length ? ws.map((w) => [v, w] as [V, W | undefined]) : [[v, undefined] as [V, W | undefined]],
      ),
    );
  }

  rightOuterJoin<K, V, W>(
    this: RDD<KV<K, V>>,
    other: RDD<KV<K, W>>,
    numPartitions?: number,
  ): RDD<KV<K, [V | undefined, W]>> {
    return this.cogroup(other, numPartitions).flatMapValues(([vs, ws]) =>
      ws.flatMap((w) =>
        vs.length ? vs.map((v) => [v, w] as [V | undefined, W]) : [[undefined, w] as [V | undefined, W]],
      ),
    );
  }

  fullOuterJoin<K, V, W>(
    this: RDD<KV<K, V>>,
    other: RDD<KV<K, W>>,
    numPartitions?: number,
  ): RDD<KV<K, [V | undefined, W | undefined]>> {
    type R = [V | undefined, W | undefined];
    return this.cogroup(other, numPartitions).flatMapValues(([vs, ws]) => {
      if (!vs.length) return ws.map((w) => [undefined, w] as R);
      if (!ws.length) return vs.map((v) => [v, undefined] as R);
      return vs.flatMap((v) => ws.map((w) => [v, w] as R));
    });
  }

  // ---- actions ----

  async collect(): Promise<T[]> {
    return (await this.partitions()).flat(1);
  }

  async count(): Promise<number> {
    let n = 0;
    for (const p of await this.partitions()) n += p.length;
    return n;
  }

  async isEmpty(): Promise<boolean> {
    return (await this.count()) === 0;
  }

  async take(n: number): Promise<T[]> {
    const out: T[] = [];
    for (const p of await this.partitions()) {
      for (const x of p) {
        if (out.length >= n) return out;
        out.push(x);
      }
    }
    return out;
  }

  async reduce(fn: (a: T, b: T) => T): Promise<T | undefined> {
    let acc: T | undefined;
    let first = true;
    for (const p of await this.partitions()) {
      for (const x of p) {
        try {
          acc = first ? x : fn(acc as T, x);
        } catch (e) {
          this.fail("reduce", e);
        }
        first = false;
      }
    }
    return acc;
  }

  async foreach(fn: (x: T) => unknown): Promise<void> {
    await this.foreachPartition(async (items) => {
      for (const x of items) await fn(x);
    }, "foreach");
  }

  async foreachPartition(fn: (items: T[], index: number) => unknown, op = "foreachPartition"): Promise<void> {
    const parts = await this.partitions();
    await this.env.pool.runTasks(
      parts.map((items, i) => async () => {
        try {
          await fn(items, i);
        } catch (e) {
          this.fail(op, e);
        }
      }),
    );
  }

  /** writes the partitions as part files plus _SUCCESS into `dir`, atomically (see output.ts) */
  async saveAsTextFile(dir: string): Promise<void> {
    const { writeTextDir } = await import("./output.js");
    await writeTextDir(dir, await this.partitions());
  }
}

const COUNT_PAIR = <T>(x: T): KV<T, number> => [x, 1];
const ADD = (a: number, b: number): number => a + b;
/** the partition functions of countByValue's map side */
export const COUNT_TASKS = [Part.map(COUNT_PAIR), Part.combine((v: number) => v, ADD)] as const;

export function compareKeys(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareKeys(a[i], b[i]);
      if (c) return c;
    }
    return a.length - b.length;
  }
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
