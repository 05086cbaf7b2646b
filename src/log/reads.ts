/**
 * Reads of a partition's log (Kafka's LocalLog.read and
 * UnifiedLog.fetchOffsetByTimestamp): whole batches by offset, the first batch
 * at or after a timestamp, the batch with the largest timestamp. Each works on
 * a ReadView taken when the read starts, so appends, rolls and segment swaps
 * that happen meanwhile do not move what it reads; ReadGenerations keeps
 * removed segments' files open until the reads that may use them are done.
 */
import type { Segment } from "./segment.js";
import { onIndexRebuild } from "./segment.js";
import type { LogFn } from "./types.js";

export interface ReadOptions {
  /** return the first batch even when it is larger than maxBytes (KIP-74); default true */
  minOneBatch?: boolean;
}

export interface ReadResult {
  /** whole v2 batches as stored; null when there is nothing to return */
  records: Buffer | null;
  highWatermark: bigint;
  logStartOffset: bigint;
}

export interface TimestampOffset {
  offset: bigint;
  timestamp: bigint;
}

/** The log as a read sees it when it starts. */
export interface ReadView {
  /** oldest first */
  segs: readonly Segment[];
  lso: bigint;
  hw: bigint;
  /** the segment and byte position where written data ends */
  hwSeg: Segment;
  hwPos: number;
}

/** Index of the last segment whose base offset is <= offset (0 when none is). */
function floorSegment(segs: readonly Segment[], offset: bigint): number {
  let lo = 0;
  let hi = segs.length - 1;
  let ans = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid].baseOffset <= offset) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

export async function readBatches(
  view: ReadView,
  offset: bigint,
  maxBytes: number,
  opts: ReadOptions,
  indexIntervalBytes: number,
  outOfRange: (offset: bigint, lso: bigint, hw: bigint) => Error,
): Promise<ReadResult> {
  const minOne = opts.minOneBatch ?? true;
  const { hw, lso, hwSeg, hwPos, segs } = view;
  if (offset < lso || offset > hw) throw outOfRange(offset, lso, hw);
  if (offset === hw) return { records: null, highWatermark: hw, logStartOffset: lso };
  for (let i = floorSegment(segs, offset); i < segs.length; i++) {
    const seg = segs[i];
    if (seg.baseOffset > hwSeg.baseOffset) break;
    const limit = seg === hwSeg ? hwPos : seg.size;
    const records = await seg.read(offset, maxBytes, minOne, limit, indexIntervalBytes, segs[i + 1]?.baseOffset);
    if (records) return { records: records.length > 0 ? records : null, highWatermark: hw, logStartOffset: lso };
    if (seg === hwSeg) break;
  }
  return { records: null, highWatermark: hw, logStartOffset: lso };
}

/**
 * The segments a timestamp lookup reads, with the base offset of the segment
 * after each: up to the high watermark's, skipping those wholly below the log
 * start offset.
 */
function* liveSegments(view: ReadView): Generator<[Segment, bigint | undefined]> {
  const { lso, hwSeg, segs } = view;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    if (seg.baseOffset > hwSeg.baseOffset) break;
    const nextBase = segs[i + 1]?.baseOffset;
    if (nextBase !== undefined && nextBase <= lso) continue;
    yield [seg, nextBase];
  }
}

export async function offsetForTimestamp(view: ReadView, ts: bigint, log: LogFn): Promise<TimestampOffset | null> {
  const { lso, hwSeg, hwPos } = view;
  for (const [seg, nextBase] of liveSegments(view)) {
    await seg.ensureIndexes(nextBase, onIndexRebuild(log, seg));
    if ((await seg.largestTimestamp()) < ts) continue;
    const limit = seg === hwSeg ? hwPos : seg.size;
    const ti = seg.timeIndex!;
    const k = ti.floorBelow(ts);
    let from = k >= 0 ? seg.baseOffset + BigInt(ti.relAt(k)) + 1n : seg.baseOffset;
    if (from < lso) from = lso;
    const pos = positionFor(seg, from, limit);
    let found: TimestampOffset | null = null;
    await seg.walkHeaders(pos, limit, (_p, _size, base, last, maxTs) => {
      if (last >= from && maxTs >= ts) {
        // biome-ignore lint/complexity/useMathMinMax: bigint offsets (Math.max throws on bigints)
        found = { offset: base < lso ? lso : base, timestamp: maxTs };
        return true;
      }
      return false;
    });
    if (found) return found;
  }
  return null;
}

export async function maxTimestampOffset(view: ReadView): Promise<TimestampOffset | null> {
  const { lso, hwSeg, hwPos } = view;
  let best: Segment | null = null;
  let bestTs = -1n;
  let bestNext: bigint | undefined;
  for (const [seg, nextBase] of liveSegments(view)) {
    await seg.ensureIndexes(nextBase);
    const t = await seg.largestTimestamp();
    if (t > bestTs) {
      best = seg;
      bestTs = t;
      bestNext = nextBase;
    }
  }
  if (!best) return null;
  const seg: Segment = best;
  if (seg.cadenceExact && seg.cadence.maxTs === bestTs && seg.cadence.baseOffsetOfMaxTs >= 0n) {
    const base = seg.cadence.baseOffsetOfMaxTs;
    // biome-ignore lint/complexity/useMathMinMax: bigint offsets (Math.max throws on bigints)
    return { offset: base < lso ? lso : base, timestamp: bestTs };
  }
  const lastOffset = seg.cadenceExact ? seg.cadence.lastOffsetOfMaxTs : seg.baseOffset + BigInt(seg.timeIndex!.lastRel);
  await seg.ensureIndexes(bestNext);
  const limit = seg === hwSeg ? hwPos : seg.size;
  let base: bigint | null = null;
  await seg.walkHeaders(positionFor(seg, lastOffset, limit), limit, (_p, _s, b, last) => {
    if (last >= lastOffset) {
      base = b;
      return true;
    }
    return false;
  });
  if (base === null) return null;
  const b: bigint = base;
  return { offset: b < lso ? lso : b, timestamp: bestTs };
}

/** Position of the index entry at or before `offset`, below `limit`. */
function positionFor(seg: Segment, offset: bigint, limit: number): number {
  const index = seg.index!;
  let k = index.floor(offset <= seg.baseOffset ? 0 : seg.rel(offset));
  while (k >= 0 && index.positionAt(k) >= limit) k--;
  return k < 0 ? 0 : index.positionAt(k);
}

/** Reads in flight, by the generation of the segment list they started in. */
export class ReadGenerations {
  private gen = 0;
  private byGen = new Map<number, number>();
  private waiters: { gen: number; resolve: () => void }[] = [];

  /** Registers a read (or a compaction) that may use the segments of the current list. */
  begin(): number {
    const gen = this.gen;
    this.byGen.set(gen, (this.byGen.get(gen) ?? 0) + 1);
    return gen;
  }

  end(gen: number): void {
    const n = (this.byGen.get(gen) ?? 1) - 1;
    if (n > 0) this.byGen.set(gen, n);
    else this.byGen.delete(gen);
    if (this.waiters.length === 0) return;
    let oldest = Infinity;
    for (const g of this.byGen.keys()) if (g < oldest) oldest = g;
    const still: { gen: number; resolve: () => void }[] = [];
    for (const w of this.waiters) {
      if (oldest > w.gen) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Resolves once every read that began before this call has finished. */
  drained(): Promise<void> {
    const gen = this.gen++;
    for (const g of this.byGen.keys()) {
      if (g <= gen) return new Promise((resolve) => this.waiters.push({ gen, resolve }));
    }
    return Promise.resolve();
  }
}
