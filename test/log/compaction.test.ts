import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import {
  LogManager,
  SimulatedCrashError,
  groupSegmentsBySize,
  validateCompactedBatches,
  DELETE_HORIZON_MASK,
} from "../../src/log/index.js";
import type { CleanerCrashPoint, LogManagerOptions, PartitionLog } from "../../src/log/index.js";
import { CompressionType, RecordsError, scanBatches } from "../../src/protocol/records/batch.js";
import { decodeRecordSet, encodeBatch } from "../../src/protocol/records/records.js";
import { recordOffsetForTimestamp } from "../../src/log/timestamp-lookup.js";
import { buildBatch, payload, withTempDir } from "./helpers.js";

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

interface KV {
  key: string | null;
  value: string | null;
}

interface Written {
  key: string | null;
  value: string | null;
  ts: bigint;
}

/** Appends batches and remembers what went where. Record timestamps are T0 + offset. */
class Writer {
  readonly written = new Map<bigint, Written>();
  readonly batches = new Set<string>();
  /** key -> offset of its latest record */
  readonly latest = new Map<string, bigint>();

  constructor(readonly p: PartitionLog) {}

  async batch(
    recs: KV[],
    opts: { compression?: CompressionType; now?: number; tsBase?: number } = {},
  ): Promise<{ base: bigint; last: bigint }> {
    const base = this.p.nextOffset;
    const tsBase = opts.tsBase ?? T0;
    const buf = encodeBatch({
      records: recs.map((r, i) => ({ key: r.key, value: r.value, timestamp: tsBase + Number(base) + i })),
      compression: opts.compression,
    });
    const res = await this.p.append(buf, scanBatches(buf), { sync: false, now: opts.now ?? T0 });
    assert.equal(res.baseOffset, base);
    recs.forEach((r, i) => {
      const off = base + BigInt(i);
      this.written.set(off, { key: r.key, value: r.value, ts: BigInt(tsBase) + off });
      if (r.key !== null) this.latest.set(r.key, off);
    });
    this.batches.add(`${res.baseOffset}-${res.lastOffset}`);
    return { base: res.baseOffset, last: res.lastOffset };
  }

  /** `rounds` batches, each with one record per key: key k<i> = "k<i>@<round>". */
  async rounds(rounds: number, keys: number, from = 0): Promise<void> {
    for (let r = from; r < from + rounds; r++) {
      await this.batch(Array.from({ length: keys }, (_, i) => ({ key: `k${i}`, value: `k${i}@${r}` })));
    }
  }

  valueOf(key: string): string | null {
    return this.written.get(this.latest.get(key)!)!.value;
  }
}

interface ReadRecord {
  offset: bigint;
  key: string | null;
  value: string | null;
  ts: bigint;
}

interface ReadBatch {
  base: bigint;
  last: bigint;
  attributes: number;
  baseTimestamp: bigint;
  compression: CompressionType;
  count: number;
}

async function readAll(p: PartitionLog): Promise<{ recs: ReadRecord[]; batches: ReadBatch[] }> {
  const recs: ReadRecord[] = [];
  const batches: ReadBatch[] = [];
  let next = p.logStartOffset;
  while (next < p.highWatermark) {
    const r = await p.read(next, 1 << 20);
    if (!r.records) break;
    for (const b of decodeRecordSet(r.records)) {
      const last = b.header.baseOffset + BigInt(b.header.lastOffsetDelta);
      batches.push({
        base: b.header.baseOffset,
        last,
        attributes: b.header.attributes,
        baseTimestamp: b.header.baseTimestamp,
        compression: b.compression,
        count: b.records.length,
      });
      for (const rec of b.records) {
        if (rec.offset < next) continue;
        recs.push({
          offset: rec.offset,
          key: rec.key?.toString() ?? null,
          value: rec.value?.toString() ?? null,
          ts: rec.timestamp,
        });
      }
      next = last + 1n;
    }
  }
  return { recs, batches };
}

/**
 * What every compacted log must satisfy: offsets increasing, every record is
 * the one written at its offset, every batch keeps an original batch's offsets,
 * and the latest record of every key is there (unless `gone` says it was a
 * tombstone past its horizon).
 */
async function assertConsistent(p: PartitionLog, w: Writer, gone: Set<string> = new Set()): Promise<ReadRecord[]> {
  const { recs, batches } = await readAll(p);
  let prev = -1n;
  for (const r of recs) {
    assert.ok(r.offset > prev, `offsets increase (${r.offset} after ${prev})`);
    prev = r.offset;
    const orig = w.written.get(r.offset);
    assert.ok(orig, `offset ${r.offset} was written`);
    assert.equal(r.key, orig.key, `key at ${r.offset}`);
    assert.equal(r.value, orig.value, `value at ${r.offset}`);
    assert.equal(r.ts, orig.ts, `timestamp at ${r.offset}`);
  }
  for (const b of batches)
    assert.ok(w.batches.has(`${b.base}-${b.last}`), `batch ${b.base}-${b.last} keeps an original batch's offsets`);
  const present = new Set(recs.map((r) => r.offset));
  for (const [key, off] of w.latest) {
    if (gone.has(key)) assert.ok(!present.has(off), `tombstone of ${key} removed`);
    else assert.ok(present.has(off), `latest record of ${key} (offset ${off}) is present`);
  }
  return recs;
}

