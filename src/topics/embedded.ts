/**
 * The embedded TopicsPort: in-process calls into the log, no sockets.
 */
import { LogError, type LogManager } from "../log/index.js";
import { encodeBatch, decodeRecordSet } from "../protocol/records/records.js";
import { scanBatches } from "../protocol/records/batch.js";
import { recordOffsetForTimestamp } from "../log/timestamp-lookup.js";
import type { GroupCoordinator } from "../coordinator/groups/index.js";
import { errorName } from "../protocol/errors.js";
import {
  TopicsError,
  toBuffer,
  type CommittedOffset,
  type FetchOptions,
  type FetchResult,
  type OffsetSpec,
  type ProduceRecord,
  type TopicDescription,
  type TopicsPort,
} from "./port.js";

export interface EmbeddedOptions {
  log: LogManager;
  /** partitions of topics created without a count (num.partitions) */
  defaultPartitions?: number;
  /** the group coordinator that stores committed offsets (the embedded broker's) */
  groups?: GroupCoordinator;
}

export class EmbeddedTopics implements TopicsPort {
  readonly kind = "embedded";
  private readonly log: LogManager;

  constructor(private readonly opts: EmbeddedOptions) {
    this.log = opts.log;
  }

  private partition(topic: string, partition: number) {
    const p = this.log.partition(topic, partition);
    if (!p) throw new TopicsError("MR_TOPICS_UNKNOWN_PARTITION", `unknown topic or partition ${topic}-${partition}`);
    return p;
  }

  async createTopic(name: string, opts: { partitions?: number; configs?: Record<string, string>; ifNotExists?: boolean } = {}): Promise<void> {
    if (this.log.topic(name)) {
      if (opts.ifNotExists) return;
      throw new TopicsError("MR_TOPICS_EXISTS", `topic '${name}' already exists`);
    }
    try {
      await this.log.createTopic(name, opts.partitions ?? this.opts.defaultPartitions ?? 1, opts.configs ?? {});
    } catch (e) {
      if (opts.ifNotExists && e instanceof LogError && e.code === "MR_LOG_TOPIC_EXISTS") return;
      throw e;
    }
  }

  async describeTopic(name: string): Promise<TopicDescription | null> {
    const t = this.log.topic(name);
    return t ? { name: t.name, partitions: t.partitions.length, configs: { ...t.configs } } : null;
  }

  async listTopics(): Promise<string[]> {
    // Internal topics (__consumer_offsets) are left out, as Kafka's admin clients do by default.
    return this.log
      .topics()
      .map((t) => t.name)
      .filter((n) => !n.startsWith("__"))
      .sort();
  }

  async deleteTopic(name: string): Promise<void> {
    await this.log.deleteTopic(name);
  }

  async produce(topic: string, partition: number, records: ProduceRecord[], opts: { acks?: 0 | 1 | -1 } = {}): Promise<bigint> {
    const p = this.partition(topic, partition);
    const buf = encodeBatch({
      records: records.map((r) => ({ key: toBuffer(r.key), value: toBuffer(r.value), headers: r.headers, timestamp: r.timestamp })),
    });
    const batches = scanBatches(buf, { verifyCrc: false });
    const res = await p.append(buf, batches, { sync: (opts.acks ?? -1) === -1 });
    return res.baseOffset;
  }

  async fetch(topic: string, partition: number, from: bigint, opts: FetchOptions = {}): Promise<FetchResult> {
    const p = this.partition(topic, partition);
    if (from >= p.highWatermark && (opts.maxWaitMs ?? 0) > 0 && (opts.until === undefined || from < opts.until)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          p.off("append", done);
          resolve();
        };
        const timer = setTimeout(done, opts.maxWaitMs);
        p.once("append", done);
      });
    }
    const hw = p.highWatermark;
    const until = opts.until !== undefined && opts.until < hw ? opts.until : hw;
    if (from >= until) return { records: [], nextOffset: from, highWatermark: hw };
    const r = await p.read(from, opts.maxBytes ?? 1 << 20);
    const out: FetchResult = { records: [], nextOffset: from, highWatermark: r.highWatermark };
    if (!r.records) return out;
    for (const b of decodeRecordSet(r.records)) {
      const last = b.header.baseOffset + BigInt(b.header.lastOffsetDelta);
      if (!b.isControl) {
        for (const rec of b.records) {
          if (rec.offset < from || rec.offset >= until) continue;
          out.records.push({ topic, partition, offset: rec.offset, timestamp: rec.timestamp, key: rec.key, value: rec.value, headers: rec.headers });
        }
      }
      const next = last + 1n < until ? last + 1n : until;
      if (next > out.nextOffset) out.nextOffset = next;
      if (next >= until) break;
    }
    return out;
  }

  async listOffset(topic: string, partition: number, spec: OffsetSpec): Promise<bigint> {
    const p = this.partition(topic, partition);
    if (spec === "earliest") return p.logStartOffset;
    if (spec === "latest") return p.highWatermark;
    const r = await recordOffsetForTimestamp(p, BigInt(spec.timestamp));
    return r ? r.offset : -1n;
  }

  private coordinator(): GroupCoordinator {
    if (!this.opts.groups) throw new TopicsError("MR_TOPICS_NO_GROUPS", "group offsets need the group coordinator (EmbeddedOptions.groups)");
    return this.opts.groups;
  }

  /** Commits as a standalone client (generation -1), like an admin or a direct-approach app. */
  async commitOffsets(group: string, offsets: CommittedOffset[]): Promise<void> {
    const byTopic = new Map<string, CommittedOffset[]>();
    for (const o of offsets) {
      if (!byTopic.has(o.topic)) byTopic.set(o.topic, []);
      byTopic.get(o.topic)!.push(o);
    }
    const res = await this.coordinator().commitOffsets({
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: "",
      groupInstanceId: null,
      topics: [...byTopic].map(([name, list]) => ({
        name,
        partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? null })),
      })),
    });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw new TopicsError("MR_TOPICS_COMMIT", `commit of ${group} ${t.name}-${p.partitionIndex}: ${errorName(p.errorCode)}`);
      }
    }
  }

  async fetchOffsets(group: string, topics: string[]): Promise<CommittedOffset[]> {
    const res = await this.coordinator().fetchOffsets({
      groupId: group,
      topics: topics.map((name) => ({ name, partitionIndexes: Array.from({ length: this.log.topic(name)?.partitions.length ?? 0 }, (_, i) => i) })),
    });
    if (res.errorCode !== 0) throw new TopicsError("MR_TOPICS_OFFSETS", `offsets of ${group}: ${errorName(res.errorCode)}`);
    const out: CommittedOffset[] = [];
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.committedOffset >= 0n) out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata });
      }
    }
    return out;
  }

  async close(): Promise<void> {}
}
