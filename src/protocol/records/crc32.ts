/**
 * CRC32 (IEEE 802.3, the zlib polynomial), the checksum of Kafka's legacy
 * message formats (magic 0 and 1). Uses @node-rs/crc32 when its native
 * binary loads, and a slicing-by-8 table implementation otherwise.
 */
import { createRequire } from "node:module";

type NativeCrc = (input: Uint8Array, initial?: number) => number;

const TABLES: Uint32Array[] = (() => {
  const t: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t0[i] = c >>> 0;
  }
  t.push(t0);
  for (let s = 1; s < 8; s++) {
    const prev = t[s - 1];
    const ts = new Uint32Array(256);
    for (let i = 0; i < 256; i++) ts[i] = (prev[i] >>> 8) ^ t0[prev[i] & 0xff];
    t.push(ts);
  }
  return t;
})();

/** Pure JS CRC32 over buf[start, end). `initial` continues a running CRC. */
export function crc32Js(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let crc = ~initial >>> 0;
  let i = start;
  while (end - i >= 8) {
    const a = (crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))) >>> 0;
    crc =
      t7[a & 0xff] ^
      t6[(a >>> 8) & 0xff] ^
      t5[(a >>> 16) & 0xff] ^
      t4[a >>> 24] ^
      t3[buf[i + 4]] ^
      t2[buf[i + 5]] ^
      t1[buf[i + 6]] ^
      t0[buf[i + 7]];
    i += 8;
  }
  while (i < end) crc = t0[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

function loadNative(): NativeCrc | null {
  if (process.env.MILLRACE_CRC32 === "js") return null;
  try {
    const require = createRequire(import.meta.url);
    const mod = require("@node-rs/crc32") as { crc32: NativeCrc };
    // Check the binding against the standard check value before trusting it.
    if ((mod.crc32(Buffer.from("123456789")) >>> 0) !== 0xcbf43926) return null;
    return mod.crc32;
  } catch {
    return null;
  }
}

const native = loadNative();

/** Which implementation is in use: "native" or "js". */
export const crc32Implementation: "native" | "js" = native ? "native" : "js";

/** CRC32 (IEEE) over buf[start, end). */
export function crc32(buf: Buffer, start = 0, end = buf.length): number {
  if (native) {
    const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    return native(view) >>> 0;
  }
  return crc32Js(buf, start, end);
}