/** Records below the active segment: at most one per key. */
function assertDeduplicatedBelow(recs: ReadRecord[], activeBase: bigint): void {
  const seen = new Set<string>();
  for (const r of recs) {
    if (r.offset >= activeBase) break;
    assert.ok(!seen.has(r.key!), `key ${r.key} appears once below the active segment`);
    seen.add(r.key!);
  }
}

async function open(dir: string, opts: Partial<LogManagerOptions> = {}): Promise<LogManager> {
  return LogManager.open({ dir, ...opts });
}

const COMPACT = { "cleanup.policy": "compact", "segment.bytes": "1024", "index.interval.bytes": "100" };

function activeBase(p: PartitionLog): bigint {
  const s = p.segments();
  return s[s.length - 1].baseOffset;
}

test("keys overwritten many times compact to the latest value, offsets preserved", async () => {
  await withTempDir(async (dir) => {
    const m = await open(dir);
    try {
      const p = (await m.createTopic("t", 1, COMPACT)).partitions[0];
      const w = new Writer(p);
      await w.rounds(60, 10);
      const before = p.segments();
      assert.ok(before.length > 5);
      const active = await readFile(before[before.length - 1].path);
      const hw = p.highWatermark;

      const results = await m.runCleaner(T0);
      assert.equal(results.length, 1);
      const r = results[0];
      assert.equal(r.cleaned, true, r.reason);
      assert.equal(r.firstDirtyOffset, 0n);
      assert.equal(r.endOffset, activeBase(p));
      assert.equal(r.keys, 10);
      assert.ok(r.stats.recordsSuperseded > 0);
      assert.equal(p.highWatermark, hw, "the high watermark does not move");
      assert.equal(p.logStartOffset, 0n);
      assert.ok(p.size() < before.reduce((n, s) => n + s.size, 0));

      const recs = await assertConsistent(p, w);
      assertDeduplicatedBelow(recs, activeBase(p));
      // the active segment is byte for byte what it was
      const after = p.segments();
      assert.equal(after[after.length - 1].baseOffset, before[before.length - 1].baseOffset);
      assert.deepEqual(await readFile(after[after.length - 1].path), active);

      // appends go on at the high watermark
      const next = await w.batch([{ key: "k0", value: "new" }]);
      assert.equal(next.base, hw);
      await assertConsistent(p, w);
    } finally {
      await m.close();
    }
  });
});

test("a second pass merges small cleaned segments (groupSegmentsBySize) and keeps every latest value", async () => {
  await withTempDir(async (dir) => {
    const m = await open(dir);
    try {
      const p = (await m.createTopic("t", 1, COMPACT)).partitions[0];
      const w = new Writer(p);
      await w.rounds(60, 10);
      await m.runCleaner(T0);
      const once = p.segments().length;
      await w.rounds(30, 10, 60);
      const r = await p.compact(T0);
      assert.equal(r.cleaned, true, r.reason);
      assert.ok(r.segmentsAfter < r.segmentsBefore, `${r.segmentsBefore} -> ${r.segmentsAfter}`);
      assert.ok(p.segments().length < once + 30, "cleaned segments were merged");
      const recs = await assertConsistent(p, w);
      assertDeduplicatedBelow(recs, activeBase(p));
    } finally {
      await m.close();
    }
  });
});

test("groupSegmentsBySize: sizes, index sizes and the int32 offset range bound a group", () => {
  const seg = (base: bigint, size: number, nextBase: bigint, indexBytes = 0) => ({
    baseOffset: base,
    size,
    nextBase,
    indexBytes,
    timeIndexBytes: 0,
  });
  assert.deepEqual(
    groupSegmentsBySize([seg(0n, 400, 10n), seg(10n, 400, 20n), seg(20n, 400, 30n), seg(30n, 100, 40n)], 1000, 100),
    [
      [0, 1],
      [2, 3],
    ],
  );
  assert.deepEqual(groupSegmentsBySize([seg(0n, 10, 10n, 80), seg(10n, 10, 20n, 80)], 1000, 100), [[0], [1]]);
  // relative offsets in a segment are int32: a segment whose offsets could reach 2^31 past the group's base
  // starts a new group
  const far = 2n ** 31n + 10n;
  assert.deepEqual(groupSegmentsBySize([seg(0n, 10, 10n), seg(10n, 10, far), seg(far, 10, far + 5n)], 1000, 100), [
    [0],
    [1],
    [2],
  ]);
  assert.deepEqual(
    groupSegmentsBySize([seg(0n, 10, 2n ** 31n - 100n), seg(2n ** 31n - 100n, 10, 2n ** 31n)], 1000, 100),
    [[0, 1]],
  );
  // an empty segment joins whatever its offsets
  assert.deepEqual(groupSegmentsBySize([seg(0n, 10, 10n), seg(10n, 0, far)], 1000, 100), [[0, 1]]);
});

