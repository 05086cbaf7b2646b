import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, open, readFile, readdir, stat, truncate, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LogManager } from "../../src/log/index.js";
import type { PartitionLog } from "../../src/log/index.js";
import { batchOffsets, buildBatch, payload, recordingLogger, withTempDir } from "./helpers.js";

async function fill(p: PartitionLog, n: number, count = 4, valueSize = 50): Promise<number[]> {
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    const pl = payload(buildBatch({ count, valueSize, fill: i }));
    sizes.push(pl.buf.length);
    await p.append(pl.buf, pl.batches, { sync: true });
  }
  return sizes;
}

async function readAll(p: PartitionLog): Promise<Buffer> {
  const parts: Buffer[] = [];
  let off = p.logStartOffset;
  while (off < p.highWatermark) {
    const r = await p.read(off, 1 << 24);
    parts.push(r.records!);
    const bs = batchOffsets(r.records);
    off = bs[bs.length - 1].last + 1n;
  }
  return Buffer.concat(parts);
}

async function appendOne(p: PartitionLog): Promise<bigint> {
  const pl = payload(buildBatch({ count: 2 }));
  return (await p.append(pl.buf, pl.batches, { sync: true })).baseOffset;
}

const seg0 = (dir: string) => join(dir, "t-0", "00000000000000000000.log");

test("crash (no clean shutdown) keeps every acknowledged batch", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const p = (await m.createTopic("t", 1)).partitions[0];
    await fill(p, 20);
    const before = await readAll(p);
    await m.abort();
    m = await LogManager.open({ dir });
    try {
      const q = m.partition("t", 0)!;
      assert.equal(q.highWatermark, 80n);
      assert.deepEqual(await readAll(q), before);
      assert.equal(await appendOne(q), 80n);
    } finally {
      await m.close();
    }
  });
});

test("recovery truncates a torn batch (segment cut mid-batch) and appends continue at the next offset", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const p = (await m.createTopic("t", 1)).partitions[0];
    const sizes = await fill(p, 10);
    await m.abort();
    const total = sizes.reduce((a, b) => a + b, 0);
    await truncate(seg0(dir), total - 7); // last batch torn
    const rec = recordingLogger();
    m = await LogManager.open({ dir, logger: rec.logger });
    try {
      const q = m.partition("t", 0)!;
      assert.equal(q.highWatermark, 36n, "log ends at the last valid batch");
      assert.equal((await stat(seg0(dir))).size, total - sizes[9]);
      const warn = rec.lines.find((l) => l.level === "warn" && /truncated/.test(l.msg ?? ""));
      assert.ok(warn, "truncation is logged");
      assert.equal((warn!.obj as { truncatedBytes: number }).truncatedBytes, sizes[9] - 7);
      assert.equal(await appendOne(q), 36n);
      const all = batchOffsets(await readAll(q));
      assert.equal(all.length, 10);
      assert.equal(all[9].base, 36n);
    } finally {
      await m.close();
    }
  });
});

test("recovery drops a last batch whose bytes fail the CRC32C", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const p = (await m.createTopic("t", 1)).partitions[0];
    const sizes = await fill(p, 5);
    await m.abort();
    const total = sizes.reduce((a, b) => a + b, 0);
    const fh = await open(seg0(dir), "r+");
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, total - 10);
    b[0] ^= 0x40;
    await fh.write(b, 0, 1, total - 10);
    await fh.close();
    m = await LogManager.open({ dir });
    try {
      const q = m.partition("t", 0)!;
      assert.equal(q.highWatermark, 16n);
      assert.equal(await appendOne(q), 16n);
    } finally {
      await m.close();
    }
  });
});

test("recovery truncates garbage appended after the last batch", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const p = (await m.createTopic("t", 1)).partitions[0];
    const sizes = await fill(p, 3);
    const before = await readAll(p);
    await m.abort();
    await appendFile(seg0(dir), Buffer.from("this is not a record batch, just garbage bytes ".repeat(5)));
    m = await LogManager.open({ dir });
    try {
      const q = m.partition("t", 0)!;
      assert.equal(q.highWatermark, 12n);
      assert.equal(
        (await stat(seg0(dir))).size,
        sizes.reduce((a, b) => a + b, 0),
      );
      assert.deepEqual(await readAll(q), before);
      assert.equal(await appendOne(q), 12n);
    } finally {
      await m.close();
    }
  });
});

test("a corrupt tail is caught even after a clean shutdown (the active segment's tail is checked)", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const p = (await m.createTopic("t", 1)).partitions[0];
    const sizes = await fill(p, 6);
    await m.close();
    await truncate(seg0(dir), sizes.reduce((a, b) => a + b, 0) - 3);
    m = await LogManager.open({ dir });
    try {
      assert.equal(m.partition("t", 0)!.highWatermark, 20n);
      assert.equal(await appendOne(m.partition("t", 0)!), 20n);
    } finally {
      await m.close();
    }
  });
});

