/**
 * Which old segments go (Kafka's UnifiedLog.deleteOldSegments with its three
 * predicates): those wholly below the log start offset, always; then, when
 * cleanup.policy has "delete", those past retention.ms (by their largest
 * timestamp, else their file's mtime) and those beyond retention.bytes. Never
 * the active segment. The partition removes them; the log manager schedules
 * the passes (log.retention.check.interval.ms).
 */
import { hasCleanupPolicy } from "./config.js";
import type { LogConfig } from "./config.js";
import { onIndexRebuild } from "./segment.js";
import type { Segment } from "./segment.js";
import type { LogFn } from "./types.js";

/** How many of the oldest `segs` may be deleted, and why. `startOffsetOnly`: DeleteRecords, no retention. */
export async function deletableSegments(
  segs: readonly Segment[],
  lso: bigint,
  totalSize: number,
  cfg: LogConfig,
  now: number,
  startOffsetOnly: boolean,
  log: LogFn,
): Promise<{ count: number; reasons: string[] }> {
  const last = segs.length - 1;
  let k = 0;
  const reasons: string[] = [];
  // 1. below the log start offset (DeleteRecords)
  while (k < last && segs[k + 1].baseOffset <= lso) k++;
  if (k > 0) reasons.push("log-start-offset");
  // "compact" alone: the cleaner (compact()) removes records, never whole segments; "compact,delete" gets
  // retention too.
  if (!startOffsetOnly && hasCleanupPolicy(cfg, "delete")) {
    // 2. retention.ms
    const retentionMs = cfg["retention.ms"];
    if (retentionMs >= 0) {
      const k0 = k;
      while (k < last) {
        const seg = segs[k];
        await seg.ensureIndexes(segs[k + 1].baseOffset, onIndexRebuild(log, seg));
        const largest = await seg.largestTimestamp();
        const ts = largest >= 0n ? Number(largest) : seg.lastModified;
        if (now - ts > retentionMs) k++;
        else break;
      }
      if (k > k0) reasons.push("retention.ms");
    }
    // 3. retention.bytes
    const retentionBytes = cfg["retention.bytes"];
    if (retentionBytes >= 0) {
      const k0 = k;
      let diff = totalSize - retentionBytes;
      for (let i = 0; i < k; i++) diff -= segs[i].size;
      while (k < last && diff - segs[k].size >= 0) {
        diff -= segs[k].size;
        k++;
      }
      if (k > k0) reasons.push("retention.bytes");
    }
  }
  return { count: k, reasons };
}
