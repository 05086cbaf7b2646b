import { test } from "node:test";
import assert from "node:assert/strict";
import { runQueue, sorted, rng } from "./helpers.js";
import { StateSpec, type State } from "../../src/streaming/state.js";

type KV = [string, number];
const r = rng(3);
const keys = ["u1", "u2", "u3", "u4", "u5"];
const batches: KV[][] = Array.from({ length: 12 }, (_, i) =>
  i % 4 === 3
    ? []
    : Array.from(
        { length: 2 + Math.floor(r() * 6) },
        () => [keys[Math.floor(r() * (i < 6 ? 3 : 5))]!, 1 + Math.floor(r() * 3)] as KV,
      ),
);

test(
  "updateStateByKey keeps running totals equal to a plain fold over the batches, and drops keys whose update " +
    "returns undefined",
  async () => {
    const res = await runQueue(
      batches,
      (s) =>
        s.updateStateByKey<string, number, number>((values, state) => {
          const next = (state ?? 0) + values.reduce((a, b) => a + b, 0);
          return next > 25 ? undefined : next; // keys over 25 are dropped
        }),
      { extra: 2 },
    );
    const state = new Map<string, number>();
    const expected: KV[][] = [];
    for (const b of [...batches, [], []]) {
      const sums = new Map<string, number>();
      for (const [k, v] of b) sums.set(k, (sums.get(k) ?? 0) + v);
      for (const k of new Set([...state.keys(), ...sums.keys()])) {
        const next = (state.get(k) ?? 0) + (sums.get(k) ?? 0);
        if (next > 25) state.delete(k);
        else state.set(k, next);
      }
      expected.push([...state]);
    }
    assert.deepEqual(res.map(sorted), expected.map(sorted));
  },
);

test("mapWithState: per-record calls, state snapshots, removal and timeouts equal an oracle", async () => {
  const I = 40;
  const timeoutBatches = 2;
  const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
    if (state.isTimingOut()) return `${key}:timeout:${state.get()}`;
    const next = (state.getOption() ?? 0) + value!;
    if (next >= 12) {
      state.remove();
      return `${key}:removed`;
    }
    state.update(next);
    return `${key}:${next}`;
  }).timeout(timeoutBatches * I);
  const snaps: KV[][] = [];
  const res = await runQueue(
    batches,
    (s, ssc) => {
      const mapped = s.mapWithState(spec);
      mapped.stateSnapshots().foreachRDD(async (rdd) => {
        snaps.push(await rdd.collect());
      });
      void ssc;
      return mapped;
    },
    { extra: 4, batchInterval: I },
  );
  // oracle
  const state = new Map<string, { v: number; last: number }>();
  const expected: string[][] = [];
  const expectedSnaps: KV[][] = [];
  [...batches, [], [], [], []].forEach((b, j) => {
    const out: string[] = [];
    const touched = new Set<string>();
    for (const [k, v] of b) {
      touched.add(k);
      const cur = state.get(k);
      const next = (cur?.v ?? 0) + v;
      if (next >= 12) {
        state.delete(k);
        out.push(`${k}:removed`);
      } else {
        state.set(k, { v: next, last: j });
        out.push(`${k}:${next}`);
      }
    }
    for (const [k, st] of [...state]) {
      if (!touched.has(k) && st.last <= j - timeoutBatches) {
        out.push(`${k}:timeout:${st.v}`);
        state.delete(k);
      }
    }
    expected.push(out);
    expectedSnaps.push([...state].map(([k, st]) => [k, st.v] as KV));
  });
  assert.deepEqual(res.map(sorted), expected.map(sorted));
  assert.deepEqual(snaps.slice(0, expectedSnaps.length).map(sorted), expectedSnaps.map(sorted));
  assert.ok(
    expected.flat().some((x) => x.includes("timeout")),
    "the data exercises timeouts",
  );
  assert.ok(
    expected.flat().some((x) => x.includes("removed")),
    "the data exercises removal",
  );
});
