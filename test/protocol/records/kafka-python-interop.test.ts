// Our encoder's batches, read back by a real implementation: kafka-python's
// record classes (and, through them, the C lz4/snappy/zstd libraries).
// Skipped where Debian's python3-kafka and codec packages are not installed
// (see scripts/fixtures/make-record-fixtures.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompressionType } from "../../../src/protocol/records/batch.js";
import { setZstdCompressor } from "../../../src/protocol/records/compression.js";
import { encodeBatch, type RecordInput } from "../../../src/protocol/records/records.js";
import { prng, randomBuffer, zstdRawFrame } from "./helpers.js";

const PYTHON = "/usr/bin/python3";
const probe = spawnSync(PYTHON, ["-c", "import kafka.record, snappy, lz4.frame, zstandard"], { encoding: "utf8" });
const available = probe.status === 0;

const READER = `
import base64, json, sys
from kafka.record.default_records import DefaultRecordBatch
out = []
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    batch = DefaultRecordBatch(data)
    assert batch.validate_crc(), path
    b64 = lambda v: None if v is None else base64.b64encode(bytes(v)).decode()
    out.append({
        "codec": batch.compression_type,
        "records": [
            {"offset": r.offset, "timestamp": r.timestamp, "key": b64(r.key), "value": b64(r.value),
             "headers": [[k, b64(v)] for k, v in r.headers]}
            for r in batch
        ],
    })
print(json.dumps(out))
`;

test("kafka-python reads the batches our encoder writes, for every codec", {
  skip: available ? false : "python3-kafka not installed",
}, () => {
  const rnd = prng(2024);
  const records: RecordInput[] = Array.from({ length: 300 }, (_, i) => ({
    key: i % 4 === 0 ? null : `key-${i}`,
    value: i % 9 === 0 ? null : i % 2 ? randomBuffer(rnd, rnd() % 500) : `text value ${i} `.repeat(1 + (rnd() % 40)),
    headers:
      i % 3 === 0
        ? [
            { key: "h\u00e9", value: `v${i}` },
            { key: "null", value: null },
          ]
        : [],
    timestamp: 1_700_000_000_000 + i * 3 - (i === 5 ? 50 : 0),
  }));
  const dir = mkdtempSync(join(tmpdir(), "millrace-interop-"));
  setZstdCompressor((d) => zstdRawFrame(d));
  try {
    const codecs = [
      CompressionType.None,
      CompressionType.Gzip,
      CompressionType.Snappy,
      CompressionType.Lz4,
      CompressionType.Zstd,
    ];
    const files = codecs.map((compression) => {
      const path = join(dir, `batch-${compression}.bin`);
      writeFileSync(path, encodeBatch({ records, compression, baseOffset: 1000n }));
      return path;
    });
    const r = spawnSync(PYTHON, ["-c", READER, ...files], { encoding: "utf8", maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const decoded = JSON.parse(r.stdout) as {
      codec: number;
      records: {
        offset: number;
        timestamp: number;
        key: string | null;
        value: string | null;
        headers: [string, string | null][];
      }[];
    }[];
    const b64 = (v: RecordInput["key"]) =>
      v === null || v === undefined ? null : Buffer.from(v as string | Buffer).toString("base64");
    decoded.forEach((batch, bi) => {
      assert.equal(batch.codec, codecs[bi]);
      assert.equal(batch.records.length, records.length);
      batch.records.forEach((got, i) => {
        const want = records[i];
        assert.equal(got.offset, 1000 + i);
        assert.equal(got.timestamp, want.timestamp);
        assert.equal(got.key, b64(want.key));
        assert.equal(got.value, b64(want.value));
        assert.deepEqual(
          got.headers,
          (want.headers ?? []).map((h) => [h.key, b64(h.value)]),
        );
      });
    });
  } finally {
    setZstdCompressor(null);
    rmSync(dir, { recursive: true, force: true });
  }
});
