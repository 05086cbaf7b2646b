/**
 * kafka sink (org.apache.flume.sink.kafka.KafkaSink): takes up to
 * flumeBatchSize events in one channel transaction, produces them, and
 * commits the transaction only once every produce resolved (rolled back
 * otherwise, so nothing is lost).
 *
 * Properties: kafka.bootstrap.servers (absent or "embedded": the agent's
 * topics), kafka.topic (default-flume-topic; %{header} is replaced by the
 * event's header), allowTopicOverride (true) with topicHeader (topic): the
 * event's header names its topic, the `key` header is the record key
 * (murmur2 partitioning, as Kafka's producer), partitionIdHeader,
 * defaultPartitionId, flumeBatchSize (100), kafka.producer.acks (1),
 * useFlumeEventFormat (false: the body; true: AvroFlumeEvent with headers).
 * Flume's deprecated brokerList, topic, batchSize and requiredAcks are
 * translated as Flume does (kafka/flume-names.ts).
 * A missing topic is created with one partition (a broker's auto-create).
 */
import type { ComponentEnv, Context, Event } from "../api.js";
import { BatchSink } from "./base.js";
import { encodeAvroFlumeEvent } from "../../formats/avro-flume-event.js";
import type { ProduceRecord, TopicsPort } from "../../topics/port.js";
import {
  TopicsHandle,
  choosePartition,
  ensureTopic,
  readAcks,
  readPartitionRule,
  type PartitionRule,
} from "../kafka/common.js";
import { translateFlumeKafkaNames } from "../kafka/flume-names.js";

export interface KafkaSinkOptions {
  topic: string;
  allowTopicOverride: boolean;
  topicHeader: string;
  partition: PartitionRule;
  batchSize: number;
  acks: 0 | 1 | -1;
  useFlumeEventFormat: boolean;
}

export class KafkaSink extends BatchSink {
  private port?: TopicsPort;
  private readonly partitionCounts = new Map<string, number>();
  private sticky = 0;

  constructor(
    name: string,
    env: ComponentEnv,
    private readonly topics: TopicsHandle,
    readonly options: KafkaSinkOptions,
  ) {
    super(name, env.agentName, options.batchSize);
  }

  override async stop(): Promise<void> {
    this.port = undefined;
    await this.topics.close();
    super.stop();
  }

  protected override label(): string {
    return `kafka sink ${this.name}`;
  }

  private topicOf(e: Event): string {
    if (this.options.allowTopicOverride) {
      const t = e.headers[this.options.topicHeader];
      if (t) return t;
    }
    return this.options.topic.replace(/%\{([\w.-]+)\}/g, (_, h: string) => e.headers[h] ?? "");
  }

  private async partitionsOf(port: TopicsPort, topic: string): Promise<number> {
    let n = this.partitionCounts.get(topic);
    if (n === undefined) {
      n = await ensureTopic(port, topic);
      this.partitionCounts.set(topic, n);
    }
    return n;
  }

  protected async deliver(events: Event[]): Promise<void> {
    if (!this.port) {
      this.port = await this.topics.get();
      this.counter.inc("ConnectionCreatedCount");
    }
    const port = this.port;
    const groups = new Map<string, { topic: string; partition: number; records: ProduceRecord[] }>();
    this.sticky++;
    for (const e of events) {
      const topic = this.topicOf(e);
      const key = e.headers.key !== undefined ? Buffer.from(e.headers.key) : null;
      const partition = choosePartition(
        this.options.partition,
        e,
        key,
        await this.partitionsOf(port, topic),
        this.sticky,
      );
      const value = this.options.useFlumeEventFormat ? encodeAvroFlumeEvent(e) : e.body;
      const g = `${topic}\u0000${partition}`;
      if (!groups.has(g)) groups.set(g, { topic, partition, records: [] });
      groups.get(g)!.records.push({ key, value });
    }
    await Promise.all(
      [...groups.values()].map((g) => port.produce(g.topic, g.partition, g.records, { acks: this.options.acks })),
    );
  }

  protected override onFailure(): void {
    // topic metadata may be stale (deleted / re-created topic): ask again next time
    this.partitionCounts.clear();
  }
}

export function createKafkaSink(name: string, ctx: Context, env: ComponentEnv): KafkaSink {
  translateFlumeKafkaNames(ctx, env, "sink");
  const batchSize = ctx.getInteger("flumeBatchSize", 100);
  if (batchSize < 1) throw ctx.error("flumeBatchSize", "must be positive");
  return new KafkaSink(name, env, TopicsHandle.from(ctx, env, `sink ${name}`), {
    topic: ctx.getString("kafka.topic", "default-flume-topic"),
    allowTopicOverride: ctx.getBoolean("allowTopicOverride", true),
    topicHeader: ctx.getString("topicHeader", "topic"),
    partition: readPartitionRule(ctx),
    batchSize,
    acks: readAcks(ctx, "kafka.producer.acks", "1"),
    useFlumeEventFormat: ctx.getBoolean("useFlumeEventFormat", false),
  });
}
