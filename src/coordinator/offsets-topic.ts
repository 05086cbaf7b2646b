/**
 * The group coordinator's durable store: Kafka's internal compacted topic
 * `__consumer_offsets`. Group metadata and committed offsets are records keyed
 * by group (and topic-partition); compaction keeps the latest of each, and a
 * restarted broker replays the topic to rebuild its groups.
 */
import type { LogManager } from "../log/index.js";
import { encodeBatch, decodeRecordSet } from "../protocol/records/records.js";
import { scanBatches } from "../protocol/records/batch.js";

export const OFFSETS_TOPIC = "__consumer_offsets";

export interface StoredRecord {
  key: Buffer;
  value: Buffer | null;
}

export interface OffsetsTopicOptions {
  /** offsets.topic.num.partitions (Kafka's default 50) */
  partitions?: number;
  /** offsets.topic.segment.bytes (Kafka's default 100 MiB) */
  segmentBytes?: number;
}

export class OffsetsTopicStore {
  readonly partitions: number;

  constructor(
    private readonly log: LogManager,
    private readonly opts: OffsetsTopicOptions = {},
  ) {
    // An existing topic keeps its partition count: the group → partition mapping depends on it.
    this.partitions = log.topic(OFFSETS_TOPIC)?.partitions.length ?? opts.partitions ?? 50;
  }

  /** Creates the topic on first use, compacted like Kafka's. */
  async ensure(): Promise<void> {
    if (this.log.topic(OFFSETS_TOPIC)) return;
    await this.log.createTopic(OFFSETS_TOPIC, this.partitions, {
      "cleanup.policy": "compact",
      "segment.bytes": String(this.opts.segmentBytes ?? 104857600),
      "compression.type": "producer",
    });
  }

  /** Appends records to one partition and waits for fdatasync (offsets.commit.required.acks = -1). */
  async append(partition: number, records: StoredRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.ensure();
    const p = this.log.partition(OFFSETS_TOPIC, partition);
    if (!p) throw new Error(`no partition ${partition} of ${OFFSETS_TOPIC}`);
    const buf = encodeBatch({ records: records.map((r) => ({ key: r.key, value: r.value })) });
    await p.append(buf, scanBatches(buf, { verifyCrc: false }), { sync: true });
  }

  /** Every record of one partition, oldest first (the caller keeps the latest per key). */
  async *load(partition: number): AsyncIterable<StoredRecord> {
    const p = this.log.partition(OFFSETS_TOPIC, partition);
    if (!p) return;
    let next = p.logStartOffset;
    while (next < p.highWatermark) {
      const r = await p.read(next, 4 << 20);
      if (!r.records) break;
      for (const b of decodeRecordSet(r.records)) {
        for (const rec of b.records) {
          if (rec.offset >= next && rec.key)
            yield { key: Buffer.from(rec.key), value: rec.value ? Buffer.from(rec.value) : null };
        }
        next = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
      }
    }
  }
}
