/**
 * The LZ4 frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md)
 * as Kafka uses it for compression type 3, with a block codec written from
 * the LZ4 block format specification.
 *
 * Why not lz4js for the blocks: its decoder does no bounds checking (a bad
 * block silently yields garbage) and its encoder may start the last match
 * closer than 12 bytes to the end of a block, which the reference decoder and
 * lz4-java (what the Java client uses) reject when decoding into a buffer of
 * exactly the block size.
 *
 * Writing: one frame, independent 64 KiB blocks, no content size, no
 * checksums: what the Java client (KafkaLZ4BlockOutputStream) writes.
 * Reading: any frame a conforming encoder produces (linked or independent
 * blocks, content size, block and content checksums, dictionary id refused,
 * skippable frames skipped, several frames concatenated), and the header
 * checksum of Kafka 0.8/0.9 (magic 0), which wrongly covered the magic number.
 */
import { RecordsError } from "./batch.js";

const CORRUPT_MESSAGE = 2;

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const BLOCK_SIZE_ID = 4; // 64 KiB
const BLOCK_SIZE = 64 * 1024;
const BLOCK_MAX: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

function corrupt(message: string): RecordsError {
  return new RecordsError("MR_RECORDS_DECOMPRESS", CORRUPT_MESSAGE, `lz4: ${message}`);
}