test(
  "reads at compacted-away offsets return the next batch; time lookups and indexes stay right, also after " + "reopen",
  async () => {
    await withTempDir(async (dir) => {
      let m = await open(dir);
      const p = (await m.createTopic("t", 1, COMPACT)).partitions[0];
      const w = new Writer(p);
      await w.rounds(40, 8);
      const r = await p.compact(T0);
      assert.equal(r.cleaned, true);
      const check = async (q: PartitionLog) => {
        const { recs } = await readAll(q);
        const surviving = recs.map((x) => x.offset);
        for (let off = q.logStartOffset; off < q.highWatermark; off++) {
          const res = await q.read(off, 1);
          const batches = decodeRecordSet(res.records!);
          assert.equal(batches.length, 1);
          const h = batches[0].header;
          const expected = surviving.find((s) => s >= off)!;
          assert.ok(h.baseOffset + BigInt(h.lastOffsetDelta) >= off, `batch for ${off} ends at or after it`);
          assert.equal(
            batches[0].records.find((x) => x.offset >= off)!.offset,
            expected,
            `first record at or after ${off}`,
          );
          // record-precision ListOffsets by timestamp: the first surviving record with ts >= T0 + off
          const byTime = await recordOffsetForTimestamp(q, BigInt(T0) + off);
          assert.equal(byTime?.offset, expected, `offset for timestamp T0+${off}`);
        }
        assert.equal(await recordOffsetForTimestamp(q, BigInt(T0) + q.highWatermark + 10n), null);
        const max = await q.maxTimestampOffset();
        assert.equal(max?.timestamp, BigInt(T0) + q.highWatermark - 1n);
      };
      await check(p);
      await m.close();
      // a clean reopen trusts the cleaned segments' index files (checked, not rebuilt)
      const names = await readdir(join(dir, "t-0"));
      assert.ok(
        !names.some(
          (n) => n.endsWith(".cleaned") || n.endsWith(".swap") || n.endsWith(".deleted") || n === "cleaner-swap.json",
        ),
      );
      const idx = names.filter((n) => n.endsWith(".index"));
      assert.ok(
        (await Promise.all(idx.map((n) => readFile(join(dir, "t-0", n))))).some((b) => b.length > 0),
        "sparse offset index entries were written",
      );
      m = await open(dir);
      try {
        await check(m.partition("t", 0)!);
        await assertConsistent(m.partition("t", 0)!, w);
      } finally {
        await m.close();
      }
    });
  },
);

test(
  "tombstones are kept until delete.retention.ms after the cleaning that first kept them, then " + "removed",
  async () => {
    await withTempDir(async (dir) => {
      const m = await open(dir);
      try {
        const p = (await m.createTopic("t", 1, { ...COMPACT, "delete.retention.ms": String(DAY) })).partitions[0];
        const w = new Writer(p);
        await w.rounds(10, 5);
        await w.batch([
          { key: "k1", value: null },
          { key: "k2", value: null },
        ]);
        await w.rounds(12, 3, 100); // keys k0..k2 again: k1 and k2 come back after their tombstones
        await w.batch([{ key: "k3", value: null }]);
        await w.rounds(12, 1, 200); // pushes the k3 tombstone out of the active segment
        const tombstone = w.latest.get("k3")!;
        assert.ok(tombstone < activeBase(p));

        const now = T0 + 1000;
        const r1 = await p.compact(now);
        assert.equal(r1.cleaned, true, r1.reason);
        assert.equal(r1.stats.tombstonesRemoved, 0);
        let recs = await assertConsistent(p, w);
        assert.ok(
          recs.some((x) => x.offset === tombstone && x.value === null),
          "the tombstone is kept",
        );
        assert.ok(!recs.some((x) => x.key === "k3" && x.value !== null), "older values of a deleted key are gone");
        // its batch now carries the delete horizon (KIP-534): base timestamp = cleaning time + delete.retention.ms
        const { batches } = await readAll(p);
        const tb = batches.find((b) => b.base <= tombstone && tombstone <= b.last)!;
        assert.ok(tb.attributes & DELETE_HORIZON_MASK);
        assert.equal(tb.baseTimestamp, BigInt(now + DAY));

        // just before the horizon: still there (a later cleaning does not move the horizon)
        const r2 = await p.compact(now + DAY - 1, { force: true });
        assert.equal(r2.stats.tombstonesRemoved, 0);
        recs = await assertConsistent(p, w);
        assert.ok(recs.some((x) => x.offset === tombstone));
        // at the horizon: removed
        await w.rounds(5, 1, 300);
        const r3 = await p.compact(now + DAY, { force: true });
        assert.equal(r3.cleaned, true);
        assert.ok(r3.stats.tombstonesRemoved >= 1);
        await assertConsistent(p, w, new Set(["k3"]));
        recs = (await readAll(p)).recs;
        assert.ok(!recs.some((x) => x.key === "k3"), "nothing of k3 is left");
      } finally {
        await m.close();
      }
    });
  },
);

