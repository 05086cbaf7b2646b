import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ATTRIBUTES,
  CompressionType,
  CRC,
  RECORD_BATCH_OVERHEAD,
  RecordsError,
  scanBatches,
  setBaseOffset,
  setLogAppendTime,
  TimestampType,
} from "../../../src/protocol/records/batch.js";
import { setZstdCompressor } from "../../../src/protocol/records/compression.js";
import { crc32c } from "../../../src/protocol/records/crc32c.js";
import {
  ControlRecordType,
  controlRecordType,
  decodeBatch,
  decodeRecordSet,
  encodeBatch,
  type RecordInput,
} from "../../../src/protocol/records/records.js";
import { prng, randomBuffer, zstdRawFrame } from "./helpers.js";

function isRecordsError(code: string, kafkaCode?: number) {
  return (e: unknown) =>
    e instanceof RecordsError && e.code === code && (kafkaCode === undefined || e.kafkaCode === kafkaCode);
}

function sampleRecords(n: number, seed = 1): RecordInput[] {
  const rnd = prng(seed);
  const out: RecordInput[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      key: i % 5 === 2 ? null : `key-${i}`,
      value: i % 7 === 3 ? null : i % 2 ? randomBuffer(rnd, rnd() % 300) : `value ${i} `.repeat(rnd() % 20),
      headers:
        i % 3 === 0
          ? [
              { key: "h1", value: `v${i}` },
              { key: "n\u00fcll", value: null },
              { key: "", value: Buffer.alloc(0) },
            ]
          : undefined,
      timestamp: 1_700_000_000_000 + i * 13 - (i === 4 ? 100 : 0),
    });
  }
  return out;
}

function asBuffer(b: RecordInput["key"]): Buffer | null {
  if (b === null || b === undefined) return null;
  return typeof b === "string" ? Buffer.from(b, "utf8") : Buffer.from(b);
}

function assertSame(input: RecordInput[], batch: ReturnType<typeof decodeBatch>, baseOffset = 0n) {
  assert.equal(batch.records.length, input.length);
  input.forEach((r, i) => {
    const got = batch.records[i];
    assert.equal(got.offset, baseOffset + BigInt(r.offsetDelta ?? i));
    assert.equal(got.timestamp, BigInt(r.timestamp as number));
    assert.deepEqual(got.key, asBuffer(r.key));
    assert.deepEqual(got.value, asBuffer(r.value));
    assert.deepEqual(
      got.headers,
      (r.headers ?? []).map((h) => ({ key: h.key, value: asBuffer(h.value) })),
    );
    assert.equal(got.attributes, 0);
  });
}

const CODECS = [
  CompressionType.None,
  CompressionType.Gzip,
  CompressionType.Snappy,
  CompressionType.Lz4,
  CompressionType.Zstd,
];

test("encodeBatch/decodeBatch round trip for every codec", () => {
  // Runtimes without a zstd encoder get a stored-blocks one for this test.
  setZstdCompressor((d) => zstdRawFrame(d));
  try {
    for (const compression of CODECS) {
      for (const n of [1, 2, 50, 1000]) {
        const input = sampleRecords(n, n + compression);
        const buf = encodeBatch({ records: input, compression, baseOffset: 500n });
        const [info] = scanBatches(buf);
        assert.equal(info.size, buf.length);
        assert.equal(info.recordCount, n);
        assert.equal(info.attributes & 7, compression);
        const batch = decodeBatch(buf);
        assert.equal(batch.compression, compression);
        assert.equal(batch.size, buf.length);
        assert.equal(batch.isControl, false);
        assert.equal(batch.header.magic, 2);
        assert.equal(batch.header.lastOffsetDelta, n - 1);
        assertSame(input, batch, 500n);
      }
    }
  } finally {
    setZstdCompressor(null);
  }
});

