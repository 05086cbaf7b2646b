/**
 * ListOffsets by timestamp at record precision. The log's own lookup works
 * per batch (it never decodes records); this narrows the answer to the first
 * record whose timestamp is at or after `ts`, as Kafka does.
 */
import { decodeRecordSet } from "../protocol/records/records.js";
import type { PartitionLog } from "./partition.js";
import type { TimestampOffset } from "./reads.js";

export async function recordOffsetForTimestamp(p: PartitionLog, ts: bigint): Promise<TimestampOffset | null> {
  let r = await p.offsetForTimestamp(ts);
  while (r) {
    const read = await p.read(r.offset, 1, { minOneBatch: true });
    if (!read.records) return null;
    for (const b of decodeRecordSet(read.records)) {
      for (const rec of b.records) {
        if (rec.offset >= r.offset && rec.timestamp >= ts) return { offset: rec.offset, timestamp: rec.timestamp };
      }
      // Nothing in this batch qualifies (its max timestamp came from a record before `ts`): try the next one.
      const next = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
      if (next >= p.highWatermark) return null;
      r = { offset: next, timestamp: -1n };
    }
    if (read.records.length === 0) return null;
  }
  return null;
}
