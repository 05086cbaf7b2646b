/**
 * Errors raised by the storage engine. `code` is stable; the broker maps it to
 * the Kafka error it answers with (see the comments).
 */
import { MillraceError } from "../errors.js";

export type LogErrorCode =
  /** TOPIC_ALREADY_EXISTS (36) */
  | "MR_LOG_TOPIC_EXISTS"
  /** UNKNOWN_TOPIC_OR_PARTITION (3); also raised by a partition of a deleted topic */
  | "MR_LOG_UNKNOWN_TOPIC"
  /** UNKNOWN_TOPIC_OR_PARTITION (3) */
  | "MR_LOG_UNKNOWN_PARTITION"
  /** INVALID_TOPIC_EXCEPTION (17) */
  | "MR_LOG_INVALID_TOPIC"
  /** INVALID_PARTITIONS (37) */
  | "MR_LOG_INVALID_PARTITIONS"
  /** INVALID_CONFIG (40) */
  | "MR_LOG_INVALID_CONFIG"
  /** OFFSET_OUT_OF_RANGE (1) */
  | "MR_LOG_OFFSET_OUT_OF_RANGE"
  /** MESSAGE_TOO_LARGE (10) */
  | "MR_LOG_RECORD_TOO_LARGE"
  /** CORRUPT_MESSAGE (2): the buffer and its ScannedBatch[] do not match */
  | "MR_LOG_INVALID_APPEND"
  /** KAFKA_STORAGE_ERROR (56): data on disk is not what the log expects */
  | "MR_LOG_CORRUPT"
  /** KAFKA_STORAGE_ERROR (56): a write or fsync failed; the partition is offline until reopened */
  | "MR_LOG_IO"
  /** the manager (or partition) is closed */
  | "MR_LOG_CLOSED"
  /** another process holds the data directory */
  | "MR_LOG_LOCKED";

export class LogError extends MillraceError {
  declare readonly code: LogErrorCode;
  constructor(code: LogErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
