/**
 * A segment's offset index (.index) and time index (.timeindex), kept in
 * memory as typed arrays and persisted in Kafka's entry format:
 *
 *   .index      8 bytes per entry: int32 relative offset, int32 file position
 *   .timeindex 12 bytes per entry: int64 timestamp,       int32 relative offset
 *
 * (big-endian; "relative" = offset - segment base offset). Kafka preallocates
 * these files and trims them on roll/close; millrace writes them unpreallocated,
 * so the file is exactly its entries and Kafka's tools read it the same way.
 */

import { DurableFile } from "./files.js";
import { readFileIfExists, writevFully } from "../fs/index.js";

export const OFFSET_INDEX_ENTRY_SIZE = 8;
export const TIME_INDEX_ENTRY_SIZE = 12;

function grow32(a: Int32Array, need: number): Int32Array {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

export class OffsetIndex {
  private rels: Int32Array = new Int32Array(16);
  private positions: Int32Array = new Int32Array(16);
  private n = 0;
  /** entries already written to the .index file */
  persisted = 0;

  get entries(): number {
    return this.n;
  }

  relAt(i: number): number {
    return this.rels[i];
  }

  positionAt(i: number): number {
    return this.positions[i];
  }

  append(rel: number, position: number): void {
    if (this.n === this.rels.length) {
      this.rels = grow32(this.rels, this.n + 1);
      this.positions = grow32(this.positions, this.n + 1);
    }
    this.rels[this.n] = rel;
    this.positions[this.n] = position;
    this.n++;
  }

  /** Index of the last entry with relative offset <= rel, or -1. */
  floor(rel: number): number {
    let lo = 0;
    let hi = this.n - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rels[mid] <= rel) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** File position to start scanning from for relative offset `rel` (0 when no entry is at or below it). */
  lookup(rel: number): number {
    const i = this.floor(rel);
    return i < 0 ? 0 : this.positions[i];
  }

  truncateEntries(n: number): void {
    this.n = Math.min(this.n, n);
    this.persisted = Math.min(this.persisted, this.n);
  }

  encode(from = 0, to = this.n): Buffer {
    const buf = Buffer.allocUnsafe((to - from) * OFFSET_INDEX_ENTRY_SIZE);
    for (let i = from, p = 0; i < to; i++, p += OFFSET_INDEX_ENTRY_SIZE) {
      buf.writeInt32BE(this.rels[i], p);
      buf.writeInt32BE(this.positions[i], p + 4);
    }
    return buf;
  }

  /**
   * Decodes a .index file and checks it: whole entries, relative offsets and
   * positions strictly increasing, positions inside the log. Returns null (with
   * the reason) when it cannot be trusted.
   */
  static decode(buf: Buffer, logSize: number, maxRel: number): { index: OffsetIndex } | { error: string } {
    if (buf.length % OFFSET_INDEX_ENTRY_SIZE !== 0)
      return { error: `size ${buf.length} is not a multiple of ${OFFSET_INDEX_ENTRY_SIZE}` };
    const idx = new OffsetIndex();
    const n = buf.length / OFFSET_INDEX_ENTRY_SIZE;
    idx.rels = new Int32Array(Math.max(16, n));
    idx.positions = new Int32Array(Math.max(16, n));
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < n; i++) {
      const rel = buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
      const pos = buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
      if (rel <= prevRel || rel < 0 || rel > maxRel)
        return { error: `entry ${i}: relative offset ${rel} out of order or range` };
      if (pos <= prevPos || pos < 0 || pos >= logSize)
        return { error: `entry ${i}: position ${pos} out of order or beyond the log (${logSize} bytes)` };
      idx.rels[i] = rel;
      idx.positions[i] = pos;
      prevRel = rel;
      prevPos = pos;
    }
    idx.n = n;
    idx.persisted = n;
    return { index: idx };
  }
}

export class TimeIndex {
  private timestamps: BigInt64Array = new BigInt64Array(16);
  private rels: Int32Array = new Int32Array(16);
  private n = 0;
  /** entries already written to the .timeindex file */
  persisted = 0;

  get entries(): number {
    return this.n;
  }

  timestampAt(i: number): bigint {
    return this.timestamps[i];
  }

  relAt(i: number): number {
    return this.rels[i];
  }

  get lastTimestamp(): bigint {
    return this.n === 0 ? -1n : this.timestamps[this.n - 1];
  }