test("compressed batches are rebuilt with their codec; LogAppendTime batches keep their time", async () => {
  await withTempDir(async (dir) => {
    const m = await open(dir);
    try {
      const p = (await m.createTopic("t", 1, { ...COMPACT, "message.timestamp.type": "LogAppendTime" })).partitions[0];
      const w = new Writer(p);
      const codecs = [CompressionType.Gzip, CompressionType.Lz4, CompressionType.Snappy];
      const codecOf = new Map<bigint, CompressionType>();
      for (let r = 0; r < 30; r++) {
        const b = await w.batch(
          Array.from({ length: 6 }, (_, i) => ({ key: `k${i % 4}-${r % 2}`, value: `v${r}-${i}` })),
          { compression: codecs[r % 3], now: T0 + r },
        );
        codecOf.set(b.base, codecs[r % 3]);
      }
      const r = await p.compact(T0);
      assert.equal(r.cleaned, true);
      assert.ok(r.stats.batchesRebuilt > 0);
      const { recs, batches } = await readAll(p);
      for (const b of batches) assert.equal(b.compression, codecOf.get(b.base), "rebuilt with the batch's own codec");
      // LogAppendTime: every record carries its batch's append time, before and after
      for (const x of recs) assert.ok(x.ts >= BigInt(T0) && x.ts < BigInt(T0 + 30));
      const latest = new Map<string, string | null>();
      for (const x of recs) latest.set(x.key!, x.value);
      for (const key of w.latest.keys()) assert.equal(latest.get(key), w.valueOf(key));
      const seen = new Set<string>();
      for (const x of recs) {
        if (x.offset >= activeBase(p)) break;
        assert.ok(!seen.has(x.key!));
        seen.add(x.key!);
      }
    } finally {
      await m.close();
    }
  });
});

test(
  "compact,delete: retention deletes old segments, the cleaner compacts the rest and resets a checkpoint " +
    "below the log start",
  async () => {
    await withTempDir(async (dir) => {
      const m = await open(dir);
      try {
        const p = (
          await m.createTopic("t", 1, {
            ...COMPACT,
            "cleanup.policy": "compact,delete",
            "retention.ms": String(HOUR),
            "file.delete.delay.ms": "0",
          })
        ).partitions[0];
        const w = new Writer(p);
        // unique keys first (an empty cleaned segment would fall back on its file time for retention, as in Kafka)
        for (let r = 0; r < 4; r++)
          await w.batch(Array.from({ length: 5 }, (_, i) => ({ key: `u${r}-${i}`, value: `old${r}` })));
        for (let r = 0; r < 16; r++)
          await w.batch(Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `old${r}` })));
        const first = await p.compact(T0 + 1);
        assert.equal(first.cleaned, true);
        const checkpoint = p.cleanerCheckpoint!;
        assert.ok(checkpoint > 0n);
        // more old data (the segment at the checkpoint fills with it), then new data ten hours later
        for (let r = 0; r < 20; r++)
          await w.batch(Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `old${r}` })));
        for (let r = 0; r < 20; r++)
          await w.batch(
            Array.from({ length: 5 }, (_, i) => ({ key: `n${i}`, value: `new${r}` })),
            { tsBase: T0 + 10 * HOUR },
          );
        await m.runRetention(T0 + 10 * HOUR + 1000);
        assert.ok(p.logStartOffset > checkpoint, "retention removed the old segments, the cleaned ones included");
        for (const [key, off] of w.latest) if (off < p.logStartOffset) w.latest.delete(key);
        assert.ok(w.latest.has("n0"));
        const r = await p.compact(T0 + 10 * HOUR + 1000);
        assert.equal(r.firstDirtyOffset, p.logStartOffset, "a checkpoint below the log start restarts there");
        assert.equal(r.cleaned, true);
        const recs = await assertConsistent(p, w);
        assertDeduplicatedBelow(recs, activeBase(p));
        assert.ok(recs.filter((x) => x.value!.startsWith("new")).length < 100);
      } finally {
        await m.close();
      }
    });
  },
);

test("the active segment and segments younger than min.compaction.lag.ms are not cleaned", async () => {
  await withTempDir(async (dir) => {
    const m = await open(dir);
    try {
      const p = (await m.createTopic("t", 1, { ...COMPACT, "min.compaction.lag.ms": String(HOUR) })).partitions[0];
      const w = new Writer(p);
      await w.rounds(40, 8);
      const segs = p.segments();
      // record timestamps are T0 + offset: at now = T0 + HOUR + x, segments whose last timestamp is <= T0 + x
      // are cleanable
      const cut = segs[Math.floor(segs.length / 2)].baseOffset;
      const now = T0 + HOUR + Number(cut) - 1;
      const younger = new Map<string, Buffer>();
      for (const s of segs)
        if (s.baseOffset >= segs[Math.floor(segs.length / 2) - 1].baseOffset)
          younger.set(s.path, await readFile(s.path));
      const r = await p.compact(now);
      assert.equal(r.cleaned, true, r.reason);
      assert.ok(r.endOffset <= cut, `clean only below ${cut} (end ${r.endOffset})`);
      for (const s of p.segments()) {
        if (s.baseOffset >= r.endOffset)
          assert.deepEqual(await readFile(s.path), younger.get(s.path), `segment ${s.baseOffset} untouched`);
      }
      await assertConsistent(p, w);
      // nothing cleanable yet at T0 (every segment is younger than the lag)
      const p2 = (await m.createTopic("u", 1, { ...COMPACT, "min.compaction.lag.ms": String(HOUR) })).partitions[0];
      await new Writer(p2).rounds(40, 8);
      const r2 = await p2.compact(T0);
      assert.equal(r2.cleaned, false);
    } finally {
      await m.close();
    }
  });
});

