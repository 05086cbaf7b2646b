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

export interface ProduceOptions {
  /** 0 (no wait), 1 (written) or -1 (fdatasync'd, the default) */
  acks?: 0 | 1 | -1;
  /**
   * Idempotent produce (Kafka's enable.idempotence): batches carry a producer
   * id and sequence numbers, so a batch resent after a transient failure is
   * stored once. Implies acks=-1.
   */
  idempotent?: boolean;
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

/**
 * Moves a fetch's nextOffset past `last` (a read batch's last offset), capped at
 * `until`; true when the range [from, until) has been read.
 */
export function advanceFetch(out: FetchResult, last: bigint, until: bigint): boolean {
  const next = last + 1n < until ? last + 1n : until;
  if (next > out.nextOffset) out.nextOffset = next;
  return next >= until;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  metadata?: string | null;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface JoinOptions {
  /** session.timeout.ms: without a heartbeat for this long the member is dropped (default 10000) */
  sessionTimeoutMs?: number;
  /** max.poll.interval.ms's role in a rebalance: how long the group waits for members to rejoin (default 30000) */
  rebalanceTimeoutMs?: number;
  /** heartbeat.interval.ms (default 3000) */
  heartbeatIntervalMs?: number;
  /** group.instance.id (static membership) */
  groupInstanceId?: string | null;
  /** the assignor this member prefers, and runs when it leads (default "range"; the other is offered too) */
  assignor?: "range" | "roundrobin";
  /** called with the member's partitions after each rebalance (awaited before heartbeats resume) */
  onAssigned?(parts: TopicPartition[]): void | Promise<void>;
  /**
   * called with the member's partitions before it rejoins in a rebalance and
   * before it leaves (awaited; commits made here still carry the old generation,
   * which the coordinator accepts while the group prepares the rebalance)
   */
  onRevoked?(parts: TopicPartition[]): void | Promise<void>;
}

/** Events of a GroupMember (also delivered to JoinOptions.onAssigned / onRevoked). */
export interface GroupMemberEvents {
  assigned: [parts: TopicPartition[], generationId: number];
  revoked: [parts: TopicPartition[]];
  /** a heartbeat or rejoin failed for a reason other than a rebalance */
  error: [error: Error];
}

/**
 * One member of a consumer group (the classic protocol, as a Kafka consumer
 * with eager rebalancing): every partition of the subscribed topics is owned
 * by exactly one member; heartbeats keep the membership; a rebalance revokes
 * then reassigns.
 */
export interface GroupMember {
  readonly group: string;
  /** the coordinator-assigned member id ("" before the first join) */
  readonly memberId: string;
  /** the generation of the member's current assignment */
  readonly generationId: number;
  /** the partitions this member owns now (empty while rebalancing) */
  assignment(): TopicPartition[];
  /**
   * Commits offsets as this member (generation-fenced). A commit from a stale
   * generation or an expired member throws TopicsError MR_TOPICS_GROUP_FENCED
   * (and the member rejoins in the background); during a rebalance it throws
   * MR_TOPICS_GROUP_REBALANCING.
   */
  commit(offsets: CommittedOffset[]): Promise<void>;
  /** the group's committed offsets for the subscribed topics */
  committed(): Promise<CommittedOffset[]>;
  /** revokes (onRevoked), stops heartbeats and sends LeaveGroup */
  leave(): Promise<void>;
  on<E extends keyof GroupMemberEvents>(event: E, listener: (...args: GroupMemberEvents[E]) => void): this;
  off<E extends keyof GroupMemberEvents>(event: E, listener: (...args: GroupMemberEvents[E]) => void): this;
}

export interface TopicsPort {
  /** "embedded" or "remote" */
  readonly kind: string;
  createTopic(
    name: string,
    opts?: { partitions?: number; configs?: Record<string, string>; ifNotExists?: boolean },
  ): Promise<void>;
  describeTopic(name: string): Promise<TopicDescription | null>;
  listTopics(): Promise<string[]>;
  deleteTopic(name: string): Promise<void>;
  /** appends records to one partition as one batch; resolves with the first offset */
  produce(topic: string, partition: number, records: ProduceRecord[], opts?: ProduceOptions): Promise<bigint>;
  /** reads records of one partition from `from` (inclusive) to `until` (exclusive) */
  fetch(topic: string, partition: number, from: bigint, opts?: FetchOptions): Promise<FetchResult>;
  listOffset(topic: string, partition: number, spec: OffsetSpec): Promise<bigint>;
  commitOffsets(group: string, offsets: CommittedOffset[]): Promise<void>;
  /** committed offsets of a group (-1 where none); all partitions of `topics` */
  fetchOffsets(group: string, topics: string[]): Promise<CommittedOffset[]>;
  /**
   * Joins `group` subscribed to `topics`; resolves once the member has its
   * first assignment. close() makes every member of this port leave.
   */
  joinGroup(group: string, topics: string[], opts?: JoinOptions): Promise<GroupMember>;
  close(): Promise<void>;
}

export function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? Buffer.from(v) : v;
}

/** Makes every member leave its group, whatever each leave's outcome. */
export async function leaveAll(members: Iterable<GroupMember>): Promise<void> {
  await Promise.allSettled([...members].map((m) => m.leave()));
}
