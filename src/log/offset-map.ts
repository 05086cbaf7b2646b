/**
 * The cleaner's offset map (Kafka's OffsetMap / SkimpyOffsetMap): key -> the
 * latest offset of that key in the dirty section, built batch by batch.
 */
import { ATTRIBUTES, BASE_OFFSET, CONTROL_MASK, batchCrcValid } from "../protocol/records/batch.js";
import { LogError } from "./errors.js";

import { parseRecords, recordsOf, wrapCorrupt } from "./record-filter.js";

/** Kafka's log.cleaner.dedupe.buffer.size default. */
export const DEFAULT_DEDUPE_BUFFER_SIZE = 134217728;
/** Rough memory of one offset-map entry besides its key bytes. */
const MAP_ENTRY_OVERHEAD = 64;

/**
 * key -> latest offset over the dirty section. Keys are held exactly (as
 * latin1 strings, one char per byte), so unlike Kafka's hashed map there are
 * no collisions; memory is bounded by an estimate of bytes per entry.
 */
export class OffsetMap {
  private readonly map = new Map<string, number>();
  private bytes = 0;

  constructor(readonly maxBytes = DEFAULT_DEDUPE_BUFFER_SIZE) {}

  get size(): number {
    return this.map.size;
  }

  /** no more entries should be added */
  get full(): boolean {
    return this.bytes >= this.maxBytes;
  }

  put(key: Buffer, offset: number): void {
    const k = key.toString("latin1");
    const prev = this.map.get(k);
    if (prev === undefined) this.bytes += key.length + MAP_ENTRY_OVERHEAD;
    if (prev === undefined || offset > prev) this.map.set(k, offset);
  }

  get(key: Buffer): number | undefined {
    return this.map.get(key.toString("latin1"));
  }
}

/** Adds the keyed records at or after `from` of one batch to the map. */
export function mapBatch(map: OffsetMap, buf: Buffer, off: number, size: number, from: bigint, where: string): void {
  const attrs = buf.readInt16BE(off + ATTRIBUTES);
  // Transactions seam: aborted transactional batches will be skipped here; control batches carry no data keys.
  if (attrs & CONTROL_MASK) return;
  if (!batchCrcValid(buf, off, size))
    throw new LogError("MR_LOG_CORRUPT", `${where}: batch at ${off} fails its CRC32C`);
  const base = Number(buf.readBigInt64BE(off + BASE_OFFSET));
  const r = wrapCorrupt(() => recordsOf(buf, off, size), where);
  const recs = wrapCorrupt(() => parseRecords(r.data, r.start, r.end, r.count), where);
  const min = Number(from);
  for (const rec of recs) {
    const offset = base + rec.offsetDelta;
    if (rec.key !== null && offset >= min) map.put(rec.key, offset);
  }
}
