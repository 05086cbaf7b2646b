/**
 * kafka channel (org.apache.flume.channel.kafka.KafkaChannel): the channel is
 * a topic. A put transaction produces its events on commit (and fails the
 * commit when the produce fails); a take transaction reads from the group's
 * position and commits the group's offsets on commit, so a rolled-back or
 * crashed take is read again. Works with no source (a sink drains an existing
 * topic) and with no sink (the source writes the topic for others to read).
 *
 * Properties: kafka.bootstrap.servers (absent or "embedded": the agent's own
 * topics), kafka.topic (flume-channel), kafka.consumer.group.id (flume),
 * parseAsFlumeEvent (true: values are AvroFlumeEvent binary; false: the body
 * alone, headers are lost, as in Flume), partitionIdHeader,
 * defaultPartitionId, kafka.pollTimeout (500), kafka.producer.acks (all),
 * kafka.consumer.auto.offset.reset (latest), kafka.topic.partitions (when the
 * channel creates its topic, 1). Flume's deprecated brokerList, topic,
 * groupId and readSmallestOffset are translated as Flume does
 * (kafka/flume-names.ts); zookeeperConnect and migrateZookeeperOffsets are
 * warned as having no effect; any other kafka.producer.* / kafka.consumer.*
 * key is reported unsupported. A standalone agent must name its broker.
 *
 * The event's `key` header is the record key (Flume's KafkaChannel does this).
 * ChannelSize is the group's lag on the partitions this channel reads.
 */
import type { Channel, ComponentEnv, Context, Event, Transaction } from "../api.js";
import { ChannelError } from "../api.js";
import { ChannelCounter } from "../counters.js";
import { decodeAvroFlumeEvent, encodeAvroFlumeEvent } from "../../formats/avro-flume-event.js";
import type { ConsumedRecord, JoinOptions, ProduceRecord, TopicsPort } from "../../topics/port.js";
import {
  GroupReader,
  TopicsHandle,
  choosePartition,
  ensureTopic,
  firstOffsets,
  offsetsAfter,
  readAcks,
  readOffsetReset,
  readJoinOptions,
  readPartitionRule,
  type OffsetReset,
  type PartitionRule,
} from "../kafka/common.js";
import { translateFlumeKafkaNames } from "../kafka/flume-names.js";

export interface KafkaChannelOptions {
  topic: string;
  groupId: string;
  parseAsFlumeEvent: boolean;
  partition: PartitionRule;
  pollTimeoutMs: number;
  acks: 0 | 1 | -1;
  offsetReset: OffsetReset;
  createPartitions: number;
  join: JoinOptions;
}

/** A simple FIFO lock: one take transaction reads the group's position at a time. */
class Lock {
  private tail: Promise<void> = Promise.resolve();
  async acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = prev.then(() => next);
    await prev;
    return release;
  }
}

export class KafkaChannel implements Channel {
  readonly counter: ChannelCounter;
  private port?: TopicsPort;
  private reader?: GroupReader;
  private partitions = 1;
  private sticky = 0;
  /** records fetched and not yet taken */
  private buffered: ConsumedRecord[] = [];
  private readonly takeLock = new Lock();
  private lag = 0;
  /** records skipped because they did not decode */
  skipped = 0;

  constructor(
    readonly name: string,
    private readonly env: ComponentEnv,
    private readonly topics: TopicsHandle,
    readonly options: KafkaChannelOptions,
  ) {
    this.counter = new ChannelCounter(env.agentName, name);
  }

  async start(): Promise<void> {
    this.port = await this.topics.get();
    this.partitions = await ensureTopic(this.port, this.options.topic, this.options.createPartitions);
    // The group is joined at the first take (as Flume's channel creates its consumer then), so a
    // channel with no sink never joins; "latest" still means "from now".
    this.reader = new GroupReader(
      this.port,
      this.options.groupId,
      [this.options.topic],
      this.options.offsetReset,
      this.options.join,
      (parts) => {
        const gone = new Set(parts.map((p) => `${p.topic}/${p.partition}`));
        this.buffered = this.buffered.filter((r) => !gone.has(`${r.topic}/${r.partition}`));
      },
    );
    await this.reader.snapshot();
    this.counter.register();
  }

  async stop(): Promise<void> {
    this.counter.unregister();
    this.buffered = [];
    await this.reader?.close();
    this.reader = undefined;
    this.port = undefined;
    await this.topics.close();
  }

  size(): number {
    return this.lag;
  }
  capacity(): number | undefined {
    return undefined;
  }

  private toRecord(e: Event): { partition: number; record: ProduceRecord } {
    const key = e.headers.key !== undefined ? Buffer.from(e.headers.key) : null;
    const partition = choosePartition(this.options.partition, e, key, this.partitions, this.sticky);
    const value = this.options.parseAsFlumeEvent ? encodeAvroFlumeEvent(e) : e.body;
    return { partition, record: { key, value } };
  }

  private fromRecord(r: ConsumedRecord): Event {
    const value = r.value ?? Buffer.alloc(0);
    if (!this.options.parseAsFlumeEvent) return { headers: {}, body: value };
    return decodeAvroFlumeEvent(value);
  }

  private requirePort(): { port: TopicsPort; reader: GroupReader } {
    if (!this.port || !this.reader)
      throw new ChannelError("MR_AGENT_CHANNEL_STOPPED", `kafka channel ${this.name} is not started`);
    return { port: this.port, reader: this.reader };
  }

