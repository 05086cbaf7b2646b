/**
 * The remote TopicsPort: a Kafka cluster (or a millrace broker) reached
 * through @platformatic/kafka, a maintained Kafka client for Node.js. Its
 * low-level Consumer.fetch addresses one partition at one offset on the
 * partition's leader, which is what the direct approach needs: each call
 * reads an exact offset range.
 */
import { randomUUID } from "node:crypto";
import { Admin, Consumer, Producer, ProduceAcks } from "@platformatic/kafka";
import {
  TopicsError,
  toBuffer,
  type CommittedOffset,
  type ConsumedRecord,
  type FetchOptions,
  type FetchResult,
  type OffsetSpec,
  type ProduceRecord,
  type TopicDescription,
  type TopicsPort,
} from "./port.js";

export interface RemoteOptions {
  /** bootstrap.servers: "host:port[,host:port...]" */
  bootstrapServers: string;
  clientId?: string;
}

const TOPIC_RESOURCE = 2;
const DYNAMIC_TOPIC_CONFIG = 1;

export class RemoteTopics implements TopicsPort {
  readonly kind = "remote";
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly consumer: Consumer;

  constructor(opts: RemoteOptions) {
    const base = {
      clientId: opts.clientId ?? "millrace",
      bootstrapBrokers: opts.bootstrapServers.split(",").map((s) => s.trim()).filter(Boolean),
    };
    this.admin = new Admin(base);
    this.producer = new Producer({ ...base, autocreateTopics: false });
    // The consumer never joins its group: it is used for fetches and list offsets only.
    this.consumer = new Consumer({ ...base, groupId: `millrace-port-${randomUUID()}` });
  }

  async createTopic(name: string, opts: { partitions?: number; configs?: Record<string, string>; ifNotExists?: boolean } = {}): Promise<void> {
    if (opts.ifNotExists && (await this.listTopics()).includes(name)) return;
    try {
      await this.admin.createTopics({
        topics: [name],
        partitions: opts.partitions ?? -1,
        replicas: -1,
        configs: Object.entries(opts.configs ?? {}).map(([n, value]) => ({ name: n, value })),
      });
    } catch (e) {
      if (opts.ifNotExists && /already exists|TOPIC_ALREADY_EXISTS/i.test(errorText(e))) return;
      throw new TopicsError("MR_TOPICS_CREATE", `cannot create topic ${name}: ${errorText(e)}`, { cause: e });
    }
  }