  get lastRel(): number {
    return this.n === 0 ? -1 : this.rels[this.n - 1];
  }

  /** Appends (ts, rel) if ts is larger than the last entry's timestamp (Kafka's maybeAppend). */
  maybeAppend(ts: bigint, rel: number): boolean {
    if (ts < 0n) return false;
    if (this.n > 0 && ts <= this.timestamps[this.n - 1]) return false;
    if (this.n === this.rels.length) {
      const t = new BigInt64Array(this.n * 2);
      t.set(this.timestamps);
      this.timestamps = t;
      this.rels = grow32(this.rels, this.n + 1);
    }
    this.timestamps[this.n] = ts;
    this.rels[this.n] = rel;
    this.n++;
    return true;
  }

  /** Index of the last entry whose timestamp is < ts, or -1. */
  floorBelow(ts: bigint): number {
    let lo = 0;
    let hi = this.n - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid] < ts) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  encode(from = 0, to = this.n): Buffer {
    const buf = Buffer.allocUnsafe((to - from) * TIME_INDEX_ENTRY_SIZE);
    for (let i = from, p = 0; i < to; i++, p += TIME_INDEX_ENTRY_SIZE) {
      buf.writeBigInt64BE(this.timestamps[i], p);
      buf.writeInt32BE(this.rels[i], p + 8);
    }
    return buf;
  }

  /**
   * Decodes a .timeindex file and checks it: whole entries, timestamps strictly increasing, offsets
   * non-decreasing and in range.
   */
  static decode(buf: Buffer, maxRel: number): { index: TimeIndex } | { error: string } {
    if (buf.length % TIME_INDEX_ENTRY_SIZE !== 0)
      return { error: `size ${buf.length} is not a multiple of ${TIME_INDEX_ENTRY_SIZE}` };
    const idx = new TimeIndex();
    const n = buf.length / TIME_INDEX_ENTRY_SIZE;
    idx.timestamps = new BigInt64Array(Math.max(16, n));
    idx.rels = new Int32Array(Math.max(16, n));
    let prevTs = -1n;
    let prevRel = -1;
    for (let i = 0; i < n; i++) {
      const ts = buf.readBigInt64BE(i * TIME_INDEX_ENTRY_SIZE);
      const rel = buf.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
      if (ts <= prevTs) return { error: `entry ${i}: timestamp ${ts} not increasing` };
      if (rel < prevRel || rel < 0 || rel > maxRel)
        return { error: `entry ${i}: relative offset ${rel} out of order or range` };
      idx.timestamps[i] = ts;
      idx.rels[i] = rel;
      prevTs = ts;
      prevRel = rel;
    }
    idx.n = n;
    idx.persisted = n;
    return { index: idx };
  }
}

// ---------------------------------------------------------------------------
// the files

/**
 * Reads and decodes a segment's index files (`logSize`: the .log file's size;
 * `maxRel`: the largest relative offset the segment may hold), or why they
 * cannot be used. Missing files are empty indexes for an empty segment, and a
 * reason to rebuild for any other.
 */
export async function readIndexFiles(
  indexPath: string,
  timeIndexPath: string,
  logSize: number,
  maxRel: number,
): Promise<{ index: OffsetIndex; timeIndex: TimeIndex } | { why: string }> {
  const [ibuf, tbuf] = await Promise.all([readFileIfExists(indexPath), readFileIfExists(timeIndexPath)]);
  if (ibuf === null || tbuf === null) {
    return logSize > 0 ? { why: "index file missing" } : { index: new OffsetIndex(), timeIndex: new TimeIndex() };
  }
  const oi = OffsetIndex.decode(ibuf, logSize, maxRel);
  const ti = TimeIndex.decode(tbuf, maxRel);
  if ("error" in oi) return { why: `offset index: ${oi.error}` };
  if ("error" in ti) return { why: `time index: ${ti.error}` };
  return { index: oi.index, timeIndex: ti.index };
}

/** Writes `data` at `position` (creating the file when asked or missing), trims the file there, fdatasyncs it. */
export async function writeIndexFile(path: string, data: Buffer, position: number, create: boolean): Promise<void> {
  const f = await DurableFile.open(path, create ? "w" : "r+").catch(async (e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return DurableFile.open(path, "w");
    throw e;
  });
  try {
    await writevFully(f.handle, [data], position);
    await f.handle.truncate(position + data.length);
    await f.handle.datasync();
  } finally {
    await f.close();
  }
}
