import { test } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { CompressionType, RecordsError, scanBatches, TimestampType } from "../../../src/protocol/records/batch.js";
import { compress } from "../../../src/protocol/records/compression.js";
import {
  convertToV2,
  decodeLegacyEntry,
  decodeMessageSet,
  expandMessage,
  isLegacyMessageSet,
  NO_TIMESTAMP,
  scanMessageSet,
} from "../../../src/protocol/records/legacy.js";
import { decodeBatch, decodeRecordSet, encodeBatch } from "../../../src/protocol/records/records.js";
import { legacyMessage } from "./helpers.js";

function isRecordsError(code: string, kafkaCode?: number) {
  return (e: unknown) =>
    e instanceof RecordsError && e.code === code && (kafkaCode === undefined || e.kafkaCode === kafkaCode);
}

const b = (s: string) => Buffer.from(s);

function plainSet(magic: 0 | 1, n: number, offset0 = 0n): Buffer {
  return Buffer.concat(
    Array.from({ length: n }, (_, i) =>
      legacyMessage({
        magic,
        offset: offset0 + BigInt(i),
        timestamp: 1000n + BigInt(i),
        key: i % 2 ? null : b(`k${i}`),
        value: b(`v${i}`),
      }),
    ),
  );
}

function wrapper(
  magic: 0 | 1,
  codec: CompressionType,
  inner: Buffer,
  offset = 0n,
  attributes = 0,
  timestamp = 0n,
): Buffer {
  return legacyMessage({
    magic,
    offset,
    timestamp,
    attributes: codec | attributes,
    key: null,
    value: compress(codec, inner),
  });
}

test("v0 and v1 plain message sets decode", () => {
  for (const magic of [0, 1] as const) {
    const msgs = decodeMessageSet(plainSet(magic, 4, 10n));
    assert.deepEqual(
      msgs.map((m) => m.offset),
      [10n, 11n, 12n, 13n],
    );
    assert.deepEqual(
      msgs.map((m) => m.key?.toString() ?? null),
      ["k0", null, "k2", null],
    );
    assert.deepEqual(
      msgs.map((m) => m.value?.toString()),
      ["v0", "v1", "v2", "v3"],
    );
    assert.deepEqual(
      msgs.map((m) => m.timestamp),
      magic === 0 ? [NO_TIMESTAMP, NO_TIMESTAMP, NO_TIMESTAMP, NO_TIMESTAMP] : [1000n, 1001n, 1002n, 1003n],
    );
  }
});

test("v1 wrapper: relative inner offsets become absolute; LogAppendTime overrides inner timestamps", () => {
  for (const codec of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4]) {
    const inner = plainSet(1, 3, 0n);
    const msgs = decodeMessageSet(wrapper(1, codec, inner, 52n));
    assert.deepEqual(
      msgs.map((m) => m.offset),
      [50n, 51n, 52n],
    );
    assert.deepEqual(
      msgs.map((m) => m.timestamp),
      [1000n, 1001n, 1002n],
    );
    const append = decodeMessageSet(wrapper(1, codec, inner, 52n, 0x08, 777n));
    assert.deepEqual(
      append.map((m) => m.timestamp),
      [777n, 777n, 777n],
    );
    assert.ok(append.every((m) => m.timestampType === TimestampType.LogAppendTime));
  }
});

test("v0 wrapper: inner offsets are absolute", () => {
  const msgs = decodeMessageSet(wrapper(0, CompressionType.Gzip, plainSet(0, 3, 40n), 42n));
  assert.deepEqual(
    msgs.map((m) => m.offset),
    [40n, 41n, 42n],
  );
});

