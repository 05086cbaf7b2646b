/**
 * Topic-level log configuration, with Kafka's names, types, defaults and
 * validation rules. A topic's resolved config is Kafka's default, overlaid by
 * the broker-wide defaults the manager was opened with, overlaid by the
 * topic's overrides (the only part that is persisted per topic).
 */
import { LogError } from "./errors.js";

/** Kafka's Long.MAX_VALUE, as Kafka prints it in configs. */
export const LONG_MAX_STRING = "9223372036854775807";
/** Long.MAX_VALUE as a double: it rounds to 2^63, the value numeric configs compare with. */
const LONG_MAX = 2 ** 63;

export type TimestampTypeName = "CreateTime" | "LogAppendTime";

export interface LogConfig {
  "cleanup.policy": string;
  "compression.type": string;
  "delete.retention.ms": number;
  "file.delete.delay.ms": number;
  "flush.messages": number;
  "flush.ms": number;
  "follower.replication.throttled.replicas": string;
  "index.interval.bytes": number;
  "leader.replication.throttled.replicas": string;
  "local.retention.bytes": number;
  "local.retention.ms": number;
  "max.compaction.lag.ms": number;
  "max.message.bytes": number;
  "message.downconversion.enable": boolean;
  "message.format.version": string;
  "message.timestamp.after.max.ms": number;
  "message.timestamp.before.max.ms": number;
  "message.timestamp.difference.max.ms": number;
  "message.timestamp.type": TimestampTypeName;
  "min.cleanable.dirty.ratio": number;
  "min.compaction.lag.ms": number;
  "min.insync.replicas": number;
  preallocate: boolean;
  "remote.storage.enable": boolean;
  "retention.bytes": number;
  "retention.ms": number;
  "segment.bytes": number;
  "segment.index.bytes": number;
  "segment.jitter.ms": number;
  "segment.ms": number;
  "unclean.leader.election.enable": boolean;
}

export type ConfigName = keyof LogConfig;

type ConfigType = "long" | "int" | "double" | "boolean" | "string" | "list";

interface ConfigDef {
  type: ConfigType;
  /** Kafka's default, as the string Kafka reports in DescribeConfigs. */
  default: string;
  min?: number;
  max?: number;
  oneOf?: readonly string[];
  /** for lists: every element must be one of these */
  listOf?: readonly string[];
  doc: string;
}