test("corruption in an earlier segment truncates there and deletes later segments", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const p = (await m.createTopic("t", 1, { "segment.bytes": "2000" })).partitions[0];
    const sizes = await fill(p, 30);
    const segs = p.segments();
    assert.ok(segs.length >= 4);
    await m.abort();
    // The recovery point checkpoint is older than the data: recovery scans from the first segment.
    await writeFile(join(dir, "recovery-point-offset-checkpoint"), "0\n1\nt 0 0\n");
    // Damage the second segment's second batch.
    const second = segs[1].path;
    const fh = await open(second, "r+");
    await fh.write(Buffer.from([0xff, 0xff]), 0, 2, sizes[0] + 30);
    await fh.close();
    const rec = recordingLogger();
    m = await LogManager.open({ dir, logger: rec.logger });
    try {
      const q = m.partition("t", 0)!;
      assert.equal(q.segments().length, 2);
      assert.equal(q.highWatermark, segs[1].baseOffset + 4n);
      const files = await readdir(join(dir, "t-0"));
      for (const s of segs.slice(2)) assert.ok(!files.includes(s.path.split("/").pop()!));
      assert.equal(await appendOne(q), segs[1].baseOffset + 4n);
      const all = batchOffsets(await readAll(q));
      for (let i = 1; i < all.length; i++) assert.equal(all[i].base, all[i - 1].last + 1n);
    } finally {
      await m.close();
    }
  });
});

test("missing or corrupt index files are rebuilt, never trusted", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const p = (await m.createTopic("t", 1, { "segment.bytes": "3000", "index.interval.bytes": "200" })).partitions[0];
    await fill(p, 40);
    const segs = p.segments();
    const before = await readAll(p);
    const idx0 = await readFile(segs[0].path.replace(/\.log$/, ".index"));
    assert.ok(idx0.length > 0);
    await m.close();
    // first segment: index removed; second: index entries pointing nowhere; active: garbage time index
    await unlink(segs[0].path.replace(/\.log$/, ".index"));
    const bad = Buffer.alloc(16);
    bad.writeInt32BE(5, 0);
    bad.writeInt32BE(999999, 4);
    bad.writeInt32BE(3, 8);
    bad.writeInt32BE(10, 12);
    await writeFile(segs[1].path.replace(/\.log$/, ".index"), bad);
    await writeFile(segs[segs.length - 1].path.replace(/\.log$/, ".timeindex"), Buffer.alloc(7, 1));
    const rec = recordingLogger();
    m = await LogManager.open({ dir, logger: rec.logger });
    try {
      const q = m.partition("t", 0)!;
      assert.deepEqual(await readAll(q), before);
      for (let off = 0n; off < q.highWatermark; off += 3n) {
        const r = await q.read(off, 1);
        const b = batchOffsets(r.records)[0];
        assert.ok(b.base <= off && off <= b.last);
      }
      assert.deepEqual(
        await readFile(segs[0].path.replace(/\.log$/, ".index")),
        idx0,
        "rebuilt index equals the original",
      );
      assert.ok(rec.lines.some((l) => l.level === "warn" && /index/.test(l.msg ?? "")));
    } finally {
      await m.close();
    }
  });
});

test("after close and reopen everything reads back byte-identical", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const t = await m.createTopic("t", 3, { "segment.bytes": "5000" });
    for (let i = 0; i < 60; i++) {
      const p = t.partitions[i % 3];
      const pl = payload(buildBatch({ count: 1 + (i % 4), valueSize: 30 + i, fill: i }));
      await p.append(pl.buf, pl.batches, { sync: i % 2 === 0 });
    }
    const before = await Promise.all(t.partitions.map(readAll));
    const hws = t.partitions.map((p) => p.highWatermark);
    await m.close();
    assert.ok((await readdir(dir)).includes(".kafka_cleanshutdown"));
    m = await LogManager.open({ dir });
    try {
      assert.ok(!(await readdir(dir)).includes(".kafka_cleanshutdown"), "marker removed while open");
      const t2 = m.topic("t")!;
      assert.deepEqual(t2.id, t.id);
      assert.deepEqual(
        t2.partitions.map((p) => p.highWatermark),
        hws,
      );
      assert.deepEqual(await Promise.all(t2.partitions.map(readAll)), before);
      // and after another reopen without a clean shutdown
      await m.abort();
      m = await LogManager.open({ dir });
      assert.deepEqual(await Promise.all(m.topic("t")!.partitions.map(readAll)), before);
    } finally {
      await m.close();
    }
  });
});

test("recovery after an unclean shutdown logs its progress per partition; a clean start does not", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const a = (await m.createTopic("a", 2)).partitions;
    const b = (await m.createTopic("b", 1)).partitions;
    for (const p of [...a, ...b]) await fill(p, 3);
    await m.abort();
    const rec = recordingLogger();
    m = await LogManager.open({ dir, logger: rec.logger });
    await m.close();
    const per = rec.lines.filter((l) => /^log recovery \d/.test(l.msg ?? ""));
    assert.deepEqual(per.map((l) => (l.obj as { partition: string }).partition).sort(), ["a-0", "a-1", "b-0"]);
    assert.deepEqual(per.map((l) => (l.obj as { done: number }).done).sort(), [1, 2, 3]);
    for (const l of per) {
      assert.equal((l.obj as { of: number }).of, 3);
      assert.ok((l.obj as { bytes: number }).bytes > 0);
      assert.equal((l.obj as { logEnd: string }).logEnd, "12");
    }
    assert.ok(rec.lines.some((l) => l.level === "warn" && /checking 3 partitions/.test(l.msg ?? "")));
    assert.ok(rec.lines.some((l) => l.level === "warn" && /log recovery done/.test(l.msg ?? "")));
    // after the clean close: no recovery lines
    const rec2 = recordingLogger();
    m = await LogManager.open({ dir, logger: rec2.logger });
    await m.close();
    assert.equal(rec2.lines.filter((l) => /recover/.test(l.msg ?? "")).length, 0);
  });
});