test("min.cleanable.dirty.ratio and max.compaction.lag.ms decide when a log is due", async () => {
  await withTempDir(async (dir) => {
    const m = await open(dir);
    try {
      const p = (
        await m.createTopic("t", 1, {
          ...COMPACT,
          "min.cleanable.dirty.ratio": "0.9",
          "max.compaction.lag.ms": String(DAY),
        })
      ).partitions[0];
      const w = new Writer(p);
      await w.rounds(30, 8);
      assert.equal((await p.compact(T0, { force: true })).cleaned, true);
      await w.rounds(3, 8, 30);
      const notDue = await p.compact(T0 + 1000);
      assert.equal(notDue.cleaned, false);
      assert.match(notDue.reason, /not above min.cleanable.dirty.ratio/);
      assert.ok(notDue.dirtyRatio > 0 && notDue.dirtyRatio <= 0.9);
      // once the oldest dirty batch is older than max.compaction.lag.ms it is cleaned anyway
      const overdue = await p.compact(T0 + 2 * DAY);
      assert.equal(overdue.cleaned, true);
      assert.match(overdue.reason, /max.compaction.lag.ms/);
      await assertConsistent(p, w);
      // a topic without "compact" is never compacted
      const d = (await m.createTopic("d", 1, { "segment.bytes": "1024" })).partitions[0];
      const rd = await d.compact(T0, { force: true });
      assert.equal(rd.cleaned, false);
      assert.match(rd.reason, /cleanup.policy/);
    } finally {
      await m.close();
    }
  });
});

test("the cleaner checkpoint is written in Kafka's format and persists across reopen", async () => {
  await withTempDir(async (dir) => {
    let m = await open(dir);
    const p = (await m.createTopic("t", 2, COMPACT)).partitions[0];
    const w = new Writer(p);
    await w.rounds(40, 8);
    const r = await p.compact(T0);
    assert.equal(r.cleaned, true);
    const text = await readFile(join(dir, "cleaner-offset-checkpoint"), "utf8");
    assert.equal(text, `0\n1\nt 0 ${r.endOffset}\n`);
    await m.close();

    m = await open(dir);
    try {
      const q = m.partition("t", 0)!;
      assert.equal(q.cleanerCheckpoint, r.endOffset);
      assert.equal(m.partition("t", 1)!.cleanerCheckpoint, null);
      const w2 = Object.assign(new Writer(q), { written: w.written, batches: w.batches, latest: w.latest });
      const idle = await q.compact(T0);
      assert.equal(idle.cleaned, false, "nothing dirty right after a cleaning");
      await w2.rounds(40, 8, 40);
      const again = await q.compact(T0);
      assert.equal(again.cleaned, true);
      assert.equal(again.firstDirtyOffset, r.endOffset, "the dirty section starts at the checkpoint");
      await assertConsistent(q, w2);
      // deleting the topic drops its entry
      await m.deleteTopic("t");
      assert.equal(await readFile(join(dir, "cleaner-offset-checkpoint"), "utf8"), "0\n0\n");
    } finally {
      await m.close();
    }
  });
});

test("a bounded offset map cleans in several passes, each continuing at the checkpoint", async () => {
  await withTempDir(async (dir) => {
    const m = await open(dir, { "log.cleaner.dedupe.buffer.size": 700 });
    try {
      const p = (await m.createTopic("t", 1, { ...COMPACT, "min.cleanable.dirty.ratio": "0" })).partitions[0];
      const w = new Writer(p);
      for (let r = 0; r < 40; r++)
        await w.batch(Array.from({ length: 5 }, (_, i) => ({ key: `k${(r * 5 + i) % 37}`, value: `v${r}-${i}` })));
      const ends: bigint[] = [];
      for (let pass = 0; pass < 50; pass++) {
        const [res] = await m.runCleaner(T0);
        if (!res.cleaned) break;
        ends.push(res.endOffset);
        await assertConsistent(p, w);
      }
      assert.ok(ends.length > 1, "the map filled before the end of the dirty section");
      for (let i = 1; i < ends.length; i++) assert.ok(ends[i] > ends[i - 1]);
      assert.equal(ends[ends.length - 1], activeBase(p));
    } finally {
      await m.close();
    }
  });
});

const CRASH_POINTS: CleanerCrashPoint[] = ["cleaned", "manifest", "swap", "deleted"];