  async describeTopic(name: string): Promise<TopicDescription | null> {
    if (!(await this.listTopics()).includes(name)) return null;
    const md = await this.producer.metadata({ topics: [name], forceUpdate: true });
    const t = md.topics.get(name);
    if (!t) return null;
    const described = await this.admin.describeConfigs({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name }] });
    const configs: Record<string, string> = {};
    for (const c of described[0]?.configs ?? []) {
      if (c.configSource === DYNAMIC_TOPIC_CONFIG && c.value) configs[c.name] = c.value;
    }
    return { name, partitions: t.partitionsCount, configs };
  }

  async listTopics(): Promise<string[]> {
    return (await this.admin.listTopics({ includeInternals: false })).sort();
  }

  async deleteTopic(name: string): Promise<void> {
    await this.admin.deleteTopics({ topics: [name] });
  }

  async produce(topic: string, partition: number, records: ProduceRecord[], opts: { acks?: 0 | 1 | -1 } = {}): Promise<bigint> {
    const acks = opts.acks === 0 ? ProduceAcks.NO_RESPONSE : opts.acks === 1 ? ProduceAcks.LEADER : ProduceAcks.ALL;
    const res = await this.producer.send({
      acks,
      messages: records.map((r) => ({
        topic,
        partition,
        key: toBuffer(r.key) ?? undefined,
        value: toBuffer(r.value) ?? undefined,
        headers: new Map((r.headers ?? []).map((h) => [Buffer.from(h.key), h.value ?? Buffer.alloc(0)])),
        timestamp: r.timestamp !== undefined ? BigInt(r.timestamp) : undefined,
      })),
    });
    const o = res.offsets?.find((x) => x.topic === topic && x.partition === partition);
    return o ? BigInt(o.offset) : -1n;
  }

  async fetch(topic: string, partition: number, from: bigint, opts: FetchOptions = {}): Promise<FetchResult> {
    const md = await this.consumer.metadata({ topics: [topic] });
    const meta = md.topics.get(topic);
    const leader = meta?.partitions[partition]?.leader;
    if (leader === undefined) throw new TopicsError("MR_TOPICS_UNKNOWN_PARTITION", `unknown topic or partition ${topic}-${partition}`);
    const node = leader;
    // The client sends topic ids (Fetch v13+) to brokers that have them.
    const topicKey = meta?.id && meta.id !== "AAAAAAAAAAAAAAAAAAAAAA" ? meta.id : topic;
    const maxBytes = opts.maxBytes ?? 1 << 20;
    const res = await this.consumer.fetch({
      node,
      topics: [{ topicId: topicKey, partitions: [{ partition, fetchOffset: from, partitionMaxBytes: maxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
      maxWaitTime: opts.maxWaitMs ?? 0,
      minBytes: 1,
      maxBytes,
    });
    const p = res.responses[0]?.partitions[0];
    if (!p) throw new TopicsError("MR_TOPICS_FETCH", `no fetch answer for ${topic}-${partition}`);
    if (p.errorCode !== 0) throw new TopicsError("MR_TOPICS_FETCH", `fetch ${topic}-${partition} at ${from}: error ${p.errorCode}`);
    const hw = p.highWatermark;
    const until = opts.until !== undefined && opts.until < hw ? opts.until : hw;
    const out: FetchResult = { records: [], nextOffset: from, highWatermark: hw };
    for (const b of p.records ?? []) {
      const last = b.firstOffset + BigInt(b.lastOffsetDelta);
      const logAppendTime = (b.attributes & 0x08) !== 0;
      for (const r of b.records) {
        const offset = b.firstOffset + BigInt(r.offsetDelta);
        if (offset < from || offset >= until) continue;
        const rec: ConsumedRecord = {
          topic,
          partition,
          offset,
          timestamp: logAppendTime ? b.maxTimestamp : b.firstTimestamp + r.timestampDelta,
          key: r.key,
          value: r.value,
          headers: r.headers.map(([k, v]) => ({ key: k ? k.toString() : "", value: v })),
        };
        out.records.push(rec);
      }
      const next = last + 1n < until ? last + 1n : until;
      if (next > out.nextOffset) out.nextOffset = next;
      if (next >= until) break;
    }
    return out;
  }

  async listOffset(topic: string, partition: number, spec: OffsetSpec): Promise<bigint> {
    const timestamp = spec === "earliest" ? -2n : spec === "latest" ? -1n : BigInt(spec.timestamp);
    const offsets = await this.consumer.listOffsets({ topics: [topic], partitions: { [topic]: [partition] }, timestamp });
    const list = offsets.get(topic);
    const v = list?.[partition];
    return v === undefined ? -1n : BigInt(v);
  }

  async commitOffsets(group: string, offsets: CommittedOffset[]): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
    for (const o of offsets) {
      if (!byTopic.has(o.topic)) byTopic.set(o.topic, []);
      byTopic.get(o.topic)!.push({ partition: o.partition, offset: o.offset });
    }
    await this.admin.alterConsumerGroupOffsets({
      groupId: group,
      topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
    });
  }

  async fetchOffsets(group: string, topics: string[]): Promise<CommittedOffset[]> {
    const res = await this.admin.listConsumerGroupOffsets({ groups: [group] });
    const out: CommittedOffset[] = [];
    for (const t of res[0]?.topics ?? []) {
      if (!topics.includes(t.name)) continue;
      for (const p of t.partitions) out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata });
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.consumer.close(true), this.producer.close(), this.admin.close()]);
  }
}

function errorText(e: unknown): string {
  const err = e as { message?: string; errors?: { message?: string }[] };
  return [err.message, ...(err.errors ?? []).map((x) => x.message)].filter(Boolean).join("; ");
}
