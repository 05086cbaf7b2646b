/**
 * kafka source (org.apache.flume.source.kafka.KafkaSource), a pollable
 * source: each process() reads up to batchSize records (or what arrived
 * within batchDurationMillis), puts them into the channels as one batch and
 * only then commits the group's offsets: at-least-once. A failed put rewinds
 * to the batch's first offsets so the same records are read again.
 *
 * Properties: kafka.bootstrap.servers (absent or "embedded": the agent's
 * topics), kafka.topics (comma-separated) or kafka.topics.regex,
 * kafka.consumer.group.id (flume), batchSize (1000), batchDurationMillis
 * (1000), setTopicHeader (true), topicHeader (topic), useFlumeEventFormat
 * (false), kafka.consumer.auto.offset.reset (earliest, Flume's default).
 * Headers added when absent, as Flume: timestamp (time read, ms), topic,
 * partition, offset, key.
 */
import type { ChannelProcessor, ComponentEnv, Context, Event, PollableSource, Status } from "../api.js";
import { SourceCounter } from "../counters.js";
import { decodeAvroFlumeEvent } from "../../formats/avro-flume-event.js";
import type { ConsumedRecord, JoinOptions } from "../../topics/port.js";
import {
  GroupReader,
  TopicsHandle,
  firstOffsets,
  offsetsAfter,
  readJoinOptions,
  readOffsetReset,
  type OffsetReset,
} from "../kafka/common.js";
import { translateFlumeKafkaNames } from "../kafka/flume-names.js";

export interface KafkaSourceOptions {
  topics: string[] | RegExp;
  groupId: string;
  batchSize: number;
  batchDurationMillis: number;
  setTopicHeader: boolean;
  topicHeader: string;
  useFlumeEventFormat: boolean;
  offsetReset: OffsetReset;
  join: JoinOptions;
}

export class KafkaSource implements PollableSource {
  readonly kind = "pollable" as const;
  readonly counter: SourceCounter;
  private cp?: ChannelProcessor;
  private reader?: GroupReader;
  /** records that did not decode (useFlumeEventFormat) and were skipped */
  skipped = 0;

  constructor(
    readonly name: string,
    private readonly env: ComponentEnv,
    private readonly topics: TopicsHandle,
    readonly options: KafkaSourceOptions,
  ) {
    this.counter = new SourceCounter(env.agentName, name);
  }

  batchSize(): number {
    return this.options.batchSize;
  }

  setChannelProcessor(cp: ChannelProcessor): void {
    this.cp = cp;
  }

  async start(): Promise<void> {
    const port = await this.topics.get();
    this.reader = new GroupReader(
      port,
      this.options.groupId,
      this.options.topics,
      this.options.offsetReset,
      this.options.join,
    );
    await this.reader.assign();
    this.counter.register();
  }

  async stop(): Promise<void> {
    await this.reader?.close();
    this.reader = undefined;
    await this.topics.close();
    this.counter.unregister();
  }

  /** the partitions this source reads now (its share of the group) */
  assignment(): { topic: string; partition: number }[] {
    return this.reader?.assignment() ?? [];
  }

  private toEvent(r: ConsumedRecord, now: number): Event | null {
    let e: Event;
    if (this.options.useFlumeEventFormat) {
      try {
        e = decodeAvroFlumeEvent(r.value ?? Buffer.alloc(0));
      } catch (err) {
        this.skipped++;
        this.counter.inc("EventReadFail");
        this.env.logger.warn(
          { err, source: this.name },
          `kafka source ${this.name}: ${r.topic}-${r.partition}@${r.offset} is not an AvroFlumeEvent; skipped`,
        );
        return null;
      }
    } else e = { headers: {}, body: r.value ?? Buffer.alloc(0) };
    const h = e.headers;
    if (h.timestamp === undefined) h.timestamp = String(now);
    if (this.options.setTopicHeader && h[this.options.topicHeader] === undefined) h[this.options.topicHeader] = r.topic;
    if (h.partition === undefined) h.partition = String(r.partition);
    if (h.offset === undefined) h.offset = String(r.offset);
    if (r.key && h.key === undefined) h.key = r.key.toString();
    return e;
  }

