import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { LogManager } from "../../src/log/index.js";
import type { PartitionLog } from "../../src/log/index.js";
import { batchOffsets, buildBatch, payload, withTempDir } from "./helpers.js";

const T0 = 1_700_000_000_000;

async function load(p: PartitionLog, timestamps: number[], valueSize = 200): Promise<void> {
  for (const ts of timestamps) {
    const pl = payload(buildBatch({ count: 3, valueSize, timestamp: ts }));
    await p.append(pl.buf, pl.batches, { sync: false, now: T0 });
  }
}

test("offsetForTimestamp finds the first batch whose max timestamp is >= the target", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const p = (await m.createTopic("t", 1, { "segment.bytes": "3000", "index.interval.bytes": "500" })).partitions[0];
    // batch i: offsets 3i..3i+2, timestamps T0+10i .. T0+10i+2; one out-of-order batch at i=20
    const ts = Array.from({ length: 40 }, (_, i) => (i === 20 ? T0 + 5 : T0 + 10 * i));
    await load(p, ts);
    const check = async (q: PartitionLog) => {
      assert.deepEqual(await q.offsetForTimestamp(BigInt(T0)), { offset: 0n, timestamp: BigInt(T0 + 2) });
      assert.deepEqual(await q.offsetForTimestamp(BigInt(T0 + 3)), { offset: 3n, timestamp: BigInt(T0 + 12) });
      assert.deepEqual(await q.offsetForTimestamp(BigInt(T0 + 101)), { offset: 30n, timestamp: BigInt(T0 + 102) });
      assert.deepEqual(await q.offsetForTimestamp(BigInt(T0 + 250)), { offset: 75n, timestamp: BigInt(T0 + 252) });
      assert.deepEqual(await q.offsetForTimestamp(BigInt(T0 + 392)), { offset: 117n, timestamp: BigInt(T0 + 392) });
      assert.equal(await q.offsetForTimestamp(BigInt(T0 + 393)), null);
      assert.deepEqual(await q.maxTimestampOffset(), { offset: 117n, timestamp: BigInt(T0 + 392) });
    };
    await check(p);
    assert.ok(p.segments().length > 3);
    await m.close();
    m = await LogManager.open({ dir });
    try {
      await check(m.partition("t", 0)!);
    } finally {
      await m.close();
    }
  });
});

test("maxTimestampOffset is null for an empty log and follows the largest timestamp", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (await m.createTopic("t", 1)).partitions[0];
      assert.equal(await p.maxTimestampOffset(), null);
      assert.equal(await p.offsetForTimestamp(0n), null);
      await load(p, [T0 + 100, T0 + 500, T0 + 200]);
      assert.deepEqual(await p.maxTimestampOffset(), { offset: 3n, timestamp: BigInt(T0 + 502) });
    } finally {
      await m.close();
    }
  });
});

test("index files use Kafka's entry format and point at batch starts", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    const p = (await m.createTopic("t", 1, { "segment.bytes": "20000", "index.interval.bytes": "1000" })).partitions[0];
    await load(
      p,
      Array.from({ length: 100 }, (_, i) => T0 + i * 7),
      150,
    );
    const segs = p.segments();
    await m.close();
    for (const s of segs) {
      const log = await readFile(s.path);
      const index = await readFile(s.path.replace(/\.log$/, ".index"));
      const timeindex = await readFile(s.path.replace(/\.log$/, ".timeindex"));
      assert.equal(index.length % 8, 0);
      assert.equal(timeindex.length % 12, 0);
      // batch starts and last offsets of this segment
      const starts = new Map<number, bigint>();
      let pos = 0;
      for (const b of batchOffsets(log)) {
        starts.set(pos, b.last);
        pos += b.size;
      }
      assert.ok(index.length / 8 >= Math.floor(log.length / 1000) - 2, "about one entry per index.interval.bytes");
      let prev = -1;
      for (let i = 0; i < index.length; i += 8) {
        const rel = index.readInt32BE(i);
        const position = index.readInt32BE(i + 4);
        assert.ok(position > prev);
        prev = position;
        assert.equal(
          starts.get(position),
          s.baseOffset + BigInt(rel),
          "entry = (relative last offset of the batch, its position)",
        );
      }
      let prevTs = -1n;
      for (let i = 0; i < timeindex.length; i += 12) {
        const ts = timeindex.readBigInt64BE(i);
        const rel = timeindex.readInt32BE(i + 8);
        assert.ok(ts > prevTs);
        prevTs = ts;
        assert.ok(rel >= 0 && s.baseOffset + BigInt(rel) < s.baseOffset + 1000n);
      }
      // the last time index entry is the segment's largest timestamp (appended on roll/close)
      const lastBatchMax = log.readBigInt64BE(pos - batchOffsets(log).at(-1)!.size + 35);
      assert.equal(prevTs, lastBatchMax);
    }
  });
});
