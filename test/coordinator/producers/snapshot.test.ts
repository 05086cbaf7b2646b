import { test } from "node:test";
import assert from "node:assert/strict";
import {
  INT32_MAX,
  PartitionProducerState,
  decodeSnapshot,
  encodeSnapshot,
  entriesToSnapshot,
  parseSnapshotFileName,
  snapshotFileName,
  snapshotToEntries,
} from "../../../src/coordinator/producers/index.js";
import type { SnapshotEntry } from "../../../src/coordinator/producers/index.js";
import { crc32c } from "../../../src/protocol/records/crc32c.js";
import { T0, hdr } from "./helpers.js";

const entry = (over: Partial<SnapshotEntry> = {}): SnapshotEntry => ({
  producerId: 1000n,
  producerEpoch: 3,
  lastSequence: 41,
  lastOffset: 1234n,
  offsetDelta: 9,
  timestamp: BigInt(T0),
  coordinatorEpoch: -1,
  currentTxnFirstOffset: -1n,
  ...over,
});

test("snapshot file names are Kafka's: 20-digit offset + .snapshot", () => {
  assert.equal(snapshotFileName(1234n), "00000000000000001234.snapshot");
  assert.equal(parseSnapshotFileName("00000000000000001234.snapshot"), 1234n);
  assert.equal(parseSnapshotFileName("00000000000000001234.snapshot.tmp"), null);
  assert.equal(parseSnapshotFileName("1234.snapshot"), null);
  assert.equal(parseSnapshotFileName("00000000000000001234.log"), null);
});

test("the encoding is Kafka's v1 layout: version, CRC32C of the rest, int32 count, 46-byte entries", () => {
  const e = entry();
  const buf = encodeSnapshot([e, entry({ producerId: 7n, producerEpoch: 0 })]);
  assert.equal(buf.length, 2 + 4 + 4 + 2 * 46);
  assert.equal(buf.readInt16BE(0), 1);
  assert.equal(buf.readUInt32BE(2), crc32c(buf, 6, buf.length));
  assert.equal(buf.readInt32BE(6), 2);
  let p = 10;
  assert.equal(buf.readBigInt64BE(p), 1000n);
  assert.equal(buf.readInt16BE(p + 8), 3);
  assert.equal(buf.readInt32BE(p + 10), 41);
  assert.equal(buf.readBigInt64BE(p + 14), 1234n);
  assert.equal(buf.readInt32BE(p + 22), 9);
  assert.equal(buf.readBigInt64BE(p + 26), BigInt(T0));
  assert.equal(buf.readInt32BE(p + 34), -1);
  assert.equal(buf.readBigInt64BE(p + 38), -1n);
  p += 46;
  assert.equal(buf.readBigInt64BE(p), 7n);
  assert.deepEqual(decodeSnapshot(buf), [e, entry({ producerId: 7n, producerEpoch: 0 })]);
  assert.deepEqual(decodeSnapshot(encodeSnapshot([])), []);
});

test("corrupt snapshots are refused with MR_PRODUCER_SNAPSHOT_CORRUPT", () => {
  const good = encodeSnapshot([entry(), entry({ producerId: 2n })]);
  const isCorrupt = (e: Error & { code?: string }) => e.code === "MR_PRODUCER_SNAPSHOT_CORRUPT";
  const flipped = Buffer.from(good);
  flipped[30] ^= 0x01;
  assert.throws(() => decodeSnapshot(flipped), isCorrupt);
  assert.throws(() => decodeSnapshot(good.subarray(0, good.length - 1)), isCorrupt);
  assert.throws(() => decodeSnapshot(good.subarray(0, 5)), isCorrupt);
  const v2 = Buffer.from(good);
  v2.writeInt16BE(2, 0);
  assert.throws(() => decodeSnapshot(v2), isCorrupt);
  // A count that does not match the size, with a valid CRC.
  const badCount = Buffer.from(good);
  badCount.writeInt32BE(3, 6);
  badCount.writeUInt32BE(crc32c(badCount, 6, badCount.length), 2);
  assert.throws(() => decodeSnapshot(badCount), isCorrupt);
});

test("all 5 retained batches round-trip, one entry per batch, the newest last (the one Kafka's reader keeps)", () => {
  const s = new PartitionProducerState();
  let off = 100n;
  let seq = INT32_MAX - 4;
  for (let i = 0; i < 7; i++) {
    const b = hdr(5n, 2, seq, 3, T0 + i);
    s.onAppended([b], off);
    off += 3n;
    seq = (seq + 3) % (INT32_MAX + 1);
  }
  s.onAppended([hdr(9n, 0, 0, 1, T0 + 50)], off);
  const entries = entriesToSnapshot(s.entries());
  assert.equal(entries.length, 6);
  const last5 = entries.filter((e) => e.producerId === 5n);
  assert.deepEqual(
    last5.map((e) => e.lastOffset),
    [108n, 111n, 114n, 117n, 120n],
  );
  assert.ok(last5.every((e) => e.offsetDelta === 2 && e.coordinatorEpoch === -1 && e.currentTxnFirstOffset === -1n));
  const restored = snapshotToEntries(decodeSnapshot(encodeSnapshot(entries)));
  assert.deepEqual(restored, s.entries());
});

test("a snapshot written by Kafka (one entry per producer) loads as producers with their last batch", () => {
  const kafka = [
    entry({ producerId: 1n, lastSequence: 4, lastOffset: 50n, offsetDelta: 4 }),
    entry({ producerId: 2n, lastSequence: 1, offsetDelta: 9, lastOffset: 70n }),
  ];
  const got = snapshotToEntries(decodeSnapshot(encodeSnapshot(kafka)));
  assert.deepEqual(got, [
    {
      producerId: 1n,
      epoch: 3,
      lastTimestamp: BigInt(T0),
      batches: [{ firstSeq: 0, lastSeq: 4, firstOffset: 46n, lastOffset: 50n, timestamp: BigInt(T0) }],
    },
    // sequence range wraps: last 1, delta 9
    {
      producerId: 2n,
      epoch: 3,
      lastTimestamp: BigInt(T0),
      batches: [{ firstSeq: INT32_MAX - 7, lastSeq: 1, firstOffset: 61n, lastOffset: 70n, timestamp: BigInt(T0) }],
    },
  ]);
  // An entry without a batch (lastOffset -1) keeps the epoch only; the next batch must then start at 0 for a new epoch.
  const bare = snapshotToEntries([entry({ lastOffset: -1n, lastSequence: -1, offsetDelta: 0 })]);
  assert.deepEqual(bare, [{ producerId: 1000n, epoch: 3, batches: [], lastTimestamp: BigInt(T0) }]);
  const s = new PartitionProducerState();
  s.restore(bare[0]);
  assert.equal(s.check([hdr(1000n, 3, 0)]).kind, "append");
  assert.equal(s.check([hdr(1000n, 3, 1)]).kind, "error");
  assert.deepEqual(entriesToSnapshot(s.entries()), [entry({ lastOffset: -1n, lastSequence: -1, offsetDelta: 0 })]);
});
