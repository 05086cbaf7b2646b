import { test } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { CompressionType, RecordsError } from "../../../src/protocol/records/batch.js";
import {
  compress,
  compressionName,
  compressionTypeFromName,
  decompress,
  isXerialSnappy,
  setZstdCompressor,
  snappyXerialCompress,
  zstdCompressionAvailable,
} from "../../../src/protocol/records/compression.js";
import { lz4CompressFrame, lz4DecompressFrame, xxh32 } from "../../../src/protocol/records/lz4.js";
import { prng, randomBuffer, zstdRawFrame } from "./helpers.js";

function isRecordsError(code: string, kafkaCode?: number) {
  return (e: unknown) =>
    e instanceof RecordsError && e.code === code && (kafkaCode === undefined || e.kafkaCode === kafkaCode);
}

function samples(): Buffer[] {
  const rnd = prng(1234);
  const text = Buffer.from("the quick brown fox jumps over the lazy dog. ".repeat(5000));
  const runs = Buffer.alloc(300_000);
  for (let i = 0; i < runs.length; i++) runs[i] = (i >> 10) & 0xff;
  const mixed = Buffer.concat([randomBuffer(rnd, 70_000), text.subarray(0, 70_000), randomBuffer(rnd, 10)]);
  return [
    Buffer.alloc(0),
    Buffer.from("x"),
    Buffer.from("hello hello hello"),
    randomBuffer(rnd, 13),
    randomBuffer(rnd, 1000),
    text,
    runs,
    mixed,
    randomBuffer(rnd, 200_000),
  ];
}

const ROUND_TRIP: CompressionType[] = [
  CompressionType.None,
  CompressionType.Gzip,
  CompressionType.Snappy,
  CompressionType.Lz4,
];

test("compress/decompress round trip: none, gzip, snappy, lz4", () => {
  for (const type of ROUND_TRIP) {
    for (const data of samples()) {
      const z = compress(type, data);
      assert.ok(decompress(type, z).equals(data), `${compressionName(type)} on ${data.length} bytes`);
    }
  }
});

test("compression actually shrinks repetitive data", () => {
  const text = Buffer.from("abcdefgh".repeat(10_000));
  for (const type of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4]) {
    assert.ok(compress(type, text).length < text.length / 10, compressionName(type));
  }
});

test("gzip: level is honoured and output is standard gzip", () => {
  const data = Buffer.from("level test ".repeat(1000));
  const z1 = compress(CompressionType.Gzip, data, { level: 1 });
  assert.ok(zlib.gunzipSync(z1).equals(data));
  assert.ok(decompress(CompressionType.Gzip, zlib.gzipSync(data, { level: 9 })).equals(data));
});

test("zstd: decompress with fzstd; compress with the runtime's or a registered encoder, or a clear error", () => {
  const data = Buffer.from("zstd payload ".repeat(3000));
  if (!zstdCompressionAvailable()) {
    assert.throws(() => compress(CompressionType.Zstd, data), isRecordsError("MR_RECORDS_UNSUPPORTED_CODEC", 76));
  } else {
    assert.ok(decompress(CompressionType.Zstd, compress(CompressionType.Zstd, data)).equals(data));
  }
  setZstdCompressor((d) => zstdRawFrame(d));
  try {
    assert.equal(zstdCompressionAvailable(), true);
    for (const d of samples()) {
      assert.ok(decompress(CompressionType.Zstd, compress(CompressionType.Zstd, d)).equals(d), `zstd ${d.length}`);
    }
  } finally {
    setZstdCompressor(null);
  }
});

test("snappy: raw and xerial-framed streams both decode, with one or many blocks", () => {
  for (const data of samples()) {
    const raw = compress(CompressionType.Snappy, data);
    assert.equal(isXerialSnappy(raw), false);
    for (const blockSize of [32 * 1024, 1000]) {
      const framed = snappyXerialCompress(data, blockSize);
      assert.equal(isXerialSnappy(framed), true);
      assert.ok(decompress(CompressionType.Snappy, framed).equals(data), `xerial ${data.length}/${blockSize}`);
    }
  }
});

test("snappy: corrupt input is CORRUPT_MESSAGE", () => {
  const framed = snappyXerialCompress(Buffer.from("some data ".repeat(100)));
  assert.throws(
    () => decompress(CompressionType.Snappy, framed.subarray(0, framed.length - 3)),
    isRecordsError("MR_RECORDS_DECOMPRESS", 2),
  );
  assert.throws(
    () => decompress(CompressionType.Snappy, Buffer.from([0x05, 0x09, 0xff, 0xff])),
    isRecordsError("MR_RECORDS_DECOMPRESS", 2),
  );
});

test("lz4: frames are independent 64 KiB blocks with a correct header checksum", () => {
  const data = Buffer.from("0123456789".repeat(20_000));
  const z = lz4CompressFrame(data);
  assert.equal(z.readUInt32LE(0), 0x184d2204);
  assert.equal(z[4], 0x60); // version 1, independent blocks, no checksums, no content size
  assert.equal(z[5], 0x40); // 64 KiB blocks
  assert.equal(z[6], (xxh32(z, 4, 6) >>> 8) & 0xff);
  assert.equal(z.readUInt32LE(z.length - 4), 0); // end mark
});

test("lz4: block boundary sizes and incompressible data round trip", () => {
  const rnd = prng(42);
  for (const n of [12, 13, 14, 17, 65535, 65536, 65537, 131072, 131073]) {
    for (const data of [randomBuffer(rnd, n), Buffer.alloc(n, 0x61)]) {
      assert.ok(lz4DecompressFrame(lz4CompressFrame(data)).equals(data), `n=${n}`);
    }
  }
});

