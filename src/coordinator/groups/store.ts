/**
 * Where the coordinator keeps its state durably: Kafka's `__consumer_offsets`,
 * a compacted topic whose records are the key/value pairs of records.ts.
 * The broker implements this over src/log; InMemoryGroupStore serves tests and
 * embedded use without a data directory.
 */
import { ErrorCode as E } from "../../protocol/errors.js";

export interface GroupStoreRecord {
  key: Buffer;
  /** null is a tombstone: the key is deleted */
  value: Buffer | null;
}

export interface GroupStore {
  /**
   * Appends records to one partition of `__consumer_offsets`, durably (Kafka's
   * offsets.commit.required.acks = -1). Appends to one partition land in call order.
   * A rejection may carry `errorCode` (a Kafka error code); any other failure is
   * treated as KAFKA_STORAGE_ERROR.
   */
  append(partition: number, records: GroupStoreRecord[]): Promise<void>;
  /** Every record of one partition, oldest first (the caller keeps the latest per key). */
  load(partition: number): AsyncIterable<GroupStoreRecord>;
}

/** An append-only in-memory store (no compaction: load() replays history). */
export class InMemoryGroupStore implements GroupStore {
  readonly partitions = new Map<number, GroupStoreRecord[]>();
  /** Set to make the next appends fail (tests of the error paths). */
  failWith: Error | null = null;

  async append(partition: number, records: GroupStoreRecord[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    let log = this.partitions.get(partition);
    if (!log) this.partitions.set(partition, (log = []));
    for (const r of records)
      log.push({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value) });
  }

  async *load(partition: number): AsyncIterable<GroupStoreRecord> {
    for (const r of this.partitions.get(partition) ?? []) yield r;
  }

  /** All records of every partition, in partition then offset order. */
  all(): GroupStoreRecord[] {
    return [...this.partitions.keys()].sort((a, b) => a - b).flatMap((p) => this.partitions.get(p)!);
  }
}

/**
 * Maps a store failure to the error the client sees, as Kafka's
 * GroupMetadataManager maps its append errors.
 */
export function storeErrorCode(e: unknown, forOffsets: boolean): number {
  const err = e as { errorCode?: unknown; code?: unknown } | null;
  let code: number = E.KAFKA_STORAGE_ERROR;
  if (typeof err?.errorCode === "number") code = err.errorCode;
  else if (err?.code === "MR_LOG_RECORD_TOO_LARGE") code = E.MESSAGE_TOO_LARGE;
  else if (err?.code === "MR_LOG_UNKNOWN_TOPIC" || err?.code === "MR_LOG_UNKNOWN_PARTITION")
    code = E.UNKNOWN_TOPIC_OR_PARTITION;
  switch (code) {
    case E.UNKNOWN_TOPIC_OR_PARTITION:
    case E.NOT_ENOUGH_REPLICAS:
    case E.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case E.REQUEST_TIMED_OUT:
      return E.COORDINATOR_NOT_AVAILABLE;
    case E.NOT_LEADER_OR_FOLLOWER:
    case E.KAFKA_STORAGE_ERROR:
      return E.NOT_COORDINATOR;
    case E.MESSAGE_TOO_LARGE:
    case E.RECORD_LIST_TOO_LARGE:
    case E.INVALID_FETCH_SIZE:
      return forOffsets ? E.INVALID_COMMIT_OFFSET_SIZE : E.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}
