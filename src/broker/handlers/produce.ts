/**
 * Produce v0-9 (acks 0, 1 and all). Each partition's records go through the
 * shared append path (coordinator/producers/append.ts): validated (size,
 * magic, CRC32C, message.max.bytes), old magic 0/1 message sets converted to
 * v2, idempotent batches checked against the producer state, and the batches
 * appended as received with only their base offsets rewritten. acks=all
 * answers after fdatasync (group commit in the log); acks=1 after the write;
 * acks=0 sends no response.
 */
import { ApiKey } from "../../protocol/apis.js";
import { ErrorCode } from "../../protocol/errors.js";
import type { Decoded } from "../../protocol/codec.js";
import type {
  ProduceRequestData,
  ProduceResponseData,
  ProduceResponsePartitionProduceResponse,
} from "../../protocol/messages/index.js";
import { appendRecords, type AppendRecordsResult } from "../../coordinator/producers/append.js";
import type { ApiHandler, RequestContext } from "./types.js";

type PartitionResult = ProduceResponsePartitionProduceResponse;

function failed(index: number, errorCode: number, message: string | null): PartitionResult {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage: message,
  };
}

function toResult(index: number, r: AppendRecordsResult): PartitionResult {
  return {
    index,
    errorCode: r.errorCode,
    baseOffset: r.baseOffset,
    logAppendTimeMs: r.logAppendTimeMs,
    logStartOffset: r.logStartOffset,
    recordErrors: [],
    errorMessage: r.errorMessage,
  };
}

function appendPartition(
  ctx: RequestContext,
  topic: string,
  index: number,
  records: Buffer | null,
  sync: boolean,
  now: number,
): PartitionResult | Promise<PartitionResult> {
  const { broker } = ctx;
  // The append is issued synchronously here, so batches from one connection keep their order.
  const r = appendRecords(broker, topic, index, records, {
    sync,
    now,
    onUnexpectedError: (e) => broker.logger.error({ err: e, topic, partition: index }, "produce failed"),
  });
  return r instanceof Promise ? r.then((x) => toResult(index, x)) : toResult(index, r);
}

async function handle(ctx: RequestContext, req: Decoded<ProduceRequestData>): Promise<ProduceResponseData | null> {
  const acks = req.acks;
  const badAcks = acks !== 0 && acks !== 1 && acks !== -1;
  const now = Date.now();
  const topics: { name: string; results: (PartitionResult | Promise<PartitionResult>)[] }[] = [];
  for (const td of req.topicData) {
    const results = td.partitionData.map((pd) =>
      badAcks
        ? failed(pd.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, not ${acks}`)
        : appendPartition(ctx, td.name, pd.index, pd.records, acks === -1, now),
    );
    topics.push({ name: td.name, results });
  }
  const responses = await Promise.all(
    topics.map(async (t) => ({ name: t.name, partitionResponses: await Promise.all(t.results) })),
  );
  if (acks === 0) {
    // No response exists to carry an error: close the connection so the producer notices (as Kafka does).
    const bad = responses.flatMap((t) => t.partitionResponses).find((p) => p.errorCode !== ErrorCode.NONE);
    if (bad) ctx.connection.close(`acks=0 produce failed: ${bad.errorMessage ?? bad.errorCode}`);
    return null;
  }
  return { responses, throttleTimeMs: 0 };
}

export const produce: ApiHandler<ProduceRequestData, ProduceResponseData> = {
  key: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 9,
  handle,
};
