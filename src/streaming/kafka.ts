/**
 * The direct approach to Kafka (Spark's KafkaUtils.createDirectStream): no
 * receiver; each batch is a set of offset ranges, one per topic-partition,
 * decided on the driver before the batch runs (from the previous batch's end to
 * the latest offset, capped by maxRatePerPartition and backpressure) and
 * recorded in the checkpoint. Tasks then read exactly those ranges.
 */
import { counter } from "../metrics/registry.js";
import type { ConsumedRecord, Header, TopicPartition, TopicsPort } from "../topics/port.js";
import { openTopics } from "../topics/open.js";
import { isAsyncDecoder, stringDecoder, type AsyncDecoder, type Decoder } from "../formats/decoders.js";
import { InputDStream, type DStream } from "./dstream.js";
import type { GraphHost } from "./graph.js";
import { StreamingError } from "./errors.js";
import { RDD, type OffsetRange } from "./rdd.js";
import { PIDRateEstimator } from "./rate.js";
import { isStreamingWorker } from "./worker.js";

export type { OffsetRange, TopicPartition };

export interface ConsumerRecord<K, V> {
  topic: string;
  partition: number;
  /** offset in the partition (a number: exact up to 2^53) */
  offset: number;
  /** ms since the epoch */
  timestamp: number;
  key: K;
  value: V;
  headers: Header[];
}

export type StartingOffsets = "earliest" | "latest" | Record<string, Record<string | number, number | bigint>>;

export interface DirectStreamOptions<K, V> {
  topics?: string[];
  pattern?: RegExp;
  assign?: TopicPartition[];
  topicsPort?: TopicsPort;
  bootstrapServers?: string;
  /** where partitions without a committed offset (or all, when an object) start; default "latest" like Spark */
  startingOffsets?: StartingOffsets;
  /** records per second per partition (spark.streaming.kafka.maxRatePerPartition) */
  maxRatePerPartition?: number;
  /** PID rate control (spark.streaming.backpressure.enabled) */
  backpressure?: boolean | { initialRate?: number; minRate?: number };
  /** consumer group for committed offsets (commitAsync) and the starting position */
  groupId?: string;
  /** bytes to key (default stringDecoder); an async decoder (avroRegistryDecoder) decodes on the driver */
  keyDecoder?: Decoder<K> | AsyncDecoder<K>;
  /** bytes to value (default stringDecoder); an async decoder (avroRegistryDecoder) decodes on the driver */
  valueDecoder?: Decoder<V> | AsyncDecoder<V>;
  /** topic that receives malformed records (with headers millrace.error and millrace.source) */
  deadLetterTopic?: string;
  /** bytes per fetch call (default 1 MiB) */
  fetchMaxBytes?: number;
}

const malformed = counter(
  "millrace_streaming_malformed_records_total",
  "Records whose key or value could not be decoded",
  ["app", "topic"],
);