test("CRC failures and truncation are CORRUPT_MESSAGE", () => {
  const set = plainSet(1, 3);
  const bad = Buffer.from(set);
  bad[30] ^= 1;
  assert.throws(() => scanMessageSet(bad), isRecordsError("MR_RECORDS_CRC", 2));
  assert.doesNotThrow(() => scanMessageSet(bad, { verifyCrc: false }));
  assert.throws(() => scanMessageSet(set.subarray(0, set.length - 1)), isRecordsError("MR_RECORDS_TRUNCATED", 2));
  assert.throws(() => convertToV2(set.subarray(0, set.length - 1)), isRecordsError("MR_RECORDS_TRUNCATED", 2));
  assert.equal(scanMessageSet(set.subarray(0, set.length - 1), { allowPartial: true }).length, 2);
  // A size below the minimum.
  const small = Buffer.from(set);
  small.writeInt32BE(5, 8);
  assert.throws(() => scanMessageSet(small), isRecordsError("MR_RECORDS_TRUNCATED", 2));
  // A key length that runs past the message.
  const m = legacyMessage({ magic: 0, key: b("abc"), value: b("def") });
  m.writeInt32BE(100, 18);
  assert.throws(() => scanMessageSet(m, { verifyCrc: false }), isRecordsError("MR_RECORDS_TRUNCATED", 2));
  // A corrupt wrapper inner set (CRC of the inner message broken).
  const inner = plainSet(1, 2);
  inner[25] ^= 0xff;
  assert.throws(
    () => decodeMessageSet(wrapper(1, CompressionType.Gzip, inner, 1n)),
    isRecordsError("MR_RECORDS_CRC", 2),
  );
  // Compressed value that does not decompress.
  const junk = legacyMessage({ magic: 1, attributes: CompressionType.Gzip, key: null, value: b("not gzip") });
  assert.throws(() => decodeMessageSet(junk), isRecordsError("MR_RECORDS_DECOMPRESS", 2));
  assert.throws(() => scanMessageSet(Buffer.alloc(0)), isRecordsError("MR_RECORDS_EMPTY", 87));
});

test("structurally wrong messages are INVALID_RECORD; zstd in a legacy message is UNSUPPORTED_COMPRESSION_TYPE", () => {
  const nested = wrapper(1, CompressionType.Gzip, wrapper(1, CompressionType.Gzip, plainSet(1, 2), 1n), 1n);
  assert.throws(() => decodeMessageSet(nested), isRecordsError("MR_RECORDS_INVALID", 87));
  const nullValue = legacyMessage({ magic: 1, attributes: CompressionType.Gzip, key: null, value: null });
  assert.throws(() => decodeMessageSet(nullValue), isRecordsError("MR_RECORDS_INVALID", 87));
  const empty = legacyMessage({
    magic: 1,
    attributes: CompressionType.Gzip,
    key: null,
    value: zlib.gzipSync(Buffer.alloc(0)),
  });
  assert.throws(() => decodeMessageSet(empty), isRecordsError("MR_RECORDS_INVALID", 87));
  const zstd = legacyMessage({ magic: 1, attributes: CompressionType.Zstd, key: null, value: b("x") });
  assert.throws(() => scanMessageSet(zstd), isRecordsError("MR_RECORDS_UNKNOWN_CODEC", 76));
  const badKey = legacyMessage({ magic: 0, key: b("k"), value: b("v") });
  badKey.writeInt32BE(-2, 18);
  assert.throws(() => scanMessageSet(badKey, { verifyCrc: false }), isRecordsError("MR_RECORDS_INVALID", 87));
  const magic = plainSet(1, 1);
  magic[16] = 2;
  assert.throws(() => scanMessageSet(magic, { verifyCrc: false }), isRecordsError("MR_RECORDS_MAGIC"));
});

test("convertToV2: plain v0 set becomes one uncompressed batch with NO_TIMESTAMP", () => {
  const v2 = convertToV2(plainSet(0, 5), { baseOffset: 100n });
  const [info] = scanBatches(v2);
  assert.equal(info.size, v2.length);
  const batch = decodeBatch(v2);
  assert.equal(batch.compression, CompressionType.None);
  assert.equal(batch.header.baseTimestamp, -1n);
  assert.equal(batch.header.maxTimestamp, -1n);
  assert.deepEqual(
    batch.records.map((r) => r.offset),
    [100n, 101n, 102n, 103n, 104n],
  );
  assert.deepEqual(
    batch.records.map((r) => r.timestamp),
    [-1n, -1n, -1n, -1n, -1n],
  );
  assert.deepEqual(
    batch.records.map((r) => r.value?.toString()),
    ["v0", "v1", "v2", "v3", "v4"],
  );
});

