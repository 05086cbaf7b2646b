import { test } from "node:test";
import assert from "node:assert/strict";
import { LogManager } from "../../src/log/index.js";
import { buildBatch, payload, withTempDir } from "./helpers.js";

test("concurrent sync appends share fdatasyncs (group commit)", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (await m.createTopic("t", 1)).partitions[0];
      const before = m.stats.fsyncs;
      const N = 200;
      const res = await Promise.all(
        Array.from({ length: N }, (_, i) => {
          const pl = payload(buildBatch({ count: 2, fill: i }));
          return p.append(pl.buf, pl.batches, { sync: true });
        }),
      );
      assert.equal(res.length, N);
      assert.equal(p.recoveryPoint, p.highWatermark, "everything acknowledged is below the recovery point");
      const used = m.stats.fsyncs - before;
      assert.ok(used >= 1, "sync appends did fsync");
      assert.ok(used <= N / 10, `expected far fewer than ${N} fsyncs, got ${used}`);
    } finally {
      await m.close();
    }
  });
});

test("group commit spans partitions: one round syncs every partition that asked", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const t = await m.createTopic("t", 8);
      const rounds = m.stats.flushRounds;
      const all = [];
      for (let i = 0; i < 80; i++) {
        const pl = payload(buildBatch({ count: 1, fill: i }));
        all.push(t.partitions[i % 8].append(pl.buf, pl.batches, { sync: true }));
      }
      await Promise.all(all);
      const used = m.stats.flushRounds - rounds;
      assert.ok(used >= 1 && used <= 8, `expected a few rounds for 80 appends over 8 partitions, got ${used}`);
      for (const p of t.partitions) assert.equal(p.recoveryPoint, 10n);
    } finally {
      await m.close();
    }
  });
});

test("acks=1 appends do not fsync; a sync append resolves only after one", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (await m.createTopic("t", 1)).partitions[0];
      const base = m.stats.fsyncs;
      for (let i = 0; i < 20; i++) {
        const pl = payload(buildBatch({ count: 1 }));
        await p.append(pl.buf, pl.batches, { sync: false });
      }
      assert.equal(m.stats.fsyncs, base);
      assert.equal(p.recoveryPoint, 0n);
      const pl = payload(buildBatch({ count: 1 }));
      await p.append(pl.buf, pl.batches, { sync: true });
      assert.ok(m.stats.fsyncs > base);
      assert.equal(p.recoveryPoint, 21n);
    } finally {
      await m.close();
    }
  });
});

test("flush.messages forces an fsync like Kafka", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      const p = (await m.createTopic("t", 1, { "flush.messages": "5" })).partitions[0];
      const pl = payload(buildBatch({ count: 2 }));
      await p.append(pl.buf, pl.batches, { sync: false });
      assert.equal(p.recoveryPoint, 0n);
      const pl2 = payload(buildBatch({ count: 3 }));
      await p.append(pl2.buf, pl2.batches, { sync: false });
      assert.equal(p.recoveryPoint, 5n);
    } finally {
      await m.close();
    }
  });
});
