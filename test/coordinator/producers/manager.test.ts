import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LogManager } from "../../../src/log/index.js";
import type { PartitionLog } from "../../../src/log/index.js";
import {
  INT32_MAX,
  ProducerStateManager,
  encodeSnapshot,
  snapshotFileName,
} from "../../../src/coordinator/producers/index.js";
import type { ProducerEntry, ProducerStateManagerOptions } from "../../../src/coordinator/producers/index.js";
import { ErrorCode } from "../../../src/protocol/errors.js";
import { T0, produce, recordingLogger, withTempDir } from "./helpers.js";
import type { Spec } from "./helpers.js";

/** Record timestamps are around T0; producers are expired against this "now". */
const NOW = T0 + 60_000;

type Sent =
  | { kind: "appended" | "duplicate"; baseOffset: bigint; lastOffset: bigint; logAppendTime: bigint }
  | { kind: "error"; errorCode: number };

async function send(psm: ProducerStateManager, p: PartitionLog, specs: Spec[], sync = true): Promise<Sent> {
  const { buf, batches } = produce(...specs);
  const o = psm.append(p, buf, batches, { sync, now: NOW });
  if (o.kind === "error") return { kind: "error", errorCode: o.errorCode };
  const r = await o.result;
  return { kind: o.kind, baseOffset: r.baseOffset, lastOffset: r.lastOffset, logAppendTime: r.logAppendTime };
}

async function sendOk(psm: ProducerStateManager, p: PartitionLog, ...specs: Spec[]): Promise<bigint> {
  const r = await send(psm, p, specs);
  assert.equal(r.kind, "appended", `expected an append, got ${r.kind}`);
  return (r as { baseOffset: bigint }).baseOffset;
}

const A = 0n;
const B = 1n;
const C = 2n;

/**
 * A mixed workload: in-order batches, non-idempotent batches, an epoch bump, a wrapping sequence, multi-batch
 * appends.
 */
async function workload(psm: ProducerStateManager, p: PartitionLog, part: 1 | 2): Promise<void> {
  if (part === 1) {
    for (let i = 0; i < 4; i++) {
      await sendOk(psm, p, { pid: A, epoch: 0, seq: i * 2, count: 2, ts: T0 + i });
      await sendOk(psm, p, { count: 3 });
    }
    await sendOk(psm, p, { pid: B, epoch: 0, seq: 0, count: 1 }, { count: 1 }, { pid: B, epoch: 0, seq: 1, count: 4 });
    await sendOk(psm, p, { pid: C, epoch: 5, seq: INT32_MAX - 1, count: 3, ts: T0 + 10 });
  } else {
    for (let i = 4; i < 7; i++) await sendOk(psm, p, { pid: A, epoch: 0, seq: i * 2, count: 2, ts: T0 + i });
    await sendOk(psm, p, { pid: B, epoch: 1, seq: 0, count: 2 });
    await sendOk(
      psm,
      p,
      { pid: C, epoch: 5, seq: 1, count: 1, ts: T0 + 11 },
      { pid: A, epoch: 0, seq: 14, count: 1, ts: T0 + 20 },
    );
  }
}

async function open(
  dir: string,
  opts: ProducerStateManagerOptions = {},
): Promise<{ m: LogManager; psm: ProducerStateManager; p: PartitionLog }> {
  const m = await LogManager.open({ dir });
  if (!m.topic("t")) await m.createTopic("t", 1);
  const psm = new ProducerStateManager(m, opts);
  await psm.load(NOW);
  return { m, psm, p: m.partition("t", 0)! };
}

