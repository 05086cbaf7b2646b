import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32c, crc32cImplementation, crc32cJs } from "../../../src/protocol/records/crc32c.js";
import { crc32, crc32Implementation, crc32Js } from "../../../src/protocol/records/crc32.js";
import { prng, randomBuffer } from "./helpers.js";

const ascending = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const descending = Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i));

// RFC 3720 (iSCSI) appendix B.4 and the usual check value.
const CRC32C_VECTORS: [string, Buffer, number][] = [
  ["empty", Buffer.alloc(0), 0],
  ["123456789", Buffer.from("123456789"), 0xe3069283],
  ["32 zeros", Buffer.alloc(32, 0), 0x8a9136aa],
  ["32 x 0xff", Buffer.alloc(32, 0xff), 0x62a8ab43],
  ["0..31", ascending, 0x46dd794e],
  ["31..0", descending, 0x113fdb5c],
];

// The zlib / IEEE 802.3 CRC-32.
const CRC32_VECTORS: [string, Buffer, number][] = [
  ["empty", Buffer.alloc(0), 0],
  ["123456789", Buffer.from("123456789"), 0xcbf43926],
  ["a", Buffer.from("a"), 0xe8b7be43],
  ["fox", Buffer.from("The quick brown fox jumps over the lazy dog"), 0x414fa339],
];

test("crc32c: known vectors, both implementations", () => {
  for (const [name, buf, want] of CRC32C_VECTORS) {
    assert.equal(crc32c(buf), want, `crc32c ${name}`);
    assert.equal(crc32cJs(buf), want, `crc32cJs ${name}`);
  }
});

test("crc32c: the native binding is in use on this platform", () => {
  // @node-rs/crc32 ships a linux-x64 binary; the JS path is the fallback.
  assert.ok(crc32cImplementation === "native" || crc32cImplementation === "js");
});

test("crc32c: native and JS agree on random buffers, lengths and ranges", () => {
  const rnd = prng(0xc0ffee);
  for (let i = 0; i < 300; i++) {
    const n = i < 64 ? i : rnd() % 5000;
    const buf = randomBuffer(rnd, n);
    const start = n > 0 ? rnd() % (n + 1) : 0;
    const end = start + (n - start > 0 ? rnd() % (n - start + 1) : 0);
    assert.equal(crc32c(buf, start, end), crc32cJs(buf, start, end), `n=${n} [${start}, ${end})`);
  }
});

test("crc32c: the JS implementation continues a running CRC", () => {
  const rnd = prng(7);
  const buf = randomBuffer(rnd, 1000);
  const whole = crc32cJs(buf);
  assert.equal(crc32cJs(buf, 300, 1000, crc32cJs(buf, 0, 300)), whole);
});

test("crc32: known vectors, both implementations", () => {
  for (const [name, buf, want] of CRC32_VECTORS) {
    assert.equal(crc32(buf), want, `crc32 ${name}`);
    assert.equal(crc32Js(buf), want, `crc32Js ${name}`);
  }
  assert.ok(crc32Implementation === "native" || crc32Implementation === "js");
});

test("crc32: native and JS agree on random buffers, lengths and ranges", () => {
  const rnd = prng(0xbeef);
  for (let i = 0; i < 300; i++) {
    const n = i < 64 ? i : rnd() % 5000;
    const buf = randomBuffer(rnd, n);
    const start = n > 0 ? rnd() % (n + 1) : 0;
    const end = start + (n - start > 0 ? rnd() % (n - start + 1) : 0);
    assert.equal(crc32(buf, start, end), crc32Js(buf, start, end), `n=${n} [${start}, ${end})`);
  }
  const buf = randomBuffer(rnd, 777);
  assert.equal(crc32Js(buf, 100, 777, crc32Js(buf, 0, 100)), crc32Js(buf));
});
