// Decodes every fixture written by scripts/fixtures/make-record-fixtures.py
// (kafka-python's record builders and the reference codec libraries) and
// compares with the manifest the script wrote from its own inputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { batchCrcValid, CompressionType, scanBatches } from "../../../src/protocol/records/batch.js";
import { decompress } from "../../../src/protocol/records/compression.js";
import { crc32 } from "../../../src/protocol/records/crc32.js";
import { convertToV2, decodeMessageSet, scanMessageSet } from "../../../src/protocol/records/legacy.js";
import { decodeBatch, decodeRecordSet, encodeBatch, type KafkaRecord } from "../../../src/protocol/records/records.js";
import {
  type Fixture,
  loadFixture,
  loadManifest,
  type ManifestBatch,
  type ManifestRecord,
  matchesSpec,
  recordsDigest,
  sha256,
  specBytes,
} from "./helpers.js";

const manifest = loadManifest();
const byKind = <K extends Fixture["kind"]>(kind: K) =>
  manifest.fixtures.filter((f): f is Extract<Fixture, { kind: K }> => f.kind === kind);

function checkRecord(got: KafkaRecord, want: ManifestRecord, where: string) {
  assert.equal(got.offset, BigInt(want.offset), `${where} offset`);
  assert.equal(got.timestamp, BigInt(want.timestamp), `${where} timestamp`);
  assert.ok(matchesSpec(got.key, want.key), `${where} key`);
  assert.ok(matchesSpec(got.value, want.value), `${where} value`);
  const wantHeaders = want.headers ?? [];
  assert.equal(got.headers.length, wantHeaders.length, `${where} header count`);
  got.headers.forEach((h, i) => {
    assert.equal(h.key, wantHeaders[i].key, `${where} header ${i} key`);
    assert.ok(matchesSpec(h.value, wantHeaders[i].value), `${where} header ${i} value`);
  });
}

function checkBatch(b: ReturnType<typeof decodeBatch>, want: ManifestBatch, where: string) {
  assert.equal(b.header.baseOffset, BigInt(want.baseOffset), `${where} baseOffset`);
  assert.equal(b.header.magic, 2);
  assert.equal(b.compression, want.compression, `${where} codec`);
  assert.equal(b.header.attributes, want.attributes);
  assert.equal(b.header.partitionLeaderEpoch, want.partitionLeaderEpoch);
  assert.equal(b.header.producerId, BigInt(want.producerId));
  assert.equal(b.header.producerEpoch, want.producerEpoch);
  assert.equal(b.header.baseSequence, want.baseSequence);
  assert.equal(b.isTransactional, want.transactional);
  assert.equal(b.header.baseTimestamp, BigInt(want.baseTimestamp));
  assert.equal(b.header.maxTimestamp, BigInt(want.maxTimestamp));
  assert.equal(b.size, want.size);
  assert.equal(b.records.length, want.recordCount, `${where} record count`);
  assert.equal(recordsDigest(b.records), want.recordsDigest, `${where} records digest`);
  want.records.forEach((r, i) => {
    checkRecord(b.records[i], r, `${where} record ${i}`);
  });
}

test("the manifest lists fixtures of every kind and every codec", () => {
  assert.ok(manifest.fixtures.length >= 25);
  const v2Codecs = new Set(byKind("v2").flatMap((f) => f.batches.map((b) => b.compression)));
  assert.deepEqual([...v2Codecs].sort(), [0, 1, 2, 3, 4]);
  const legacyCodecs = new Set(byKind("legacy").flatMap((f) => f.topLevel.map((t) => t.compression)));
  assert.deepEqual([...legacyCodecs].sort(), [0, 1, 2, 3]);
  assert.deepEqual(new Set(byKind("legacy").map((f) => f.magic)), new Set([0, 1]));
});

for (const f of byKind("v2")) {
  test(`fixture ${f.file}: ${f.description}`, () => {
    const buf = loadFixture(f.file);
    const whole = buf.subarray(0, buf.length - f.truncatedTail);
    // CRCs validate, sizes add up.
    const infos = scanBatches(whole);
    assert.equal(infos.length, f.batches.length);
    for (const info of infos) assert.ok(batchCrcValid(whole, info.position, info.size));
    // Batch by batch.
    let pos = 0;
    f.batches.forEach((want, i) => {
      const b = decodeBatch(buf, pos);
      checkBatch(b, want, `${f.file} batch ${i}`);
      pos += b.size;
    });
    // As a fetch response's record set (ignoring any partial tail).
    const set = decodeRecordSet(buf);
    assert.equal(set.length, f.batches.length);
    set.forEach((b, i) => {
      checkBatch(b, f.batches[i], `${f.file} set ${i}`);
    });
    if (f.truncatedTail > 0) assert.throws(() => scanBatches(buf));
  });
}