for (const point of CRASH_POINTS) {
  test(`a crash after the "${point}" step of a swap recovers to a consistent log with every latest value`, async () => {
    await withTempDir(async (dir) => {
      let m = await open(dir);
      const p = (await m.createTopic("t", 1, COMPACT)).partitions[0];
      const w = new Writer(p);
      await w.rounds(40, 8);
      const before = await readAll(p);
      const hw = p.highWatermark;
      await assert.rejects(p.compact(T0, { crashAt: point }), SimulatedCrashError);
      const names = await readdir(join(dir, "t-0"));
      const has = (suffix: string) => names.some((n) => n.endsWith(suffix));
      if (point === "cleaned") assert.ok(has(".log.cleaned") && !names.includes("cleaner-swap.json"));
      if (point === "manifest") assert.ok(has(".log.cleaned") && names.includes("cleaner-swap.json"));
      if (point === "swap") assert.ok(has(".log.swap") && !has(".deleted") && names.includes("cleaner-swap.json"));
      if (point === "deleted") assert.ok(has(".log.swap") && has(".log.deleted"));
      await m.abort();

      m = await open(dir);
      try {
        const q = m.partition("t", 0)!;
        const after = await readdir(join(dir, "t-0"));
        assert.ok(
          !after.some(
            (n) => n.endsWith(".cleaned") || n.endsWith(".swap") || n.endsWith(".deleted") || n === "cleaner-swap.json",
          ),
          after.join(" "),
        );
        assert.equal(q.highWatermark, hw);
        const recs = await assertConsistent(q, w);
        if (point === "cleaned" || point === "manifest") {
          assert.deepEqual(
            recs.map((x) => x.offset),
            before.recs.map((x) => x.offset),
            "rolled back: the log is as it was",
          );
        } else {
          assert.ok(recs.length < before.recs.length, "completed: the cleaned segment is in place");
        }
        assert.equal(q.cleanerCheckpoint, null, "the checkpoint moves only after a whole cleaning");
        // the log works on: appends, and a full cleaning
        const next = new Writer(q);
        Object.assign(next, { written: w.written, batches: w.batches, latest: w.latest });
        assert.equal((await next.batch([{ key: "k0", value: "after" }])).base, hw);
        const r = await q.compact(T0, { force: true });
        assert.equal(r.cleaned, true);
        const final = await assertConsistent(q, next);
        assertDeduplicatedBelow(final, activeBase(q));
      } finally {
        await m.close();
      }
    });
  });
}

test(
  "an interrupted swap whose cleaned segment is damaged is rolled back while the old segments are " + "intact",
  async () => {
    await withTempDir(async (dir) => {
      let m = await open(dir);
      const p = (await m.createTopic("t", 1, COMPACT)).partitions[0];
      const w = new Writer(p);
      // the first cleaned segment is not empty
      await w.batch(Array.from({ length: 8 }, (_, i) => ({ key: `unique${i}`, value: "kept" })));
      await w.rounds(40, 8);
      const before = await readAll(p);
      await assert.rejects(p.compact(T0, { crashAt: "swap" }), SimulatedCrashError);
      await m.abort();
      const swap = (await readdir(join(dir, "t-0"))).find((n) => n.endsWith(".log.swap"))!;
      const path = join(dir, "t-0", swap);
      await truncate(path, (await readFile(path)).length - 3);
      m = await open(dir);
      try {
        const q = m.partition("t", 0)!;
        const recs = await assertConsistent(q, w);
        assert.deepEqual(
          recs.map((x) => x.offset),
          before.recs.map((x) => x.offset),
        );
      } finally {
        await m.close();
      }
    });
  },
);

test("an interrupted swap without its manifest completes by the swap's offset range (Kafka's rule)", async () => {
  await withTempDir(async (dir) => {
    let m = await open(dir);
    const p = (await m.createTopic("t", 1, COMPACT)).partitions[0];
    const w = new Writer(p);
    await w.rounds(40, 8);
    await assert.rejects(p.compact(T0, { crashAt: "swap" }), SimulatedCrashError);
    await m.abort();
    await unlink(join(dir, "t-0", "cleaner-swap.json"));
    m = await open(dir);
    try {
      await assertConsistent(m.partition("t", 0)!, w);
    } finally {
      await m.close();
    }
  });
});

test("reads running during compaction keep working while segments are swapped and deleted", async () => {
  await withTempDir(async (dir) => {
    const m = await open(dir);
    try {
      const p = (await m.createTopic("t", 1, { ...COMPACT, "file.delete.delay.ms": "0" })).partitions[0];
      const w = new Writer(p);
      await w.rounds(60, 8);
      let done = false;
      let reads = 0;
      const reader = (async () => {
        while (!done) {
          const { recs } = await readAll(p);
          for (const x of recs) assert.equal(x.value, w.written.get(x.offset)!.value);
          reads++;
          for (let off = 0n; off < p.highWatermark; off += 37n) {
            const r = await p.read(off, 200);
            assert.ok(r.records && r.records.length > 0);
            for (const b of decodeRecordSet(r.records))
              for (const x of b.records) assert.equal(x.value?.toString(), w.written.get(x.offset)!.value);
          }
        }
      })();
      const r = await p.compact(T0);
      const r2 = await p.compact(T0, { force: true });
      done = true;
      await reader;
      assert.equal(r.cleaned, true);
      assert.equal(r2.cleaned, true);
      assert.ok(reads > 0);
      await assertConsistent(p, w);
    } finally {
      await m.close();
    }
  });
});

