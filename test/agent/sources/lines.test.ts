import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LineSplitter, readLines, type Line } from "../../../src/agent/sources/lines.js";
import { removeDir, tempDir } from "../../helpers/broker.js";

const text = (ls: Line[]) => ls.map((l) => l.bytes.toString("utf8"));

function byteByByte(s: LineSplitter, input: Buffer): Line[] {
  const out: Line[] = [];
  for (const b of input) out.push(...s.push(Buffer.of(b)));
  return out;
}

describe("LineSplitter", () => {
  it("splits on LF, drops CR, keeps multi-byte characters cut between chunks, and returns the cut-off tail", () => {
    const s = new LineSplitter();
    const out = byteByByte(s, Buffer.from('{"t":"é"}\r\n\r\n{"t":"🌊"}\n{"cut'));
    assert.deepEqual(text(out), ['{"t":"é"}', "", '{"t":"🌊"}']);
    assert.deepEqual(
      out.map((l) => [l.offset, l.end]),
      [
        [0, 12],
        [12, 14],
        [14, 27],
      ],
    );
    assert.equal(s.end()?.bytes.toString(), '{"cut');
    assert.equal(s.end(), null);
  });

  it("bounds a line: a stream without newlines keeps at most maxLineLength + 1 bytes", () => {
    const s = new LineSplitter({ maxLineLength: 10 });
    for (let i = 0; i < 1000; i++) assert.deepEqual(s.push(Buffer.alloc(1000, 0x61)), []);
    assert.equal(s.pending(), 1_000_000);
    assert.ok((s as unknown as { heldLen: number }).heldLen <= 11);
    const [l] = s.push(Buffer.from("b\nok\n"));
    assert.equal(l!.truncated, true);
    assert.equal(l!.length, 1_000_001);
    assert.equal(l!.bytes.toString(), "a".repeat(10));
    assert.equal(l!.end, 1_000_002);
    assert.deepEqual(text(s.push(Buffer.from("x"))), []);
    assert.equal(s.end()?.bytes.toString(), "x");
  });

  it("a line of exactly maxLineLength is whole, with or without CR, however it is chunked", () => {
    for (const input of ["abcd\r\n", "abcd\n"]) {
      const s = new LineSplitter({ maxLineLength: 4 });
      const out = byteByByte(s, Buffer.from(input + "abcde\n"));
      assert.deepEqual(
        out.map((l) => [l.bytes.toString(), l.truncated]),
        [
          ["abcd", false],
          ["abcd", true],
        ],
      );
    }
  });

  it("emitTooLongEarly: a too-long line comes out once, as soon as it is known, and its rest is dropped", () => {
    const s = new LineSplitter({ maxLineLength: 3, emitTooLongEarly: true });
    const first = s.push(Buffer.from("abcdefgh"));
    assert.deepEqual(
      first.map((l) => [l.bytes.toString(), l.truncated]),
      [["abc", true]],
    );
    assert.deepEqual(s.push(Buffer.from("ijk")), []);
    assert.deepEqual(text(s.push(Buffer.from("lm\nxy\r\n"))), ["xy"]);
    assert.equal(s.end(), null);
  });

  it('lineEnds "any": CRLF, LF and CR end lines, a CRLF split between chunks is one end', () => {
    const s = new LineSplitter({ lineEnds: "any" });
    const out = [...s.push(Buffer.from("a\r")), ...s.push(Buffer.from("\nb\rc\n\rd"))];
    assert.deepEqual(text(out), ["a", "b", "c", ""]);
    assert.equal(s.end()?.bytes.toString(), "d");
  });

  it("rejects a bound that is not positive", () => {
    assert.throws(() => new LineSplitter({ maxLineLength: 0 }), RangeError);
  });
});

describe("readLines", () => {
  it("reads by byte position, leaves an unfinished line for later, and cuts long lines to the bound", async () => {
    const dir = tempDir();
    try {
      const f = join(dir, "f");
      await writeFile(f, `one\r\n${"x".repeat(300)}\nthree\npart`);
      const fh = await open(f, "r");
      try {
        const a = await readLines(fh, 0, 2, { maxLineLength: 100, chunk: 7 });
        assert.deepEqual(text(a.lines), ["one", "x".repeat(100)]);
        assert.equal(a.truncated, 1);
        assert.equal(a.next, 306);
        const b = await readLines(fh, a.next, 10, { chunk: 7 });
        assert.deepEqual(text(b.lines), ["three"]);
        assert.equal(b.lines[0]!.offset, 306);
        assert.equal(b.next, 312);
        const c = await readLines(fh, b.next, 10, { eofIsLineEnd: true });
        assert.deepEqual(text(c.lines), ["part"]);
        assert.equal(c.next, 316);
      } finally {
        await fh.close();
      }
    } finally {
      removeDir(dir);
    }
  });
});
