/**
 * DescribeConfigs v0-4 for topics (overrides, broker-provided defaults and
 * Kafka's defaults, with synonyms) and for the broker (static config from
 * server.properties and defaults).
 */
import { ApiKey } from "../../protocol/apis.js";
import { ErrorCode } from "../../protocol/errors.js";
import type { Decoded } from "../../protocol/codec.js";
import type {
  DescribeConfigsRequestData,
  DescribeConfigsResponseData,
  DescribeConfigsResult,
} from "../../protocol/messages/index.js";
import { configValueString, type ConfigName, type TopicInfo } from "../../log/index.js";
import { BROKER_KEYS } from "../config.js";
import type { Broker } from "../broker.js";
import type { ApiHandler, RequestContext } from "./types.js";

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;

// Config sources (DescribeConfigsResponse.ConfigSource).
const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;

// Config types (v3+).
const TYPES: Record<string, number> = { bool: 1, string: 2, int: 3, long: 5, double: 6, list: 7 };

interface Entry {
  name: string;
  value: string | null;
  configSource: number;
  configType: number;
  synonyms: { name: string; value: string | null; source: number }[];
}

/** Broker keys that set the default of each topic-level key. */
function brokerSynonyms(topicKey: string): string[] {
  const keys = Object.entries(BROKER_KEYS)
    .filter(([, d]) => d.topic === topicKey)
    .map(([k]) => k);
  if (topicKey === "retention.ms") keys.push("log.retention.minutes", "log.retention.hours");
  if (topicKey === "segment.ms") keys.push("log.roll.hours");
  return keys;
}

function guessType(topicKey: string, value: string | null): number {
  const syn = brokerSynonyms(topicKey)[0];
  if (syn) return TYPES[BROKER_KEYS[syn].kind];
  if (value === "true" || value === "false") return TYPES.bool;
  if (value !== null && /^-?\d+$/.test(value)) return TYPES.long;
  return TYPES.string;
}

export function topicConfigEntries(broker: Broker, t: TopicInfo, keys: string[] | null): Entry[] {
  const out: Entry[] = [];
  const names = Object.keys(t.config).sort();
  for (const name of names) {
    if (keys && !keys.includes(name)) continue;
    const value = configValueString(t.config, name as ConfigName);
    const synonyms: Entry["synonyms"] = [];
    if (t.configs[name] !== undefined) synonyms.push({ name, value: t.configs[name], source: DYNAMIC_TOPIC_CONFIG });
    for (const k of brokerSynonyms(name)) {
      const bv = broker.config.values.get(k);
      if (bv && bv.source === "static") synonyms.push({ name: k, value: bv.value, source: STATIC_BROKER_CONFIG });
    }
    for (const k of brokerSynonyms(name)) {
      const bv = broker.config.values.get(k);
      if (bv && bv.source === "default" && bv.value !== null)
        synonyms.push({ name: k, value: bv.value, source: DEFAULT_CONFIG });
    }
    out.push({
      name,
      value,
      configSource: synonyms[0]?.source ?? DEFAULT_CONFIG,
      configType: guessType(name, value),
      synonyms,
    });
  }
  return out;
}

function brokerConfigEntries(broker: Broker, keys: string[] | null): Entry[] {
  const out: Entry[] = [];
  for (const [name, def] of Object.entries(BROKER_KEYS).sort(([a], [b]) => a.localeCompare(b))) {
    if (keys && !keys.includes(name)) continue;
    const v = broker.config.values.get(name)!;
    const source = v.source === "static" ? STATIC_BROKER_CONFIG : DEFAULT_CONFIG;
    out.push({
      name,
      value: v.value,
      configSource: source,
      configType: TYPES[def.kind],
      synonyms: [{ name, value: v.value, source }],
    });
  }
  return out;
}

function handle(ctx: RequestContext, req: Decoded<DescribeConfigsRequestData>): DescribeConfigsResponseData {
  const { broker, apiVersion: v } = ctx;
  const results = req.resources.map((res): DescribeConfigsResult => {
    const base = { resourceType: res.resourceType, resourceName: res.resourceName };
    let entries: Entry[];
    if (res.resourceType === TOPIC) {
      const t = broker.log.topic(res.resourceName);
      if (!t)
        return {
          ...base,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `unknown topic ${res.resourceName}`,
          configs: [],
        };
      entries = topicConfigEntries(broker, t, res.configurationKeys);
    } else if (res.resourceType === BROKER) {
      if (res.resourceName !== "" && res.resourceName !== String(broker.config.nodeId)) {
        return {
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `unknown broker ${res.resourceName}`,
          configs: [],
        };
      }
      entries = brokerConfigEntries(broker, res.configurationKeys);
    } else if (res.resourceType === BROKER_LOGGER) {
      return {
        ...base,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: "broker logger configs are not supported",
        configs: [],
      };
    } else {
      return {
        ...base,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: `unsupported resource type ${res.resourceType}`,
        configs: [],
      };
    }
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      configs: entries.map((e) => ({
        name: e.name,
        value: e.value,
        readOnly: res.resourceType === BROKER,
        isDefault: e.configSource === DEFAULT_CONFIG,
        configSource: e.configSource,
        isSensitive: false,
        synonyms: v >= 1 && req.includeSynonyms ? e.synonyms : [],
        configType: e.configType,
        documentation: null,
      })),
    };
  });
  return { throttleTimeMs: 0, results };
}

export const describeConfigs: ApiHandler<DescribeConfigsRequestData, DescribeConfigsResponseData> = {
  key: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle,
};