test(
  "append: in-order batches are appended, retries answered with the original offsets, gaps and zombies " + "refused",
  async () => {
    await withTempDir(async (dir) => {
      const { m, psm, p } = await open(dir);
      try {
        assert.equal(await sendOk(psm, p, { count: 2 }), 0n);
        assert.equal(await sendOk(psm, p, { pid: A, epoch: 0, seq: 0, count: 3 }), 2n);
        assert.equal(await sendOk(psm, p, { pid: A, epoch: 0, seq: 3, count: 3 }), 5n);
        const end = p.nextOffset;
        assert.deepEqual(await send(psm, p, [{ pid: A, epoch: 0, seq: 0, count: 3 }]), {
          kind: "duplicate",
          baseOffset: 2n,
          lastOffset: 4n,
          logAppendTime: -1n,
        });
        assert.deepEqual(await send(psm, p, [{ pid: A, epoch: 0, seq: 3, count: 3 }]), {
          kind: "duplicate",
          baseOffset: 5n,
          lastOffset: 7n,
          logAppendTime: -1n,
        });
        assert.deepEqual(await send(psm, p, [{ pid: A, epoch: 0, seq: 7 }]), {
          kind: "error",
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        });
        assert.equal(await sendOk(psm, p, { pid: A, epoch: 1, seq: 0 }), end);
        assert.deepEqual(await send(psm, p, [{ pid: A, epoch: 0, seq: 6 }]), {
          kind: "error",
          errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        });
        assert.equal(p.nextOffset, end + 1n);
        assert.equal(psm.forPartition("t", 0)!.get(A)!.epoch, 1);
        assert.equal(psm.forPartition("t", 9), undefined);
      } finally {
        await m.close();
      }
    });
  },
);

test("a retry arriving before the original is durable resolves only once the original is", async () => {
  await withTempDir(async (dir) => {
    const { m, psm, p } = await open(dir);
    try {
      const one = produce({ pid: A, epoch: 0, seq: 0, count: 2 });
      const two = produce({ pid: A, epoch: 0, seq: 0, count: 2 });
      // Both issued synchronously: the retry is seen while the original is still queued.
      const first = psm.append(p, one.buf, one.batches, { sync: true, now: NOW });
      const retry = psm.append(p, two.buf, two.batches, { sync: true, now: NOW });
      assert.equal(first.kind, "appended");
      assert.equal(retry.kind, "duplicate");
      const r = await (retry as { result: Promise<{ baseOffset: bigint; lastOffset: bigint }> }).result;
      assert.equal(r.baseOffset, 0n);
      assert.equal(r.lastOffset, 1n);
      assert.ok(p.recoveryPoint > 1n, "the original is fdatasync'd when the duplicate answer is ready");
      await (first as { result: Promise<unknown> }).result;
      assert.equal(p.nextOffset, 2n);
    } finally {
      await m.close();
    }
  });
});

test("LogAppendTime topics: state keeps the append time and a duplicate answers with it", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      await m.createTopic("lat", 1, { "message.timestamp.type": "LogAppendTime" });
      const psm = new ProducerStateManager(m);
      const p = m.partition("lat", 0)!;
      const first = await send(psm, p, [{ pid: A, epoch: 0, seq: 0, count: 2, ts: T0 - 5000 }]);
      assert.equal(first.kind, "appended");
      assert.equal((first as { logAppendTime: bigint }).logAppendTime, BigInt(NOW));
      assert.equal(psm.forPartition("lat", 0)!.get(A)!.lastTimestamp, BigInt(NOW));
      const dup = await send(psm, p, [{ pid: A, epoch: 0, seq: 0, count: 2, ts: T0 - 5000 }]);
      assert.deepEqual(dup, { kind: "duplicate", baseOffset: 0n, lastOffset: 1n, logAppendTime: BigInt(NOW) });
      // Replay reads the rewritten timestamps back from the log.
      const again = new ProducerStateManager(m);
      await again.load(NOW);
      assert.deepEqual(again.forPartition("lat", 0)!.entries(), psm.forPartition("lat", 0)!.entries());
    } finally {
      await m.close();
    }
  });
});

