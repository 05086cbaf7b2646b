import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { LogManager, type LogError } from "../../src/log/index.js";
import { batchOffsets, buildBatch, payload, withTempDir } from "./helpers.js";

const T0 = 1_700_000_000_000;

test("retention.ms deletes whole old segments and advances the log start offset", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (
        await m.createTopic("t", 1, { "segment.bytes": "1000", "retention.ms": "60000", "file.delete.delay.ms": "0" })
      ).partitions[0];
      // 10 batches an hour apart in time, ~3 per segment
      for (let i = 0; i < 10; i++) {
        const pl = payload(buildBatch({ count: 2, valueSize: 100, timestamp: T0 + i * 3_600_000 }));
        await p.append(pl.buf, pl.batches, { sync: false, now: T0 + i * 3_600_000 });
      }
      const segs = p.segments();
      assert.ok(segs.length >= 3);
      // "now" is just after the last batch: every segment but the active one is older than an hour
      await m.runRetention(T0 + 9 * 3_600_000 + 1000);
      const left = p.segments();
      assert.equal(left.length, 1, "only the active segment remains");
      assert.equal(p.logStartOffset, left[0].baseOffset);
      await assert.rejects(p.read(0n, 1000), (e: LogError) => e.code === "MR_LOG_OFFSET_OUT_OF_RANGE");
      const r = await p.read(p.logStartOffset, 1 << 20);
      assert.equal(batchOffsets(r.records)[0].base, p.logStartOffset);
      await m.close();
      const files = await readdir(join(dir, "t-0"));
      assert.deepEqual(
        files.filter((f) => f.endsWith(".log")),
        [left[0].path.split("/").pop()],
      );
      assert.ok(!files.some((f) => f.endsWith(".deleted")));
    } finally {
      await m.close();
    }
  });
});

test("retention.ms keeps segments that are still young", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (await m.createTopic("t", 1, { "segment.bytes": "1000", "retention.ms": "10000" })).partitions[0];
      for (let i = 0; i < 10; i++) {
        const pl = payload(buildBatch({ count: 2, valueSize: 100, timestamp: T0 + i * 1000 }));
        await p.append(pl.buf, pl.batches, { sync: false, now: T0 + i * 1000 });
      }
      const n = p.segments().length;
      await m.runRetention(T0 + 9000);
      assert.equal(p.segments().length, n);
      assert.equal(p.logStartOffset, 0n);
    } finally {
      await m.close();
    }
  });
});

test("retention.bytes deletes the oldest segments while the partition is too big", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (
        await m.createTopic("t", 1, { "segment.bytes": "1000", "retention.bytes": "2500", "retention.ms": "-1" })
      ).partitions[0];
      for (let i = 0; i < 20; i++) {
        const pl = payload(buildBatch({ count: 2, valueSize: 100, timestamp: T0 }));
        await p.append(pl.buf, pl.batches, { sync: false, now: T0 });
      }
      const before = p.segments();
      await m.runRetention(T0 + 10 ** 12);
      const after = p.segments();
      assert.ok(after.length < before.length);
      assert.ok(p.size() >= 2500, "never below retention.bytes");
      // deleting one more segment would have gone below retention.bytes
      assert.ok(p.size() - after[0].size < 2500);
      assert.equal(p.logStartOffset, after[0].baseOffset);
      assert.equal(p.highWatermark, 40n);
    } finally {
      await m.close();
    }
  });
});

test("cleanup.policy=compact does not delete by retention (the cleaner will)", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (
        await m.createTopic("t", 1, { "segment.bytes": "1000", "retention.ms": "1", "cleanup.policy": "compact" })
      ).partitions[0];
      for (let i = 0; i < 10; i++) {
        const pl = payload(buildBatch({ count: 2, valueSize: 100, timestamp: T0, keys: [`a${i}`, `b${i}`] }));
        await p.append(pl.buf, pl.batches, { sync: false, now: T0 });
      }
      const n = p.segments().length;
      await m.runRetention(T0 + 10 ** 9);
      assert.equal(p.segments().length, n);
    } finally {
      await m.close();
    }
  });
});

test("deleteRecordsBefore advances the log start offset, persists it, and drops segments below it", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const p = (await m.createTopic("t", 1, { "segment.bytes": "1000", "file.delete.delay.ms": "0" })).partitions[0];
    for (let i = 0; i < 10; i++) {
      const pl = payload(buildBatch({ count: 2, valueSize: 100 }));
      await p.append(pl.buf, pl.batches, { sync: false });
    }
    const segs = p.segments();
    const target = segs[2].baseOffset + 1n;
    assert.equal(await p.deleteRecordsBefore(target), target);
    assert.equal(p.logStartOffset, target);
    assert.equal(p.segments()[0].baseOffset, segs[2].baseOffset);
    await assert.rejects(p.read(target - 1n, 100), (e: LogError) => e.code === "MR_LOG_OFFSET_OUT_OF_RANGE");
    const r = await p.read(target, 100000);
    assert.ok(batchOffsets(r.records)[0].base <= target);
    await assert.rejects(p.deleteRecordsBefore(1000n), (e: LogError) => e.code === "MR_LOG_OFFSET_OUT_OF_RANGE");
    await m.abort();
    m = await LogManager.open({ dir });
    try {
      assert.equal(m.partition("t", 0)!.logStartOffset, target);
    } finally {
      await m.close();
    }
  });
});

test("startBackgroundTasks runs retention on its interval; close stops it", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir, "log.retention.check.interval.ms": 10 });
    try {
      const p = (
        await m.createTopic("t", 1, { "segment.bytes": "1000", "retention.ms": "3600000", "file.delete.delay.ms": "0" })
      ).partitions[0];
      for (let i = 0; i < 10; i++) {
        // timestamps from 2023: far older than retention.ms
        const pl = payload(buildBatch({ count: 2, valueSize: 100, timestamp: T0 }));
        await p.append(pl.buf, pl.batches, { sync: false, now: T0 });
      }
      assert.ok(p.segments().length > 1);
      m.startBackgroundTasks();
      while (p.segments().length > 1) await new Promise((r) => setTimeout(r, 5));
      assert.equal(p.logStartOffset, p.segments()[0].baseOffset);
    } finally {
      await m.close();
    }
  });
});
