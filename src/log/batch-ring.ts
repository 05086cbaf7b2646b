/**
 * The active segment's most recent batch positions, so reads at the tail of
 * the log go straight to the right bytes without the offset index.
 */
const RING_CAPACITY = 2048;

/** The most recent batches of the active segment (relative last offset, position, size). */
export class BatchRing {
  private rels = new Int32Array(RING_CAPACITY);
  private pos = new Int32Array(RING_CAPACITY);
  private sizes = new Int32Array(RING_CAPACITY);
  private start = 0;
  private count = 0;
  /**
   * relative last offset of the newest batch that is no longer in the ring (-1: the ring covers the segment
   * from its start)
   */
  evictedRel: number;

  constructor(evictedRel = -1) {
    this.evictedRel = evictedRel;
  }

  push(rel: number, position: number, size: number): void {
    if (this.count === RING_CAPACITY) {
      this.evictedRel = this.rels[this.start];
      this.start = (this.start + 1) % RING_CAPACITY;
      this.count--;
    }
    const i = (this.start + this.count) % RING_CAPACITY;
    this.rels[i] = rel;
    this.pos[i] = position;
    this.sizes[i] = size;
    this.count++;
  }

  /**
   * Byte range of whole batches starting at the batch holding relative offset
   * `rel`, within `limit` bytes of the file, up to `maxBytes` (at least one
   * batch when minOne). `undefined` when the ring does not cover `rel`; null
   * when no batch there holds it.
   */
  range(
    rel: number,
    limit: number,
    maxBytes: number,
    minOne: boolean,
  ): { start: number; end: number } | null | undefined {
    if (rel <= this.evictedRel) return undefined;
    // binary search: first ring entry with rels >= rel
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rels[(this.start + mid) % RING_CAPACITY] >= rel) {
        found = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    if (found < 0) return null;
    const first = (this.start + found) % RING_CAPACITY;
    const start = this.pos[first];
    if (start + this.sizes[first] > limit) return null;
    let end = start;
    for (let k = found; k < this.count; k++) {
      const i = (this.start + k) % RING_CAPACITY;
      const size = this.sizes[i];
      if (this.pos[i] + size > limit) break;
      if (end - start + size > maxBytes) {
        if (end === start && minOne) end += size;
        break;
      }
      end += size;
    }
    return { start, end };
  }
}
