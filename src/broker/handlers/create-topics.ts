/**
 * CreateTopics v0-7: partitions (or num.partitions when -1), replication
 * factor 1 (or -1), manual assignments only onto this node, topic configs
 * validated by the log, validate_only.
 */
import { ApiKey } from "../../protocol/apis.js";
import { ErrorCode } from "../../protocol/errors.js";
import type { Decoded } from "../../protocol/codec.js";
import type {
  CreateTopicsRequestCreatableTopic,
  CreateTopicsRequestData,
  CreateTopicsResponseCreatableTopicResult,
  CreateTopicsResponseData,
} from "../../protocol/messages/index.js";
import { uuidToString, ZERO_UUID } from "../../protocol/primitives.js";
import type { ApiHandler, RequestContext } from "./types.js";
import { errorMessage, topicError } from "./util.js";
import { topicConfigEntries } from "./describe-configs.js";

function result(name: string, errorCode: number, msg: string | null): CreateTopicsResponseCreatableTopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage: msg,
    numPartitions: -1,
    replicationFactor: -1,
    configs: null,
  };
}

async function createOne(
  ctx: RequestContext,
  t: CreateTopicsRequestCreatableTopic,
  validateOnly: boolean,
): Promise<CreateTopicsResponseCreatableTopicResult> {
  const { broker } = ctx;
  const node = broker.config.nodeId;
  const assignments = t.assignments;
  let partitions = t.numPartitions;
  if (assignments.length > 0) {
    if (partitions !== -1 || t.replicationFactor !== -1) {
      return result(
        t.name,
        ErrorCode.INVALID_REQUEST,
        "give either assignments or numPartitions/replicationFactor, not both",
      );
    }
    const bad = assignments.find((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== node);
    if (bad)
      return result(
        t.name,
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `partition ${bad.partitionIndex} must be assigned to broker ${node} only`,
      );
    const idx = assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
    if (idx.some((p, i) => p !== i))
      return result(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, "assigned partitions must be 0..n-1");
    partitions = idx.length;
  }
  if (partitions === -1) partitions = broker.config.numPartitions;
  if (partitions <= 0)
    return result(t.name, ErrorCode.INVALID_PARTITIONS, `number of partitions must be at least 1, not ${partitions}`);
  if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
    return result(
      t.name,
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `replication factor ${t.replicationFactor} is larger than the 1 available broker`,
    );
  }
  const configs: Record<string, string> = {};
  for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
  if (broker.log.topic(t.name))
    return result(t.name, ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${t.name}' already exists`);
  if (validateOnly) {
    try {
      broker.log.validateTopic(t.name, partitions, configs);
    } catch (e) {
      return result(t.name, topicError(e), errorMessage(e));
    }
    return { ...result(t.name, ErrorCode.NONE, null), numPartitions: partitions, replicationFactor: 1 };
  }
  try {
    const info = await broker.createTopic(t.name, partitions, configs);
    return {
      name: t.name,
      topicId: uuidToString(info.id),
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      numPartitions: partitions,
      replicationFactor: 1,
      configs: topicConfigEntries(broker, info, null).map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: false,
        configSource: c.configSource,
        isSensitive: false,
      })),
    };
  } catch (e) {
    return result(t.name, topicError(e), errorMessage(e));
  }
}

async function handle(ctx: RequestContext, req: Decoded<CreateTopicsRequestData>): Promise<CreateTopicsResponseData> {
  const seen = new Set<string>();
  const topics: CreateTopicsResponseCreatableTopicResult[] = [];
  for (const t of req.topics) {
    if (seen.has(t.name)) {
      topics.push(result(t.name, ErrorCode.INVALID_REQUEST, `topic '${t.name}' appears twice in the request`));
      continue;
    }
    seen.add(t.name);
    topics.push(await createOne(ctx, t, req.validateOnly === true));
  }
  return { throttleTimeMs: 0, topics };
}

export const createTopics: ApiHandler<CreateTopicsRequestData, CreateTopicsResponseData> = {
  key: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  handle,
};