test("encodeBatch: header fields, defaults and options", () => {
  const before = Date.now();
  const buf = encodeBatch({ records: [{ value: "a" }, { value: "b" }] });
  const after = Date.now();
  const b = decodeBatch(buf);
  assert.equal(b.header.baseOffset, 0n);
  assert.equal(b.header.partitionLeaderEpoch, -1);
  assert.equal(b.header.producerId, -1n);
  assert.equal(b.header.producerEpoch, -1);
  assert.equal(b.header.baseSequence, -1);
  assert.equal(b.header.attributes, 0);
  assert.equal(b.timestampType, TimestampType.CreateTime);
  const ts = Number(b.records[0].timestamp);
  assert.ok(ts >= before && ts <= after);
  assert.equal(b.records[1].timestamp, b.records[0].timestamp);
  assert.equal(b.header.maxTimestamp, b.records[0].timestamp);
  assert.equal(b.records[0].key, null);

  const t = decodeBatch(
    encodeBatch({
      records: [
        { value: "x", timestamp: 10n },
        { value: "y", timestamp: 5 },
        { value: "z", timestamp: 30 },
      ],
      producerId: 77n,
      producerEpoch: 3,
      baseSequence: 1000,
      transactional: true,
      partitionLeaderEpoch: 9,
      baseOffset: 2n ** 40n,
    }),
  );
  assert.equal(t.isTransactional, true);
  assert.equal(t.header.producerId, 77n);
  assert.equal(t.header.producerEpoch, 3);
  assert.equal(t.header.baseSequence, 1000);
  assert.equal(t.header.partitionLeaderEpoch, 9);
  assert.equal(t.header.baseTimestamp, 10n);
  assert.equal(t.header.maxTimestamp, 30n);
  assert.deepEqual(
    t.records.map((r) => r.timestamp),
    [10n, 5n, 30n],
  );
  assert.deepEqual(
    t.records.map((r) => r.offset),
    [2n ** 40n, 2n ** 40n + 1n, 2n ** 40n + 2n],
  );
});

test("encodeBatch: explicit offset deltas (compacted batches) and lastOffsetDelta", () => {
  const buf = encodeBatch({
    records: [
      { value: "a", offsetDelta: 0, timestamp: 1 },
      { value: "c", offsetDelta: 2, timestamp: 1 },
    ],
    lastOffsetDelta: 4,
    baseOffset: 10n,
  });
  const b = decodeBatch(buf);
  assert.deepEqual(
    b.records.map((r) => r.offset),
    [10n, 12n],
  );
  assert.equal(b.header.lastOffsetDelta, 4);
});

test("encodeBatch: Uint8Array and string inputs, multi-byte UTF-8", () => {
  const b = decodeBatch(
    encodeBatch({
      records: [
        {
          key: new Uint8Array([1, 2, 3]),
          value: "h\u00e9llo \u2603 \u{1f600}",
          headers: [{ key: "\u00e9", value: new Uint8Array([9]) }],
          timestamp: 0,
        },
      ],
    }),
  );
  assert.deepEqual(b.records[0].key, Buffer.from([1, 2, 3]));
  assert.equal(b.records[0].value?.toString("utf8"), "h\u00e9llo \u2603 \u{1f600}");
  assert.deepEqual(b.records[0].headers, [{ key: "\u00e9", value: Buffer.from([9]) }]);
});

test("encodeBatch: an empty batch is refused", () => {
  assert.throws(() => encodeBatch({ records: [] }), isRecordsError("MR_RECORDS_EMPTY", 87));
});

test("decodeBatch: keys and values of uncompressed batches are views, not copies", () => {
  const buf = encodeBatch({ records: [{ key: "k", value: "v", timestamp: 1 }] });
  const b = decodeBatch(buf);
  assert.equal(b.records[0].value?.buffer, buf.buffer);
  assert.equal(b.records[0].value?.byteOffset, buf.byteOffset + buf.length - 2);
});

test("decodeBatch: decodes at an offset inside a larger buffer", () => {
  const a = encodeBatch({ records: sampleRecords(3, 1), baseOffset: 0n });
  const b = encodeBatch({ records: sampleRecords(4, 2), baseOffset: 3n, compression: CompressionType.Lz4 });
  const both = Buffer.concat([a, b]);
  const second = decodeBatch(both, a.length);
  assert.equal(second.records.length, 4);
  assertSame(sampleRecords(4, 2), second, 3n);
});

test("decodeBatch: bad CRC, bad magic, truncation", () => {
  const buf = encodeBatch({ records: sampleRecords(5), compression: CompressionType.Gzip });
  const bad = Buffer.from(buf);
  bad[bad.length - 1] ^= 1;
  assert.throws(() => decodeBatch(bad), isRecordsError("MR_RECORDS_CRC", 2));
  // With CRC checks off, the gzip trailer is what catches it.
  assert.throws(() => decodeBatch(bad, 0, { verifyCrc: false }), RecordsError);
  const magic = Buffer.from(buf);
  magic[16] = 3;
  assert.throws(() => decodeBatch(magic), isRecordsError("MR_RECORDS_MAGIC"));
  assert.throws(() => decodeBatch(buf.subarray(0, buf.length - 1)), isRecordsError("MR_RECORDS_TRUNCATED", 2));
  assert.throws(() => decodeBatch(buf.subarray(0, 30)), isRecordsError("MR_RECORDS_TRUNCATED", 2));
});