/** Every topic-level config Kafka accepts, with its default (Kafka 3.x). */
export const TOPIC_CONFIG_DEFS: Readonly<Record<ConfigName, ConfigDef>> = {
  "cleanup.policy": {
    type: "list",
    default: "delete",
    listOf: ["compact", "delete"],
    doc: "delete and/or compact old segments",
  },
  "compression.type": {
    type: "string",
    default: "producer",
    oneOf: ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"],
    doc: "final compression type (millrace stores batches as received: only 'producer' changes nothing)",
  },
  "delete.retention.ms": {
    type: "long",
    default: "86400000",
    min: 0,
    doc: "how long delete tombstones are retained (compacted topics)",
  },
  "file.delete.delay.ms": {
    type: "long",
    default: "60000",
    min: 0,
    doc: "time to wait before deleting a file from the filesystem",
  },
  "flush.messages": { type: "long", default: LONG_MAX_STRING, min: 1, doc: "force an fsync after this many messages" },
  "flush.ms": { type: "long", default: LONG_MAX_STRING, min: 0, doc: "force an fsync after this much time" },
  "follower.replication.throttled.replicas": {
    type: "string",
    default: "",
    doc: "accepted for compatibility; no replication",
  },
  "index.interval.bytes": { type: "int", default: "4096", min: 0, doc: "bytes of log between offset index entries" },
  "leader.replication.throttled.replicas": {
    type: "string",
    default: "",
    doc: "accepted for compatibility; no replication",
  },
  "local.retention.bytes": {
    type: "long",
    default: "-2",
    min: -2,
    doc: "accepted for compatibility; no tiered storage",
  },
  "local.retention.ms": { type: "long", default: "-2", min: -2, doc: "accepted for compatibility; no tiered storage" },
  "max.compaction.lag.ms": {
    type: "long",
    default: LONG_MAX_STRING,
    min: 1,
    doc: "maximum time a message stays uncompacted",
  },
  "max.message.bytes": { type: "int", default: "1048588", min: 0, doc: "largest record batch size allowed" },
  "message.downconversion.enable": { type: "boolean", default: "true", doc: "accepted for compatibility" },
  "message.format.version": {
    type: "string",
    default: "3.0-IV1",
    doc: "accepted for compatibility (deprecated by Kafka)",
  },
  "message.timestamp.after.max.ms": {
    type: "long",
    default: LONG_MAX_STRING,
    min: 0,
    doc: "max allowed future timestamp skew (checked by the broker)",
  },
  "message.timestamp.before.max.ms": {
    type: "long",
    default: LONG_MAX_STRING,
    min: 0,
    doc: "max allowed past timestamp skew (checked by the broker)",
  },
  "message.timestamp.difference.max.ms": {
    type: "long",
    default: LONG_MAX_STRING,
    min: 0,
    doc: "deprecated skew limit (checked by the broker)",
  },
  "message.timestamp.type": {
    type: "string",
    default: "CreateTime",
    oneOf: ["CreateTime", "LogAppendTime"],
    doc: "timestamp kept in batches",
  },
  "min.cleanable.dirty.ratio": { type: "double", default: "0.5", min: 0, max: 1, doc: "compaction trigger ratio" },
  "min.compaction.lag.ms": { type: "long", default: "0", min: 0, doc: "minimum time a message stays uncompacted" },
  "min.insync.replicas": { type: "int", default: "1", min: 1, doc: "single node: always satisfied by 1" },
  preallocate: { type: "boolean", default: "false", doc: "accepted; millrace writes index files unpreallocated" },
  "remote.storage.enable": { type: "boolean", default: "false", doc: "accepted for compatibility; no tiered storage" },
  "retention.bytes": {
    type: "long",
    default: "-1",
    doc: "maximum partition size before old segments are deleted (-1: unlimited)",
  },
  "retention.ms": {
    type: "long",
    default: "604800000",
    min: -1,
    doc: "maximum age of a segment before deletion (-1: forever)",
  },
  "segment.bytes": { type: "int", default: "1073741824", min: 14, doc: "segment file size" },
  "segment.index.bytes": { type: "int", default: "10485760", min: 4, doc: "maximum size of a segment's offset index" },
  "segment.jitter.ms": { type: "long", default: "0", min: 0, doc: "random jitter subtracted from segment.ms" },
  "segment.ms": { type: "long", default: "604800000", min: 1, doc: "roll a new segment after this much time" },
  "unclean.leader.election.enable": { type: "boolean", default: "false", doc: "accepted for compatibility" },
};

export const TOPIC_CONFIG_NAMES = Object.keys(TOPIC_CONFIG_DEFS) as ConfigName[];

export function isTopicConfigName(name: string): name is ConfigName {
  return Object.hasOwn(TOPIC_CONFIG_DEFS, name);
}

function invalid(name: string, value: string, why: string): LogError {
  return new LogError(
    "MR_LOG_INVALID_CONFIG",
    `Invalid value ${JSON.stringify(value)} for configuration ${name}: ${why}`,
  );
}

