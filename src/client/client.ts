/**
 * A small Kafka client over KafkaConnection: metadata with leader routing,
 * admin calls, produce and fetch of raw record batches, list offsets. Used by
 * the CLI tools, tests and benchmarks; works against millrace or any Kafka
 * cluster.
 */
import { ApiKey } from "../protocol/apis.js";
import type { Message } from "../protocol/codec.js";
import { ErrorCode, errorName } from "../protocol/errors.js";
import { ClientError, KafkaConnection } from "./connection.js";

export interface PartitionMeta {
  partition: number;
  leader: number;
}

export interface TopicMeta {
  name: string;
  topicId: string;
  errorCode: number;
  isInternal: boolean;
  partitions: PartitionMeta[];
}

export class KafkaError extends ClientError {
  constructor(
    readonly kafkaCode: number,
    message: string,
  ) {
    super(`MR_KAFKA_${errorName(kafkaCode)}`, message);
  }
}

export function check(errorCode: number, what: string, message?: string | null): void {
  if (errorCode !== ErrorCode.NONE)
    throw new KafkaError(errorCode, `${what}: ${errorName(errorCode)}${message ? ` (${message})` : ""}`);
}

export class KafkaClient {
  private brokers = new Map<number, { host: string; port: number }>();
  private conns = new Map<number, Promise<KafkaConnection>>();
  private topicsMeta = new Map<string, TopicMeta>();

  private constructor(
    readonly bootstrap: KafkaConnection,
    readonly clientId: string,
  ) {}