test("appends to a compacted topic while it is being cleaned are kept", async () => {
  await withTempDir(async (dir) => {
    const m = await open(dir);
    try {
      const p = (await m.createTopic("t", 1, COMPACT)).partitions[0];
      const w = new Writer(p);
      await w.rounds(40, 8);
      const cleaning = p.compact(T0);
      const appends: Promise<unknown>[] = [];
      for (let r = 40; r < 80; r++)
        appends.push(w.batch(Array.from({ length: 8 }, (_, i) => ({ key: `k${i}`, value: `k${i}@${r}` }))));
      const [res] = await Promise.all([cleaning, Promise.all(appends)]);
      assert.equal(res.cleaned, true);
      await assertConsistent(p, w);
      assert.equal(p.highWatermark, 80n * 8n);
    } finally {
      await m.close();
    }
  });
});

test("records without a key are rejected by compacted topics (INVALID_RECORD)", async () => {
  await withTempDir(async (dir) => {
    const m = await open(dir);
    try {
      const t = await m.createTopic("c", 1, { "cleanup.policy": "compact" });
      const p = t.partitions[0];
      assert.equal(p.requiresKeys, true);
      const isNoKey = (e: unknown) =>
        e instanceof RecordsError &&
        e.kafkaCode === 87 &&
        e.code === "MR_RECORDS_NO_KEY" &&
        /without key in topic partition c-0/.test(e.message);
      const plain = payload(buildBatch({ count: 2 }));
      await assert.rejects(p.append(plain.buf, plain.batches, { sync: false }), isNoKey);
      const gz = encodeBatch({
        records: [
          { key: "a", value: "1" },
          { key: null, value: "2" },
        ],
        compression: CompressionType.Gzip,
      });
      await assert.rejects(p.append(gz, scanBatches(gz), { sync: false }), isNoKey);
      assert.equal(p.highWatermark, 0n, "nothing was appended");
      const ok = encodeBatch({
        records: [
          { key: "a", value: "1" },
          { key: "b", value: null },
        ],
        compression: CompressionType.Snappy,
      });
      assert.equal((await p.append(ok, scanBatches(ok), { sync: false })).lastOffset, 1n);
      // the helper, for callers that validate before appending
      assert.throws(() => validateCompactedBatches(plain.buf, plain.batches, "x-1"), isNoKeyFor("x-1"));
      validateCompactedBatches(ok, scanBatches(ok));
      const control = encodeBatch({ records: [{ key: Buffer.from([0, 0, 0, 1]), value: null }], control: true });
      const control2 = encodeBatch({ records: [{ key: null, value: null }], control: true });
      validateCompactedBatches(Buffer.concat([control, control2]), scanBatches(Buffer.concat([control, control2])));
      // a delete topic accepts them; altering it to compact changes that
      const d = (await m.createTopic("d", 1)).partitions[0];
      assert.equal(d.requiresKeys, false);
      await d.append(plain.buf, plain.batches, { sync: false });
      await m.alterTopicConfig("d", { "cleanup.policy": "compact,delete" });
      assert.equal(d.requiresKeys, true);
      await assert.rejects(
        d.append(plain.buf, plain.batches, { sync: false }),
        (e: unknown) => e instanceof RecordsError && e.kafkaCode === 87,
      );
    } finally {
      await m.close();
    }
  });
});

function isNoKeyFor(tp: string) {
  return (e: unknown) => e instanceof RecordsError && e.kafkaCode === 87 && e.message.includes(tp);
}

test("startBackgroundTasks runs the cleaner every log.cleaner.backoff.ms; close waits for it", async () => {
  await withTempDir(async (dir) => {
    const m = await open(dir, { "log.cleaner.backoff.ms": 10 });
    try {
      const p = (await m.createTopic("t", 1, COMPACT)).partitions[0];
      const w = new Writer(p);
      await w.rounds(40, 8);
      m.startBackgroundTasks();
      while (p.cleanerCheckpoint === null) await new Promise((r) => setTimeout(r, 5));
      await m.close();
      const q = await open(dir);
      try {
        await assertConsistent(q.partition("t", 0)!, w);
        assert.equal(q.partition("t", 0)!.cleanerCheckpoint, p.cleanerCheckpoint);
      } finally {
        await q.close();
      }
    } finally {
      await m.close();
    }
  });
});

