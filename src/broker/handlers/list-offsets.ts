/**
 * ListOffsets v0-7: earliest (-2), latest (-1), max timestamp (-3, v7) and
 * the first offset whose batch timestamp is at or after a given time.
 */
import { ApiKey } from "../../protocol/apis.js";
import { ErrorCode } from "../../protocol/errors.js";
import type { Decoded } from "../../protocol/codec.js";
import type {
  ListOffsetsPartition,
  ListOffsetsPartitionResponse,
  ListOffsetsRequestData,
  ListOffsetsResponseData,
} from "../../protocol/messages/index.js";
import type { ApiHandler, RequestContext } from "./types.js";
import { LEADER_EPOCH } from "./metadata.js";
import { recordOffsetForTimestamp } from "../../log/timestamp-lookup.js";
import { topicError } from "./util.js";

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;

async function partition(
  ctx: RequestContext,
  topic: string,
  p: ListOffsetsPartition,
): Promise<ListOffsetsPartitionResponse> {
  const v = ctx.apiVersion;
  const log = ctx.broker.log.topic(topic)?.partitions[p.partitionIndex];
  const base = {
    partitionIndex: p.partitionIndex,
    oldStyleOffsets: [] as bigint[],
    timestamp: -1n,
    offset: -1n,
    leaderEpoch: -1,
  };
  if (!log) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  const epoch = p.currentLeaderEpoch ?? -1;
  if (epoch > LEADER_EPOCH) return { ...base, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH };
  if (epoch >= 0 && epoch < LEADER_EPOCH) return { ...base, errorCode: ErrorCode.FENCED_LEADER_EPOCH };
  const ts = p.timestamp;
  try {
    let offset: bigint;
    let timestamp = -1n;
    if (ts === LATEST) offset = log.highWatermark;
    else if (ts === EARLIEST) offset = log.logStartOffset;
    else if (ts === MAX_TIMESTAMP) {
      const r = await log.maxTimestampOffset();
      offset = r ? r.offset : -1n;
      timestamp = r ? r.timestamp : -1n;
    } else {
      const r = await recordOffsetForTimestamp(log, ts);
      offset = r ? r.offset : -1n;
      timestamp = r ? r.timestamp : -1n;
    }
    if (v === 0) {
      // v0 answers with a list of offsets (at most maxNumOffsets); one is all a client needs.
      return {
        ...base,
        errorCode: ErrorCode.NONE,
        oldStyleOffsets: offset >= 0n && (p.maxNumOffsets ?? 0) > 0 ? [offset] : [],
      };
    }
    return { ...base, errorCode: ErrorCode.NONE, timestamp, offset, leaderEpoch: offset >= 0n ? LEADER_EPOCH : -1 };
  } catch (e) {
    return { ...base, errorCode: topicError(e) };
  }
}

async function handle(ctx: RequestContext, req: Decoded<ListOffsetsRequestData>): Promise<ListOffsetsResponseData> {
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(t.partitions.map((p) => partition(ctx, t.name, p))),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

export const listOffsets: ApiHandler<ListOffsetsRequestData, ListOffsetsResponseData> = {
  key: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 7,
  handle,
};
