/**
 * The groups' own records and the group administration APIs, as in Kafka's
 * GroupMetadataManager: replaying `__consumer_offsets` (group records here,
 * offset records handed to the OffsetMetadataManager), writing a group's
 * metadata record after a rebalance, and ListGroups, DescribeGroups and
 * DeleteGroups. The membership state machine is the GroupCoordinator's.
 */
import { ErrorCode } from "../../protocol/errors.js";
import type { Logger } from "../../log/index.js";
import { GroupCoordinatorError } from "./errors.js";
import { EMPTY_BYTES, GroupMetadata, MemberMetadata } from "./group.js";
import type { LoadedOffsets, OffsetMetadataManager } from "./offsets.js";
import {
  decodeGroupMetadataValue,
  decodeKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  partitionForGroup,
  type GroupMetadataValue,
} from "./records.js";
import type { Scheduler } from "./scheduler.js";
import { storeErrorCode, type GroupStore, type GroupStoreRecord } from "./store.js";
import type {
  DeleteGroupsRequest,
  DeleteGroupsResponse,
  DescribedGroup,
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  GroupCoordinatorConfig,
  ListGroupsRequest,
  ListGroupsResponse,
} from "./types.js";

const E = ErrorCode;

/** DescribeGroups' authorizedOperations when not computed (Integer.MIN_VALUE). */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** Every group of this coordinator is a classic group (ListGroups v5 groupType). */
const CLASSIC_GROUP_TYPE = "classic";

export type CoordinatorStatus = "inactive" | "loading" | "active" | "closed";

export interface GroupMetadataManagerOptions {
  /** the groups by id (shared with the coordinator) */
  groups: Map<string, GroupMetadata>;
  offsets: OffsetMetadataManager;
  store: GroupStore;
  config: Readonly<GroupCoordinatorConfig>;
  scheduler: Scheduler;
  logger: Logger;
  status(): CoordinatorStatus;
  /** Kafka's validateGroupStatus */
  validateGroupStatus(groupId: string, allowEmptyGroupId: boolean): number | null;
}

/** A group as its GroupMetadataValue record holds it (members Stable, no timers yet). */
export function loadGroup(groupId: string, v: GroupMetadataValue, now: number): GroupMetadata {
  const group = new GroupMetadata(groupId, v.members.length === 0 ? "Empty" : "Stable", now);
  group.generationId = v.generation;
  group.protocolName = v.protocol;
  group.leaderId = v.leader;
  group.currentStateTimestamp = v.currentStateTimestamp === -1n ? null : Number(v.currentStateTimestamp);
  for (const m of v.members) {
    const member = new MemberMetadata(
      m.memberId,
      m.groupInstanceId,
      m.clientId,
      m.clientHost,
      m.rebalanceTimeout,
      m.sessionTimeout,
      v.protocolType,
      [{ name: v.protocol ?? "", metadata: m.subscription }],
    );
    member.assignment = m.assignment;
    group.add(member, null);
  }
  group.protocolType = v.protocolType === "" ? null : v.protocolType;
  group.subscribedTopics = group.computeSubscribedTopics();
  return group;
}

export class GroupMetadataManager {
  constructor(private readonly host: GroupMetadataManagerOptions) {}

  /** Reads every partition, keeping the latest value per key (tombstones delete). */
  async replay(
    groupValues: Map<string, GroupMetadataValue>,
    offsets: LoadedOffsets,
    loading: () => boolean,
  ): Promise<void> {
    for (let p = 0; p < this.host.config.offsetsTopicNumPartitions; p++) {
      for await (const rec of this.host.store.load(p)) {
        if (!loading()) return; // closed while loading
        try {
          const k = decodeKey(rec.key);
          if (k.type === "offset") this.host.offsets.replayOffset(offsets, k.key, rec.value);
          else if (k.type === "group") {
            if (rec.value === null) groupValues.delete(k.key.group);
            else groupValues.set(k.key.group, decodeGroupMetadataValue(rec.value).value);
          }
        } catch (e) {
          this.host.logger.warn(
            { partition: p, err: (e as Error).message },
            "skipping an undecodable __consumer_offsets record",
          );
        }
      }
    }
  }

