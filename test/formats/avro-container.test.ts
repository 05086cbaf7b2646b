import { test } from "node:test";
import assert from "node:assert/strict";
import type avro from "avsc";
import { readContainer, writeContainer } from "../../src/formats/avro-container.js";
import { avscDecodeAll, avscEncodeAll } from "./avro-helpers.js";

const SCHEMA = {
  type: "record",
  name: "Reading",
  namespace: "test",
  fields: [
    { name: "sensor", type: "string" },
    { name: "value", type: "double" },
    { name: "tags", type: { type: "array", items: "string" } },
    { name: "note", type: ["null", "string"], default: null },
  ],
} as avro.Schema;

function records(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({
    sensor: `s-${i % 7}`,
    value: i / 3,
    tags: i % 2 ? ["a", "ü"] : [],
    note: i % 5 ? null : `note ${i}`,
  }));
}

for (const codec of ["null", "deflate"] as const) {
  test(`container (${codec}): round trip through readContainer, many blocks`, () => {
    const recs = records(5000);
    const buf = writeContainer(SCHEMA, recs, { codec, blockBytes: 4096 });
    assert.deepEqual(buf.subarray(0, 4), Buffer.from("Obj\x01", "latin1"));
    const r = readContainer(buf);
    assert.equal(r.codec, codec);
    assert.deepEqual(r.schema, SCHEMA);
    assert.equal(r.records.length, 5000);
    assert.deepEqual(JSON.parse(JSON.stringify(r.records)), recs);
  });

  test(`container (${codec}): readable by avsc's own BlockDecoder`, async () => {
    const recs = records(1200);
    const buf = writeContainer(SCHEMA, recs, { codec, blockBytes: 2048 });
    const got = await avscDecodeAll(buf);
    assert.equal(got.codec, codec);
    assert.deepEqual(JSON.parse(JSON.stringify(got.records)), recs);
  });

  test(`container (${codec}): reads what avsc's BlockEncoder wrote`, async () => {
    const recs = records(900);
    const buf = await avscEncodeAll(SCHEMA, recs, { codec, blockSize: 1000 });
    const r = readContainer(buf);
    assert.equal(r.codec, codec);
    assert.deepEqual(JSON.parse(JSON.stringify(r.records)), recs);
  });
}

test("container: an empty file is a header only and reads back empty", async () => {
  const buf = writeContainer(SCHEMA, []);
  assert.deepEqual(readContainer(buf).records, []);
  assert.deepEqual((await avscDecodeAll(buf)).records, []);
});

test("container: a fixed sync marker makes output byte-identical; metadata is kept", () => {
  const sync = Buffer.alloc(16, 7);
  const a = writeContainer(SCHEMA, records(10), { syncMarker: sync, metadata: { "app.name": "millrace" } });
  const b = writeContainer(SCHEMA, records(10), { syncMarker: sync, metadata: { "app.name": "millrace" } });
  assert.deepEqual(a, b);
  const r = readContainer(a);
  assert.equal(r.metadata["app.name"].toString(), "millrace");
  assert.deepEqual(r.syncMarker, sync);
});

test("container: reader schema resolution (added field with default, dropped field)", () => {
  const buf = writeContainer(SCHEMA, records(3));
  const reader = {
    type: "record",
    name: "Reading",
    namespace: "test",
    fields: [
      { name: "sensor", type: "string" },
      { name: "unit", type: "string", default: "C" },
    ],
  } as avro.Schema;
  const r = readContainer(buf, { readerSchema: reader });
  assert.deepEqual(JSON.parse(JSON.stringify(r.records)), [
    { sensor: "s-0", unit: "C" },
    { sensor: "s-1", unit: "C" },
    { sensor: "s-2", unit: "C" },
  ]);
});

test("container: records that do not match the schema raise MR_FORMAT_INVALID", () => {
  assert.throws(() => writeContainer(SCHEMA, [{ sensor: 1 }]), { code: "MR_FORMAT_INVALID" });
  assert.throws(() => writeContainer(SCHEMA, [], { codec: "lz4" as "null" }), { code: "MR_FORMAT_INVALID" });
});

test("container: malformed files raise MR_FORMAT_INVALID", () => {
  const good = writeContainer(SCHEMA, records(50), { codec: "deflate" });
  const cases: [string, Buffer][] = [
    ["empty", Buffer.alloc(0)],
    ["bad magic", Buffer.concat([Buffer.from("Obj\x02", "latin1"), good.subarray(4)])],
    ["header cut", good.subarray(0, 20)],
    ["truncated block", good.subarray(0, good.length - 5)],
    ["sync mismatch", Buffer.concat([good.subarray(0, good.length - 1), Buffer.from([good[good.length - 1] ^ 0xff])])],
    ["trailing garbage", Buffer.concat([good, Buffer.from([0x02])])],
  ];
  // a string length inside a record that runs past the block
  const nul = writeContainer(SCHEMA, records(1), { codec: "null" });
  const bodyCorrupt = Buffer.from(nul);
  const at = bodyCorrupt.lastIndexOf(Buffer.from("s-0"));
  assert.equal(bodyCorrupt[at - 1], 6);
  bodyCorrupt[at - 1] = 0x7e;
  cases.push(["record bytes", bodyCorrupt]);
  // a deflate block that is not deflate
  const def = Buffer.from(writeContainer(SCHEMA, records(20), { codec: "deflate" }));
  def.fill(0xff, def.length - 40, def.length - 16);
  cases.push(["deflate stream", def]);
  for (const [name, buf] of cases) assert.throws(() => readContainer(buf), { code: "MR_FORMAT_INVALID" }, name);
});
