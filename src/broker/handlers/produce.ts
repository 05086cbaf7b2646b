/**
 * Produce v0-9 (acks 0, 1 and all). Each partition's records are validated
 * (size, magic, CRC32C, message.max.bytes), old magic 0/1 message sets are
 * converted to v2, and the batches are appended as received with only their
 * base offsets rewritten. acks=all answers after fdatasync (group commit in
 * the log); acks=1 after the write; acks=0 sends no response.
 */
import { ApiKey } from "../../protocol/apis.js";
import { ErrorCode } from "../../protocol/errors.js";
import type { Message } from "../../protocol/codec.js";
import { magicAt, scanBatches, TRANSACTIONAL_MASK, RecordsError } from "../../protocol/records/batch.js";
import { convertToV2 } from "../../protocol/records/legacy.js";
import type { ApiHandler, RequestContext } from "./types.js";
import { errorMessage, topicError } from "./util.js";

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
}

function failed(index: number, errorCode: number, message: string | null): PartitionResult {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: message };
}

function appendPartition(ctx: RequestContext, topic: string, index: number, records: Buffer | null, sync: boolean, now: number): PartitionResult | Promise<PartitionResult> {
  const { broker } = ctx;
  const t = broker.log.topic(topic);
  const p = t?.partitions[index];
  if (!t || !p) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic or partition ${topic}-${index}`);
  if (records === null || records.length === 0) return failed(index, ErrorCode.INVALID_RECORD, "no records");
  try {
    const maxBatch = Number(t.config["max.message.bytes"]);
    let buf = records;
    const magic = magicAt(buf, 0);
    if (magic === 0 || magic === 1) buf = convertToV2(buf);
    const batches = scanBatches(buf, { maxBatchSize: maxBatch });
    for (const b of batches) {
      if (b.attributes & TRANSACTIONAL_MASK) {
        throw new RecordsError("MR_RECORDS_TRANSACTIONAL", ErrorCode.INVALID_RECORD, "transactional batches are not supported yet");
      }
    }
    // The append is issued synchronously here, so batches from one connection keep their order.
    const outcome = broker.producers.append(p, buf, batches, { sync, now });
    if (outcome.kind === "error") return failed(index, outcome.errorCode, outcome.message);
    return outcome.result.then(
      (r) => ({
        index,
        errorCode: ErrorCode.NONE,
        baseOffset: r.baseOffset,
        logAppendTimeMs: r.logAppendTime,
        logStartOffset: r.logStartOffset,
        recordErrors: [],
        errorMessage: null,
      }),
      (e) => failed(index, topicError(e), errorMessage(e)),
    );
  } catch (e) {
    if (!(e instanceof RecordsError)) ctx.broker.logger.error({ err: e, topic, partition: index }, "produce failed");
    return failed(index, topicError(e), errorMessage(e));
  }
}

async function handle(ctx: RequestContext, req: Message): Promise<Message | null> {
  const acks: number = req.acks;
  const badAcks = acks !== 0 && acks !== 1 && acks !== -1;
  const now = Date.now();
  const topics: { name: string; results: (PartitionResult | Promise<PartitionResult>)[] }[] = [];
  for (const td of req.topicData as Message[]) {
    const results = (td.partitionData as Message[]).map((pd) =>
      badAcks ? failed(pd.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, not ${acks}`) : appendPartition(ctx, td.name, pd.index, pd.records, acks === -1, now),
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

export const produce: ApiHandler = { key: ApiKey.Produce, minVersion: 0, maxVersion: 9, handle };