/** Re-stamps the CRC after a test tampers with covered bytes. */
function fixCrc(buf: Buffer): Buffer {
  buf.writeUInt32BE(crc32c(buf, ATTRIBUTES, buf.length), CRC);
  return buf;
}

test("decodeBatch: record counts and lengths that do not add up are refused", () => {
  const buf = encodeBatch({ records: sampleRecords(3), timestampType: TimestampType.CreateTime });
  const more = Buffer.from(buf);
  more.writeInt32BE(4, 57);
  fixCrc(more);
  assert.throws(() => decodeBatch(more), isRecordsError("MR_RECORDS_TRUNCATED", 2));
  const fewer = Buffer.from(buf);
  fewer.writeInt32BE(2, 57);
  fixCrc(fewer);
  assert.throws(() => decodeBatch(fewer), isRecordsError("MR_RECORDS_INVALID", 87));
  // First record's length varint made one larger: runs into the next record.
  const longer = Buffer.from(buf);
  longer[RECORD_BATCH_OVERHEAD] += 2;
  fixCrc(longer);
  assert.throws(() => decodeBatch(longer), RecordsError);
  // Garbage instead of records.
  const garbage = Buffer.from(buf);
  garbage.fill(0xff, RECORD_BATCH_OVERHEAD);
  fixCrc(garbage);
  assert.throws(() => decodeBatch(garbage), RecordsError);
});

test("decodeBatch: fuzzed record bytes never escape as anything but RecordsError", () => {
  const rnd = prng(5);
  setZstdCompressor((d) => zstdRawFrame(d));
  const bases = CODECS.map((compression) => encodeBatch({ records: sampleRecords(20), compression }));
  setZstdCompressor(null);
  for (let i = 0; i < 1500; i++) {
    const base = bases[i % bases.length];
    const b = Buffer.from(base);
    const flips = 1 + (rnd() % 4);
    for (let f = 0; f < flips; f++)
      b[RECORD_BATCH_OVERHEAD + (rnd() % (b.length - RECORD_BATCH_OVERHEAD))] = rnd() & 0xff;
    fixCrc(b);
    try {
      decodeBatch(b);
    } catch (e) {
      assert.ok(e instanceof RecordsError, String(e));
    }
  }
});

test("LogAppendTime: every record takes the batch's max timestamp", () => {
  const buf = encodeBatch({ records: sampleRecords(4) });
  const [info] = scanBatches(buf);
  setLogAppendTime(buf, 0, info.size, 1_800_000_000_000n);
  scanBatches(buf); // CRC still valid
  const b = decodeBatch(buf);
  assert.equal(b.timestampType, TimestampType.LogAppendTime);
  for (const r of b.records) assert.equal(r.timestamp, 1_800_000_000_000n);
  const direct = decodeBatch(
    encodeBatch({
      records: [{ value: "a", timestamp: 1 }],
      timestampType: TimestampType.LogAppendTime,
      maxTimestamp: 99,
    }),
  );
  assert.equal(direct.records[0].timestamp, 99n);
});

test("setBaseOffset: offsets move, CRC stays valid", () => {
  const buf = encodeBatch({ records: sampleRecords(3), compression: CompressionType.Snappy });
  setBaseOffset(buf, 0, 12345n);
  const b = decodeBatch(buf);
  assert.deepEqual(
    b.records.map((r) => r.offset),
    [12345n, 12346n, 12347n],
  );
});

