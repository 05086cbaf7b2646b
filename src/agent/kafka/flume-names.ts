/**
 * The property names Flume 1.7-1.11 still accept on its Kafka channel, source
 * and sink from the Kafka 0.8 days, translated as Flume translates them
 * (KafkaChannel.translateOldProps, KafkaSource.translateOldProperties,
 * KafkaSink.translateOldProps): the old name is copied to the new one only
 * when the new one is not set, so the new name wins. Each old name is warned
 * once per process, with its file:line and the name to use instead.
 *
 * zookeeperConnect and migrateZookeeperOffsets (offsets kept in ZooKeeper,
 * migrated to Kafka at start) have no effect here: there is no ZooKeeper.
 */
import type { ComponentEnv, Context } from "../api.js";

export type KafkaComponentKind = "channel" | "source" | "sink";

interface Rename {
  old: string;
  new: string;
  /** the new value from the old one (default: as is) */
  value?: (old: string, ctx: Context) => string;
}

/** readSmallestOffset=true meant "start at the earliest offset" (Flume: auto.offset.reset). */
const smallest = (v: string, ctx: Context): string => {
  const l = v.toLowerCase();
  if (l !== "true" && l !== "false") throw ctx.error("readSmallestOffset", `must be true or false, got "${v}"`);
  return l === "true" ? "earliest" : "latest";
};

const RENAMES: Record<KafkaComponentKind, Rename[]> = {
  channel: [
    { old: "topic", new: "kafka.topic" },
    { old: "brokerList", new: "kafka.bootstrap.servers" },
    { old: "groupId", new: "kafka.consumer.group.id" },
    { old: "readSmallestOffset", new: "kafka.consumer.auto.offset.reset", value: smallest },
  ],
  source: [
    { old: "topic", new: "kafka.topics" },
    { old: "groupId", new: "kafka.consumer.group.id" },
  ],
  sink: [
    { old: "topic", new: "kafka.topic" },
    { old: "brokerList", new: "kafka.bootstrap.servers" },
    { old: "batchSize", new: "flumeBatchSize" },
    { old: "requiredAcks", new: "kafka.producer.acks" },
  ],
};

/** Old names that are read and do nothing, with why. */
const NO_EFFECT: Record<KafkaComponentKind, Record<string, string>> = {
  channel: {
    zookeeperConnect: "there is no ZooKeeper; the channel reaches Kafka through kafka.bootstrap.servers",
    migrateZookeeperOffsets: "there is no ZooKeeper to migrate offsets from; offsets are Kafka's committed offsets",
  },
  source: {
    zookeeperConnect: "there is no ZooKeeper; the source reaches Kafka through kafka.bootstrap.servers",
    migrateZookeeperOffsets: "there is no ZooKeeper to migrate offsets from; offsets are Kafka's committed offsets",
  },
  sink: {
    "serializer.class": "values are the event body (or an AvroFlumeEvent with useFlumeEventFormat)",
    "key.serializer.class": "the record key is the event's key header",
  },
};

const warned = new Set<string>();

function warnOnce(env: ComponentEnv, msg: string): void {
  if (warned.has(msg)) return;
  warned.add(msg);
  env.logger.warn(msg);
}

function where(ctx: Context, key: string): string {
  const e = ctx.entry(key)!;
  return `${e.line > 0 ? `${e.file}:${e.line}: ` : ""}${e.key}`;
}

/** Translates and warns about the deprecated names of one Kafka component (before anything reads ctx). */
export function translateFlumeKafkaNames(ctx: Context, env: ComponentEnv, kind: KafkaComponentKind): void {
  for (const r of RENAMES[kind]) {
    if (!ctx.has(r.old)) continue;
    const oldValue = ctx.getString(r.old, "");
    const at = where(ctx, r.old);
    // Flume's source takes kafka.topics.regex over the topic list as well
    const newSet = ctx.has(r.new) || (kind === "source" && r.old === "topic" && ctx.has("kafka.topics.regex"));
    if (newSet) {
      warnOnce(env, `${at} is deprecated (use ${ctx.prefix}.${r.new}); ignored because ${r.new} is set`);
      continue;
    }
    if (oldValue === "") continue;
    ctx.set(r.new, r.value ? r.value(oldValue, ctx) : oldValue, ctx.entry(r.old));
    warnOnce(env, `${at} is deprecated: use ${ctx.prefix}.${r.new} (translated as Flume does)`);
  }
  for (const [k, why] of Object.entries(NO_EFFECT[kind])) {
    if (!ctx.has(k)) continue;
    ctx.markUsed(k);
    warnOnce(env, `${where(ctx, k)} has no effect: ${why}`);
  }
}
