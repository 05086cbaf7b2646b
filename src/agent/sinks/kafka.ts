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
 * A missing topic is created with one partition (a broker's auto-create).
 */
import type { Channel, ComponentEnv, Context, Event, Sink, Status } from "../api.js";
import { EventDeliveryError } from "../api.js";
import { SinkCounter } from "../counters.js";
import { encodeAvroFlumeEvent } from "../../formats/avro-flume-event.js";
import type { ProduceRecord, TopicsPort } from "../../topics/port.js";
import { TopicsHandle, choosePartition, ensureTopic, readAcks, readPartitionRule, type PartitionRule } from "../kafka/common.js";

export interface KafkaSinkOptions {
  topic: string;
  allowTopicOverride: boolean;
  topicHeader: string;
  partition: PartitionRule;
  batchSize: number;
  acks: 0 | 1 | -1;
  useFlumeEventFormat: boolean;
}

export class KafkaSink implements Sink {
  readonly counter: SinkCounter;
  private channel?: Channel;
  private port?: TopicsPort;
  private readonly partitionCounts = new Map<string, number>();
  private sticky = 0;

  constructor(
    readonly name: string,
    private readonly env: ComponentEnv,
    private readonly topics: TopicsHandle,
    readonly options: KafkaSinkOptions,
  ) {
    this.counter = new SinkCounter(env.agentName, name);
  }

  /** Flume's flumeBatchSize (BatchSizeSupported) */
  batchSize(): number {
    return this.options.batchSize;
  }

  setChannel(channel: Channel): void {
    this.channel = channel;
  }

  async start(): Promise<void> {
    this.counter.register();
  }

  async stop(): Promise<void> {
    this.port = undefined;
    await this.topics.close();
    this.counter.unregister();
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

  async process(): Promise<Status> {
    const channel = this.channel;
    if (!channel) throw new EventDeliveryError("MR_AGENT_SINK_NO_CHANNEL", `sink ${this.name} has no channel`);
    const tx = channel.getTransaction();
    tx.begin();
    try {
      const events: Event[] = [];
      while (events.length < this.options.batchSize) {
        const e = await tx.take();
        if (!e) break;
        events.push(e);
      }
      if (events.length === 0) {
        this.counter.inc("BatchEmptyCount");
        await tx.commit();
        return "BACKOFF";
      }
      if (events.length < this.options.batchSize) this.counter.inc("BatchUnderflowCount");
      else this.counter.inc("BatchCompleteCount");
      this.counter.inc("EventDrainAttemptCount", events.length);
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
        const partition = choosePartition(this.options.partition, e, key, await this.partitionsOf(port, topic), this.sticky);
        const value = this.options.useFlumeEventFormat ? encodeAvroFlumeEvent(e) : e.body;
        const g = `${topic}\u0000${partition}`;
        if (!groups.has(g)) groups.set(g, { topic, partition, records: [] });
        groups.get(g)!.records.push({ key, value });
      }
      await Promise.all([...groups.values()].map((g) => port.produce(g.topic, g.partition, g.records, { acks: this.options.acks })));
      await tx.commit();
      this.counter.inc("EventDrainSuccessCount", events.length);
      return "READY";
    } catch (err) {
      this.counter.inc("EventWriteFail");
      await tx.rollback().catch(() => undefined);
      // topic metadata may be stale (deleted / re-created topic): ask again next time
      this.partitionCounts.clear();
      if (err instanceof EventDeliveryError) throw err;
      throw new EventDeliveryError("MR_AGENT_SINK_DELIVERY", `kafka sink ${this.name}: ${(err as Error).message}`, { cause: err });
    } finally {
      tx.close();
    }
  }
}

export function createKafkaSink(name: string, ctx: Context, env: ComponentEnv): KafkaSink {
  const batchSize = ctx.getInteger("flumeBatchSize", ctx.getInteger("batchSize", 100));
  if (batchSize < 1) throw ctx.error("flumeBatchSize", "must be positive");
  return new KafkaSink(name, env, TopicsHandle.from(ctx, env, `sink ${name}`), {
    topic: ctx.getString("kafka.topic", ctx.getString("topic", "default-flume-topic")),
    allowTopicOverride: ctx.getBoolean("allowTopicOverride", true),
    topicHeader: ctx.getString("topicHeader", "topic"),
    partition: readPartitionRule(ctx),
    batchSize,
    acks: readAcks(ctx, "kafka.producer.acks", ctx.getString("requiredAcks", "1")),
    useFlumeEventFormat: ctx.getBoolean("useFlumeEventFormat", false),
  });
}