test("control batches: isControl and the marker type", () => {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(ControlRecordType.Commit, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(7, 2);
  const buf = encodeBatch({
    records: [{ key, value, timestamp: 5 }],
    control: true,
    transactional: true,
    producerId: 9n,
    producerEpoch: 1,
  });
  const b = decodeBatch(buf);
  assert.equal(b.isControl, true);
  assert.equal(b.isTransactional, true);
  assert.equal(controlRecordType(b.records[0]), ControlRecordType.Commit);
  assert.equal(controlRecordType({ ...b.records[0], key: null }), -1);
});

test("decodeRecordSet: several batches; a partial last batch is ignored", () => {
  const batches = [
    encodeBatch({ records: sampleRecords(3, 1), baseOffset: 0n }),
    encodeBatch({ records: sampleRecords(2, 2), baseOffset: 3n, compression: CompressionType.Gzip }),
    encodeBatch({ records: sampleRecords(4, 3), baseOffset: 5n, compression: CompressionType.Lz4 }),
  ];
  const all = Buffer.concat(batches);
  const full = decodeRecordSet(all);
  assert.deepEqual(
    full.map((b) => b.records.length),
    [3, 2, 4],
  );
  assert.deepEqual(
    full.flatMap((b) => b.records.map((r) => r.offset)),
    [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n],
  );
  for (let cut = 1; cut < batches[2].length; cut += 7) {
    const partial = decodeRecordSet(all.subarray(0, all.length - cut));
    assert.equal(partial.length, 2, `cut ${cut}`);
  }
  assert.deepEqual(decodeRecordSet(Buffer.alloc(0)), []);
  assert.deepEqual(decodeRecordSet(all.subarray(0, 5)), []);
});

test("decodeRecordSet: a corrupt whole batch is still an error", () => {
  const a = encodeBatch({ records: sampleRecords(3, 1) });
  const b = Buffer.from(encodeBatch({ records: sampleRecords(3, 2) }));
  b[b.length - 1] ^= 0xff;
  assert.throws(() => decodeRecordSet(Buffer.concat([a, b])), isRecordsError("MR_RECORDS_CRC"));
});

test("maxDecompressedSize is passed to the codec", () => {
  const buf = encodeBatch({
    records: [{ value: Buffer.alloc(100_000), timestamp: 1 }],
    compression: CompressionType.Gzip,
  });
  assert.throws(() => decodeBatch(buf, 0, { maxDecompressedSize: 1000 }), isRecordsError("MR_RECORDS_TOO_LARGE"));
  assert.equal(decodeBatch(buf, 0, { maxDecompressedSize: 200_000 }).records.length, 1);
});

test("scanBatches: good, truncated, bad CRC, bad magic, oversize, empty, bad counts", () => {
  const a = encodeBatch({ records: sampleRecords(3, 1) });
  const b = encodeBatch({ records: sampleRecords(30, 2), compression: CompressionType.Snappy });
  const both = Buffer.concat([a, b]);
  const infos = scanBatches(both);
  assert.deepEqual(
    infos.map((i) => [i.position, i.size, i.recordCount]),
    [
      [0, a.length, 3],
      [a.length, b.length, 30],
    ],
  );

  assert.throws(() => scanBatches(both.subarray(0, both.length - 1)), isRecordsError("MR_RECORDS_TRUNCATED", 2));
  assert.throws(() => scanBatches(both.subarray(0, a.length + 20)), isRecordsError("MR_RECORDS_TRUNCATED", 2));
  const crc = Buffer.from(both);
  crc[a.length + 40] ^= 1;
  assert.throws(() => scanBatches(crc), isRecordsError("MR_RECORDS_CRC", 2));
  assert.doesNotThrow(() => scanBatches(crc, { verifyCrc: false }));
  const magic = Buffer.from(both);
  magic[16] = 1;
  assert.throws(() => scanBatches(magic), isRecordsError("MR_RECORDS_MAGIC", 43));
  assert.throws(() => scanBatches(both, { maxBatchSize: b.length - 1 }), isRecordsError("MR_RECORDS_TOO_LARGE", 10));
  assert.doesNotThrow(() => scanBatches(both, { maxBatchSize: b.length }));
  assert.throws(() => scanBatches(Buffer.alloc(0)), isRecordsError("MR_RECORDS_EMPTY", 87));
  const negative = Buffer.from(a);
  negative.writeInt32BE(-1, 57);
  fixCrc(negative);
  assert.throws(() => scanBatches(negative), isRecordsError("MR_RECORDS_INVALID", 87));
  const shortLen = Buffer.from(a);
  shortLen.writeInt32BE(10, 8);
  assert.throws(() => scanBatches(shortLen), isRecordsError("MR_RECORDS_TRUNCATED", 2));
});

test("decodeBatch: an empty batch left by compaction decodes to no records", () => {
  const full = encodeBatch({
    records: [{ value: "gone", timestamp: 1 }],
    compression: CompressionType.Gzip,
    baseOffset: 40n,
  });
  const empty = Buffer.from(full.subarray(0, RECORD_BATCH_OVERHEAD));
  empty.writeInt32BE(RECORD_BATCH_OVERHEAD - 12, 8);
  empty.writeInt32BE(0, 57);
  fixCrc(empty);
  const b = decodeBatch(empty);
  assert.equal(b.records.length, 0);
  assert.equal(b.header.lastOffsetDelta, 0);
  assert.equal(b.compression, CompressionType.Gzip);
});

test("the records index re-exports the whole layer", async () => {
  const idx = await import("../../../src/protocol/records/index.js");
  for (const name of [
    "encodeBatch",
    "decodeBatch",
    "decodeRecordSet",
    "scanBatches",
    "compress",
    "decompress",
    "convertToV2",
    "decodeMessageSet",
    "crc32",
    "crc32c",
    "writeVarint",
    "readVarint",
  ]) {
    assert.equal(typeof (idx as Record<string, unknown>)[name], "function", name);
  }
});