test("snapshot + replay after a clean log shutdown reproduces the live state", async () => {
  await withTempDir(async (dir) => {
    let live: ProducerEntry[];
    let snapOffset: bigint | null;
    {
      const { m, psm, p } = await open(dir);
      await workload(psm, p, 1);
      snapOffset = await psm.snapshotPartition(p);
      assert.equal(snapOffset, p.nextOffset);
      await workload(psm, p, 2);
      live = psm.forPartition("t", 0)!.entries();
      assert.equal(live.length, 3);
      assert.equal(live.find((e) => e.producerId === A)!.batches.length, 5);
      // No final snapshot: the state after the snapshot must come from the log.
      await m.close();
    }
    const { logger, lines } = recordingLogger();
    const { m, psm, p } = await open(dir, { logger });
    try {
      assert.deepEqual(psm.forPartition("t", 0)!.entries(), live);
      const info = lines.find((l) => l.msg === "loaded producer state")!;
      assert.equal(info.obj.snapshot, snapOffset!.toString());
      assert.equal(info.obj.replayedBatches, 6);
      // Every one of A's last 5 batches is still answered as a duplicate with its offsets.
      for (const b of live.find((e) => e.producerId === A)!.batches) {
        const r = await send(psm, p, [{ pid: A, epoch: 0, seq: b.firstSeq, count: b.lastSeq - b.firstSeq + 1 }]);
        assert.deepEqual(r, {
          kind: "duplicate",
          baseOffset: b.firstOffset,
          lastOffset: b.lastOffset,
          logAppendTime: -1n,
        });
      }
      assert.deepEqual(await send(psm, p, [{ pid: A, epoch: 0, seq: 16 }]), {
        kind: "error",
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      });
      await sendOk(psm, p, { pid: A, epoch: 0, seq: 15 });
      await sendOk(psm, p, { pid: C, epoch: 5, seq: 2 });
      assert.deepEqual(await send(psm, p, [{ pid: B, epoch: 0, seq: 5 }]), {
        kind: "error",
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
      });
    } finally {
      await m.close();
    }
  });
});

test("replay without any snapshot, after a crash, reproduces the live state", async () => {
  await withTempDir(async (dir) => {
    let live: ProducerEntry[];
    {
      const { m, psm, p } = await open(dir);
      await workload(psm, p, 1);
      await workload(psm, p, 2);
      live = psm.forPartition("t", 0)!.entries();
      await m.abort();
    }
    assert.deepEqual(
      (await readdir(join(dir, "t-0"))).filter((n) => n.endsWith(".snapshot")),
      [],
    );
    const { m, psm } = await open(dir, { replayReadBytes: 100 }); // small reads: batches straddle read boundaries
    try {
      assert.deepEqual(psm.forPartition("t", 0)!.entries(), live);
    } finally {
      await m.close();
    }
  });
});

test(
  "clean shutdown: close() snapshots at the log end, older snapshots are removed, restart replays " + "nothing",
  async () => {
    await withTempDir(async (dir) => {
      let live: ProducerEntry[];
      let end: bigint;
      {
        const { m, psm, p } = await open(dir);
        await workload(psm, p, 1);
        assert.equal(await psm.snapshotPartition(p), p.nextOffset);
        assert.equal(await psm.snapshotPartition(p), null, "no new snapshot without new data");
        await workload(psm, p, 2);
        live = psm.forPartition("t", 0)!.entries();
        end = p.nextOffset;
        await psm.close();
        await m.close();
      }
      assert.deepEqual(
        (await readdir(join(dir, "t-0"))).filter((n) => n.includes(".snapshot")),
        [snapshotFileName(end)],
      );
      const { logger, lines } = recordingLogger();
      const { m, psm } = await open(dir, { logger });
      try {
        assert.deepEqual(psm.forPartition("t", 0)!.entries(), live);
        const info = lines.find((l) => l.msg === "loaded producer state")!;
        assert.equal(info.obj.snapshot, end.toString());
        assert.equal(info.obj.replayedBatches, 0);
      } finally {
        await m.close();
      }
    });
  },
);

