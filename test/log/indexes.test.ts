import { test } from "node:test";
import assert from "node:assert/strict";
import { OffsetIndex, TimeIndex } from "../../src/log/indexes.js";

test("offset index: floor lookups, Kafka encoding, checked decoding", () => {
  const idx = new OffsetIndex();
  assert.equal(idx.lookup(5), 0);
  for (let i = 1; i <= 100; i++) idx.append(i * 10, i * 4100);
  assert.equal(idx.lookup(9), 0);
  assert.equal(idx.lookup(10), 4100);
  assert.equal(idx.lookup(555), 55 * 4100);
  assert.equal(idx.lookup(1 << 30), 100 * 4100);
  const buf = idx.encode();
  assert.equal(buf.length, 800);
  assert.equal(buf.readInt32BE(0), 10);
  assert.equal(buf.readInt32BE(4), 4100);
  const back = OffsetIndex.decode(buf, 1 << 30, 1 << 30);
  assert.ok("index" in back);
  assert.equal(back.index.entries, 100);
  assert.equal(back.index.lookup(555), 55 * 4100);
  assert.ok("error" in OffsetIndex.decode(buf.subarray(0, 12), 1 << 30, 1 << 30), "partial entry");
  assert.ok("error" in OffsetIndex.decode(buf, 4100 * 50, 1 << 30), "positions beyond the log");
  assert.ok("error" in OffsetIndex.decode(Buffer.alloc(16), 1 << 30, 1 << 30), "preallocated zeros are not entries");
});

test("time index: only increasing timestamps, floor below, Kafka encoding", () => {
  const t = new TimeIndex();
  assert.ok(t.maybeAppend(100n, 3));
  assert.ok(!t.maybeAppend(100n, 4));
  assert.ok(!t.maybeAppend(50n, 5));
  assert.ok(t.maybeAppend(200n, 9));
  assert.equal(t.floorBelow(100n), -1);
  assert.equal(t.floorBelow(101n), 0);
  assert.equal(t.floorBelow(1000n), 1);
  const buf = t.encode();
  assert.equal(buf.length, 24);
  assert.equal(buf.readBigInt64BE(12), 200n);
  assert.equal(buf.readInt32BE(20), 9);
  const back = TimeIndex.decode(buf, 100);
  assert.ok("index" in back && back.index.lastTimestamp === 200n);
  assert.ok("error" in TimeIndex.decode(buf, 5), "offset beyond the segment");
});