test("convertToV2: compression is preserved per run of wrappers, or forced", () => {
  const set = Buffer.concat([
    wrapper(1, CompressionType.Snappy, plainSet(1, 2), 1n),
    wrapper(1, CompressionType.Snappy, plainSet(1, 3), 4n),
    plainSet(1, 1, 5n),
    wrapper(1, CompressionType.Lz4, plainSet(1, 2), 7n),
  ]);
  const v2 = convertToV2(set);
  const infos = scanBatches(v2);
  assert.deepEqual(
    infos.map((i) => [i.attributes & 7, i.recordCount]),
    [
      [2, 5],
      [0, 1],
      [3, 2],
    ],
  );
  const offsets = decodeRecordSet(v2).flatMap((x) => x.records.map((r) => r.offset));
  assert.deepEqual(offsets, [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]);

  const forced = convertToV2(set, { compression: CompressionType.Gzip });
  const [one, ...rest] = scanBatches(forced);
  assert.equal(rest.length, 0);
  assert.equal(one.attributes & 7, CompressionType.Gzip);
  assert.equal(one.recordCount, 8);
  const none = convertToV2(set, { compression: CompressionType.None });
  assert.equal(scanBatches(none).length, 1);
});

test("convertToV2: keepOffsets keeps the stored offsets and refuses non-increasing ones", () => {
  const stored = Buffer.concat([plainSet(1, 2, 10n), wrapper(1, CompressionType.Gzip, plainSet(1, 2), 13n)]);
  const recs = decodeRecordSet(convertToV2(stored, { keepOffsets: true })).flatMap((x) => x.records);
  assert.deepEqual(
    recs.map((r) => r.offset),
    [10n, 11n, 12n, 13n],
  );
  const backwards = Buffer.concat([plainSet(1, 1, 5n), plainSet(1, 1, 4n)]);
  assert.throws(() => convertToV2(backwards, { keepOffsets: true }), isRecordsError("MR_RECORDS_INVALID", 87));
});

test("decodeLegacyEntry and decodeRecordSet handle legacy entries next to v2 batches", () => {
  const legacy = wrapper(1, CompressionType.Gzip, plainSet(1, 3), 2n);
  const entry = decodeLegacyEntry(legacy, 0);
  assert.equal(entry.header.magic, 1);
  assert.equal(entry.header.baseOffset, 0n);
  assert.equal(entry.header.lastOffsetDelta, 2);
  assert.equal(entry.header.recordCount, 3);
  assert.equal(entry.compression, CompressionType.Gzip);
  assert.equal(entry.size, legacy.length);
  const v2 = encodeBatch({ records: [{ value: "after", timestamp: 5 }], baseOffset: 3n });
  const set = decodeRecordSet(Buffer.concat([legacy, v2, legacy.subarray(0, 20)]));
  assert.deepEqual(
    set.map((x) => x.header.magic),
    [1, 2],
  );
  assert.deepEqual(
    set.flatMap((x) => x.records.map((r) => r.offset)),
    [0n, 1n, 2n, 3n],
  );
});

test("isLegacyMessageSet tells legacy from v2", () => {
  assert.equal(isLegacyMessageSet(plainSet(0, 1)), true);
  assert.equal(isLegacyMessageSet(plainSet(1, 1)), true);
  assert.equal(isLegacyMessageSet(encodeBatch({ records: [{ value: "x" }] })), false);
  assert.equal(isLegacyMessageSet(Buffer.alloc(3)), false);
});

test("expandMessage of a plain message is the message itself", () => {
  const [m] = scanMessageSet(plainSet(1, 1));
  assert.deepEqual(expandMessage(m), [m]);
});
