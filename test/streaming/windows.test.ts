import { test } from "node:test";
import assert from "node:assert/strict";
import { runQueueTimed, sorted, rng } from "./helpers.js";

type KV = [string, number];
const I = 30;
const r = rng(7);
const tags = ["#a", "#b", "#c", "#d", "#e", "#f"];
// 14 batches of hashtags with bursts and gaps, so keys appear, vanish and return
const batches: string[][] = Array.from({ length: 14 }, (_, i) =>
  i === 5 || i === 6
    ? []
    : Array.from({ length: 3 + Math.floor(r() * 12) }, () => tags[Math.floor(r() * (i < 7 ? 3 : tags.length))]!),
);

/** the elements of batches with index in (j - w, j] */
function windowOf<T>(xs: T[][], j: number, w: number): T[] {
  return xs.slice(Math.max(0, j - w + 1), j + 1).flat();
}
function counts(xs: string[]): KV[] {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m];
}

for (const [w, s] of [
  [4, 1],
  [4, 2],
  [6, 3],
] as const) {
  test(`window(${w}, ${s} batches) and its reductions equal recomputing every window`, async () => {
    const extra = w; // let windows drain after the input ends
    const all = [...batches, ...Array.from({ length: extra }, () => [] as string[])];
    const check = <O>(
      res: { index: number; items: O[] }[],
      oracle: (j: number) => O[],
      norm: (x: O[]) => unknown = sorted,
    ) => {
      const expected = all.map((_, j) => j).filter((j) => (j + 1) % s === 0);
      assert.deepEqual(
        res.map((x) => x.index),
        expected,
      );
      for (const x of res) assert.deepEqual(norm(x.items), norm(oracle(x.index)), `window ending at batch ${x.index}`);
    };
    const opts = { extra, batchInterval: I };
    check(await runQueueTimed(batches, (st) => st.window(w * I, s * I), opts), (j) => windowOf(all, j, w));
    check(await runQueueTimed(batches, (st) => st.countByWindow(w * I, s * I), opts), (j) => [
      windowOf(all, j, w).length,
    ]);
    check(
      await runQueueTimed(batches, (st) => st.map((t) => t.length).reduceByWindow((a, b) => a + b, w * I, s * I), opts),
      (j) => {
        const xs = windowOf(all, j, w);
        return xs.length ? [xs.length * 2] : [];
      },
    );
    // plain reduceByKeyAndWindow
    check(
      await runQueueTimed(
        batches,
        (st) => st.map((t) => [t, 1] as KV).reduceByKeyAndWindow((a, b) => a + b, w * I, s * I),
        opts,
      ),
      (j) => counts(windowOf(all, j, w)),
    );
    // with the inverse function and a filter dropping zero counts: exactly the recomputed counts
    check(
      await runQueueTimed(
        batches,
        (st) =>
          st
            .map((t) => [t, 1] as KV)
            .reduceByKeyAndWindow(
              (a, b) => a + b,
              (a, b) => a - b,
              w * I,
              s * I,
              2,
              (kv) => kv[1] > 0,
            ),
        opts,
      ),
      (j) => counts(windowOf(all, j, w)),
    );
    // without the filter, keys that left the window stay with count 0 (as in Spark)
    check(
      await runQueueTimed(
        batches,
        (st) =>
          st
            .map((t) => [t, 1] as KV)
            .reduceByKeyAndWindow(
              (a, b) => a + b,
              (a, b) => a - b,
              w * I,
              s * I,
            ),
        opts,
      ),
      (j) => counts(windowOf(all, j, w)),
      (xs) => sorted((xs as KV[]).filter((kv) => kv[1] !== 0)),
    );
    check(await runQueueTimed(batches, (st) => st.countByValueAndWindow(w * I, s * I), opts), (j) =>
      counts(windowOf(all, j, w)),
    );
  });
}