test(
  "a snapshot beyond the log end is deleted, a corrupt one skipped, and the state rebuilt from the " + "log",
  async () => {
    await withTempDir(async (dir) => {
      let live: ProducerEntry[];
      let mid: bigint;
      {
        const { m, psm, p } = await open(dir);
        await workload(psm, p, 1);
        mid = (await psm.snapshotPartition(p))!;
        await workload(psm, p, 2);
        live = psm.forPartition("t", 0)!.entries();
        await m.close();
      }
      const pdir = join(dir, "t-0");
      // Beyond the log end (what a torn tail leaves after a snapshot): a bogus state that must not be used.
      const bogus = encodeSnapshot([
        {
          producerId: A,
          producerEpoch: 9,
          lastSequence: 5,
          lastOffset: 3n,
          offsetDelta: 0,
          timestamp: BigInt(T0),
          coordinatorEpoch: -1,
          currentTxnFirstOffset: -1n,
        },
      ]);
      await writeFile(join(pdir, snapshotFileName(10_000n)), bogus);
      // Corrupt, between the good snapshot and the log end.
      const corrupt = Buffer.from(bogus);
      corrupt[20] ^= 0xff;
      await writeFile(join(pdir, snapshotFileName(mid + 2n)), corrupt);
      const { logger, lines } = recordingLogger();
      const { m, psm } = await open(dir, { logger });
      try {
        assert.deepEqual(psm.forPartition("t", 0)!.entries(), live);
        assert.ok(lines.some((l) => l.msg === "deleting producer snapshot beyond the log end"));
        assert.ok(lines.some((l) => l.msg === "deleting unreadable producer snapshot"));
        assert.deepEqual(
          (await readdir(pdir)).filter((n) => n.includes(".snapshot")),
          [snapshotFileName(mid)],
        );
      } finally {
        await m.close();
      }
    });
  },
);

test("producers expired at load time are dropped; periodic expiry drops idle producers", async () => {
  await withTempDir(async (dir) => {
    {
      const { m, psm, p } = await open(dir, { "producer.id.expiration.ms": 100_000 });
      await sendOk(psm, p, { pid: A, epoch: 0, seq: 0, ts: T0 });
      await sendOk(psm, p, { pid: B, epoch: 0, seq: 0, ts: T0 + 50_000 });
      assert.equal(psm.removeExpired(T0 + 99_999), 0);
      await psm.close();
      await m.close();
    }
    const m = await LogManager.open({ dir });
    try {
      const psm = new ProducerStateManager(m, { "producer.id.expiration.ms": 100_000 });
      await psm.load(T0 + 120_000);
      const s = psm.forPartition("t", 0)!;
      assert.deepEqual(
        s.entries().map((e) => e.producerId),
        [B],
      );
      assert.equal(psm.removeExpired(T0 + 150_000), 1);
      assert.equal(s.size, 0);
      // Forgotten producers are accepted again with their next sequence (KIP-360).
      assert.equal(await sendOk(psm, m.partition("t", 0)!, { pid: B, epoch: 0, seq: 1, ts: T0 + 150_000 }), 2n);
    } finally {
      await m.close();
    }
  });
});

test("a deleted and recreated topic starts with empty producer state", async () => {
  await withTempDir(async (dir) => {
    const { m, psm, p } = await open(dir);
    try {
      await sendOk(psm, p, { pid: A, epoch: 0, seq: 0, count: 2 });
      assert.equal(psm.forPartition("t", 0)!.size, 1);
      await m.deleteTopic("t");
      await m.createTopic("t", 1);
      const q = m.partition("t", 0)!;
      assert.notEqual(q, p);
      assert.equal(psm.forPartition("t", 0)!.size, 0);
      // The old producer's retry is a new append here, not a duplicate of data that no longer exists.
      assert.equal(await sendOk(psm, q, { pid: A, epoch: 0, seq: 0, count: 2 }), 0n);
    } finally {
      await m.close();
    }
  });
});

test("snapshotAll covers every partition and skips closed ones", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    try {
      await m.createTopic("x", 3);
      const psm = new ProducerStateManager(m);
      for (let i = 0; i < 3; i++)
        await sendOk(psm, m.partition("x", i)!, { pid: BigInt(i), epoch: 0, seq: 0, count: i + 1 });
      await psm.snapshotAll();
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(
          (await readdir(join(dir, `x-${i}`))).filter((n) => n.endsWith(".snapshot")),
          [snapshotFileName(BigInt(i + 1))],
        );
      }
      await m.partition("x", 0)!.close();
      await sendOk(psm, m.partition("x", 1)!, { pid: 1n, epoch: 0, seq: 2 });
      await psm.snapshotAll();
      assert.deepEqual(
        (await readdir(join(dir, "x-1"))).filter((n) => n.endsWith(".snapshot")),
        [snapshotFileName(3n)],
      );
    } finally {
      await m.close();
    }
  });
});
