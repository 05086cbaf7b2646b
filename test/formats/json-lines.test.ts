import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { LineSplitter, parseJsonLines, readJsonLines, toJsonLines } from "../../src/formats/json-lines.js";
import { Utf8StreamDecoder, codePointLength, decodeUtf8, encodeUtf8 } from "../../src/formats/text.js";
import { decoderByName, decoders } from "../../src/formats/decoders.js";
import { encodeAvroFlumeEvent } from "../../src/formats/avro-flume-event.js";

test("json lines: good lines kept, bad lines reported by number, blank lines and \\r\\n handled", () => {
  const input = '{"a":1}\r\n\r\n{"a":\n[1,2]\n  \nnot json\n{"b":"é"}\n{"cut":';
  const { records, errors } = parseJsonLines(input);
  assert.deepEqual(records, [
    { line: 1, value: { a: 1 } },
    { line: 4, value: [1, 2] },
    { line: 7, value: { b: "é" } },
  ]);
  assert.deepEqual(
    errors.map((e) => [e.line, e.text, e.error.code]),
    [
      [3, '{"a":', "MR_FORMAT_INVALID"],
      [6, "not json", "MR_FORMAT_INVALID"],
      [8, '{"cut":', "MR_FORMAT_INVALID"],
    ],
  );
  assert.equal(toJsonLines([{ a: 1 }, 2]), '{"a":1}\n2\n');
});

test("json lines: chunks split anywhere (even inside a UTF-8 character) give the same lines", async () => {
  const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ i, t: "日本語 😀 café".repeat(i % 4) }));
  const bytes = Buffer.from(lines.join("\n") + "\n");
  for (const size of [1, 2, 3, 7, 64, 1000]) {
    const chunks: Buffer[] = [];
    for (let p = 0; p < bytes.length; p += size) chunks.push(bytes.subarray(p, p + size));
    const got: unknown[] = [];
    for await (const r of readJsonLines(Readable.from(chunks))) {
      assert.ok(r.ok);
      got.push(r.value);
    }
    assert.deepEqual(
      got,
      lines.map((l) => JSON.parse(l)),
      `chunk size ${size}`,
    );
  }
});

test("json lines: invalid UTF-8 and over-long lines are bad lines, the rest survive", async () => {
  const bytes = Buffer.concat([
    Buffer.from('{"ok":1}\n'),
    Buffer.from([0x22, 0xc3, 0x28, 0x22, 0x0a]),
    Buffer.from('{"x":"' + "y".repeat(500) + '"}\n{"ok":2}\n'),
  ]);
  const out = [];
  for await (const r of readJsonLines([bytes.subarray(0, 20), bytes.subarray(20)], { maxLineBytes: 100 })) out.push(r);
  assert.deepEqual(
    out.map((r) => (r.ok ? ["ok", r.line, r.value] : ["bad", r.line])),
    [
      ["ok", 1, { ok: 1 }],
      ["bad", 2],
      ["bad", 3],
      ["ok", 4, { ok: 2 }],
    ],
  );
  const sp = new LineSplitter(10);
  assert.deepEqual(
    sp.push("0123456789abc").map((l) => l.tooLong),
    [true],
  );
  assert.deepEqual(
    sp.push("def\nok\n").map((l) => [l.line, l.bytes.toString()]),
    [[2, "ok"]],
  );
});

test("text: strict UTF-8, streaming decoder, code points", () => {
  assert.equal(decodeUtf8(encodeUtf8("héllo 😀")), "héllo 😀");
  assert.throws(() => decodeUtf8(Buffer.from([0xff, 0x41])), { code: "MR_FORMAT_INVALID" });
  assert.equal(decodeUtf8(Buffer.from([0xff, 0x41]), { lenient: true }), "\ufffdA");
  const d = new Utf8StreamDecoder();
  const b = encodeUtf8("😀x");
  assert.equal(d.write(b.subarray(0, 2)) + d.write(b.subarray(2)) + d.end(), "😀x");
  const d2 = new Utf8StreamDecoder();
  d2.write(b.subarray(0, 2));
  assert.throws(() => d2.end(), { code: "MR_FORMAT_INVALID" });
  assert.equal(codePointLength("a😀#日本"), 5);
});

test("decoders: each raises MR_FORMAT_INVALID on bad input, null passes through", () => {
  assert.equal(decoders.string(Buffer.from("hé")), "hé");
  assert.equal(decoders.string(null), null);
  assert.throws(() => decoders.string(Buffer.from([0xc3])), { code: "MR_FORMAT_INVALID" });
  assert.deepEqual(decoders.json(Buffer.from('{"a":[1]}')), { a: [1] });
  assert.throws(() => decoders.json(Buffer.from("{")), { code: "MR_FORMAT_INVALID" });
  const ev = { headers: { h: "v" }, body: Buffer.from("b") };
  assert.deepEqual(decoders.avroFlumeEvent(encodeAvroFlumeEvent(ev)), ev);
  assert.throws(() => decoders.avroFlumeEvent(Buffer.from([0x05])), { code: "MR_FORMAT_INVALID" });
  const dec = decoders.avro<{ n: number }>({ type: "record", name: "R", fields: [{ name: "n", type: "int" }] });
  assert.equal(dec(Buffer.from([0x04]))!.n, 2);
  assert.throws(() => dec(Buffer.from([0x04, 0x00])), { code: "MR_FORMAT_INVALID" });
  assert.throws(() => dec(Buffer.alloc(0)), { code: "MR_FORMAT_INVALID" });
  assert.equal(decoderByName("json"), decoders.json);
  assert.throws(() => decoderByName("xml"), { code: "MR_FORMAT_INVALID" });
});
