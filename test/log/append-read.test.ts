import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { LogManager, type LogError } from "../../src/log/index.js";
import { batchCrcValid } from "../../src/protocol/records/batch.js";
import { batchOffsets, buildBatch, payload, withTempDir } from "./helpers.js";

test("append assigns dense offsets and reads return the batches as stored", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const t = await m.createTopic("t", 1);
      const p = t.partitions[0];
      const r1 = await p.append(...(Object.values(payload(buildBatch({ count: 3 }))) as [Buffer, never]), {
        sync: false,
      });
      assert.equal(r1.baseOffset, 0n);
      assert.equal(r1.lastOffset, 2n);
      assert.equal(r1.logAppendTime, -1n);
      const pl = payload(buildBatch({ count: 2 }), buildBatch({ count: 5 }));
      const r2 = await p.append(pl.buf, pl.batches, { sync: true });
      assert.equal(r2.baseOffset, 3n);
      assert.equal(r2.lastOffset, 9n);
      assert.equal(p.highWatermark, 10n);
      assert.equal(p.logEndOffset, 10n);

      const all = await p.read(0n, 1 << 20);
      assert.deepEqual(
        batchOffsets(all.records).map((b) => [b.base, b.last]),
        [
          [0n, 2n],
          [3n, 4n],
          [5n, 9n],
        ],
      );
      // stored as received, base offset rewritten, CRC still valid
      const b = all.records!;
      let pos = 0;
      for (const x of batchOffsets(b)) {
        assert.ok(batchCrcValid(b, pos, x.size));
        pos += x.size;
      }
      assert.deepEqual(
        b.subarray(batchOffsets(b)[0].size + batchOffsets(b)[1].size).subarray(8),
        pl.buf.subarray(pl.batches[1].position + 8),
      );

      // reading from the middle of a batch returns that whole batch
      const mid = await p.read(7n, 1 << 20);
      assert.deepEqual(
        batchOffsets(mid.records).map((x) => x.base),
        [5n],
      );
      // at the high watermark: nothing
      const end = await p.read(10n, 1000);
      assert.equal(end.records, null);
      assert.equal(end.highWatermark, 10n);
      await assert.rejects(p.read(11n, 1000), (e: LogError) => e.code === "MR_LOG_OFFSET_OUT_OF_RANGE");
      await assert.rejects(p.read(-1n, 1000), (e: LogError) => e.code === "MR_LOG_OFFSET_OUT_OF_RANGE");
      assert.equal(p.size(), all.records!.length);
    } finally {
      await m.close();
    }
  });
});

test("concurrent appends are ordered by call order and offsets are dense", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (await m.createTopic("t", 1)).partitions[0];
      const proms = [];
      for (let i = 0; i < 200; i++) {
        const pl = payload(buildBatch({ count: 1 + (i % 7), fill: i }));
        proms.push(p.append(pl.buf, pl.batches, { sync: i % 3 === 0 }));
      }
      const res = await Promise.all(proms);
      let next = 0n;
      for (let i = 0; i < res.length; i++) {
        assert.equal(res[i].baseOffset, next);
        next = res[i].lastOffset + 1n;
      }
      assert.equal(p.highWatermark, next);
      const all = await p.read(0n, 1 << 24);
      const offs = batchOffsets(all.records);
      assert.equal(offs.length, 200);
      for (let i = 0; i < offs.length; i++) {
        assert.equal(offs[i].base, res[i].baseOffset);
        assert.equal(offs[i].last, res[i].lastOffset);
      }
    } finally {
      await m.close();
    }
  });
});

test("'append' is emitted after data is readable", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (await m.createTopic("t", 1)).partitions[0];
      const seen: bigint[] = [];
      p.on("append", () => {
        seen.push(p.highWatermark);
      });
      const pl = payload(buildBatch({ count: 4 }));
      const appended = p.append(pl.buf, pl.batches, { sync: false });
      assert.equal(p.highWatermark, 0n, "not readable before the write");
      await appended;
      assert.deepEqual(seen, [4n]);
      const r = await p.read(0n, 100000);
      assert.equal(batchOffsets(r.records).length, 1);
    } finally {
      await m.close();
    }
  });
});

