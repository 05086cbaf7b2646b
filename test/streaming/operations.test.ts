import { test } from "node:test";
import assert from "node:assert/strict";
import { runQueue, sorted, rng } from "./helpers.js";

type KV = [string, number];

const r = rng(42);
const words = ["a", "b", "c", "d", "e", "f", "g"];
const batches: string[][] = Array.from({ length: 6 }, (_, i) =>
  Array.from({ length: i === 3 ? 0 : 5 + Math.floor(r() * 20) }, () => words[Math.floor(r() * words.length)]!),
);
const pairs: KV[][] = batches.map((b) => b.map((w, i) => [w, i % 5] as KV));

function reduceOracle(xs: KV[]): KV[] {
  const m = new Map<string, number>();
  for (const [k, v] of xs) m.set(k, (m.get(k) ?? 0) + v);
  return [...m];
}

test("map, flatMap, filter, mapPartitions, repartition, union equal plain array computations", async () => {
  const res = await runQueue(batches, (s) =>
    s
      .map((w) => w.toUpperCase())
      .flatMap((w) => [w, w + "!"])
      .filter((w) => w !== "A!"),
  );
  assert.deepEqual(
    res.map(sorted),
    batches.map((b) =>
      sorted(
        b
          .map((w) => w.toUpperCase())
          .flatMap((w) => [w, w + "!"])
          .filter((w) => w !== "A!"),
      ),
    ),
  );
  const rep = await runQueue(batches, (s) => s.repartition(3).mapPartitions((items) => [items.length]));
  assert.deepEqual(
    rep.map((x) => x.reduce((a, b) => a + b, 0)),
    batches.map((b) => b.length),
  );
  assert.ok(rep.every((x) => x.length === 3));
  const uni = await runQueue(batches, (s) => s.union(s.map((w) => w + "2")));
  assert.deepEqual(
    uni.map(sorted),
    batches.map((b) => sorted([...b, ...b.map((w) => w + "2")])),
  );
});

test("count, reduce, countByValue, reduceByKey, groupByKey", async () => {
  assert.deepEqual(
    await runQueue(batches, (s) => s.count()),
    batches.map((b) => [b.length]),
  );
  assert.deepEqual(
    // biome-ignore lint/complexity/useMathMinMax: the values are strings (Math.min would give NaN)
    await runQueue(batches, (s) => s.reduce((a, b) => (a < b ? a : b))),
    // biome-ignore lint/complexity/useMathMinMax: the values are strings (Math.min would give NaN)
    batches.map((b) => (b.length ? [b.reduce((a, c) => (a < c ? a : c))] : [])),
  );
  assert.deepEqual(
    (await runQueue(batches, (s) => s.countByValue())).map(sorted),
    batches.map((b) => sorted(reduceOracle(b.map((w) => [w, 1])))),
  );
  assert.deepEqual(
    (await runQueue(pairs, (s) => s.reduceByKey((a, b) => a + b, 3))).map(sorted),
    pairs.map((b) => sorted(reduceOracle(b))),
  );
  const grouped = await runQueue(pairs, (s) => s.groupByKey());
  assert.deepEqual(
    grouped.map((g) => sorted(g.map(([k, vs]) => [k, [...vs].sort()] as [string, number[]]))),
    pairs.map((b) => {
      const m = new Map<string, number[]>();
      for (const [k, v] of b) m.set(k, [...(m.get(k) ?? []), v]);
      return sorted([...m].map(([k, vs]) => [k, vs.sort()] as [string, number[]]));
    }),
  );
});

test("join, leftOuterJoin, rightOuterJoin, fullOuterJoin, cogroup equal nested-loop oracles", async () => {
  const right = pairs.map((b) => b.filter((_, i) => i % 2 === 0).map(([k, v]) => [k === "a" ? "z" : k, v * 10] as KV));
  const both = pairs.map((b, i) => ({ l: b, r: right[i]! }));
  type LR = { l: KV[]; r: KV[] };
  const split = <O>(
    build: (
      l: import("../../src/streaming/dstream.js").DStream<KV>,
      r: import("../../src/streaming/dstream.js").DStream<KV>,
    ) => import("../../src/streaming/dstream.js").DStream<O>,
  ) =>
    runQueue<LR, O>(
      both.map((x) => [x]),
      (s) =>
        build(
          s.flatMap((x) => x.l),
          s.flatMap((x) => x.r),
        ),
    );
  const keysOf = (xs: KV[]) => new Set(xs.map((x) => x[0]));
  const oracleJoin = (l: KV[], r: KV[]) =>
    l.flatMap(([k, v]) => r.filter(([k2]) => k2 === k).map(([, w]) => [k, [v, w]]));
  assert.deepEqual(
    (await split((l, r) => l.join(r))).map(sorted),
    both.map(({ l, r }) => sorted(oracleJoin(l, r))),
  );
  assert.deepEqual(
    (await split((l, r) => l.leftOuterJoin(r))).map((x) => sorted(x.map(([k, [v, w]]) => [k, [v, w ?? null]]))),
    both.map(({ l, r }) =>
      sorted(
        l.flatMap(([k, v]) =>
          keysOf(r).has(k) ? r.filter(([k2]) => k2 === k).map(([, w]) => [k, [v, w]]) : [[k, [v, null]]],
        ),
      ),
    ),
  );
  assert.deepEqual(
    (await split((l, r) => l.rightOuterJoin(r))).map((x) => sorted(x.map(([k, [v, w]]) => [k, [v ?? null, w]]))),
    both.map(({ l, r }) =>
      sorted(
        r.flatMap(([k, w]) =>
          keysOf(l).has(k) ? l.filter(([k2]) => k2 === k).map(([, v]) => [k, [v, w]]) : [[k, [null, w]]],
        ),
      ),
    ),
  );
  assert.deepEqual(
    (await split((l, r) => l.fullOuterJoin(r))).map((x) => sorted(x.map(([k, [v, w]]) => [k, [v ?? null, w ?? null]]))),
    both.map(({ l, r }) =>
      sorted([
        ...l.flatMap(([k, v]) =>
          keysOf(r).has(k) ? r.filter(([k2]) => k2 === k).map(([, w]) => [k, [v, w]]) : [[k, [v, null]]],
        ),
        ...r.filter(([k]) => !keysOf(l).has(k)).map(([k, w]) => [k, [null, w]]),
      ]),
    ),
  );
  assert.deepEqual(
    (await split((l, r) => l.cogroup(r))).map((x) =>
      sorted(x.map(([k, [vs, ws]]) => [k, [[...vs].sort(), [...ws].sort()]])),
    ),
    both.map(({ l, r }) =>
      sorted(
        [...new Set([...keysOf(l), ...keysOf(r)])].map((k) => [
          k,
          [
            l
              .filter((x) => x[0] === k)
              .map((x) => x[1])
              .sort(),
            r
              .filter((x) => x[0] === k)
              .map((x) => x[1])
              .sort(),
          ],
        ]),
      ),
    ),
  );
});

test("transform gets the batch RDD and its time", async () => {
  const times: number[] = [];
  const res = await runQueue(batches, (s) =>
    s.transform((rdd, time) => {
      times.push(time);
      return rdd.map((w) => `${w}`).filter(() => true);
    }),
  );
  assert.deepEqual(res.map(sorted), batches.map(sorted));
  for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 30);
});