interface BatchRanges {
  ranges: OffsetRange[];
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class DirectKafkaInputDStream<K, V> extends InputDStream<ConsumerRecord<K, V>> {
  private port: TopicsPort | undefined;
  private ownsPort = false;
  private readonly current = new Map<string, bigint>();
  private readonly estimator: PIDRateEstimator | undefined;
  private rateLimit: number | undefined;
  private readonly keyDecoder: Decoder<K> | AsyncDecoder<K>;
  private readonly valueDecoder: Decoder<V> | AsyncDecoder<V>;
  /** a decoder is async: records are decoded with await, on the driver */
  private readonly asyncDecoders: boolean;
  /** malformed records seen by this stream */
  malformedCount = 0;

  constructor(
    ssc: GraphHost,
    private readonly opts: DirectStreamOptions<K, V>,
  ) {
    super(ssc, "createDirectStream");
    const n = [opts.topics, opts.pattern, opts.assign].filter((x) => x !== undefined).length;
    if (n !== 1)
      throw new StreamingError(
        "MR_STREAMING_CONFIG",
        "createDirectStream: give exactly one of topics, pattern or assign",
      );
    if (!opts.topicsPort && !opts.bootstrapServers && !isStreamingWorker())
      throw new StreamingError("MR_STREAMING_CONFIG", "createDirectStream: give topicsPort or bootstrapServers");
    this.keyDecoder = opts.keyDecoder ?? (stringDecoder as Decoder<K>);
    this.valueDecoder = opts.valueDecoder ?? (stringDecoder as Decoder<V>);
    this.asyncDecoders = isAsyncDecoder(this.keyDecoder) || isAsyncDecoder(this.valueDecoder);
    const bp =
      opts.backpressure ??
      (ssc as { conf?: Record<string, string> }).conf?.["spark.streaming.backpressure.enabled"] === "true";
    if (bp) {
      const o = typeof bp === "object" ? bp : {};
      this.estimator = new PIDRateEstimator(ssc.batchInterval, 1, 0.2, 0, o.minRate ?? 100);
      this.rateLimit = o.initialRate;
    }
    // decoding runs in worker threads when there are some; malformed records come back as reports
    this.decodeTask = ssc.env.tasks?.register((items, _index, report) => {
      const out: ConsumerRecord<K, V>[] = [];
      (items as ConsumedRecord[]).forEach((rec, i) => {
        try {
          out.push(this.decodeSync(rec));
        } catch (e) {
          report({ i, reason: e instanceof Error ? e.message : String(e) });
        }
      });
      return out;
    });
    if (this.decodeTask !== undefined) {
      ssc.env.tasks!.onReports.set(this.decodeTask, async (reports, source, time) => {
        for (const { index, r } of reports as { index: number; r: { i: number; reason: string } }[]) {
          const rec = source[index]![r.i] as ConsumedRecord;
          const k = `${time}:${rec.topic}:${rec.partition}:${rec.offset}`;
          if (this.reported.has(k)) continue;
          this.reported.add(k);
          if (this.reported.size > 100_000) this.reported.clear();
          await this.malformedRecord(rec, r.reason, time ?? 0);
        }
      });
    }
  }
  private readonly decodeTask: number | undefined;
  private readonly reported = new Set<string>();

  private topicsPort(): TopicsPort {
    if (!this.port) throw new StreamingError("MR_STREAMING_NOT_STARTED", "the direct stream is not started");
    return this.port;
  }

  override async start(): Promise<void> {
    if (!this.port) {
      if (this.opts.topicsPort) this.port = this.opts.topicsPort;
      else {
        // a cluster, or the broker of this very process (millrace demo / run) when the list names it
        this.port = await openTopics({ bootstrapServers: this.opts.bootstrapServers!, clientId: "millrace-streaming" });
        this.ownsPort = true;
      }
    }
    const port = this.port;
    if (this.opts.deadLetterTopic)
      await port.createTopic(this.opts.deadLetterTopic, { ifNotExists: true, partitions: 1 });
    // resume after the last recorded batch (from the checkpoint)
    const times = [...this.infos.keys()].sort((a, b) => a - b);
    const last = times.length ? (this.infos.get(times[times.length - 1]!) as BatchRanges) : undefined;
    for (const r of last?.ranges ?? []) this.current.set(tpKey(r.topic, r.partition), r.untilOffset);
    if (last) return;
    const parts = await this.partitions();
    const committed = new Map<string, bigint>();
    if (this.opts.groupId && typeof this.opts.startingOffsets !== "object") {
      const topics = [...new Set(parts.map((p) => p.topic))];
      for (const c of await port.fetchOffsets(this.opts.groupId, topics))
        if (c.offset >= 0n) committed.set(tpKey(c.topic, c.partition), c.offset);
    }
    for (const p of parts) {
      const k = tpKey(p.topic, p.partition);
      const so = this.opts.startingOffsets ?? "latest";
      let off: bigint | undefined = committed.get(k);
      if (typeof so === "object") {
        const v = so[p.topic]?.[p.partition];
        if (v !== undefined) off = BigInt(v);
      }
      if (off === undefined || off < 0n)
        off = await port.listOffset(p.topic, p.partition, typeof so === "object" ? "latest" : so);
      this.current.set(k, off);
    }
  }

  override async stop(): Promise<void> {
    if (this.ownsPort) await this.port?.close();
  }

  private async partitions(): Promise<TopicPartition[]> {
    const port = this.topicsPort();
    if (this.opts.assign) return this.opts.assign;
    let topics = this.opts.topics;
    if (this.opts.pattern) {
      const re = this.opts.pattern;
      topics = (await port.listTopics()).filter((t) => re.test(t) && !t.startsWith("__"));
    }
    const out: TopicPartition[] = [];
    for (const t of topics!) {
      const d = await port.describeTopic(t);
      if (!d) {
        if (this.opts.pattern) continue;
        throw new StreamingError("MR_STREAMING_NO_TOPIC", `createDirectStream: topic ${t} does not exist`);
      }
      for (let p = 0; p < d.partitions; p++) out.push({ topic: t, partition: p });
    }
    return out;
  }

  private maxRecords(lags: Map<string, bigint>): Map<string, bigint> | undefined {
    const I = this.ssc.batchInterval;
    const fixed = this.opts.maxRatePerPartition;
    if (fixed === undefined && this.rateLimit === undefined) return undefined;
    let totalLag = 0n;
    for (const l of lags.values()) totalLag += l;
    const out = new Map<string, bigint>();
    for (const [k, lag] of lags) {
      let rate = fixed ?? Infinity;
      if (this.rateLimit !== undefined && totalLag > 0n) {
        const share = Number(lag) / Number(totalLag);
        rate = Math.min(rate, this.rateLimit * share);
      }
      if (rate === Infinity) continue;
      out.set(k, BigInt(Math.max(1, Math.floor((rate * I) / 1000))));
    }
    return out;
  }

  async prepare(_time: number): Promise<unknown> {
    const port = this.topicsPort();
    const parts = await this.partitions();
    const latest = new Map<string, bigint>();
    const lags = new Map<string, bigint>();
    for (const p of parts) {
      const k = tpKey(p.topic, p.partition);
      const hw = await port.listOffset(p.topic, p.partition, "latest");
      latest.set(k, hw);
      if (!this.current.has(k)) this.current.set(k, await port.listOffset(p.topic, p.partition, "earliest"));
      const from = this.current.get(k)!;
      lags.set(k, hw > from ? hw - from : 0n);
    }
    const caps = this.maxRecords(lags);
    const ranges: OffsetRange[] = [];
    for (const p of parts) {
      const k = tpKey(p.topic, p.partition);
      const from = this.current.get(k)!;
      let until = latest.get(k)!;
      if (until < from) until = from;
      const cap = caps?.get(k);
      if (cap !== undefined && until - from > cap) until = from + cap;
      ranges.push({ topic: p.topic, partition: p.partition, fromOffset: from, untilOffset: until });
    }
    for (const r of ranges) this.current.set(tpKey(r.topic, r.partition), r.untilOffset);
    const info: BatchRanges = { ranges };
    return info;
  }

  override recordCount(info: unknown): number | undefined {
    const r = info as BatchRanges | undefined;
    return r?.ranges.reduce((n, x) => n + Number(x.untilOffset - x.fromOffset), 0);
  }

  override onBatchCompleted(b: {
    time: number;
    records: number;
    processingMs: number;
    schedulingDelayMs: number;
  }): void {
    if (!this.estimator) return;
    const rate = this.estimator.compute(b.time, b.records, b.processingMs, b.schedulingDelayMs);
    if (rate !== undefined) this.rateLimit = rate;
  }

  /** the current backpressure bound (records/s over all partitions), if any */
  currentRateLimit(): number | undefined {
    return this.rateLimit;
  }

  protected rddFor(time: number, info: unknown): RDD<ConsumerRecord<K, V>> {
    const ranges = (info as BatchRanges).ranges;
    const env = this.env();
    let rdd: RDD<ConsumerRecord<K, V>>;
    if (env.remote && this.decodeTask !== undefined && !this.asyncDecoders) {
      let reads: Promise<ConsumedRecord[]>[] | undefined;
      const readAll = () => {
        if (!reads) {
          reads = ranges.map((r) => this.readRaw(r, time));
          for (const p of reads) p.catch(() => {});
        }
        return reads;
      };
      const raw = new RDD<ConsumedRecord>(env, () => Promise.all(readAll()), "KafkaRDD");
      raw.partitionPromises = readAll;
      raw.packedSource = true;
      raw.batchTime = time;
      rdd = raw.mapPartitionsWithIndex<ConsumerRecord<K, V>>(() => [], "decode", this.decodeTask);
    } else {
      rdd = new RDD<ConsumerRecord<K, V>>(
        env,
        () => Promise.all(ranges.map((r) => this.readRange(r, time))),
        "KafkaRDD",
      );
    }
    rdd.offsetRanges = ranges;
    return rdd;
  }

  private async readRange(r: OffsetRange, time: number): Promise<ConsumerRecord<K, V>[]> {
    const out: ConsumerRecord<K, V>[] = [];
    for (const rec of await this.readRaw(r, time)) {
      try {
        out.push(this.asyncDecoders ? await this.decodeAsync(rec) : this.decodeSync(rec));
      } catch (e) {
        await this.malformedRecord(rec, e instanceof Error ? e.message : String(e), time);
      }
    }
    return out;
  }

  private async readRaw(r: OffsetRange, time: number): Promise<ConsumedRecord[]> {
    const port = this.topicsPort();
    const out: ConsumedRecord[] = [];
    let from = r.fromOffset;
    let stalls = 0;
    while (from < r.untilOffset) {
      const res = await port.fetch(r.topic, r.partition, from, {
        until: r.untilOffset,
        maxBytes: this.opts.fetchMaxBytes ?? 1 << 20,
      });
      for (const rec of res.records) {
        if (rec.offset < from || rec.offset >= r.untilOffset) continue;
        out.push(rec);
      }
      if (res.nextOffset <= from) {
        if (res.highWatermark <= from || ++stalls > 50) {
          throw new StreamingError(
            "MR_STREAMING_FETCH",
            `cannot read ${r.topic}-${r.partition} [${r.fromOffset}, ${r.untilOffset}) at offset ${from} (high ` +
              `watermark ${res.highWatermark}) for the batch of time ${time} ms`,
          );
        }
        await new Promise((res2) => setTimeout(res2, 20));
        continue;
      }
      from = res.nextOffset;
    }
    return out;
  }

  private decodeSync(rec: ConsumedRecord): ConsumerRecord<K, V> {
    return consumerRecord(rec, (this.keyDecoder as Decoder<K>)(rec.key), (this.valueDecoder as Decoder<V>)(rec.value));
  }

  private async decodeAsync(rec: ConsumedRecord): Promise<ConsumerRecord<K, V>> {
    const key = await this.keyDecoder(rec.key);
    return consumerRecord(rec, key, await this.valueDecoder(rec.value));
  }

  private async malformedRecord(rec: ConsumedRecord, reason: string, time: number): Promise<void> {
    {
      this.malformedCount++;
      malformed.inc({ app: (this.ssc as { appName?: string }).appName ?? "", topic: rec.topic });
      const source = `${rec.topic}-${rec.partition}@${rec.offset}`;
      if (this.opts.deadLetterTopic) {
        try {
          await this.topicsPort().produce(this.opts.deadLetterTopic, 0, [
            {
              key: rec.key,
              value: rec.value,
              timestamp: Number(rec.timestamp),
              headers: [
                ...rec.headers,
                { key: "millrace.error", value: Buffer.from(reason) },
                { key: "millrace.source", value: Buffer.from(source) },
                { key: "millrace.batch.time", value: Buffer.from(String(time)) },
              ],
            },
          ]);
        } catch (pe) {
          (this.ssc as { logger?: { error(o: object, m: string): void } }).logger?.error(
            { err: pe, source },
            "cannot write a malformed record to the dead-letter topic",
          );
        }
      } else {
        (this.ssc as { logger?: { warn(o: object, m: string): void } }).logger?.warn(
          { source, reason },
          "malformed record skipped",
        );
      }
    }
  }

  /** commits the ends of `ranges` to the consumer group (groupId) */
  async commitAsync(ranges: OffsetRange[], callback?: (err?: unknown) => void): Promise<void> {
    if (!this.opts.groupId)
      throw new StreamingError("MR_STREAMING_CONFIG", "commitAsync needs groupId in createDirectStream's options");
    try {
      await this.topicsPort().commitOffsets(
        this.opts.groupId,
        ranges.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.untilOffset })),
      );
      callback?.();
    } catch (e) {
      if (callback) callback(e);
      else throw e;
    }
  }
}