  getTransaction(): Transaction {
    const puts: Event[] = [];
    const taken: ConsumedRecord[] = [];
    let release: (() => void) | undefined;
    const ch = this;
    const unlock = () => {
      release?.();
      release = undefined;
    };
    return {
      begin() {
        puts.length = 0;
        taken.length = 0;
      },
      async put(e: Event) {
        ch.counter.inc("EventPutAttemptCount");
        puts.push(e);
      },
      async take(): Promise<Event | null> {
        const { reader } = ch.requirePort();
        if (!release) release = await ch.takeLock.acquire();
        ch.counter.inc("EventTakeAttemptCount");
        for (;;) {
          if (ch.buffered.length === 0) ch.buffered = await reader.poll(500, ch.options.pollTimeoutMs);
          const r = ch.buffered.shift();
          if (!r) return null;
          taken.push(r);
          try {
            return ch.fromRecord(r);
          } catch (err) {
            // a record that is not an AvroFlumeEvent would fail every take: skip it (its offset
            // commits with this transaction) and say so, rather than stop the channel
            ch.skipped++;
            ch.env.logger.warn(
              { err, channel: ch.name },
              `kafka channel ${ch.name}: skipping ${ch.options.topic}-${r.partition}@${r.offset}, ` +
                "not an AvroFlumeEvent (parseAsFlumeEvent=true)",
            );
          }
        }
      },
      async commit() {
        const { port, reader } = ch.requirePort();
        try {
          if (puts.length > 0) {
            const byPartition = new Map<number, ProduceRecord[]>();
            for (const e of puts) {
              const { partition, record } = ch.toRecord(e);
              if (!byPartition.has(partition)) byPartition.set(partition, []);
              byPartition.get(partition)!.push(record);
            }
            ch.sticky++;
            await Promise.all(
              [...byPartition].map(([p, recs]) => port.produce(ch.options.topic, p, recs, { acks: ch.options.acks })),
            );
            ch.counter.inc("EventPutSuccessCount", puts.length);
            // the lag grows by what this channel just wrote (exact again at the next refresh)
            ch.lag += puts.length;
            ch.counter.setSize(ch.lag, undefined);
            puts.length = 0;
          }
          if (taken.length > 0) {
            await reader.commit(offsetsAfter(taken));
            ch.counter.inc("EventTakeSuccessCount", taken.length);
            ch.lag = Math.max(0, ch.lag - taken.length);
            ch.counter.setSize(ch.lag, undefined);
            taken.length = 0;
            await ch.refreshLag();
          }
        } catch (err) {
          throw err instanceof ChannelError
            ? err
            : new ChannelError(
                "MR_AGENT_CHANNEL_COMMIT",
                `kafka channel ${ch.name}: commit failed: ${(err as Error).message}`,
                { cause: err },
              );
        } finally {
          unlock();
        }
      },
      async rollback() {
        if (taken.length > 0 && ch.reader) {
          // the taken records and everything read after them are read again
          for (const p of firstOffsets(taken)) ch.reader.seek(p.topic, p.partition, p.offset);
          const rewound = new Set(firstOffsets(taken).map((p) => `${p.topic}/${p.partition}`));
          ch.buffered = ch.buffered.filter((r) => !rewound.has(`${r.topic}/${r.partition}`));
        }
        if (puts.length > 0 || taken.length > 0) ch.counter.inc("RollbackCounter");
        puts.length = 0;
        taken.length = 0;
        unlock();
      },
      close() {
        unlock();
      },
    };
  }

  private async refreshLag(): Promise<void> {
    const { port, reader } = this.requirePort();
    try {
      let lag = 0n;
      for (let p = 0; p < this.partitions; p++) {
        const end = await port.listOffset(this.options.topic, p, "latest");
        const pos = reader.position(this.options.topic, p);
        if (pos !== undefined && end > pos) lag += end - pos;
      }
      this.lag = Number(lag) + this.buffered.length;
      this.counter.setSize(this.lag, undefined);
    } catch {
      // a stopped channel or a broker hiccup: the gauge keeps its last value
    }
  }
}

export function createKafkaChannel(name: string, ctx: Context, env: ComponentEnv): KafkaChannel {
  translateFlumeKafkaNames(ctx, env, "channel");
  const topics = TopicsHandle.from(ctx, env, `channel ${name}`);
  const pollTimeoutMs = ctx.getInteger("kafka.pollTimeout", ctx.getInteger("pollTimeout", 500));
  const createPartitions = ctx.getInteger("kafka.topic.partitions", 1);
  if (createPartitions < 1) throw ctx.error("kafka.topic.partitions", "must be at least 1");
  return new KafkaChannel(name, env, topics, {
    topic: ctx.getString("kafka.topic", "flume-channel"),
    groupId: ctx.getString("kafka.consumer.group.id", "flume"),
    parseAsFlumeEvent: ctx.getBoolean("parseAsFlumeEvent", true),
    partition: readPartitionRule(ctx),
    pollTimeoutMs,
    acks: readAcks(ctx, "kafka.producer.acks", "all"),
    offsetReset: readOffsetReset(ctx, "latest"),
    createPartitions,
    join: readJoinOptions(ctx),
  });
}
