/**
 * TopicsPort: how the agent and the streaming engine reach topics, whether the
 * log is in this process (embedded) or in a Kafka cluster (remote). Both
 * adapters pass the same contract tests (test/topics/contract.ts).
 *
 * Offsets are bigint, as in the protocol. A fetch is a range [from, until):
 * the streaming engine's direct approach decides ranges before a batch runs and
 * reads exactly them.
 */
import { MillraceError } from "../errors.js";

export class TopicsError extends MillraceError {}

export interface Header {
  key: string;
  value: Buffer | null;
}

export interface ProduceRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Header[];
  /** ms since the epoch; now when omitted */
  timestamp?: number;
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Header[];
}

export interface TopicDescription {
  name: string;
  partitions: number;
  /** config overrides set on the topic */
  configs: Record<string, string>;
}

export type OffsetSpec = "earliest" | "latest" | { timestamp: number };

export interface FetchOptions {
  /** stop before this offset (exclusive); the high watermark when omitted */
  until?: bigint;
  /** upper bound on bytes read per call (whole batches; at least one) */
  maxBytes?: number;
  /** wait this long for data when none is available at `from` (default 0) */
  maxWaitMs?: number;
}

export interface FetchResult {
  records: ConsumedRecord[];
  /** where the next fetch should start (after the last offset read, gaps included) */
  nextOffset: bigint;
  highWatermark: bigint;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  metadata?: string | null;
}

export interface TopicsPort {
  /** "embedded" or "remote" */
  readonly kind: string;
  createTopic(name: string, opts?: { partitions?: number; configs?: Record<string, string>; ifNotExists?: boolean }): Promise<void>;
  describeTopic(name: string): Promise<TopicDescription | null>;
  listTopics(): Promise<string[]>;
  deleteTopic(name: string): Promise<void>;
  /** appends records to one partition as one batch; resolves with the first offset */
  produce(topic: string, partition: number, records: ProduceRecord[], opts?: { acks?: 0 | 1 | -1 }): Promise<bigint>;
  /** reads records of one partition from `from` (inclusive) to `until` (exclusive) */
  fetch(topic: string, partition: number, from: bigint, opts?: FetchOptions): Promise<FetchResult>;
  listOffset(topic: string, partition: number, spec: OffsetSpec): Promise<bigint>;
  commitOffsets(group: string, offsets: CommittedOffset[]): Promise<void>;
  /** committed offsets of a group (-1 where none); all partitions of `topics` */
  fetchOffsets(group: string, topics: string[]): Promise<CommittedOffset[]>;
  close(): Promise<void>;
}

export function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? Buffer.from(v) : v;
}