test("xxh32: reference values", () => {
  assert.equal(xxh32(Buffer.alloc(0)), 0x02cc5d05);
  assert.equal(xxh32(Buffer.from("a")), 0x550d7456);
  assert.equal(xxh32(Buffer.from("abc")), 0x32d153ff);
  assert.equal(xxh32(Buffer.from("Nobody inspects the spammish repetition")), 0xe2293b2f);
});

test("lz4: corruption is detected", () => {
  const data = Buffer.from("lz4 corruption test ".repeat(500));
  const z = lz4CompressFrame(data);
  const bad = (mutate: (b: Buffer) => Buffer) =>
    assert.throws(
      () => decompress(CompressionType.Lz4, mutate(Buffer.from(z))),
      isRecordsError("MR_RECORDS_DECOMPRESS", 2),
    );
  bad((b) => {
    b.writeUInt32LE(0x184d2205, 0);
    return b;
  }); // magic
  bad((b) => {
    b[6] ^= 0xff;
    return b;
  }); // header checksum
  bad((b) => {
    b[4] = 0x80;
    return b;
  }); // version
  bad((b) => b.subarray(0, b.length - 1)); // end mark cut
  bad((b) => b.subarray(0, 20)); // block cut
  bad((b) => Buffer.concat([b, Buffer.from([1, 2])])); // trailing junk
  // A match reaching before the start of the output.
  const evil = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  evil[6] = (xxh32(evil, 4, 6) >>> 8) & 0xff;
  const block = Buffer.from([0x10, 0x41, 0x05, 0x00, 0x10, 0x41]); // 1 literal, match offset 5 > 1 byte of output
  evil.writeUInt32LE(block.length, 7);
  const frame = Buffer.concat([evil.subarray(0, 11), block, Buffer.alloc(4)]);
  assert.throws(() => lz4DecompressFrame(frame), isRecordsError("MR_RECORDS_DECOMPRESS", 2));
});

test("decompress: maxSize guards against bombs for every codec", () => {
  const data = Buffer.alloc(1_000_000, 0x61);
  for (const type of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4]) {
    const z = compress(type, data);
    assert.throws(
      () => decompress(type, z, { maxSize: 1000 }),
      isRecordsError("MR_RECORDS_TOO_LARGE"),
      compressionName(type),
    );
    assert.equal(decompress(type, z, { maxSize: data.length }).length, data.length);
  }
  assert.throws(
    () => decompress(CompressionType.Zstd, zstdRawFrame(data), { maxSize: 1000 }),
    isRecordsError("MR_RECORDS_TOO_LARGE"),
  );
});

test("corrupt gzip and zstd are CORRUPT_MESSAGE", () => {
  assert.throws(
    () => decompress(CompressionType.Gzip, Buffer.from("not gzip at all")),
    isRecordsError("MR_RECORDS_DECOMPRESS", 2),
  );
  assert.throws(
    () => decompress(CompressionType.Zstd, Buffer.from("not zstd at all")),
    isRecordsError("MR_RECORDS_DECOMPRESS", 2),
  );
});

test("unknown codec ids and names are UNSUPPORTED_COMPRESSION_TYPE", () => {
  for (const id of [5, 6, 7]) {
    assert.throws(
      () => decompress(id as CompressionType, Buffer.alloc(4)),
      isRecordsError("MR_RECORDS_UNKNOWN_CODEC", 76),
    );
    assert.throws(
      () => compress(id as CompressionType, Buffer.alloc(4)),
      isRecordsError("MR_RECORDS_UNKNOWN_CODEC", 76),
    );
  }
  assert.throws(() => compressionTypeFromName("brotli"), isRecordsError("MR_RECORDS_UNKNOWN_CODEC", 76));
});

test("compression.type names map to codec ids and back", () => {
  for (const [name, id] of [
    ["none", 0],
    ["gzip", 1],
    ["snappy", 2],
    ["lz4", 3],
    ["zstd", 4],
  ] as const) {
    assert.equal(compressionTypeFromName(name), id);
    assert.equal(compressionTypeFromName(name.toUpperCase()), id);
    assert.equal(compressionName(id), name);
  }
  assert.equal(compressionTypeFromName("uncompressed"), CompressionType.None);
});

test("none is the identity, without a copy", () => {
  const b = Buffer.from("same");
  assert.equal(compress(CompressionType.None, b), b);
  assert.equal(decompress(CompressionType.None, b), b);
});

test("declared sizes are checked before anything is allocated", () => {
  // Raw snappy claiming 4 GiB out of 7 bytes: impossible, so corrupt.
  const snappyBomb = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x61]);
  assert.throws(() => decompress(CompressionType.Snappy, snappyBomb), isRecordsError("MR_RECORDS_DECOMPRESS", 2));
  // Within the ratio, but above the caller's limit.
  const big = compress(CompressionType.Snappy, Buffer.alloc(100_000));
  assert.throws(
    () => decompress(CompressionType.Snappy, big, { maxSize: 99_999 }),
    isRecordsError("MR_RECORDS_TOO_LARGE"),
  );
  // A zstd frame declaring more than the limit is refused before decoding.
  const frame = zstdRawFrame(Buffer.alloc(10));
  frame.writeBigUInt64LE(2n ** 40n, 5);
  assert.throws(
    () => decompress(CompressionType.Zstd, frame, { maxSize: 1 << 20 }),
    isRecordsError("MR_RECORDS_TOO_LARGE"),
  );
});