test("our encoder writes byte-for-byte what kafka-python writes for uncompressed batches", () => {
  let compared = 0;
  for (const f of byKind("v2")) {
    for (const want of f.batches) {
      if (want.compression !== CompressionType.None || want.records.length !== want.recordCount) continue;
      const ours = encodeBatch({
        baseOffset: BigInt(want.baseOffset),
        partitionLeaderEpoch: want.partitionLeaderEpoch,
        producerId: BigInt(want.producerId),
        producerEpoch: want.producerEpoch,
        baseSequence: want.baseSequence,
        transactional: want.transactional,
        records: want.records.map((r) => ({
          key: specBytes(r.key),
          value: specBytes(r.value),
          timestamp: BigInt(r.timestamp),
          headers: (r.headers ?? []).map((h) => ({ key: h.key, value: specBytes(h.value) })),
        })),
      });
      const theirs = loadFixture(f.file);
      const at =
        f.batches.indexOf(want) === 0 ? 0 : f.batches.slice(0, f.batches.indexOf(want)).reduce((n, b) => n + b.size, 0);
      assert.ok(ours.equals(theirs.subarray(at, at + want.size)), `${f.file}: encodings differ`);
      compared++;
    }
  }
  assert.ok(compared >= 3, `compared ${compared} batches`);
});

for (const f of byKind("legacy")) {
  test(`fixture ${f.file}: ${f.description}`, () => {
    const buf = loadFixture(f.file);
    // Top level: sizes and CRC32s.
    const top = scanMessageSet(buf);
    assert.deepEqual(
      top.map((m) => ({ offset: String(m.offset), compression: m.compression })),
      f.topLevel.map((t) => ({ offset: t.offset, compression: t.compression })),
    );
    for (const m of top) {
      assert.equal(m.magic, f.magic);
      assert.equal(crc32(buf, m.position + 16, m.position + m.size), m.crc);
    }
    f.topLevel.forEach((t, i) => {
      if (t.timestamp !== undefined) assert.equal(top[i].timestamp, BigInt(t.timestamp));
    });
    // All messages, wrappers opened.
    const messages = decodeMessageSet(buf);
    assert.equal(messages.length, f.messages.length);
    messages.forEach((m, i) => {
      checkRecord({ ...m, headers: [], attributes: 0 }, f.messages[i], `${f.file} message ${i}`);
    });
    // Through decodeRecordSet, one DecodedBatch per top-level message.
    const set = decodeRecordSet(buf);
    assert.equal(set.length, top.length);
    assert.ok(set.every((b) => b.header.magic === f.magic));
    const flat = set.flatMap((b) => b.records);
    flat.forEach((r, i) => {
      checkRecord(r, f.messages[i], `${f.file} set record ${i}`);
    });

    // Conversion to v2: same keys, values and timestamps, dense offsets.
    const v2 = convertToV2(buf, { baseOffset: 1000n });
    const infos = scanBatches(v2);
    assert.deepEqual(
      infos.map((b) => ({ compression: b.attributes & 7, count: b.recordCount })),
      f.v2Batches,
    );
    const converted = decodeRecordSet(v2).flatMap((b) => b.records);
    assert.equal(converted.length, f.messages.length);
    converted.forEach((r, i) => {
      const want = f.messages[i];
      checkRecord(r, { ...want, offset: String(1000 + i) }, `${f.file} converted ${i}`);
    });
    // keepOffsets preserves the decoded offsets.
    const kept = decodeRecordSet(convertToV2(buf, { keepOffsets: true })).flatMap((b) => b.records);
    assert.deepEqual(
      kept.map((r) => String(r.offset)),
      f.messages.map((m) => m.offset),
    );
  });
}

for (const f of byKind("codec")) {
  test(`fixture ${f.file}: ${f.description}`, () => {
    const out = decompress(f.codec as CompressionType, loadFixture(f.file));
    assert.equal(out.length, f.length);
    assert.equal(sha256(out), f.sha256);
  });
}