function consumerRecord<K, V>(rec: ConsumedRecord, key: K, value: V): ConsumerRecord<K, V> {
  return {
    topic: rec.topic,
    partition: rec.partition,
    offset: Number(rec.offset),
    timestamp: Number(rec.timestamp),
    key,
    value,
    headers: rec.headers,
  };
}

export const KafkaUtils = {
  createDirectStream<K = string | null, V = string | null>(
    ssc: GraphHost,
    opts: DirectStreamOptions<K, V>,
  ): DirectKafkaInputDStream<K, V> {
    return new DirectKafkaInputDStream<K, V>(ssc, opts);
  },
  /** the offset ranges of an RDD made by the direct stream (call it on the stream's own RDD, before transformations) */
  offsetRanges(rdd: RDD<unknown>): OffsetRange[] {
    if (!rdd.offsetRanges)
      throw new StreamingError(
        "MR_STREAMING_NOT_KAFKA_RDD",
        "offsetRanges(rdd): this RDD was not created by createDirectStream (take it in foreachRDD/transform of " +
          "the direct stream itself)",
      );
    return rdd.offsetRanges;
  },
  commitAsync(stream: DStream<unknown>, ranges: OffsetRange[], callback?: (err?: unknown) => void): Promise<void> {
    if (!(stream instanceof DirectKafkaInputDStream))
      throw new StreamingError(
        "MR_STREAMING_NOT_KAFKA_STREAM",
        "commitAsync: the stream was not created by createDirectStream",
      );
    return stream.commitAsync(ranges, callback);
  },
};