test("reads cross segment rolls and index lookups land on the right batch", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      // small segments and a dense index
      const t = await m.createTopic("t", 1, { "segment.bytes": "20000", "index.interval.bytes": "300" });
      const p = t.partitions[0];
      const sizes: number[] = [];
      for (let i = 0; i < 300; i++) {
        const pl = payload(buildBatch({ count: 1 + (i % 5), valueSize: 20 + (i % 13) * 10, fill: i }));
        sizes.push(pl.buf.length);
        await p.append(pl.buf, pl.batches, { sync: false });
      }
      const segs = p.segments();
      assert.ok(segs.length > 3, `expected several segments, got ${segs.length}`);
      for (const s of segs) assert.ok(s.size <= 20000);
      // every offset reads back the batch that holds it, from every segment
      const all = batchOffsets((await p.read(0n, 1 << 24)).records);
      assert.equal(all.length, segs.filter((s) => s.baseOffset === 0n).length > 0 ? all.length : 0);
      const everything: { base: bigint; last: bigint }[] = [];
      let off = 0n;
      while (off < p.highWatermark) {
        const r = await p.read(off, 1 << 24);
        const bs = batchOffsets(r.records);
        assert.ok(bs.length > 0);
        everything.push(...bs);
        off = bs[bs.length - 1].last + 1n;
      }
      assert.equal(everything.length, 300);
      for (let i = 0; i < everything.length; i += 7) {
        const b = everything[i];
        for (const target of [b.base, b.last, (b.base + b.last) / 2n]) {
          const r = await p.read(target, 1);
          const got = batchOffsets(r.records);
          assert.equal(got.length, 1);
          assert.equal(got[0].base, b.base, `offset ${target}`);
        }
      }
      // a segment's files are named by base offset
      const names = segs.map((s) => s.path.split("/").pop());
      assert.equal(names[0], "00000000000000000000.log");
      assert.equal(names[1], `${segs[1].baseOffset.toString().padStart(20, "0")}.log`);
    } finally {
      await m.close();
    }
  });
});

test("maxBytes returns whole batches; the first batch always unless minOneBatch is false", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (await m.createTopic("t", 1)).partitions[0];
      const big = payload(buildBatch({ count: 10, valueSize: 500 }));
      const small = payload(buildBatch({ count: 1, valueSize: 10 }));
      await p.append(big.buf, big.batches, { sync: false });
      await p.append(small.buf, small.batches, { sync: false });
      await p.append(...([payload(buildBatch({ count: 1 })).buf, payload(buildBatch({ count: 1 })).batches] as const), {
        sync: false,
      });

      const one = await p.read(0n, 10);
      assert.equal(one.records!.length, big.buf.length, "first batch even though larger than maxBytes");
      const none = await p.read(0n, 10, { minOneBatch: false });
      assert.equal(none.records, null);
      const exact = await p.read(0n, big.buf.length + small.buf.length);
      assert.deepEqual(
        batchOffsets(exact.records).map((b) => b.base),
        [0n, 10n],
      );
      const cut = await p.read(0n, big.buf.length + small.buf.length - 1);
      assert.deepEqual(
        batchOffsets(cut.records).map((b) => b.base),
        [0n],
        "no partial batches",
      );
      const tail = await p.read(10n, 1 << 20);
      assert.deepEqual(
        batchOffsets(tail.records).map((b) => b.base),
        [10n, 11n],
      );
    } finally {
      await m.close();
    }
  });
});

