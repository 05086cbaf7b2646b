/**
 * Requests and responses of the group coordinator. Field names are the Kafka
 * protocol's (camelCase, as in src/protocol/messages/*.ts) so that a wire handler
 * copies fields across; the few fields that come from the request header or the
 * connection (apiVersion, clientId, clientHost) are marked.
 * int64 fields are bigint, like the protocol codec's.
 */

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

export const GROUP_STATES: readonly GroupState[] = [
  "Empty",
  "PreparingRebalance",
  "CompletingRebalance",
  "Stable",
  "Dead",
];

// ---- JoinGroup (api key 11) ----

export interface JoinGroupRequestProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  /** request header: the JoinGroup version (MEMBER_ID_REQUIRED from v4, skipAssignment from v9; v0 has no rebalance timeout) */
  apiVersion: number;
  /** request header client.id: the prefix of generated member ids */
  clientId?: string;
  /** the connection's peer, as Kafka shows it ("/127.0.0.1") */
  clientHost?: string;
  groupId: string;
  sessionTimeoutMs: number;
  /** v1+; absent or -1 = the session timeout (v0's behaviour) */
  rebalanceTimeoutMs?: number;
  memberId: string;
  /** v5+ (KIP-345 static membership) */
  groupInstanceId?: string | null;
  protocolType: string;
  protocols: JoinGroupRequestProtocol[];
  /** v8+ */
  reason?: string | null;
}

export interface JoinGroupResponseMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResponse {
  errorCode: number;
  generationId: number;
  /** v7+ (null when unknown) */
  protocolType: string | null;
  /** null when unknown; versions before 7 send "" */
  protocolName: string | null;
  leader: string;
  /** v9+ */
  skipAssignment: boolean;
  memberId: string;
  /** every member's metadata for the leader, empty for followers */
  members: JoinGroupResponseMember[];
}

// ---- SyncGroup (api key 14) ----

export interface SyncGroupRequest {
  /** request header: from v5, protocolType and protocolName are mandatory */
  apiVersion?: number;
  groupId: string;
  generationId: number;
  memberId: string;
  /** v3+ */
  groupInstanceId?: string | null;
  /** v5+ */
  protocolType?: string | null;
  /** v5+ */
  protocolName?: string | null;
  /** the leader's assignment, empty from followers */
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResponse {
  errorCode: number;
  /** v5+ */
  protocolType: string | null;
  /** v5+ */
  protocolName: string | null;
  assignment: Buffer;
}

// ---- Heartbeat (api key 12) ----

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** v3+ */
  groupInstanceId?: string | null;
}

export interface HeartbeatResponse {
  errorCode: number;
}

// ---- LeaveGroup (api key 13) ----

export interface LeaveGroupRequestMember {
  memberId: string;
  groupInstanceId?: string | null;
  /** v5+ */
  reason?: string | null;
}

export interface LeaveGroupRequest {
  groupId: string;
  /** v0-2: the one member leaving (the response's errorCode then carries its error) */
  memberId?: string;
  /** v3+: the members leaving (by member id, or by instance id with memberId "") */
  members?: LeaveGroupRequestMember[];
}

export interface LeaveGroupResponse {
  errorCode: number;
  /** v3+ */
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

// ---- OffsetCommit (api key 8) ----

export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: bigint;
  /** v6+; -1 = unknown */
  committedLeaderEpoch?: number;
  /** v1 only; -1 = now */
  commitTimestamp?: bigint;
  committedMetadata: string | null;
}

export interface OffsetCommitRequest {
  groupId: string;
  /** v1+; -1 with memberId "" for a standalone ("simple") commit */
  generationIdOrMemberEpoch?: number;
  /** v1+ */
  memberId?: string;
  /** v7+ */
  groupInstanceId?: string | null;
  /** v2-4; -1 = the broker's offsets.retention.ms */
  retentionTimeMs?: bigint;
  topics: { name: string; partitions: OffsetCommitRequestPartition[] }[];
}

export interface OffsetCommitResponse {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

// ---- OffsetFetch (api key 9); v8+ batches groups: one call per group ----

export interface OffsetFetchRequest {
  groupId: string;
  /** null = every partition the group has an offset for (v2+) */
  topics: { name: string; partitionIndexes: number[] }[] | null;
  /** v7+ */
  requireStable?: boolean;
}

export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  /** -1 when the group has no offset for the partition */
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchResponse {
  /** v2+ (v0-1 carry it in each partition) */
  errorCode: number;
  topics: { name: string; partitions: OffsetFetchResponsePartition[] }[];
}

// ---- ListGroups (api key 16) ----

export interface ListGroupsRequest {
  /** v4+; case-insensitive; empty = all */
  statesFilter?: string[];
  /** v5+; case-insensitive; empty = all (every group here is "classic") */
  typesFilter?: string[];
}

export interface ListGroupsResponse {
  errorCode: number;
  groups: { groupId: string; protocolType: string; groupState: string; groupType: string }[];
}

// ---- DescribeGroups (api key 15) ----

export interface DescribeGroupsRequest {
  groups: string[];
}

export interface DescribedGroupMember {
  memberId: string;
  /** v4+ */
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
  /** v3+; left for the handler (authorization) */
  authorizedOperations: number;
}

export interface DescribeGroupsResponse {
  groups: DescribedGroup[];
}

// ---- DeleteGroups (api key 42) ----

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeleteGroupsResponse {
  results: { groupId: string; errorCode: number }[];
}

// ---- OffsetDelete (api key 47) ----

export interface OffsetDeleteRequest {
  groupId: string;
  topics: { name: string; partitions: { partitionIndex: number }[] }[];
}

export interface OffsetDeleteResponse {
  errorCode: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

// ---- configuration ----

/** Kafka's broker settings for the classic group coordinator, camelCased. */
export interface GroupCoordinatorConfig {
  /** group.min.session.timeout.ms */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  groupInitialRebalanceDelayMs: number;
  /** group.max.size */
  groupMaxSize: number;
  /** offsets.topic.num.partitions (must match the store's partition count) */
  offsetsTopicNumPartitions: number;
  /** offsets.retention.ms */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes (Kafka compares the string's length) */
  offsetMetadataMaxBytes: number;
  /** how long a new member's JoinGroup may wait in a rebalance (Kafka's NewMemberJoinTimeoutMs, 5 minutes) */
  newMemberJoinTimeoutMs: number;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: Readonly<GroupCoordinatorConfig> = {
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1800000,
  groupInitialRebalanceDelayMs: 3000,
  groupMaxSize: 2147483647,
  offsetsTopicNumPartitions: 50,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600000,
  offsetMetadataMaxBytes: 4096,
  newMemberJoinTimeoutMs: 300000,
};