  async process(): Promise<Status> {
    const reader = this.reader;
    if (!reader || !this.cp) return "BACKOFF";
    const records: ConsumedRecord[] = [];
    const deadline = Date.now() + this.options.batchDurationMillis;
    try {
      while (records.length < this.options.batchSize) {
        const left = deadline - Date.now();
        if (left <= 0 && records.length > 0) break;
        const got = await reader.poll(this.options.batchSize - records.length, Math.max(0, left));
        records.push(...got);
        if (got.length === 0 && Date.now() >= deadline) break;
      }
    } catch (err) {
      // reading failed part-way: forget what was read, start again from the same place
      for (const p of firstOffsets(records)) reader.seek(p.topic, p.partition, p.offset);
      this.counter.inc("GenericProcessingFail");
      this.env.logger.warn({ err, source: this.name }, `kafka source ${this.name}: read failed`);
      return "BACKOFF";
    }
    if (records.length === 0) return "BACKOFF";
    const now = Date.now();
    const events = records.map((r) => this.toEvent(r, now)).filter((e): e is Event => e !== null);
    this.counter.inc("EventReceivedCount", events.length);
    this.counter.inc("AppendBatchReceivedCount");
    try {
      if (events.length > 0) await this.cp.processEventBatch(events);
    } catch (err) {
      for (const p of firstOffsets(records)) reader.seek(p.topic, p.partition, p.offset);
      this.counter.inc("ChannelWriteFail");
      this.env.logger.warn(
        { err, source: this.name },
        `kafka source ${this.name}: channel put failed, the batch will be read again`,
      );
      return "BACKOFF";
    }
    this.counter.inc("EventAcceptedCount", events.length);
    this.counter.inc("AppendBatchAcceptedCount");
    try {
      await reader.commit(offsetsAfter(records));
    } catch (err) {
      // the events are in the channel; a restart before the next commit reads them again (at-least-once)
      this.env.logger.warn({ err, source: this.name }, `kafka source ${this.name}: offset commit failed`);
    }
    return "READY";
  }
}

export function createKafkaSource(name: string, ctx: Context, env: ComponentEnv): KafkaSource {
  translateFlumeKafkaNames(ctx, env, "source");
  const list = ctx.getString("kafka.topics", "");
  const regex = ctx.getString("kafka.topics.regex");
  let topics: string[] | RegExp;
  if (regex) {
    try {
      topics = new RegExp(`^(?:${regex})$`);
    } catch (e) {
      throw ctx.error("kafka.topics.regex", `is not a valid regular expression: ${(e as Error).message}`);
    }
  } else {
    topics = list
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    if (topics.length === 0) throw ctx.error("kafka.topics", "is required (or kafka.topics.regex)");
  }
  const batchSize = ctx.getInteger("batchSize", 1000);
  if (batchSize < 1) throw ctx.error("batchSize", "must be positive");
  const batchDurationMillis = ctx.getInteger("batchDurationMillis", 1000);
  if (batchDurationMillis < 0) throw ctx.error("batchDurationMillis", "must not be negative");
  return new KafkaSource(name, env, TopicsHandle.from(ctx, env, `source ${name}`), {
    topics,
    groupId: ctx.getString("kafka.consumer.group.id", "flume"),
    batchSize,
    batchDurationMillis,
    setTopicHeader: ctx.getBoolean("setTopicHeader", true),
    topicHeader: ctx.getString("topicHeader", "topic"),
    useFlumeEventFormat: ctx.getBoolean("useFlumeEventFormat", false),
    offsetReset: readOffsetReset(ctx, "earliest"),
    join: readJoinOptions(ctx),
  });
}
