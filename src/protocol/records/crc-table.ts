/**
 * Reflected CRC-32 variants (IEEE for legacy messages, Castagnoli for v2
 * batches) share one implementation: the @node-rs/crc32 native binding when it
 * loads and passes its check value, else slicing-by-8 tables in plain JS.
 */
import { createRequire } from "node:module";

type NativeCrc = (input: Uint8Array, initial?: number) => number;

export interface Crc {
  /** "native" or "js" */
  implementation: "native" | "js";
  /** CRC over buf[start, end) */
  compute(buf: Buffer, start?: number, end?: number): number;
  /** the pure JS implementation; `initial` continues a running CRC */
  js(buf: Uint8Array, start?: number, end?: number, initial?: number): number;
}

function tables(poly: number): Uint32Array[] {
  const t0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t0[i] = c >>> 0;
  }
  const t = [t0];
  for (let s = 1; s < 8; s++) {
    const prev = t[s - 1];
    const ts = new Uint32Array(256);
    for (let i = 0; i < 256; i++) ts[i] = (prev[i] >>> 8) ^ t0[prev[i] & 0xff];
    t.push(ts);
  }
  return t;
}

/**
 * @param poly reflected polynomial
 * @param nativeName export of @node-rs/crc32 ("crc32" or "crc32c")
 * @param check the CRC of "123456789", used to vet the native binding
 * @param envVar when this environment variable is "js", the JS implementation is used
 */
export function makeCrc(poly: number, nativeName: "crc32" | "crc32c", check: number, envVar: string): Crc {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tables(poly);
  const js = (buf: Uint8Array, start = 0, end = buf.length, initial = 0): number => {
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
  };
  let native: NativeCrc | null = null;
  if (process.env[envVar] !== "js") {
    try {
      const mod = createRequire(import.meta.url)("@node-rs/crc32") as Record<string, NativeCrc>;
      if (mod[nativeName](Buffer.from("123456789")) >>> 0 === check) native = mod[nativeName];
    } catch {
      native = null;
    }
  }
  const n = native;
  return {
    implementation: n ? "native" : "js",
    js,
    compute: n
      ? (buf, start = 0, end = buf.length) =>
          n(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0
      : (buf, start = 0, end = buf.length) => js(buf, start, end),
  };
}
