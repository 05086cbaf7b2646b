import { test } from "node:test";
import assert from "node:assert/strict";
import {
  INT32_MAX,
  PartitionProducerState,
  decrementSequence,
  inSequence,
  incrementSequence,
} from "../../../src/coordinator/producers/index.js";
import type { CheckResult, ProducerBatch } from "../../../src/coordinator/producers/index.js";
import { ErrorCode } from "../../../src/protocol/errors.js";
import { T0, hdr } from "./helpers.js";

const PID = 42n;

/** A partition log stand-in: check, then (when accepted) assign offsets and record, as the broker does. */
class Harness {
  readonly state: PartitionProducerState;
  next = 0n;
  constructor(expirationMs?: number) {
    this.state = new PartitionProducerState({ expirationMs, name: "t-0" });
  }
  send(...batches: ProducerBatch[]): CheckResult & { baseOffset?: bigint } {
    const r = this.state.check(batches);
    if (r.kind !== "append") return r;
    const base = this.next;
    this.state.onAppended(batches, base);
    for (const b of batches) this.next += BigInt(b.lastOffsetDelta) + 1n;
    return { ...r, baseOffset: base };
  }
}

function assertError(r: CheckResult, code: number, batchIndex = 0): void {
  assert.equal(
    r.kind,
    "error",
    JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
  );
  if (r.kind === "error") {
    assert.equal(r.errorCode, code);
    assert.equal(r.batchIndex, batchIndex);
    assert.ok(r.message.length > 0);
  }
}

test("sequence arithmetic wraps at INT32_MAX", () => {
  assert.equal(incrementSequence(5, 3), 8);
  assert.equal(incrementSequence(INT32_MAX, 1), 0);
  assert.equal(incrementSequence(INT32_MAX - 1, 3), 1);
  assert.equal(decrementSequence(1, 3), INT32_MAX - 1);
  assert.equal(decrementSequence(8, 3), 5);
  assert.equal(decrementSequence(0, 0), 0);
  assert.ok(inSequence(4, 5));
  assert.ok(inSequence(INT32_MAX, 0));
  assert.ok(!inSequence(4, 6));
  assert.ok(!inSequence(INT32_MAX, 1));
  assert.ok(inSequence(-1, 0));
});

test("in-order appends are accepted and the last 5 batches are kept with their offsets", () => {
  const h = new Harness();
  let seq = 0;
  for (let i = 0; i < 7; i++) {
    const r = h.send(hdr(PID, 0, seq, 3, T0 + i));
    assert.equal(r.kind, "append");
    assert.equal(r.baseOffset, BigInt(i * 3));
    seq += 3;
  }
  const e = h.state.get(PID)!;
  assert.equal(e.epoch, 0);
  assert.equal(e.lastTimestamp, BigInt(T0 + 6));
  assert.deepEqual(
    e.batches.map((b) => [b.firstSeq, b.lastSeq, b.firstOffset, b.lastOffset, b.timestamp]),
    [2, 3, 4, 5, 6].map((i) => [i * 3, i * 3 + 2, BigInt(i * 3), BigInt(i * 3 + 2), BigInt(T0 + i)]),
  );
});

