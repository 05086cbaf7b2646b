import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { LineSplitter, parseJsonLines, readJsonLines, toJsonLine, toJsonLines } from "../../src/formats/json-lines.js";
import { Utf8StreamDecoder, codePointLength, decodeUtf8, encodeUtf8 } from "../../src/formats/text.js";

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

test("json lines: bigints (offsets) are written as decimal strings; a value JSON cannot hold is null", () => {
  assert.equal(toJsonLine({ offset: 2n ** 63n - 1n }), '{"offset":"9223372036854775807"}');
  assert.equal(toJsonLine(undefined), undefined);
  assert.equal(toJsonLines([{ o: 5n }, undefined, "s"]), '{"o":"5"}\nnull\n"s"\n');
});