/** Parses one config value the way Kafka's ConfigDef does; throws MR_LOG_INVALID_CONFIG. */
export function parseConfigValue(name: string, raw: string): LogConfig[ConfigName] {
  if (!isTopicConfigName(name)) {
    throw new LogError("MR_LOG_INVALID_CONFIG", `Unknown topic config name: ${name}`);
  }
  const def = TOPIC_CONFIG_DEFS[name];
  if (typeof raw !== "string") throw invalid(name, String(raw), "expected a string");
  const v = raw.trim();
  switch (def.type) {
    case "long":
    case "int": {
      if (!/^[+-]?\d+$/.test(v))
        throw invalid(name, raw, `expected a ${def.type === "int" ? "32-bit" : "64-bit"} integer`);
      const big = BigInt(v);
      const [lo, hi] = def.type === "int" ? [-(2n ** 31n), 2n ** 31n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
      if (big < lo || big > hi) throw invalid(name, raw, "out of range for its type");
      const n = big === hi && def.type === "long" ? LONG_MAX : Number(big);
      if (def.min !== undefined && n < def.min) throw invalid(name, raw, `value must be at least ${def.min}`);
      if (def.max !== undefined && n > def.max) throw invalid(name, raw, `value must be at most ${def.max}`);
      return n;
    }
    case "double": {
      const n = Number(v);
      if (v === "" || !Number.isFinite(n)) throw invalid(name, raw, "expected a number");
      if (def.min !== undefined && n < def.min) throw invalid(name, raw, `value must be at least ${def.min}`);
      if (def.max !== undefined && n > def.max) throw invalid(name, raw, `value must be at most ${def.max}`);
      return n;
    }
    case "boolean": {
      const l = v.toLowerCase();
      if (l !== "true" && l !== "false") throw invalid(name, raw, "expected true or false");
      return l === "true";
    }
    case "string": {
      if (def.oneOf && !def.oneOf.includes(v)) throw invalid(name, raw, `must be one of ${def.oneOf.join(", ")}`);
      return v;
    }
    case "list": {
      const items = v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      if (def.listOf) {
        for (const it of items)
          if (!def.listOf.includes(it))
            throw invalid(name, raw, `every element must be one of ${def.listOf.join(", ")}`);
      }
      return items.join(",");
    }
  }
}

let kafkaDefaults: LogConfig | null = null;

/** Kafka's defaults for every topic config. */
export function defaultLogConfig(): LogConfig {
  if (!kafkaDefaults) {
    const out: Record<string, unknown> = {};
    for (const name of TOPIC_CONFIG_NAMES) out[name] = parseConfigValue(name, TOPIC_CONFIG_DEFS[name].default);
    kafkaDefaults = out as unknown as LogConfig;
  }
  return { ...kafkaDefaults };
}

/**
 * Validates typed broker-wide defaults (given as values, e.g. from the broker's
 * log.* settings mapped to topic names) and returns Kafka's defaults overlaid by them.
 */
export function resolveDefaults(defaults: Partial<LogConfig> = {}): LogConfig {
  const out = defaultLogConfig() as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(defaults)) {
    if (value === undefined) continue;
    out[name] = parseConfigValue(
      name,
      typeof value === "number" && value >= LONG_MAX ? LONG_MAX_STRING : String(value),
    );
  }
  return out as unknown as LogConfig;
}

/**
 * Validates topic overrides (all strings, as they come from CreateTopics or
 * AlterConfigs) and returns them normalised, plus the resolved config.
 */
export function resolveTopicConfig(
  base: LogConfig,
  overrides: Record<string, string>,
): { overrides: Record<string, string>; config: LogConfig } {
  const out = { ...base } as unknown as Record<string, unknown>;
  const normalised: Record<string, string> = {};
  for (const [name, raw] of Object.entries(overrides)) {
    if (raw === null || raw === undefined) continue;
    out[name] = parseConfigValue(name, raw);
    normalised[name] = String(raw).trim();
  }
  const config = out as unknown as LogConfig;
  return { overrides: normalised, config };
}

/** The string Kafka would report for a resolved config value. */
export function configValueString(config: LogConfig, name: ConfigName): string {
  const v = config[name];
  if (typeof v === "number" && v >= LONG_MAX) return LONG_MAX_STRING;
  return String(v);
}

export function hasCleanupPolicy(config: LogConfig, policy: "delete" | "compact"): boolean {
  return config["cleanup.policy"].split(",").some((p) => p.trim() === policy);
}

/** True for Kafka's "never" value (Long.MAX_VALUE) of flush.ms / flush.messages and friends. */
export function isNever(n: number): boolean {
  return n >= Number.MAX_SAFE_INTEGER;
}

const TOPIC_NAME_RE = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

/** Kafka's topic name rules; throws MR_LOG_INVALID_TOPIC. */
export function validateTopicName(name: string): void {
  if (typeof name !== "string" || name.length === 0)
    throw new LogError("MR_LOG_INVALID_TOPIC", "Topic name is illegal, it can't be empty");
  if (name === "." || name === "..") throw new LogError("MR_LOG_INVALID_TOPIC", `Topic name cannot be "." or ".."`);
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new LogError(
      "MR_LOG_INVALID_TOPIC",
      `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`,
    );
  }
  if (!TOPIC_NAME_RE.test(name)) {
    throw new LogError(
      "MR_LOG_INVALID_TOPIC",
      `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    );
  }
}

/** Kafka's collision rule: '.' and '_' map to the same metric name. */
export function topicCollisionKey(name: string): string {
  return name.replace(/\./g, "_");
}
