import { test } from "node:test";
import assert from "node:assert/strict";
import {
  readUnsignedVarint,
  readVarint,
  readVarlong,
  readVarlongNumber,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
} from "../../../src/protocol/records/varint.js";
import { RecordsError } from "../../../src/protocol/records/batch.js";
import { prng } from "./helpers.js";

function encVarint(v: number): string {
  const b = Buffer.alloc(10);
  const n = writeVarint(b, 0, v);
  assert.equal(n, sizeOfVarint(v));
  return b.subarray(0, n).toString("hex");
}

function encVarlong(v: number | bigint): string {
  const b = Buffer.alloc(10);
  const n = writeVarlong(b, 0, v);
  assert.equal(n, sizeOfVarlong(v));
  return b.subarray(0, n).toString("hex");
}

test("varint: known zigzag encodings (as Kafka's ByteUtils writes them)", () => {
  assert.equal(encVarint(0), "00");
  assert.equal(encVarint(-1), "01");
  assert.equal(encVarint(1), "02");
  assert.equal(encVarint(63), "7e");
  assert.equal(encVarint(-64), "7f");
  assert.equal(encVarint(64), "8001");
  assert.equal(encVarint(-65), "8101");
  assert.equal(encVarint(300), "d804");
  assert.equal(encVarint(2147483647), "feffffff0f");
  assert.equal(encVarint(-2147483648), "ffffffff0f");
});

test("varlong: known zigzag encodings, number and bigint alike", () => {
  assert.equal(encVarlong(0), "00");
  assert.equal(encVarlong(-1), "01");
  assert.equal(encVarlong(1), "02");
  assert.equal(encVarlong(1700000000000), encVarlong(1700000000000n));
  assert.equal(encVarlong(9223372036854775807n), "feffffffffffffffff01");
  assert.equal(encVarlong(-9223372036854775808n), "ffffffffffffffffff01");
  assert.equal(encVarlong(2 ** 52 + 1), encVarlong(BigInt(2 ** 52 + 1)));
});

test("varint and varlong: round trips over edge and random values", () => {
  const ints = [0, 1, -1, 63, 64, -64, -65, 8191, 8192, -8193, 2 ** 20, 2 ** 27, -(2 ** 28), 2147483647, -2147483648];
  const rnd = prng(99);
  for (let i = 0; i < 500; i++) ints.push(rnd() | 0, (rnd() % 1000) - 500);
  const b = Buffer.alloc(16);
  for (const v of ints) {
    const end = writeVarint(b, 3, v);
    const cur = { pos: 3 };
    assert.equal(readVarint(b, cur), v);
    assert.equal(cur.pos, end);
  }
  const longs: bigint[] = [
    0n,
    1n,
    -1n,
    2n ** 48n,
    -(2n ** 48n),
    2n ** 53n,
    2n ** 62n,
    -(2n ** 63n),
    2n ** 63n - 1n,
    1700000000000n,
  ];
  for (let i = 0; i < 300; i++) longs.push(BigInt.asIntN(64, (BigInt(rnd()) << 32n) | BigInt(rnd())));
  for (const v of longs) {
    const end = writeVarlong(b, 1, v);
    const cur = { pos: 1 };
    assert.equal(readVarlong(b, cur), v);
    assert.equal(cur.pos, end);
    if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) {
      const c2 = { pos: 1 };
      assert.equal(readVarlongNumber(b, c2), Number(v));
      assert.equal(c2.pos, end);
    } else {
      assert.throws(() => readVarlongNumber(b, { pos: 1 }), RecordsError);
    }
  }
});

test("unsigned varint: round trips and sizes", () => {
  const b = Buffer.alloc(8);
  for (const v of [0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 32 - 1]) {
    const end = writeUnsignedVarint(b, 0, v);
    assert.equal(end, sizeOfUnsignedVarint(v));
    const cur = { pos: 0 };
    assert.equal(readUnsignedVarint(b, cur), v);
    assert.equal(cur.pos, end);
  }
});

test("varint: malformed input throws RecordsError CORRUPT_MESSAGE", () => {
  const tooLong = Buffer.from("ffffffffff01", "hex");
  assert.throws(
    () => readVarint(tooLong, { pos: 0 }),
    (e: unknown) => e instanceof RecordsError && e.kafkaCode === 2,
  );
  const truncated = Buffer.from("ff", "hex");
  assert.throws(
    () => readVarint(truncated, { pos: 0 }),
    (e: unknown) => e instanceof RecordsError && e.code === "MR_RECORDS_TRUNCATED",
  );
  // An end bound inside the buffer counts as the end.
  assert.throws(() => readVarint(Buffer.from("8001", "hex"), { pos: 0 }, 1), RecordsError);
  const longTooLong = Buffer.from("ffffffffffffffffffff01", "hex");
  assert.throws(() => readVarlong(longTooLong, { pos: 0 }), RecordsError);
  assert.throws(() => readVarlongNumber(Buffer.from("ffffff", "hex"), { pos: 0 }), RecordsError);
});
