/**
 * Metadata v0-12: brokers (this one), topics with their single-replica
 * partitions led by this node, auto-creation when enabled and allowed.
 */
import { ApiKey } from "../../protocol/apis.js";
import { ErrorCode } from "../../protocol/errors.js";
import type { Decoded } from "../../protocol/codec.js";
import type {
  MetadataRequestData,
  MetadataResponseData,
  MetadataResponseTopic,
} from "../../protocol/messages/index.js";
import { uuidToString } from "../../protocol/primitives.js";
import { LogError, type TopicInfo } from "../../log/index.js";
import type { ApiHandler, RequestContext } from "./types.js";
import { topicError } from "./util.js";

export const LEADER_EPOCH = 0;

function topicMetadata(ctx: RequestContext, t: TopicInfo): MetadataResponseTopic {
  const node = ctx.broker.config.nodeId;
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: uuidToString(t.id),
    isInternal: t.name.startsWith("__"),
    partitions: t.partitions.map((p) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: node,
      leaderEpoch: LEADER_EPOCH,
      replicaNodes: [node],
      isrNodes: [node],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: -2147483648,
  };
}

async function handle(ctx: RequestContext, req: Decoded<MetadataRequestData>): Promise<MetadataResponseData> {
  const { broker, apiVersion: v } = ctx;
  const adv = broker.advertisedAddress(ctx.connection.listener);
  const requested = req.topics;
  const all = requested === null || (v === 0 && requested.length === 0);
  const allowAuto = v < 4 ? true : req.allowAutoTopicCreation !== false;
  const topics: MetadataResponseTopic[] = [];
  if (all) {
    for (const t of broker.log.topics()) topics.push(topicMetadata(ctx, t));
  } else {
    for (const rt of requested!) {
      let name = rt.name;
      if (name === null && rt.topicId) {
        const t = broker.log.topics().find((x) => uuidToString(x.id) === rt.topicId);
        if (!t) {
          topics.push({
            errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
            name: null,
            topicId: rt.topicId,
            isInternal: false,
            partitions: [],
          });
          continue;
        }
        name = t.name;
      }
      let t = broker.log.topic(name!);
      if (!t && broker.config.autoCreateTopics && allowAuto) {
        try {
          t = await broker.createTopic(name!, broker.config.numPartitions);
        } catch (e) {
          if (!(e instanceof LogError) || e.code !== "MR_LOG_TOPIC_EXISTS") {
            topics.push({ errorCode: topicError(e), name, isInternal: false, partitions: [] });
            continue;
          }
          t = broker.log.topic(name!);
        }
      }
      if (!t) {
        topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, isInternal: false, partitions: [] });
        continue;
      }
      topics.push(topicMetadata(ctx, t));
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: broker.config.nodeId, host: adv.host, port: adv.port, rack: null }],
    clusterId: broker.clusterId,
    controllerId: broker.config.nodeId,
    topics,
    clusterAuthorizedOperations: -2147483648,
  };
}

export const metadata: ApiHandler<MetadataRequestData, MetadataResponseData> = {
  key: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  handle,
};
