/**
 * DeleteTopics v0-6: by name (all versions) or by topic id (v6).
 */
import { ApiKey } from "../../protocol/apis.js";
import { ErrorCode } from "../../protocol/errors.js";
import type { Decoded } from "../../protocol/codec.js";
import type {
  DeleteTopicsRequestData,
  DeleteTopicsResponseData,
  DeleteTopicsResponseDeletableTopicResult,
} from "../../protocol/messages/index.js";
import { uuidToString, ZERO_UUID } from "../../protocol/primitives.js";
import type { ApiHandler, RequestContext } from "./types.js";
import { errorMessage, topicError } from "./util.js";

async function deleteOne(
  ctx: RequestContext,
  name: string | null,
  topicId: string,
): Promise<DeleteTopicsResponseDeletableTopicResult> {
  const { broker } = ctx;
  const t = name !== null ? broker.log.topic(name) : broker.log.topics().find((x) => uuidToString(x.id) === topicId);
  if (!t) {
    return {
      name,
      topicId,
      errorCode: name !== null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID,
      errorMessage: `unknown topic ${name ?? topicId}`,
    };
  }
  if (!broker.config.deleteTopicEnable) {
    return {
      name: t.name,
      topicId: uuidToString(t.id),
      errorCode: ErrorCode.TOPIC_DELETION_DISABLED,
      errorMessage: "delete.topic.enable is false",
    };
  }
  try {
    await broker.log.deleteTopic(t.name);
    broker.logger.info({ topic: t.name }, "deleted topic");
    return { name: t.name, topicId: uuidToString(t.id), errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (e) {
    return { name: t.name, topicId: uuidToString(t.id), errorCode: topicError(e), errorMessage: errorMessage(e) };
  }
}

async function handle(ctx: RequestContext, req: Decoded<DeleteTopicsRequestData>): Promise<DeleteTopicsResponseData> {
  const wanted: { name: string | null; topicId: string }[] =
    ctx.apiVersion >= 6 ? (req.topics ?? []) : (req.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }));
  const responses: DeleteTopicsResponseDeletableTopicResult[] = [];
  for (const w of wanted) responses.push(await deleteOne(ctx, w.name, w.topicId));
  return { throttleTimeMs: 0, responses };
}

export const deleteTopics: ApiHandler<DeleteTopicsRequestData, DeleteTopicsResponseData> = {
  key: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  handle,
};
