import { ErrorCode } from "../../protocol/errors.js";
import { LogError } from "../../log/index.js";
import { RecordsError } from "../../protocol/records/batch.js";

/** The Kafka error code for an error raised by the log or the record layer. */
export function topicError(e: unknown): number {
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

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