test(
  "retainEmptyBatch keeps an emptied producer batch as a header (the producer-state seam); otherwise it is " +
    "dropped",
  async () => {
    await withTempDir(async (dir) => {
      const m = await open(dir);
      try {
        const t = await m.createTopic("t", 2, COMPACT);
        const fill = async (p: PartitionLog) => {
          let seq = 0;
          for (let r = 0; r < 30; r++) {
            const buf = encodeBatch({
              records: Array.from({ length: 4 }, (_, i) => ({ key: `k${i}`, value: `${r}` })),
              producerId: 7n,
              producerEpoch: 2,
              baseSequence: seq,
            });
            seq += 4;
            await p.append(buf, scanBatches(buf), { sync: false });
          }
        };
        await fill(t.partitions[0]);
        await fill(t.partitions[1]);
        m.cleanerRetainEmptyBatch = (p, b) => p.partition === 1 && b.producerId === 7n && b.baseOffset === 0n;
        const results = await m.runCleaner(T0);
        assert.ok(results.every((r) => r.cleaned));
        const dropped = (await readAll(t.partitions[0])).batches;
        assert.ok(dropped[0].base > 0n, "partition 0: the emptied first batch is gone");
        const kept = (await readAll(t.partitions[1])).batches;
        assert.equal(kept[0].base, 0n);
        assert.equal(kept[0].last, 3n, "same offsets");
        assert.equal(kept[0].count, 0, "no records");
        const raw = (await t.partitions[1].read(0n, 1)).records!;
        assert.equal(raw.readBigInt64BE(43), 7n, "producer id kept");
        assert.equal(raw.readInt16BE(51), 2);
        assert.equal(raw.readInt32BE(53), 0, "base sequence kept");
      } finally {
        await m.close();
      }
    });
  },
);

test("corrupt data stops a cleaning without changing the log; the manager stops cleaning that partition", async () => {
  await withTempDir(async (dir) => {
    let m = await open(dir);
    const p = (await m.createTopic("t", 1, COMPACT)).partitions[0];
    const w = new Writer(p);
    await w.rounds(40, 8);
    const second = p.segments()[1];
    await m.close();
    const bytes = await readFile(second.path);
    bytes[bytes.length - 2] ^= 0xff; // inside the last record of the segment's last batch: its CRC fails
    const { writeFile } = await import("node:fs/promises");
    await writeFile(second.path, bytes);
    m = await open(dir); // clean shutdown: old segments are not scanned at open
    try {
      const q = m.partition("t", 0)!;
      const names = async () => (await readdir(join(dir, "t-0"))).sort();
      const before = await names();
      await assert.rejects(q.compact(T0), (e: Error & { code?: string }) => e.code === "MR_LOG_CORRUPT");
      assert.deepEqual(await names(), before, "no file left behind or replaced");
      assert.deepEqual(await m.runCleaner(T0), [], "the failure is logged and the partition skipped");
      assert.deepEqual(await m.runCleaner(T0), []);
      assert.equal(q.cleanerCheckpoint, null);
    } finally {
      await m.close();
    }
  });
});

/** A zstd encoder that writes raw (stored) blocks: a valid frame any decoder reads. */
function zstdStored(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(9);
  header.writeUInt32LE(0xfd2fb528, 0);
  header[4] = 0xa0; // single segment, 4-byte content size
  header.writeUInt32LE(data.length, 5);
  parts.push(header);
  const max = 128 * 1024;
  for (let p = 0; p === 0 || p < data.length; p += max) {
    const chunk = data.subarray(p, Math.min(data.length, p + max));
    const last = p + max >= data.length ? 1 : 0;
    const bh = last | (chunk.length << 3);
    parts.push(Buffer.from([bh & 0xff, (bh >> 8) & 0xff, (bh >> 16) & 0xff]), chunk);
  }
  return Buffer.concat(parts);
}

test(
  "zstd batches are rebuilt uncompressed when this Node.js cannot compress zstd (and stay zstd when it " + "can)",
  async () => {
    const { setZstdCompressor, zstdCompressionAvailable } = await import("../../src/protocol/records/compression.js");
    const had = zstdCompressionAvailable();
    await withTempDir(async (dir) => {
      const m = await open(dir);
      try {
        for (const canCompress of [true, false]) {
          const p = (await m.createTopic(`z${canCompress}`, 1, COMPACT)).partitions[0];
          const w = new Writer(p);
          if (!had) setZstdCompressor(zstdStored);
          try {
            for (let r = 0; r < 20; r++) {
              await w.batch(
                Array.from({ length: 5 }, (_, i) => ({ key: i === 0 ? `u${r}` : `k${i}`, value: `v${r}` })),
                { compression: CompressionType.Zstd },
              );
            }
          } finally {
            if (!had && !canCompress) setZstdCompressor(null);
          }
          try {
            const r = await p.compact(T0);
            assert.equal(r.cleaned, true);
            const { batches } = await readAll(p);
            const rebuilt = batches.filter((b) => b.count < 5);
            assert.ok(rebuilt.length > 0);
            for (const b of rebuilt)
              assert.equal(b.compression, canCompress || had ? CompressionType.Zstd : CompressionType.None);
            await assertConsistent(p, w);
          } finally {
            if (!had) setZstdCompressor(null);
          }
        }
      } finally {
        await m.close();
      }
    });
  },
);