test("a retry of any of the last 5 batches is a duplicate with the original offsets", () => {
  const h = new Harness();
  h.send(hdr(99n, 0, 0, 1)); // another producer interleaves, so offsets differ from sequences
  for (let i = 0; i < 6; i++) {
    assert.equal(h.send(hdr(PID, 0, i * 2, 2)).kind, "append");
    h.send(hdr(99n, 0, i + 1, 1));
  }
  // PID's batches sit at offsets 1-2, 4-5, 7-8, 10-11, 13-14, 16-17; the first one fell out of the window.
  for (let i = 1; i < 6; i++) {
    const r = h.state.check([hdr(PID, 0, i * 2, 2)]);
    assert.deepEqual(r, {
      kind: "duplicate",
      batchIndex: 0,
      firstOffset: BigInt(1 + i * 3),
      lastOffset: BigInt(2 + i * 3),
      timestamp: BigInt(T0),
    });
  }
  // The oldest batch is no longer known: its retry is out of order, as in Kafka.
  assertError(h.state.check([hdr(PID, 0, 0, 2)]), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  // A retry with another range than the original batch is not a duplicate.
  assertError(h.state.check([hdr(PID, 0, 8, 1)]), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  // check() changed nothing: the next batch still follows.
  assert.equal(h.send(hdr(PID, 0, 12, 1)).kind, "append");
});

test("gaps and repeats are rejected with OUT_OF_ORDER_SEQUENCE_NUMBER and leave the state as it was", () => {
  const h = new Harness();
  h.send(hdr(PID, 0, 0, 5));
  const before = h.state.get(PID);
  assertError(h.state.check([hdr(PID, 0, 6)]), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assertError(h.state.check([hdr(PID, 0, 4)]), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assertError(h.state.check([hdr(PID, 0, 3, 2)]), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.deepEqual(h.state.get(PID), before);
  assert.equal(h.send(hdr(PID, 0, 5)).kind, "append");
});

test("an older epoch is fenced with INVALID_PRODUCER_EPOCH, even with a valid sequence or a duplicate's range", () => {
  const h = new Harness();
  h.send(hdr(PID, 0, 0, 2));
  h.send(hdr(PID, 1, 0, 2));
  assertError(h.state.check([hdr(PID, 0, 2)]), ErrorCode.INVALID_PRODUCER_EPOCH);
  assertError(h.state.check([hdr(PID, 0, 0, 2)]), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(h.send(hdr(PID, 1, 2)).kind, "append");
});

test("a new epoch resets sequences: it must start at 0 and forgets the old epoch's batches", () => {
  const h = new Harness();
  h.send(hdr(PID, 0, 0, 2));
  h.send(hdr(PID, 0, 2, 2));
  assertError(h.state.check([hdr(PID, 1, 4)]), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assertError(h.state.check([hdr(PID, 1, 1)]), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  const r = h.send(hdr(PID, 1, 0, 3));
  assert.equal(r.kind, "append");
  const e = h.state.get(PID)!;
  assert.equal(e.epoch, 1);
  assert.deepEqual(
    e.batches.map((b) => [b.firstSeq, b.lastSeq, b.firstOffset]),
    [[0, 2, 4n]],
  );
  // The new epoch's own retry is a duplicate; the old epoch's is fenced.
  assert.equal(h.state.check([hdr(PID, 1, 0, 3)]).kind, "duplicate");
  assertError(h.state.check([hdr(PID, 0, 2, 2)]), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(h.send(hdr(PID, 1, 3)).kind, "append");
});

test("sequences wrap around from INT32_MAX to 0", () => {
  const h = new Harness();
  // Unknown producer: any first sequence is accepted (see the unknown-producer test).
  assert.equal(h.send(hdr(PID, 0, INT32_MAX - 2, 2)).kind, "append"); // MAX-2..MAX-1
  assert.equal(h.send(hdr(PID, 0, INT32_MAX, 3)).kind, "append"); // MAX, 0, 1
  const e = h.state.get(PID)!;
  assert.deepEqual(e.batches[1], {
    firstSeq: INT32_MAX,
    lastSeq: 1,
    firstOffset: 2n,
    lastOffset: 4n,
    timestamp: BigInt(T0),
  });
  assertError(h.state.check([hdr(PID, 0, 0)]), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(h.state.check([hdr(PID, 0, INT32_MAX, 3)]).kind, "duplicate");
  assert.equal(h.send(hdr(PID, 0, 2)).kind, "append");
  // A batch ending exactly at INT32_MAX is followed by 0.
  const g = new Harness();
  g.send(hdr(7n, 3, INT32_MAX - 1, 2));
  assertError(g.state.check([hdr(7n, 3, 1)]), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(g.send(hdr(7n, 3, 0)).kind, "append");
});

test("an unknown producer id is accepted with any first sequence (KIP-360), then held to its sequence", () => {
  const h = new Harness(1000);
  // Never seen (e.g. its state expired, or its data was deleted before a restart).
  assert.equal(h.send(hdr(PID, 3, 17, 2, T0)).kind, "append");
  assertError(h.state.check([hdr(PID, 3, 20)]), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(h.send(hdr(PID, 3, 19, 1, T0)).kind, "append");
  // Expired: forgotten, so a continuing sequence is accepted again rather than refused.
  assert.equal(h.state.removeExpired(T0 + 999), 0);
  assert.equal(h.state.removeExpired(T0 + 1000), 1);
  assert.equal(h.state.get(PID), undefined);
  assert.equal(h.send(hdr(PID, 3, 25, 1, T0 + 2000)).kind, "append");
  assert.equal(h.state.get(PID)!.batches.length, 1);
});

test("batches without a producer id skip every check and leave no state", () => {
  const h = new Harness();
  const plain = hdr(-1n, -1, -1, 4);
  assert.equal(h.send(plain).kind, "append");
  assert.equal(h.send(plain).kind, "append");
  assert.equal(h.state.size, 0);
  // They still take offsets: the next idempotent batch lands after them.
  h.send(hdr(PID, 0, 0, 1));
  assert.equal(h.state.get(PID)!.batches[0].firstOffset, 8n);
});

test("several batches of one append are checked in order against each other", () => {
  const h = new Harness();
  const r = h.send(hdr(PID, 0, 0, 2), hdr(-1n, -1, -1, 3), hdr(PID, 0, 2, 2), hdr(8n, 0, 0, 1));
  assert.equal(r.kind, "append");
  const e = h.state.get(PID)!;
  assert.deepEqual(
    e.batches.map((b) => [b.firstSeq, b.firstOffset, b.lastOffset]),
    [
      [0, 0n, 1n],
      [2, 5n, 6n],
    ],
  );
  assert.equal(h.state.get(8n)!.batches[0].firstOffset, 7n);
  // The second batch does not follow the first one of the same append.
  assertError(h.state.check([hdr(PID, 0, 4, 2), hdr(PID, 0, 7)]), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 1);
  // Two copies of one batch in one append: the second is out of order (it has no offsets to answer with).
  assertError(h.state.check([hdr(PID, 0, 4, 2), hdr(PID, 0, 4, 2)]), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 1);
  // An epoch bump inside one append, then a batch of the new epoch.
  assert.equal(h.send(hdr(PID, 1, 0, 1), hdr(PID, 1, 1, 1)).kind, "append");
  // A fenced batch after a good one refuses the whole append.
  assertError(h.state.check([hdr(PID, 1, 2), hdr(PID, 0, 4)]), ErrorCode.INVALID_PRODUCER_EPOCH, 1);
  // A retry inside a multi-batch append makes it a duplicate (Kafka answers with that batch's offsets).
  const d = h.state.check([hdr(PID, 1, 1, 1)]);
  assert.equal(d.kind, "duplicate");
});

test("producers expire producer.id.expiration.ms after their last batch's timestamp", () => {
  const h = new Harness(60_000);
  h.send(hdr(1n, 0, 0, 1, T0));
  h.send(hdr(2n, 0, 0, 1, T0 + 30_000));
  h.send(hdr(1n, 0, 1, 1, T0 + 10_000));
  assert.equal(h.state.removeExpired(T0 + 69_999), 0);
  assert.equal(h.state.removeExpired(T0 + 70_000), 1);
  assert.deepEqual(
    h.state.entries().map((e) => e.producerId),
    [2n],
  );
  assert.equal(h.state.removeExpired(BigInt(T0 + 90_000)), 1);
  assert.equal(h.state.size, 0);
});

test("the log append time replaces batch timestamps on LogAppendTime topics", () => {
  const s = new PartitionProducerState();
  s.onAppended([hdr(PID, 0, 0, 2, T0)], 10n, BigInt(T0 + 5000));
  const e = s.get(PID)!;
  assert.equal(e.lastTimestamp, BigInt(T0 + 5000));
  assert.equal(e.batches[0].timestamp, BigInt(T0 + 5000));
  const r = s.check([hdr(PID, 0, 0, 2, T0)]);
  assert.deepEqual(r, {
    kind: "duplicate",
    batchIndex: 0,
    firstOffset: 10n,
    lastOffset: 11n,
    timestamp: BigInt(T0 + 5000),
  });
});

test("entries() returns copies sorted by producer id", () => {
  const h = new Harness();
  h.send(hdr(9n, 0, 0));
  h.send(hdr(3n, 0, 0));
  const list = h.state.entries();
  assert.deepEqual(
    list.map((e) => e.producerId),
    [3n, 9n],
  );
  list[0].batches.length = 0;
  list[0].epoch = 7;
  assert.equal(h.state.get(3n)!.batches.length, 1);
  assert.equal(h.state.get(3n)!.epoch, 0);
});