// ---------------------------------------------------------------- xxhash32

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function u32le(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

/** XXH32 of buf[start, end) with the given seed. */
export function xxh32(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  let p = start;
  let acc: number;
  if (end - start >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = end - 16;
    while (p <= limit) {
      v1 = Math.imul(rotl((v1 + Math.imul(u32le(buf, p), P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(u32le(buf, p + 4), P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(u32le(buf, p + 8), P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(u32le(buf, p + 12), P2)) | 0, 13), P1);
      p += 16;
    }
    acc = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    acc = (seed + P5) | 0;
  }
  acc = (acc + (end - start)) | 0;
  while (p + 4 <= end) {
    acc = Math.imul(rotl((acc + Math.imul(u32le(buf, p), P3)) | 0, 17), P4);
    p += 4;
  }
  while (p < end) {
    acc = Math.imul(rotl((acc + Math.imul(buf[p], P5)) | 0, 11), P1);
    p++;
  }
  acc ^= acc >>> 15;
  acc = Math.imul(acc, P2);
  acc ^= acc >>> 13;
  acc = Math.imul(acc, P3);
  acc ^= acc >>> 16;
  return acc >>> 0;
}

// ---------------------------------------------------------------- block codec

/** Worst-case size of one compressed block of `n` bytes. */
function blockBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

let hashTable: Int32Array | null = null;

/**
 * Compresses src[start, end) as one LZ4 block into dst at `d`; returns the
 * position after it. Greedy single-probe matching; candidates from the hash
 * table are always verified, so it is never cleared.
 */
function compressBlock(src: Uint8Array, start: number, end: number, dst: Uint8Array, d: number): number {
  const table = (hashTable ??= new Int32Array(1 << 16));
  let anchor = start;
  let ip = start;
  const matchLimit = end - LAST_LITERALS; // a match ends at or before this
  const mfLimit = end - MF_LIMIT; // a match starts at or before this
  if (end - start >= MF_LIMIT + 1) {
    let searches = 1 << 6;
    while (ip <= mfLimit) {
      const seq = u32le(src, ip);
      const h = Math.imul(seq, 2654435761) >>> 16;
      let ref = table[h];
      table[h] = ip;
      if (ref < start || ref >= ip || ip - ref > 0xffff || u32le(src, ref) !== seq) {
        ip += searches++ >> 6;
        continue;
      }
      searches = 1 << 6;
      // Extend backwards over equal bytes not yet emitted.
      while (ip > anchor && ref > start && src[ip - 1] === src[ref - 1]) {
        ip--;
        ref--;
      }
      let mEnd = ip + MIN_MATCH;
      let r = ref + MIN_MATCH;
      while (mEnd < matchLimit && src[mEnd] === src[r]) {
        mEnd++;
        r++;
      }
      d = writeSequence(src, anchor, ip - anchor, dst, d, ip - ref, mEnd - ip - MIN_MATCH);
      ip = mEnd;
      anchor = ip;
      if (ip <= mfLimit) table[Math.imul(u32le(src, ip - 2), 2654435761) >>> 16] = ip - 2;
    }
  }
  // Last literals.
  return writeSequence(src, anchor, end - anchor, dst, d, 0, -1);
}

/** Writes one sequence; `offset` 0 with `matchExtra` -1 writes literals only. */
function writeSequence(
  src: Uint8Array,
  litStart: number,
  litLen: number,
  dst: Uint8Array,
  d: number,
  offset: number,
  matchExtra: number,
): number {
  const tokenPos = d++;
  let token: number;
  if (litLen >= 15) {
    token = 0xf0;
    let n = litLen - 15;
    while (n >= 255) {
      dst[d++] = 255;
      n -= 255;
    }
    dst[d++] = n;
  } else {
    token = litLen << 4;
  }
  if (litLen < 16) {
    for (let i = 0; i < litLen; i++) dst[d + i] = src[litStart + i];
  } else {
    dst.set(src.subarray(litStart, litStart + litLen), d);
  }
  d += litLen;
  if (matchExtra >= 0) {
    dst[d++] = offset & 0xff;
    dst[d++] = offset >>> 8;
    if (matchExtra >= 15) {
      token |= 0x0f;
      let n = matchExtra - 15;
      while (n >= 255) {
        dst[d++] = 255;
        n -= 255;
      }
      dst[d++] = n;
    } else {
      token |= matchExtra;
    }
  }
  dst[tokenPos] = token;
  return d;
}

/** Size of the output of the block src[s, end), validating its structure. */
function blockOutputSize(src: Uint8Array, s: number, end: number): number {
  let out = 0;
  while (s < end) {
    const token = src[s++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (s >= end) throw corrupt("literal length runs past the block");
        b = src[s++];
        lit += b;
      } while (b === 255);
    }
    s += lit;
    out += lit;
    if (s > end) throw corrupt("literals run past the block");
    if (s === end) break;
    if (s + 2 > end) throw corrupt("match offset runs past the block");
    s += 2;
    let m = token & 0x0f;
    if (m === 15) {
      let b: number;
      do {
        if (s >= end) throw corrupt("match length runs past the block");
        b = src[s++];
        m += b;
      } while (b === 255);
    }
    out += m + MIN_MATCH;
  }
  return out;
}

/**
 * Decodes the block src[s, end) into dst at `d` (dst must have room, as
 * measured by blockOutputSize); matches may reach back to `floor`.
 */
function decompressBlock(src: Uint8Array, s: number, end: number, dst: Uint8Array, d: number, floor: number): number {
  while (s < end) {
    const token = src[s++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        b = src[s++];
        lit += b;
      } while (b === 255);
    }
    if (lit > 0) {
      if (lit < 16) {
        for (let i = 0; i < lit; i++) dst[d + i] = src[s + i];
      } else {
        dst.set(src.subarray(s, s + lit), d);
      }
      s += lit;
      d += lit;
    }
    if (s >= end) break;
    const offset = src[s] | (src[s + 1] << 8);
    s += 2;
    let m = token & 0x0f;
    if (m === 15) {
      let b: number;
      do {
        b = src[s++];
        m += b;
      } while (b === 255);
    }
    m += MIN_MATCH;
    if (offset === 0 || d - offset < floor)
      throw corrupt(`match offset ${offset} reaches before the start of the output`);
    let r = d - offset;
    if (offset >= m && m > 32) {
      dst.copyWithin(d, r, r + m);
      d += m;
    } else {
      const stop = d + m;
      while (d < stop) dst[d++] = dst[r++];
    }
  }
  return d;
}

// ---------------------------------------------------------------- frames

/** Compresses `data` as one LZ4 frame with independent 64 KiB blocks. */
export function lz4CompressFrame(data: Uint8Array): Buffer {
  const n = data.length;
  const blocks = Math.max(1, Math.ceil(n / BLOCK_SIZE));
  const out = Buffer.allocUnsafe(7 + blocks * (4 + blockBound(BLOCK_SIZE)) + 4);
  out.writeUInt32LE(FRAME_MAGIC, 0);
  out[4] = 0x60; // version 01, independent blocks
  out[5] = BLOCK_SIZE_ID << 4;
  out[6] = (xxh32(out, 4, 6) >>> 8) & 0xff;
  let d = 7;
  for (let start = 0; start < n; start += BLOCK_SIZE) {
    const end = Math.min(n, start + BLOCK_SIZE);
    const bodyStart = d + 4;
    const bodyEnd = compressBlock(data, start, end, out, bodyStart);
    const size = bodyEnd - bodyStart;
    if (size >= end - start) {
      out.writeUInt32LE((0x80000000 | (end - start)) >>> 0, d);
      out.set(data.subarray(start, end), bodyStart);
      d = bodyStart + (end - start);
    } else {
      out.writeUInt32LE(size, d);
      d = bodyEnd;
    }
  }
  out.writeUInt32LE(0, d); // end mark
  d += 4;
  return out.subarray(0, d);
}

interface FrameInfo {
  blockChecksum: boolean;
  contentChecksum: boolean;
  contentSize: number;
  dataStart: number;
}

function readFrameHeader(src: Uint8Array, p: number): FrameInfo {
  if (src.length - p < 7) throw corrupt("truncated frame header");
  const flg = src[p + 4];
  const bd = src[p + 5];
  if (flg >>> 6 !== 1) throw corrupt(`unsupported frame version ${flg >>> 6}`);
  if (flg & 0x02 || bd & 0x8f) throw corrupt("reserved bits set in the frame descriptor");
  if (flg & 0x01) throw corrupt("frames with a dictionary id are not supported");
  if (BLOCK_MAX[(bd >>> 4) & 7] === undefined) throw corrupt(`invalid block size id ${(bd >>> 4) & 7}`);
  const hasSize = (flg & 0x08) !== 0;
  const descEnd = p + 6 + (hasSize ? 8 : 0);
  if (src.length < descEnd + 1) throw corrupt("truncated frame header");
  let contentSize = -1;
  if (hasSize) {
    const lo = u32le(src, p + 6);
    const hi = u32le(src, p + 10);
    contentSize = hi * 2 ** 32 + lo;
  }
  const hc = src[descEnd];
  const good = (xxh32(src, p + 4, descEnd) >>> 8) & 0xff;
  // Kafka 0.8/0.9 (magic 0) hashed from the magic number on.
  const kafkaBroken = (xxh32(src, p, descEnd) >>> 8) & 0xff;
  if (hc !== good && hc !== kafkaBroken) throw corrupt("frame header checksum mismatch");
  return {
    blockChecksum: (flg & 0x10) !== 0,
    contentChecksum: (flg & 0x04) !== 0,
    contentSize,
    dataStart: descEnd + 1,
  };
}

interface Block {
  start: number;
  end: number;
  raw: boolean;
}

/** Decompresses one or more concatenated LZ4 frames (skippable frames are skipped). */
export function lz4DecompressFrame(src: Uint8Array, maxSize = Number.MAX_SAFE_INTEGER): Buffer {
  // Pass 1: walk the frames, check their structure and checksums, and
  // measure the output so it is allocated once.
  const frames: { info: FrameInfo; blocks: Block[]; size: number; checksumAt: number }[] = [];
  let total = 0;
  let p = 0;
  if (src.length < 4) throw corrupt("input too short for a frame");
  while (p < src.length) {
    if (src.length - p < 4) throw corrupt("trailing bytes after the last frame");
    const magic = u32le(src, p);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (src.length - p < 8) throw corrupt("truncated skippable frame");
      p += 8 + u32le(src, p + 4);
      if (p > src.length) throw corrupt("truncated skippable frame");
      continue;
    }
    if (magic !== FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)}`);
    const info = readFrameHeader(src, p);
    p = info.dataStart;
    const blocks: Block[] = [];
    let size = 0;
    for (;;) {
      if (src.length - p < 4) throw corrupt("truncated block header");
      const word = u32le(src, p);
      p += 4;
      if (word === 0) break;
      const raw = (word & 0x80000000) !== 0;
      const len = word & 0x7fffffff;
      const end = p + len;
      if (end + (info.blockChecksum ? 4 : 0) > src.length) throw corrupt("truncated block");
      if (info.blockChecksum && xxh32(src, p, end) !== u32le(src, end)) throw corrupt("block checksum mismatch");
      size += raw ? len : blockOutputSize(src, p, end);
      if (total + size > maxSize) {
        throw new RecordsError(
          "MR_RECORDS_TOO_LARGE",
          CORRUPT_MESSAGE,
          `lz4: decompressed data exceeds ${maxSize} bytes`,
        );
      }
      blocks.push({ start: p, end, raw });
      p = end + (info.blockChecksum ? 4 : 0);
    }
    const checksumAt = info.contentChecksum ? p : -1;
    if (info.contentChecksum) {
      if (src.length - p < 4) throw corrupt("truncated content checksum");
      p += 4;
    }
    if (info.contentSize >= 0 && info.contentSize !== size) {
      throw corrupt(`frame declares ${info.contentSize} bytes but holds ${size}`);
    }
    frames.push({ info, blocks, size, checksumAt });
    total += size;
  }
  // Pass 2: decode.
  const out = Buffer.allocUnsafe(total);
  let d = 0;
  for (const frame of frames) {
    const floor = d;
    for (const b of frame.blocks) {
      if (b.raw) {
        out.set(src.subarray(b.start, b.end), d);
        d += b.end - b.start;
      } else {
        d = decompressBlock(src, b.start, b.end, out, d, floor);
      }
    }
    if (frame.checksumAt >= 0 && xxh32(out, floor, d) !== u32le(src, frame.checksumAt)) {
      throw corrupt("content checksum mismatch");
    }
  }
  return out;
}