  async listGroups(req: ListGroupsRequest = {}): Promise<ListGroupsResponse> {
    if (this.host.status() !== "active" && this.host.status() !== "loading")
      return { errorCode: E.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const states = new Set((req.statesFilter ?? []).map((s) => s.toLowerCase()));
    const types = new Set((req.typesFilter ?? []).map((s) => s.toLowerCase()));
    const groups = [...this.host.groups.values()]
      .filter(
        (g) =>
          (states.size === 0 || states.has(g.state.toLowerCase())) &&
          (types.size === 0 || types.has(CLASSIC_GROUP_TYPE)),
      )
      .map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType ?? "",
        groupState: g.state,
        groupType: CLASSIC_GROUP_TYPE,
      }));
    return { errorCode: this.host.status() === "loading" ? E.COORDINATOR_LOAD_IN_PROGRESS : E.NONE, groups };
  }

  async describeGroups(req: DescribeGroupsRequest): Promise<DescribeGroupsResponse> {
    return { groups: req.groups.map((groupId) => this.describeGroup(groupId)) };
  }

  private describeGroup(groupId: string): DescribedGroup {
    const summary = (
      errorCode: number,
      groupState: string,
      protocolType = "",
      protocolData = "",
      members: DescribedGroup["members"] = [],
    ): DescribedGroup => ({
      errorCode,
      groupId,
      groupState,
      protocolType,
      protocolData,
      members,
      authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    });
    const statusError = this.host.validateGroupStatus(groupId, true);
    if (statusError !== null) return summary(statusError, "");
    const group = this.host.groups.get(groupId);
    if (!group) return summary(E.NONE, "Dead");
    const protocolType = group.protocolType ?? "";
    if (group.is("Stable")) {
      const protocol = group.protocolName ?? "";
      return summary(
        E.NONE,
        group.state,
        protocolType,
        protocol,
        [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata(protocol),
          memberAssignment: m.assignment,
        })),
      );
    }
    // Outside Stable: members without metadata or assignment, no protocol.
    return summary(
      E.NONE,
      group.state,
      protocolType,
      "",
      [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: EMPTY_BYTES,
        memberAssignment: EMPTY_BYTES,
      })),
    );
  }

  async deleteGroups(req: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
    const errors = new Map<string, number>();
    const eligible: GroupMetadata[] = [];
    for (const groupId of req.groupsNames) {
      if (errors.has(groupId) || eligible.some((g) => g.groupId === groupId)) continue;
      const statusError = this.host.validateGroupStatus(groupId, true);
      if (statusError !== null) {
        errors.set(groupId, statusError);
        continue;
      }
      const group = this.host.groups.get(groupId);
      if (!group || group.is("Dead")) errors.set(groupId, E.GROUP_ID_NOT_FOUND);
      else if (group.is("Empty")) {
        group.transitionTo("Dead", this.host.scheduler.now());
        eligible.push(group);
      } else errors.set(groupId, E.NON_EMPTY_GROUP);
    }
    if (eligible.length > 0) {
      const removed = await this.host.offsets.cleanupGroupMetadata(eligible, (g) =>
        g.removeOffsets(g.allOffsetPartitions()),
      );
      for (const g of eligible) errors.set(g.groupId, E.NONE);
      this.host.logger.info({ groups: eligible.map((g) => g.groupId), offsetsRemoved: removed }, "deleted groups");
    }
    const seen = new Set<string>();
    const results: DeleteGroupsResponse["results"] = [];
    for (const groupId of req.groupsNames) {
      if (seen.has(groupId)) continue;
      seen.add(groupId);
      results.push({ groupId, errorCode: errors.get(groupId) ?? E.NONE });
    }
    return { results };
  }

  /**
   * Writes the group's metadata record (GroupMetadataKey v2 / GroupMetadataValue v3); resolves with the
   * client-facing error.
   */
  async storeGroup(group: GroupMetadata, assignment: Map<string, Buffer>): Promise<number> {
    const protocol = group.protocolName;
    const members = [...group.members.values()].map((m) => {
      if (protocol === null)
        throw new GroupCoordinatorError("MR_GROUP_ILLEGAL_STATE", `non-empty group ${group.groupId} has no protocol`);
      const a = assignment.get(m.memberId);
      if (a === undefined)
        throw new GroupCoordinatorError(
          "MR_GROUP_ILLEGAL_STATE",
          `member ${m.memberId} of group ${group.groupId} has no assignment`,
        );
      return {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadata(protocol),
        assignment: a,
      };
    });
    const record: GroupStoreRecord = {
      key: encodeGroupMetadataKey({ group: group.groupId }),
      value: encodeGroupMetadataValue({
        protocolType: group.protocolType ?? "",
        generation: group.generationId,
        protocol,
        leader: group.leaderId,
        currentStateTimestamp: BigInt(group.currentStateTimestamp ?? -1),
        members,
      }),
    };
    try {
      await this.host.store.append(partitionForGroup(group.groupId, this.host.config.offsetsTopicNumPartitions), [
        record,
      ]);
      return E.NONE;
    } catch (e) {
      this.host.logger.warn({ groupId: group.groupId, err: (e as Error)?.message }, "group metadata append failed");
      return storeErrorCode(e, false);
    }
  }
}