  static async connect(bootstrapServers: string, opts: { clientId?: string } = {}): Promise<KafkaClient> {
    const errors: string[] = [];
    for (const addr of bootstrapServers
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)) {
      try {
        const conn = await KafkaConnection.open(addr, { clientId: opts.clientId });
        return new KafkaClient(conn, opts.clientId ?? "millrace");
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    throw new ClientError("MR_CLIENT_CONNECT", `no bootstrap server reachable: ${errors.join("; ")}`);
  }

  /** Metadata for the given topics (all when omitted); refreshes leader routing. */
  async metadata(topics?: string[], allowAutoCreate = false): Promise<TopicMeta[]> {
    const res = await this.bootstrap.request(ApiKey.Metadata, {
      topics: topics ? topics.map((name) => ({ name, topicId: "AAAAAAAAAAAAAAAAAAAAAA" })) : null,
      allowAutoTopicCreation: allowAutoCreate,
      includeTopicAuthorizedOperations: false,
    });
    for (const b of res.brokers as Message[]) this.brokers.set(b.nodeId, { host: b.host, port: b.port });
    const out: TopicMeta[] = (res.topics as Message[]).map((t) => ({
      name: t.name,
      topicId: t.topicId,
      errorCode: t.errorCode,
      isInternal: t.isInternal,
      partitions: (t.partitions as Message[])
        .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId }))
        .sort((a, b) => a.partition - b.partition),
    }));
    for (const t of out) if (t.errorCode === ErrorCode.NONE) this.topicsMeta.set(t.name, t);
    return out;
  }

  async topic(name: string, allowAutoCreate = false): Promise<TopicMeta> {
    const cached = this.topicsMeta.get(name);
    if (cached) return cached;
    const [t] = await this.metadata([name], allowAutoCreate);
    check(t.errorCode, `topic ${name}`);
    return t;
  }

  /** The connection to a partition's leader. */
  async leader(topic: string, partition: number): Promise<KafkaConnection> {
    const t = await this.topic(topic);
    const p = t.partitions.find((x) => x.partition === partition);
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${partition} in ${topic}`);
    return this.node(p.leader);
  }

  node(id: number): Promise<KafkaConnection> {
    let c = this.conns.get(id);
    if (!c) {
      const b = this.brokers.get(id);
      if (!b) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `unknown broker ${id}`);
      const addr = `${b.host.includes(":") ? `[${b.host}]` : b.host}:${b.port}`;
      // A broker advertising the bootstrap address reuses the bootstrap connection.
      c =
        b.port === this.bootstrap.port && (b.host === this.bootstrap.host || this.brokers.size === 1)
          ? Promise.resolve(this.bootstrap)
          : KafkaConnection.open(addr, { clientId: this.clientId });
      this.conns.set(id, c);
    }
    return c;
  }

  async createTopic(
    name: string,
    partitions: number,
    configs: Record<string, string> = {},
    replicationFactor = -1,
  ): Promise<Message> {
    const res = await this.bootstrap.request(ApiKey.CreateTopics, {
      topics: [
        {
          name,
          numPartitions: partitions,
          replicationFactor,
          assignments: [],
          configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
        },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const t = res.topics[0];
    check(t.errorCode, `create topic ${name}`, t.errorMessage);
    return t;
  }

  async deleteTopic(name: string): Promise<void> {
    const v = this.bootstrap.version(ApiKey.DeleteTopics);
    const body =
      v >= 6
        ? { topics: [{ name, topicId: "AAAAAAAAAAAAAAAAAAAAAA" }], timeoutMs: 30_000 }
        : { topicNames: [name], timeoutMs: 30_000 };
    const res = await this.bootstrap.send(ApiKey.DeleteTopics, v, body);
    const r = res.responses[0];
    check(r.errorCode, `delete topic ${name}`, r.errorMessage);
    this.topicsMeta.delete(name);
  }

  async describeConfigs(resourceType: number, resourceName: string, keys: string[] | null = null): Promise<Message[]> {
    const res = await this.bootstrap.request(ApiKey.DescribeConfigs, {
      resources: [{ resourceType, resourceName, configurationKeys: keys }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const r = res.results[0];
    check(r.errorCode, `describe configs of ${resourceName}`, r.errorMessage);
    return r.configs;
  }

  /** Appends raw record batches to one partition; resolves with the base offset (-1 for acks=0). */
  async produce(
    topic: string,
    partition: number,
    records: Buffer,
    acks: 0 | 1 | -1 = -1,
    timeoutMs = 30_000,
  ): Promise<bigint> {
    const conn = await this.leader(topic, partition);
    const body = {
      transactionalId: null,
      acks,
      timeoutMs,
      topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
    };
    const v = conn.version(ApiKey.Produce);
    if (acks === 0) {
      await conn.send(ApiKey.Produce, v, body, { expectResponse: false });
      return -1n;
    }
    const res = await conn.send(ApiKey.Produce, v, body);
    const p = res.responses[0].partitionResponses[0];
    check(p.errorCode, `produce to ${topic}-${partition}`, p.errorMessage);
    return p.baseOffset;
  }

  /** Fetches raw record batches from one partition. */
  async fetch(
    topic: string,
    partition: number,
    offset: bigint,
    opts: { maxBytes?: number; maxWaitMs?: number; minBytes?: number; isolationLevel?: 0 | 1 } = {},
  ): Promise<{ records: Buffer | null; highWatermark: bigint; logStartOffset: bigint }> {
    const conn = await this.leader(topic, partition);
    const maxBytes = opts.maxBytes ?? 1 << 20;
    const res = await conn.request(
      ApiKey.Fetch,
      {
        replicaId: -1,
        maxWaitMs: opts.maxWaitMs ?? 500,
        minBytes: opts.minBytes ?? 1,
        maxBytes,
        isolationLevel: opts.isolationLevel ?? 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic,
            partitions: [
              {
                partition,
                currentLeaderEpoch: -1,
                fetchOffset: offset,
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: maxBytes,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: "",
      },
      12,
    );
    check(res.errorCode ?? 0, `fetch ${topic}-${partition}`);
    const p = res.responses[0].partitions[0];
    check(p.errorCode, `fetch ${topic}-${partition} at ${offset}`);
    return {
      records: p.records && p.records.length > 0 ? p.records : null,
      highWatermark: p.highWatermark,
      logStartOffset: p.logStartOffset,
    };
  }

  /** ListOffsets: -2 earliest, -1 latest, -3 max timestamp, or a timestamp. */
  async listOffset(topic: string, partition: number, timestamp: bigint): Promise<bigint> {
    const conn = await this.leader(topic, partition);
    const res = await conn.request(ApiKey.ListOffsets, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        {
          name: topic,
          partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }],
        },
      ],
    });
    const p = res.topics[0].partitions[0];
    check(p.errorCode, `list offsets of ${topic}-${partition}`);
    return p.oldStyleOffsets?.length ? p.oldStyleOffsets[0] : p.offset;
  }

  async close(): Promise<void> {
    for (const c of this.conns.values()) (await c.catch(() => null))?.close();
    this.bootstrap.close();
  }
}
