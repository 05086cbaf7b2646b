/**
 * log/: the storage engine of the single-node broker. Kafka's on-disk layout,
 * batches stored as received, group-committed fdatasync, crash recovery.
 */
export { LogManager } from "./manager.js";
export type { TopicInfo, LogManagerOptions, LogManagerStats } from "./manager.js";
export { PartitionLog } from "./partition.js";
export type { AppendOptions, AppendResult } from "./partition.js";
export type { ReadOptions, ReadResult, TimestampOffset } from "./reads.js";
export { LogError } from "./errors.js";
export { groupSegmentsBySize, SimulatedCrashError } from "./cleaner.js";
export type { CompactOptions, CompactResult, CleanerCrashPoint } from "./cleaner.js";
export { OffsetMap } from "./offset-map.js";
export { validateCompactedBatches, DELETE_HORIZON_MASK } from "./record-filter.js";
export type { CleanStats, EmptiedBatch } from "./record-filter.js";
export type { LogErrorCode } from "./errors.js";
export {
  TOPIC_CONFIG_DEFS,
  TOPIC_CONFIG_NAMES,
  LONG_MAX_STRING,
  configValueString,
  defaultLogConfig,
  hasCleanupPolicy,
  isTopicConfigName,
  parseConfigValue,
  resolveDefaults,
  resolveTopicConfig,
  validateTopicName,
} from "./config.js";
export type { LogConfig, ConfigName } from "./config.js";
export type { Logger } from "./types.js";
