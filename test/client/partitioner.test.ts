/** The Java client's default partitioner for keyed records, which millrace's tools and agents use. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { murmur2, partitionForKey } from "../../src/client/partitioner.js";

// kafkajs's port of the Java client's murmur2 (over 64-bit Longs): an independent implementation to agree with
const kafkajsMurmur2 = createRequire(import.meta.url)("kafkajs/src/producer/partitioners/default/murmur2.js") as (
  key: Buffer,
) => number;

test("murmur2 gives the Java client's hashes for the keys of Kafka's own tests", () => {
  const cases: [Uint8Array, number][] = [
    [Buffer.from("21"), -973932308],
    [Buffer.from("foobar"), -790332482],
    [Buffer.from("a-little-bit-long-string"), -985981536],
    [Buffer.from("a-little-bit-longer-string"), -1486304829],
    [Buffer.from("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971],
    [new Uint8Array([0x61, 0x62, 0x63]), 479470107],
  ];
  for (const [key, hash] of cases) assert.equal(murmur2(key), hash, Buffer.from(key).toString());
});

test("murmur2 agrees with kafkajs's implementation on keys of every length remainder and on any bytes", () => {
  let seed = 12345;
  const byte = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
  for (let n = 0; n < 2000; n++) {
    const key = Buffer.from(Array.from({ length: n % 67 }, byte));
    assert.equal(murmur2(key), kafkajsMurmur2(key), key.toString("hex"));
  }
  assert.equal(murmur2(Buffer.from("héllo wörld ✓", "utf8")), kafkajsMurmur2(Buffer.from("héllo wörld ✓", "utf8")));
});

test("partitionForKey is the positive hash modulo the partition count, the same key always on one partition", () => {
  for (const key of ["", "a", "user-42", "21", "foobar", "🙂"]) {
    const bytes = Buffer.from(key);
    for (const partitions of [1, 2, 3, 7, 100]) {
      const p = partitionForKey(bytes, partitions);
      assert.equal(p, (murmur2(bytes) & 0x7fffffff) % partitions);
      assert.ok(p >= 0 && p < partitions, `${key} over ${partitions}: ${p}`);
      assert.equal(partitionForKey(Buffer.from(key), partitions), p);
    }
  }
  // a negative hash is made positive by masking the sign bit, as the Java client does (not Math.abs)
  const negative = Buffer.from("foobar"); // -790332482
  assert.equal(partitionForKey(negative, 1000), (-790332482 & 0x7fffffff) % 1000);
  assert.notEqual(partitionForKey(negative, 1000), Math.abs(-790332482) % 1000);
});
