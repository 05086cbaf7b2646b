/**
 * The one append path for produced records, shared by the broker's Produce
 * handler and the embedded TopicsPort: validate the record set (size, magic,
 * CRC32C, max.message.bytes; old magic 0/1 message sets are converted to v2;
 * transactional batches are refused), then append it through the idempotent
 * producer state (duplicates and sequence gaps detected) when a
 * ProducerStateManager is given, else straight to the partition log.
 *
 * The append itself is issued synchronously inside `appendRecords`, so calls
 * made one after the other keep their order in the log. The result is a
 * Kafka error code (0 when appended) plus the offsets, the shape of one
 * partition of a Produce response.
 */
import { LogError, type LogManager } from "../../log/index.js";
import { ErrorCode } from "../../protocol/errors.js";
import { magicAt, scanBatches, TRANSACTIONAL_MASK, RecordsError } from "../../protocol/records/batch.js";
import { convertToV2 } from "../../protocol/records/legacy.js";
import type { ProducerStateManager } from "./manager.js";

export interface AppendTarget {
  log: LogManager;
  /** idempotent producer state; batches with a producer id are appended without deduplication when absent */
  producers?: ProducerStateManager;
}

export interface AppendRecordsOptions {
  /** fdatasync before resolving (acks=all) */
  sync: boolean;
  /** the append time (ms) */
  now?: number;
  /** called with errors raised while validating or issuing the append that are not record errors (to be logged) */
  onUnexpectedError?: (e: unknown) => void;
}

export interface AppendRecordsResult {
  /** Kafka error code, 0 (NONE) when the records are in the log */
  errorCode: number;
  errorMessage: string | null;
  /** -1 on error */
  baseOffset: bigint;
  /** the append time for LogAppendTime topics, else -1 */
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  /** the batch was a retry of batches already appended (same producer id, epoch and sequence) */
  duplicate: boolean;
}

function failed(errorCode: number, message: string | null): AppendRecordsResult {
  return {
    errorCode,
    errorMessage: message,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    duplicate: false,
  };
}

/** The Kafka error code for an error raised by the log or the record layer. */
export function appendErrorCode(e: unknown): number {
  if (e instanceof RecordsError) return e.kafkaCode;
  if (e instanceof LogError) {
    switch (e.code) {
      case "MR_LOG_TOPIC_EXISTS":
        return ErrorCode.TOPIC_ALREADY_EXISTS;
      case "MR_LOG_UNKNOWN_TOPIC":
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      case "MR_LOG_INVALID_TOPIC":
        return ErrorCode.INVALID_TOPIC_EXCEPTION;
      case "MR_LOG_INVALID_CONFIG":
        return ErrorCode.INVALID_CONFIG;
      case "MR_LOG_OFFSET_OUT_OF_RANGE":
        return ErrorCode.OFFSET_OUT_OF_RANGE;
      case "MR_LOG_INVALID_PARTITIONS":
        return ErrorCode.INVALID_PARTITIONS;
      case "MR_LOG_CORRUPT":
        return ErrorCode.CORRUPT_MESSAGE;
      default:
        return ErrorCode.KAFKA_STORAGE_ERROR;
    }
  }
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Validates and appends the record set of one partition. Returns synchronously
 * when it is refused up front, else a promise that settles once the records
 * are as durable as `sync` asks. Never rejects: failures are error codes.
 */
export function appendRecords(
  target: AppendTarget,
  topic: string,
  partition: number,
  records: Buffer | null,
  opts: AppendRecordsOptions,
): AppendRecordsResult | Promise<AppendRecordsResult> {
  const t = target.log.topic(topic);
  const p = t?.partitions[partition];
  if (!t || !p) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic or partition ${topic}-${partition}`);
  if (records === null || records.length === 0) return failed(ErrorCode.INVALID_RECORD, "no records");
  const refused = (e: unknown) => failed(appendErrorCode(e), messageOf(e));
  try {
    const maxBatch = Number(t.config["max.message.bytes"]);
    let buf = records;
    const magic = magicAt(buf, 0);
    if (magic === 0 || magic === 1) buf = convertToV2(buf);
    const batches = scanBatches(buf, { maxBatchSize: maxBatch });
    for (const b of batches) {
      if (b.attributes & TRANSACTIONAL_MASK) {
        throw new RecordsError(
          "MR_RECORDS_TRANSACTIONAL",
          ErrorCode.INVALID_RECORD,
          "transactional batches are not supported yet",
        );
      }
    }
    const now = opts.now ?? Date.now();
    const outcome = target.producers
      ? target.producers.append(p, buf, batches, { sync: opts.sync, now })
      : { kind: "appended" as const, result: p.append(buf, batches, { sync: opts.sync, now }) };
    if (outcome.kind === "error") return failed(outcome.errorCode, outcome.message);
    const duplicate = outcome.kind === "duplicate";
    return outcome.result.then(
      (r) => ({
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        baseOffset: r.baseOffset,
        logAppendTimeMs: r.logAppendTime,
        logStartOffset: r.logStartOffset,
        duplicate,
      }),
      refused,
    );
  } catch (e) {
    if (!(e instanceof RecordsError)) opts.onUnexpectedError?.(e);
    return refused(e);
  }
}
