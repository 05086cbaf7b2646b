/**
 * The per-batch work of the stateful and windowed streams, on whole partitions
 * (Spark keeps it apart from the DStreams too: MapWithStateRDD,
 * StateDStream.computeUsingPreviousRDD, ReducedWindowedDStream's cogroup).
 * Each takes the previous batch's partitions and this batch's, and returns
 * this batch's `n` partitions by key. The DStreams in dstream.ts decide which
 * RDDs those are (the time bookkeeping); these functions do the merging.
 */
import { TaskFailedError } from "./errors.js";
import { keyOf, partitionOf, reduceByKeyInto } from "./keys.js";
import { State, type StateSpec } from "./state.js";

type KV<K, V> = [K, V];

const emptyParts = <T>(n: number): T[][] => Array.from({ length: n }, () => []);

/** reduces every [key, value] of `parts` (RDDs of partitions) into `m`, by key */
function reduceInto<K, V>(m: Map<string, KV<K, V>>, parts: KV<K, V>[][][], fn: (a: V, b: V) => V): void {
  for (const rp of parts) for (const p of rp) reduceByKeyInto(m, p, fn);
}

/**
 * reduceByKeyAndWindow with an inverse function: the previous window's values,
 * minus (invFn) the batches that left the window, plus (fn) the batches that
 * entered it; `filterFunc` drops pairs (e.g. counts back at zero).
 */
export function reduceWindow<K, V>(
  prevParts: KV<K, V>[][],
  oldParts: KV<K, V>[][][],
  newParts: KV<K, V>[][][],
  fn: (a: V, b: V) => V,
  invFn: (a: V, b: V) => V,
  n: number,
  filterFunc: ((kv: KV<K, V>) => boolean) | undefined,
): KV<K, V>[][] {
  const oldM = new Map<string, KV<K, V>>();
  const newM = new Map<string, KV<K, V>>();
  reduceInto(oldM, oldParts, fn);
  reduceInto(newM, newParts, fn);
  const out = new Map<string, KV<K, V>>();
  for (const p of prevParts)
    for (const [k, v0] of p) {
      const ek = keyOf(k);
      let v = v0;
      const o = oldM.get(ek);
      if (o) v = invFn(v, o[1]);
      const nw = newM.get(ek);
      if (nw) v = fn(v, nw[1]);
      out.set(ek, [k, v]);
    }
  for (const [ek, kv] of newM) if (!out.has(ek)) out.set(ek, [kv[0], kv[1]]);
  const parts = emptyParts<KV<K, V>>(n);
  for (const kv of out.values()) {
    if (filterFunc && !filterFunc(kv)) continue;
    parts[partitionOf(kv[0], n)]!.push(kv);
  }
  return parts;
}

/**
 * updateStateByKey: `fn` gets each key's values of the batch (possibly none)
 * and its previous state; undefined or null removes the key.
 */
export function updateStateByKey<K, V, S>(
  prevParts: KV<K, S>[][],
  batchParts: KV<K, V>[][],
  fn: (values: V[], state: S | undefined) => S | undefined,
  n: number,
  time: number,
): KV<K, S>[][] {
  const grouped = new Map<string, KV<K, V[]>>();
  for (const p of batchParts)
    for (const [k, v] of p) {
      const ek = keyOf(k);
      const cur = grouped.get(ek);
      if (cur) cur[1].push(v);
      else grouped.set(ek, [k, [v]]);
    }
  const parts = emptyParts<KV<K, S>>(n);
  const emit = (k: K, values: V[], s: S | undefined) => {
    let next: S | undefined;
    try {
      next = fn(values, s);
    } catch (e) {
      throw new TaskFailedError("updateStateByKey", time, e);
    }
    if (next !== undefined && next !== null) parts[partitionOf(k, n)]!.push([k, next]);
  };
  for (const p of prevParts)
    for (const [k, s] of p) {
      const ek = keyOf(k);
      emit(k, grouped.get(ek)?.[1] ?? [], s);
      grouped.delete(ek);
    }
  for (const [k, values] of grouped.values()) emit(k, values, undefined);
  return parts;
}

/** an item of mapWithState's internal stream: a key's state (k, s, t: last update) or a mapped value (m) */
export type MWSItem<K, S, U> = { k?: K; s?: S; t?: number; m?: U };

/**
 * mapWithState (Spark's MapWithStateRDD): the mapping function runs for each
 * record of the batch with its key's State, and (with a timeout) once more for
 * each key idle longer than the timeout, which is then removed.
 */
export function mapWithState<K, V, S, U>(
  prevParts: MWSItem<K, S, U>[][],
  batchParts: KV<K, V>[][],
  spec: StateSpec<K, V, S, U>,
  n: number,
  time: number,
): MWSItem<K, S, U>[][] {
  const call = (k: K, v: V | undefined, st: State<S>): U => {
    try {
      return spec.fn(k, v, st);
    } catch (e) {
      throw new TaskFailedError("mapWithState", time, e);
    }
  };
  const states = new Map<string, { k: K; s: S; t: number }>();
  for (const p of prevParts)
    for (const x of p) if (!("m" in x)) states.set(keyOf(x.k), { k: x.k as K, s: x.s as S, t: x.t! });
  const mapped = emptyParts<U>(n);
  const touched = new Set<string>();
  for (const p of batchParts)
    for (const [k, v] of p) {
      const ek = keyOf(k);
      touched.add(ek);
      const cur = states.get(ek);
      const st = new State<S>(cur ? { value: cur.s } : undefined);
      mapped[partitionOf(k, n)]!.push(call(k, v, st));
      if (st.exists()) states.set(ek, { k, s: st.get(), t: st.wasUpdated ? time : (cur?.t ?? time) });
      else states.delete(ek);
    }
  const timeout = spec.timeoutMs;
  if (timeout !== undefined) {
    for (const [ek, cur] of [...states]) {
      if (touched.has(ek) || cur.t > time - timeout) continue;
      const st = new State<S>({ value: cur.s }, true);
      mapped[partitionOf(cur.k, n)]!.push(call(cur.k, undefined, st));
      states.delete(ek);
    }
  }
  const parts: MWSItem<K, S, U>[][] = Array.from({ length: n }, (_, i) => mapped[i]!.map((m) => ({ m })));
  for (const st of states.values()) parts[partitionOf(st.k, n)]!.push({ k: st.k, s: st.s, t: st.t });
  return parts;
}
