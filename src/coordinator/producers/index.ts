/**
 * Idempotent producers (KIP-98 idempotence without transactions): producer
 * ids (InitProducerId), per-partition sequence/epoch state with duplicate
 * detection, and its snapshots and recovery.
 */
export { ProducerIdManager, PRODUCER_IDS_FILE, DEFAULT_PRODUCER_ID_BLOCK_SIZE } from "./ids.js";
export type { ProducerIdManagerOptions, InitProducerIdInput, InitProducerIdOutput } from "./ids.js";
export {
  PartitionProducerState,
  BATCHES_TO_RETAIN,
  DEFAULT_PRODUCER_ID_EXPIRATION_MS,
  INT32_MAX,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  decrementSequence,
  inSequence,
  incrementSequence,
} from "./state.js";
export type {
  BatchMetadata,
  CheckResult,
  PartitionProducerStateOptions,
  ProducerBatch,
  ProducerEntry,
} from "./state.js";
export { ProducerStateManager } from "./manager.js";
export type { ProduceOutcome, ProducerStateManagerOptions } from "./manager.js";
export {
  SNAPSHOT_SUFFIX,
  SNAPSHOT_VERSION,
  decodeSnapshot,
  encodeSnapshot,
  entriesToSnapshot,
  listSnapshots,
  parseSnapshotFileName,
  snapshotFileName,
  snapshotToEntries,
} from "./snapshot.js";
export type { SnapshotEntry } from "./snapshot.js";
export { ProducerStateError } from "./errors.js";
export type { ProducerStateErrorCode } from "./errors.js";
export { appendRecords, appendErrorCode } from "./append.js";
export type { AppendTarget, AppendRecordsOptions, AppendRecordsResult } from "./append.js";
