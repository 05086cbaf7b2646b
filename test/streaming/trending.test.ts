import { test } from "node:test";
import assert from "node:assert/strict";
import { hashtags, trending } from "../../examples/streaming/trending.js";
import { runQueueTimed, rng } from "./helpers.js";

const r = rng(99);
const TAGS = [
  "#NodeJS",
  "#kafka",
  "#Spark",
  "#flume",
  "#streaming",
  "#ts",
  "#data",
  "#AI",
  "#café",
  "#go",
  "#rust",
  "#java",
];
// synthetic tweets (Twitter API v2 shape), with bursts so the ranking changes
const batches = Array.from({ length: 16 }, (_, b) =>
  Array.from({ length: b === 9 ? 0 : 10 + Math.floor(r() * 15) }, (_, i) => {
    const k = 1 + Math.floor(r() * 3);
    const tags = Array.from({ length: k }, () => TAGS[Math.floor(r() * (b < 8 ? 6 : TAGS.length))]!);
    return { data: { id: `${b}-${i}`, text: `tweet ${b}/${i} ${tags.join(" ")} done` } };
  }),
);

test("hashtag extraction", () => {
  assert.deepEqual(hashtags({ data: { text: "a #Foo and #bar_2, #café!" } }), ["#foo", "#bar_2", "#café"]);
  assert.deepEqual(hashtags({ text: "v1 #x" }), ["#x"]);
  assert.deepEqual(hashtags(null), []);
});

test("trending hashtags: every window's ranking equals a plain batch computation over the same tweets", async () => {
  const I = 40;
  const W = 6; // window of 6 batches sliding every batch
  const extra = W;
  const all = [...batches, ...Array.from({ length: extra }, () => [])];
  for (const n of [Infinity, 10]) {
    const res = await runQueueTimed(batches, (s) => trending(s as never, W * I, I, n), { batchInterval: I, extra });
    assert.equal(res.length, all.length);
    for (const { index, items } of res) {
      const m = new Map<string, number>();
      for (const t of all.slice(Math.max(0, index - W + 1), index + 1).flat())
        for (const h of hashtags(t)) m.set(h, (m.get(h) ?? 0) + 1);
      const expected = [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
      assert.deepEqual(items, expected, `window ending at batch ${index}`);
    }
  }
});