test("reads of old segments (index path) honour maxBytes and minOneBatch", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const t = await m.createTopic("t", 1, { "segment.bytes": "50000", "index.interval.bytes": "1000" });
    for (let i = 0; i < 100; i++) {
      const pl = payload(buildBatch({ count: 3, valueSize: 100 + (i % 4) * 300, fill: i }));
      await t.partitions[0].append(pl.buf, pl.batches, { sync: false });
    }
    await m.close();
    m = await LogManager.open({ dir });
    try {
      const p = m.partition("t", 0)!;
      assert.equal(p.highWatermark, 300n);
      // after reopen there is no tail cache: everything goes through the .index
      for (const off of [0n, 1n, 50n, 151n, 299n]) {
        const r = await p.read(off, 1);
        const b = batchOffsets(r.records);
        assert.equal(b.length, 1);
        assert.ok(b[0].base <= off && off <= b[0].last);
        const r2 = await p.read(off, 5000);
        const b2 = batchOffsets(r2.records);
        assert.ok(r2.records!.length <= 5000 || b2.length === 1);
        assert.equal(b2[0].base, b[0].base);
        const r3 = await p.read(off, 1, { minOneBatch: false });
        assert.equal(r3.records, null);
      }
    } finally {
      await m.close();
    }
  });
});

test("LogAppendTime topics get the broker's time in every batch", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (await m.createTopic("t", 1, { "message.timestamp.type": "LogAppendTime" })).partitions[0];
      const pl = payload(buildBatch({ count: 2, timestamp: 1000 }));
      const r = await p.append(pl.buf, pl.batches, { sync: false, now: 1_700_000_123_456 });
      assert.equal(r.logAppendTime, 1_700_000_123_456n);
      const got = (await p.read(0n, 10000)).records!;
      assert.equal(got.readBigInt64BE(35), 1_700_000_123_456n);
      assert.equal(got.readInt16BE(21) & 0x08, 0x08);
      assert.ok(batchCrcValid(got, 0, got.length));
    } finally {
      await m.close();
    }
  });
});

test("append rejects batches above max.message.bytes and inconsistent batch lists", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (await m.createTopic("t", 1, { "max.message.bytes": "200" })).partitions[0];
      const pl = payload(buildBatch({ count: 5, valueSize: 100 }));
      await assert.rejects(
        p.append(pl.buf, pl.batches, { sync: false }),
        (e: LogError) => e.code === "MR_LOG_RECORD_TOO_LARGE",
      );
      const ok = payload(buildBatch({ count: 1 }));
      await assert.rejects(
        p.append(Buffer.concat([ok.buf, Buffer.alloc(3)]), ok.batches, { sync: false }),
        (e: LogError) => e.code === "MR_LOG_INVALID_APPEND",
      );
      assert.equal(p.nextOffset, 0n, "rejected appends consume no offsets");
      const r = await p.append(ok.buf, ok.batches, { sync: false });
      assert.equal(r.baseOffset, 0n);
    } finally {
      await m.close();
    }
  });
});

test("segment.ms rolls by the batch timestamps, like Kafka", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (await m.createTopic("t", 1, { "segment.ms": "1000" })).partitions[0];
      const t0 = 1_700_000_000_000;
      for (const ts of [t0, t0 + 500, t0 + 999, t0 + 1500, t0 + 1600, t0 + 5000]) {
        const pl = payload(buildBatch({ count: 1, timestamp: ts }));
        await p.append(pl.buf, pl.batches, { sync: false, now: ts });
      }
      assert.deepEqual(
        p.segments().map((s) => s.baseOffset),
        [0n, 3n, 5n],
      );
      const idx = await readFile(join(dir, "t-0", "00000000000000000003.timeindex"));
      assert.equal(idx.length % 12, 0);
    } finally {
      await m.close();
    }
  });
});

test("reads racing with appends never return bytes beyond the high watermark they report", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (await m.createTopic("t", 1, { "segment.bytes": "4000" })).partitions[0];
      const appends: Promise<unknown>[] = [];
      const reads: Promise<void>[] = [];
      for (let i = 0; i < 100; i++) {
        const pl = payload(buildBatch({ count: 2, valueSize: 40, fill: i }));
        appends.push(p.append(pl.buf, pl.batches, { sync: i % 5 === 0 }));
        const from = p.highWatermark > 4n ? p.highWatermark - 4n : 0n;
        reads.push(
          p.read(from, 1 << 20).then((r) => {
            const bs = batchOffsets(r.records);
            if (bs.length > 0) assert.ok(bs[bs.length - 1].last < r.highWatermark);
          }),
        );
      }
      await Promise.all([...appends, ...reads]);
      assert.equal(p.highWatermark, 200n);
    } finally {
      await m.close();
    }
  });
});
