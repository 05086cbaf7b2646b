/**
 * The group coordinator's domain types (group states, configuration) and its
 * requests and responses, which are the generated wire types.
 */
import type * as W from "../../protocol/messages/index.js";
import type { Decoded } from "../../protocol/codec.js";

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

export const GROUP_STATES: readonly GroupState[] = [
  "Empty",
  "PreparingRebalance",
  "CompletingRebalance",
  "Stable",
  "Dead",
];

/**
 * The coordinator's requests and responses are the wire's (src/protocol/messages):
 * a request as a client sends it (version-gated fields optional), a response
 * with every field the coordinator knows filled in, as decoded (the handler adds
 * throttleTimeMs and drops what the version lacks). The few fields that come
 * from the request header or the connection are marked.
 */
type Answer<T> = Decoded<Omit<T, "throttleTimeMs">>;

// ---- JoinGroup (api key 11) ----

export type JoinGroupRequestProtocol = W.JoinGroupRequestProtocol;

export interface JoinGroupRequest extends W.JoinGroupRequestData {
  /**
   * request header: the JoinGroup version (MEMBER_ID_REQUIRED from v4, skipAssignment from v9; v0 has no
   * rebalance timeout)
   */
  apiVersion: number;
  /** request header client.id: the prefix of generated member ids */
  clientId?: string;
  /** the connection's peer, as Kafka shows it ("/127.0.0.1") */
  clientHost?: string;
}

export type JoinGroupResponseMember = Decoded<W.JoinGroupResponseMember>;
/** protocolName is null when unknown (versions before 7 send ""); members are empty for followers. */
export type JoinGroupResponse = Answer<W.JoinGroupResponseData>;

// ---- SyncGroup (api key 14) ----

export interface SyncGroupRequest extends W.SyncGroupRequestData {
  /** request header: from v5, protocolType and protocolName are mandatory */
  apiVersion?: number;
}
export type SyncGroupResponse = Answer<W.SyncGroupResponseData>;

// ---- Heartbeat (api key 12) ----

export type HeartbeatRequest = W.HeartbeatRequestData;
export type HeartbeatResponse = Answer<W.HeartbeatResponseData>;

// ---- LeaveGroup (api key 13): memberId for v0-2, members from v3 ----

/** groupInstanceId may be left out by callers inside millrace (= null). */
export type LeaveGroupRequestMember = Omit<W.LeaveGroupRequestMemberIdentity, "groupInstanceId"> & {
  groupInstanceId?: string | null;
};
export type LeaveGroupRequest = Omit<W.LeaveGroupRequestData, "members"> & { members?: LeaveGroupRequestMember[] };
export type LeaveGroupResponse = Answer<W.LeaveGroupResponseData>;

// ---- OffsetCommit (api key 8) ----

export type OffsetCommitRequestPartition = W.OffsetCommitRequestPartition;
export type OffsetCommitRequest = W.OffsetCommitRequestData;
export type OffsetCommitResponse = Answer<W.OffsetCommitResponseData>;

// ---- OffsetFetch (api key 9): one group per call, as v8+ batches them ----

export interface OffsetFetchRequest {
  groupId: string;
  /** null = every partition the group has an offset for (v2+) */
  topics: W.OffsetFetchRequestTopics[] | null;
  /** v7+ */
  requireStable?: boolean;
}
/** committedOffset is -1 when the group has no offset for the partition. */
export type OffsetFetchResponsePartition = Decoded<W.OffsetFetchResponsePartitions>;
/** errorCode is the group's (v0-1 carry it in each partition). */
export type OffsetFetchResponse = Answer<Omit<W.OffsetFetchResponseGroup, "groupId">>;

// ---- ListGroups (api key 16) ----

/** statesFilter (v4+) and typesFilter (v5+) are case-insensitive; empty = all (every group here is "classic"). */
export type ListGroupsRequest = W.ListGroupsRequestData;
export type ListGroupsResponse = Answer<W.ListGroupsResponseData>;

// ---- DescribeGroups (api key 15) ----

export type DescribeGroupsRequest = W.DescribeGroupsRequestData;
export type DescribedGroupMember = Decoded<W.DescribeGroupsResponseDescribedGroupMember>;
/** authorizedOperations is left for the handler (authorization). */
export type DescribedGroup = Decoded<W.DescribeGroupsResponseDescribedGroup>;
export type DescribeGroupsResponse = Answer<W.DescribeGroupsResponseData>;

// ---- DeleteGroups (api key 42) ----

export type DeleteGroupsRequest = W.DeleteGroupsRequestData;
export type DeleteGroupsResponse = Answer<W.DeleteGroupsResponseData>;

// ---- OffsetDelete (api key 47) ----

export type OffsetDeleteRequest = W.OffsetDeleteRequestData;
export type OffsetDeleteResponse = Answer<W.OffsetDeleteResponseData>;

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
