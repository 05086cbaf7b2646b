/**
 * The classic consumer group coordinator (the pre-KIP-848 protocol), Kafka's
 * GroupCoordinator, independent of the wire: membership and rebalances here;
 * committed offsets in offsets.ts (OffsetMetadataManager); group records and
 * ListGroups/DescribeGroups/DeleteGroups in metadata-manager.ts
 * (GroupMetadataManager).
 *
 * One method per API; each takes the request's fields and resolves with the
 * response's (types.ts). JoinGroup and SyncGroup may wait: a JoinGroup resolves
 * when its rebalance completes, a follower's SyncGroup when the leader's
 * assignment is stored. Timers (session, rebalance and pending-sync timeouts,
 * the initial rebalance delay, offset retention) come from an injected
 * Scheduler; state is written to an injected GroupStore as Kafka writes it to
 * `__consumer_offsets` and rebuilt from it by load().
 *
 * Concurrency: like Kafka's per-group lock, every state change runs to
 * completion synchronously; the only suspension points are store appends, and
 * their continuations re-check the group's state and generation as Kafka's
 * append callbacks do.
 */
import { randomUUID } from "node:crypto";
import { ErrorCode } from "../../protocol/errors.js";
import type { Logger } from "../../log/index.js";
import { GroupCoordinatorError } from "./errors.js";
import {
  EMPTY_BYTES,
  GroupMetadata,
  MemberMetadata,
  joinError,
  syncError,
  type JoinCallback,
  type JoinOperation,
  type SyncCallback,
} from "./group.js";
import { partitionForGroup, type GroupMetadataValue } from "./records.js";
import { systemScheduler, type Scheduler } from "./scheduler.js";
import type { GroupStore } from "./store.js";
import { OffsetMetadataManager, type LoadedOffsets } from "./offsets.js";
import { GroupMetadataManager, loadGroup, type CoordinatorStatus } from "./metadata-manager.js";
import {
  DEFAULT_GROUP_COORDINATOR_CONFIG,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type GroupCoordinatorConfig,
  type GroupState,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type JoinGroupRequest,
  type JoinGroupRequestProtocol,
  type JoinGroupResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  type ListGroupsRequest,
  type ListGroupsResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetDeleteRequest,
  type OffsetDeleteResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from "./types.js";

const E = ErrorCode;

const noopLogger: Logger = { info() {}, warn() {}, error() {} };

export interface GroupCoordinatorOptions {
  store: GroupStore;
  config?: Partial<GroupCoordinatorConfig>;
  scheduler?: Scheduler;
  logger?: Logger;
}

/** The fields of a JoinGroup that the state machine carries around. */
interface JoinParams {
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: JoinGroupRequestProtocol[];
  requireKnownMemberId: boolean;
  supportSkippingAssignment: boolean;
  reason: string;
}

export class GroupCoordinator {
  readonly config: Readonly<GroupCoordinatorConfig>;
  private readonly store: GroupStore;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  private readonly groups = new Map<string, GroupMetadata>();
  private status: CoordinatorStatus = "inactive";
  private readonly inflight = new Set<Promise<unknown>>();
  /** committed offsets: OffsetCommit, OffsetFetch, OffsetDelete, retention */
  private readonly offsets: OffsetMetadataManager;
  /** group records in the store, and the group administration APIs */
  private readonly metadata: GroupMetadataManager;

  constructor(opts: GroupCoordinatorOptions) {
    this.store = opts.store;
    this.config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...opts.config };
    this.scheduler = opts.scheduler ?? systemScheduler;
    this.logger = opts.logger ?? noopLogger;
    this.offsets = new OffsetMetadataManager({
      host: {
        groups: this.groups,
        isActive: () => this.status === "active",
        validateGroupStatus: (groupId, allowEmpty) => this.validateGroupStatus(groupId, allowEmpty),
        validateCurrentMember: (group, memberId, instanceId) => this.validateCurrentMember(group, memberId, instanceId),
        onMemberCommit: (group, memberId) =>
          this.completeAndScheduleNextHeartbeatExpiration(group, group.get(memberId)),
        removeGroup: (group) => {
          this.groups.delete(group.groupId);
          this.cancelGroupTimers(group);
        },
        track: (p) => this.track(p),
      },
      store: this.store,
      config: this.config,
      scheduler: this.scheduler,
      logger: this.logger,
    });
    this.metadata = new GroupMetadataManager({
      groups: this.groups,
      offsets: this.offsets,
      store: this.store,
      config: this.config,
      scheduler: this.scheduler,
      logger: this.logger,
      status: () => this.status,
      validateGroupStatus: (groupId, allowEmpty) => this.validateGroupStatus(groupId, allowEmpty),
    });
  }

  /** The `__consumer_offsets` partition that holds a group (FindCoordinator answers with this broker for all). */
  findCoordinatorPartition(groupId: string): number {
    return partitionForGroup(groupId, this.config.offsetsTopicNumPartitions);
  }

  // ======================================================================
  // lifecycle
  // ======================================================================

  /**
   * Replays every partition of the store (latest value per key, tombstones
   * delete) and becomes active. Until it resolves, requests are answered with
   * COORDINATOR_LOAD_IN_PROGRESS (before it is called: COORDINATOR_NOT_AVAILABLE).
   */
  async load(): Promise<void> {
    if (this.status !== "inactive")
      throw new GroupCoordinatorError("MR_GROUP_LIFECYCLE", `load() in state ${this.status}`);
    this.status = "loading";
    const groupValues = new Map<string, GroupMetadataValue>();
    const offsets: LoadedOffsets = new Map();
    try {
      await this.metadata.replay(groupValues, offsets, () => this.status === "loading");
    } catch (e) {
      // A store that cannot be read: stay inactive (COORDINATOR_NOT_AVAILABLE); load() may be retried.
      if (this.status === "loading") this.status = "inactive";
      throw e;
    }
    if (this.status !== "loading") return; // closed while loading

    const now = this.now();
    for (const [groupId, value] of groupValues) this.groups.set(groupId, loadGroup(groupId, value, now));
    this.offsets.applyLoaded(offsets, now);
    this.status = "active";
    for (const group of this.groups.values()) this.onGroupLoaded(group);
    this.offsets.scheduleCleanup();
    this.logger.info({ groups: this.groups.size }, "group coordinator loaded");
  }

  /**
   * Stops the coordinator: groups are unloaded as Kafka unloads them on losing
   * the partition (waiting JoinGroup/SyncGroup calls get NOT_COORDINATOR),
   * timers are cancelled, and in-flight store appends are awaited.
   */
  async close(): Promise<void> {
    if (this.status === "closed") return;
    this.status = "closed";
    this.offsets.close();
    for (const group of this.groups.values()) this.onGroupUnloaded(group);
    this.groups.clear();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Resolves when no store append started by the coordinator is in flight (tests). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private onGroupLoaded(group: GroupMetadata): void {
    if (group.size > this.config.groupMaxSize) {
      this.prepareRebalance(group, `freshly-loaded group is over capacity (${this.config.groupMaxSize})`);
    }
    for (const m of group.members.values()) this.completeAndScheduleNextHeartbeatExpiration(group, m);
  }

  private onGroupUnloaded(group: GroupMetadata): void {
    const previous = group.state;
    group.transitionTo("Dead", this.now());
    if (previous === "PreparingRebalance") {
      for (const m of group.members.values())
        group.maybeInvokeJoinCallback(m, joinError(m.memberId, E.NOT_COORDINATOR));
    } else if (previous === "Stable" || previous === "CompletingRebalance") {
      for (const m of group.members.values()) group.maybeInvokeSyncCallback(m, syncError(E.NOT_COORDINATOR));
    }
    this.cancelGroupTimers(group);
  }

  private cancelGroupTimers(group: GroupMetadata): void {
    group.joinOp?.timer?.cancel();
    group.joinOp = null;
    group.syncTimer?.cancel();
    group.syncTimer = null;
    for (const t of group.pendingMembers.values()) t?.cancel();
    for (const m of group.members.values()) {
      m.heartbeatTimer?.cancel();
      m.heartbeatTimer = null;
    }
  }

  // ======================================================================
  // JoinGroup
  // ======================================================================

  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResponse> {
    return new Promise<JoinGroupResponse>((resolve) => this.handleJoinGroup(req, resolve));
  }

  private handleJoinGroup(req: JoinGroupRequest, cb: JoinCallback): void {
    const memberId = req.memberId;
    const statusError = this.validateGroupStatus(req.groupId, false);
    if (statusError !== null) return cb(joinError(memberId, statusError));
    const sessionTimeoutMs = req.sessionTimeoutMs;
    if (
      sessionTimeoutMs < this.config.groupMinSessionTimeoutMs ||
      sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs
    ) {
      return cb(joinError(memberId, E.INVALID_SESSION_TIMEOUT));
    }
    const isUnknownMember = memberId === "";
    // The group is created by a join without a member id; with one, it must exist.
    let group = this.groups.get(req.groupId);
    if (!group) {
      if (!isUnknownMember) return cb(joinError(memberId, E.UNKNOWN_MEMBER_ID));
      group = new GroupMetadata(req.groupId, "Empty", this.now());
      this.groups.set(req.groupId, group);
    }
    const groupInstanceId = req.groupInstanceId ?? null;
    const j: JoinParams = {
      groupInstanceId,
      clientId: req.clientId ?? "",
      clientHost: req.clientHost ?? "",
      sessionTimeoutMs,
      // v0 has no rebalance timeout: the session timeout serves.
      rebalanceTimeoutMs:
        req.apiVersion === 0 || req.rebalanceTimeoutMs === undefined || req.rebalanceTimeoutMs < 0
          ? sessionTimeoutMs
          : req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      // Copies: request buffers are views into network frames.
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      requireKnownMemberId: req.apiVersion >= 4 && groupInstanceId === null,
      supportSkippingAssignment: req.apiVersion >= 9,
      reason: req.reason ?? "not provided",
    };

    if (!this.acceptJoiningMember(group, memberId)) {
      this.removeMember(group, memberId);
      cb(joinError("", E.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknownMember) {
      this.doNewMemberJoinGroup(group, j, cb);
    } else {
      this.doCurrentMemberJoinGroup(group, memberId, j, cb);
    }
    if (group.is("PreparingRebalance")) this.checkJoinCompletion(group);
  }

  /** Kafka's acceptJoiningMember: group.max.size counted on awaiting members while preparing, on members otherwise. */
  private acceptJoiningMember(group: GroupMetadata, memberId: string): boolean {
    switch (group.state) {
      case "Empty":
      case "Dead":
        return true;
      case "PreparingRebalance":
        return (
          (group.has(memberId) && group.get(memberId).isAwaitingJoin) ||
          group.numMembersAwaitingJoin < this.config.groupMaxSize
        );
      case "CompletingRebalance":
      case "Stable":
        return group.has(memberId) || group.size < this.config.groupMaxSize;
    }
  }

  private doNewMemberJoinGroup(group: GroupMetadata, j: JoinParams, cb: JoinCallback): void {
    if (group.is("Dead")) return cb(joinError("", E.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(j.protocolType, new Set(j.protocols.map((p) => p.name)))) {
      return cb(joinError("", E.INCONSISTENT_GROUP_PROTOCOL));
    }
    const newMemberId = `${j.groupInstanceId ?? j.clientId}-${randomUUID()}`;
    if (j.groupInstanceId !== null) {
      const oldMemberId = group.currentStaticMemberId(j.groupInstanceId);
      if (oldMemberId !== undefined) this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, j, cb);
      else this.addMemberAndRebalance(group, newMemberId, j, cb);
    } else if (j.requireKnownMemberId) {
      // KIP-394: hand out the id and wait for the member to come back with it.
      this.addPendingMember(group, newMemberId, j.sessionTimeoutMs);
      cb(joinError(newMemberId, E.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(group, newMemberId, j, cb);
    }
  }

  private doCurrentMemberJoinGroup(group: GroupMetadata, memberId: string, j: JoinParams, cb: JoinCallback): void {
    if (group.is("Dead")) return cb(joinError(memberId, E.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(j.protocolType, new Set(j.protocols.map((p) => p.name)))) {
      return cb(joinError(memberId, E.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.isPendingMember(memberId)) {
      // Pending members are dynamic; Kafka fails such a request with an internal error.
      if (j.groupInstanceId !== null) return cb(joinError(memberId, E.UNKNOWN_SERVER_ERROR));
      return this.addMemberAndRebalance(group, memberId, j, cb);
    }
    const memberError = this.validateCurrentMember(group, memberId, j.groupInstanceId);
    if (memberError !== null) return cb(joinError(memberId, memberError));

    const member = group.get(memberId);
    switch (group.state) {
      case "PreparingRebalance":
        return this.updateMemberAndRebalance(
          group,
          member,
          j,
          cb,
          `member ${memberId} joining group during PreparingRebalance`,
        );
      case "CompletingRebalance":
        if (member.matches(j.protocols)) {
          // The member missed its JoinGroup response: send the current generation again.
          return cb(
            this.joinResult(
              group,
              memberId,
              group.isLeader(memberId) ? group.currentMemberMetadata() : [],
              group.leaderOrEmpty,
              false,
            ),
          );
        }
        return this.updateMemberAndRebalance(
          group,
          member,
          j,
          cb,
          `updating metadata for member ${memberId} during CompletingRebalance`,
        );
      case "Stable":
        if (group.isLeader(memberId)) {
          // A leader's JoinGroup always rebalances (its way to react to metadata changes).
          return this.updateMemberAndRebalance(
            group,
            member,
            j,
            cb,
            `leader ${memberId} re-joining group during Stable`,
          );
        }
        if (!member.matches(j.protocols)) {
          return this.updateMemberAndRebalance(
            group,
            member,
            j,
            cb,
            `updating metadata for member ${memberId} during Stable`,
          );
        }
        return cb(this.joinResult(group, memberId, [], group.leaderOrEmpty, false));
      case "Empty":
      case "Dead":
        return cb(joinError(memberId, E.UNKNOWN_MEMBER_ID));
    }
  }

  private joinResult(
    group: GroupMetadata,
    memberId: string,
    members: JoinGroupResponse["members"],
    leader: string,
    skipAssignment: boolean,
  ): JoinGroupResponse {
    return {
      errorCode: E.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader,
      skipAssignment,
      memberId,
      members,
    };
  }

  private addPendingMember(group: GroupMetadata, memberId: string, sessionTimeoutMs: number): void {
    const timer = this.scheduler.schedule(sessionTimeoutMs, () => {
      if (group.is("Dead") || !group.isPendingMember(memberId)) return;
      this.logger.info({ groupId: group.groupId, memberId }, "pending member removed after session timeout");
      this.removePendingMemberAndUpdateGroup(group, memberId);
    });
    group.pendingMembers.set(memberId, timer);
  }

  private addMemberAndRebalance(group: GroupMetadata, memberId: string, j: JoinParams, cb: JoinCallback): void {
    const member = new MemberMetadata(
      memberId,
      j.groupInstanceId,
      j.clientId,
      j.clientHost,
      j.rebalanceTimeoutMs,
      j.sessionTimeoutMs,
      j.protocolType,
      j.protocols,
    );
    member.isNew = true;
    // lets the initial rebalance delay extend while new members keep arriving
    if (group.is("PreparingRebalance") && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, cb);
    // A new member cannot heartbeat; its JoinGroup expires instead (it retries if still alive).
    this.completeAndScheduleNextExpiration(group, member, this.config.newMemberJoinTimeoutMs);
    this.maybePrepareRebalance(
      group,
      `adding new member ${memberId} with group instance id ${j.groupInstanceId}; client reason: ${j.reason}`,
    );
  }

  /**
   * A member that sends JoinGroup again while its previous one waits replaces it.
   * Kafka drops the earlier callback (that request never gets a response); here it
   * is answered with REBALANCE_IN_PROGRESS so that no caller waits forever.
   */
  private updateMemberAndRebalance(
    group: GroupMetadata,
    member: MemberMetadata,
    j: JoinParams,
    cb: JoinCallback,
    reason: string,
  ): void {
    const previous = member.awaitingJoinCallback;
    group.updateMember(member, j.protocols, j.rebalanceTimeoutMs, j.sessionTimeoutMs, cb);
    if (previous) previous(joinError(member.memberId, E.REBALANCE_IN_PROGRESS));
    this.maybePrepareRebalance(group, `${reason}; client reason: ${j.reason}`);
  }

  /** KIP-345: a known group.instance.id rejoining without member id takes over the old member's place. */
  private updateStaticMemberAndRebalance(
    group: GroupMetadata,
    oldMemberId: string,
    newMemberId: string,
    j: JoinParams,
    cb: JoinCallback,
  ): void {
    const instanceId = j.groupInstanceId as string;
    const currentLeader = group.leaderOrEmpty;
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    // The old id's heartbeat expectation ends; the new id's begins.
    this.completeAndScheduleNextHeartbeatExpiration(group, member);
    const oldProtocols = member.supportedProtocols;
    const oldRebalanceTimeoutMs = member.rebalanceTimeoutMs;
    const oldSessionTimeoutMs = member.sessionTimeoutMs;
    group.updateMember(member, j.protocols, j.rebalanceTimeoutMs, j.sessionTimeoutMs, cb);

    switch (group.state) {
      case "Stable": {
        // No rebalance unless the group's protocol would change: persist the new member id.
        if (group.protocolName !== group.selectProtocol()) {
          this.maybePrepareRebalance(
            group,
            `group's selected protocol will change because static member ${newMemberId} with instance id ` +
              `${instanceId} joined with change of protocol; client reason: ${j.reason}`,
          );
          return;
        }
        const generationId = group.generationId;
        const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment] as const));
        this.background(this.metadata.storeGroup(group, assignment), (error) => {
          if (error !== E.NONE) {
            this.logger.warn(
              { groupId: group.groupId, errorCode: error },
              "failed to persist the static member's new member id",
            );
            // Revert to the old member id.
            if (group.members.get(newMemberId) === member) {
              group.updateMember(member, oldProtocols, oldRebalanceTimeoutMs, oldSessionTimeoutMs, null);
              const oldMember = group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
              this.completeAndScheduleNextHeartbeatExpiration(group, oldMember);
            }
            cb({
              ...joinError("", error),
              generationId: group.generationId,
              protocolType: group.protocolType,
              protocolName: group.protocolName,
              leader: currentLeader,
            });
            return;
          }
          // A rebalance that started meanwhile answers the member when it completes.
          if (!group.is("Stable") || group.generationId !== generationId) return;
          if (j.supportSkippingAssignment) {
            // v9+: the leader learns it leads, but must not run the assignor on a stable group.
            const isLeader = group.isLeader(newMemberId);
            group.maybeInvokeJoinCallback(
              member,
              this.joinResult(
                group,
                newMemberId,
                isLeader ? group.currentMemberMetadata() : [],
                group.leaderOrEmpty,
                isLeader,
              ),
            );
          } else {
            // Before v9: answer with the old leader id so that a rejoining leader does not assign.
            group.maybeInvokeJoinCallback(member, this.joinResult(group, newMemberId, [], currentLeader, false));
          }
        });
        return;
      }
      case "CompletingRebalance":
        // The leader may already be assigning to the old member id: start over.
        this.prepareRebalance(
          group,
          `updating metadata for static member ${newMemberId} with instance id ${instanceId}; client reason: ` +
            `${j.reason}`,
        );
        return;
      case "PreparingRebalance":
        return;
      case "Empty":
      case "Dead":
        throw new GroupCoordinatorError(
          "MR_GROUP_ILLEGAL_STATE",
          `group ${group.groupId} in state ${group.state} has static member ${instanceId}`,
        );
    }
  }

  private maybePrepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
  }

  private prepareRebalance(group: GroupMetadata, reason: string): void {
    // Members waiting on SyncGroup must rejoin.
    if (group.is("CompletingRebalance")) this.resetAndPropagateAssignmentError(group, E.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const wasEmpty = group.is("Empty");
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs;
    group.transitionTo("PreparingRebalance", this.now());
    this.logger.info(
      { groupId: group.groupId, generationId: group.generationId, reason },
      "preparing to rebalance group",
    );
    if (wasEmpty) {
      const delay = this.config.groupInitialRebalanceDelayMs;
      this.scheduleInitialDelayedJoin(group, delay, Math.max(rebalanceTimeoutMs - delay, 0));
    } else {
      this.scheduleDelayedJoin(group, rebalanceTimeoutMs);
    }
  }

  /** Kafka's DelayedJoin: completes when every known member has rejoined, or at the rebalance timeout. */
  private scheduleDelayedJoin(group: GroupMetadata, timeoutMs: number): void {
    const op: JoinOperation = { initial: false, timer: null };
    group.joinOp = op;
    if (group.hasAllMembersJoined) {
      group.joinOp = null;
      this.onCompleteJoin(group);
      return;
    }
    op.timer = this.scheduler.schedule(timeoutMs, () => {
      if (group.joinOp !== op) return;
      group.joinOp = null;
      this.onCompleteJoin(group);
    });
  }

  /**
   * Kafka's InitialDelayedJoin (group.initial.rebalance.delay.ms): an Empty group's
   * first rebalance waits, and waits again while new members keep joining, up to
   * the rebalance timeout. It never completes early.
   */
  private scheduleInitialDelayedJoin(group: GroupMetadata, delayMs: number, remainingMs: number): void {
    const configured = this.config.groupInitialRebalanceDelayMs;
    const op: JoinOperation = { initial: true, timer: null };
    group.joinOp = op;
    op.timer = this.scheduler.schedule(delayMs, () => {
      if (group.joinOp !== op) return;
      group.joinOp = null;
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        this.scheduleInitialDelayedJoin(group, Math.min(configured, remainingMs), Math.max(remainingMs - delayMs, 0));
      } else {
        this.onCompleteJoin(group);
      }
    });
  }

  /** Kafka's rebalancePurgatory.checkAndComplete(GroupJoinKey). */
  private checkJoinCompletion(group: GroupMetadata): void {
    const op = group.joinOp;
    if (!op || op.initial || !group.hasAllMembersJoined) return;
    op.timer?.cancel();
    group.joinOp = null;
    this.onCompleteJoin(group);
  }

  private onCompleteJoin(group: GroupMetadata): void {
    // Dynamic members that did not rejoin are out; static ones keep their place.
    for (const m of [...group.members.values()]) {
      if (!m.isAwaitingJoin && !m.isStaticMember) {
        this.logger.info({ groupId: group.groupId, memberId: m.memberId }, "removing member that did not rejoin");
        this.removeMember(group, m.memberId);
      }
    }
    if (group.is("Dead")) return;
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that have not rejoined: wait another rebalance timeout
      // (their session timeouts remove them meanwhile).
      this.logger.error({ groupId: group.groupId }, "could not complete rebalance because no members rejoined");
      this.scheduleDelayedJoin(group, group.rebalanceTimeoutMs);
      return;
    }
    group.initNextGeneration(this.now());
    if (group.is("Empty")) {
      this.logger.info({ groupId: group.groupId, generationId: group.generationId }, "group is now empty");
      this.background(this.metadata.storeGroup(group, new Map()), (error) => {
        if (error !== E.NONE)
          this.logger.warn({ groupId: group.groupId, errorCode: error }, "failed to write empty group metadata");
      });
      return;
    }
    this.logger.info(
      { groupId: group.groupId, generationId: group.generationId, members: group.size },
      "stabilized group",
    );
    const allMetadata = group.currentMemberMetadata();
    for (const m of group.members.values()) {
      const isLeader = group.isLeader(m.memberId);
      group.maybeInvokeJoinCallback(
        m,
        this.joinResult(group, m.memberId, isLeader ? allMetadata : [], group.leaderOrEmpty, false),
      );
      this.completeAndScheduleNextHeartbeatExpiration(group, m);
      m.isNew = false;
      group.pendingSyncMembers.add(m.memberId);
    }
    this.schedulePendingSync(group);
  }

  // ======================================================================
  // SyncGroup
  // ======================================================================

  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResponse> {
    return new Promise<SyncGroupResponse>((resolve) => this.handleSyncGroup(req, resolve));
  }

  private handleSyncGroup(req: SyncGroupRequest, cb: SyncCallback): void {
    const statusError = this.validateGroupStatus(req.groupId, false);
    // A loading coordinator lost the rebalance: make the member rejoin (older clients do not expect
    // LOAD_IN_PROGRESS here).
    if (statusError === E.COORDINATOR_LOAD_IN_PROGRESS) return cb(syncError(E.REBALANCE_IN_PROGRESS));
    if (statusError !== null) return cb(syncError(statusError));
    const protocolType = req.protocolType ?? null;
    const protocolName = req.protocolName ?? null;
    // From v5 both are mandatory.
    if ((req.apiVersion ?? 0) >= 5 && (protocolType === null || protocolName === null))
      return cb(syncError(E.INCONSISTENT_GROUP_PROTOCOL));
    const group = this.groups.get(req.groupId);
    if (!group) return cb(syncError(E.UNKNOWN_MEMBER_ID));

    const memberId = req.memberId;
    const generationId = req.generationId;
    let error: number | null;
    if (group.is("Dead")) error = E.COORDINATOR_NOT_AVAILABLE;
    else {
      error = this.validateCurrentMember(group, memberId, req.groupInstanceId ?? null);
      if (error === null) {
        if (generationId !== group.generationId) error = E.ILLEGAL_GENERATION;
        else if (protocolType !== null && group.protocolType !== protocolType) error = E.INCONSISTENT_GROUP_PROTOCOL;
        else if (protocolName !== null && group.protocolName !== protocolName) error = E.INCONSISTENT_GROUP_PROTOCOL;
      }
    }
    if (error !== null) return cb(syncError(error));

    switch (group.state) {
      case "Empty":
        return cb(syncError(E.UNKNOWN_MEMBER_ID));
      case "PreparingRebalance":
        return cb(syncError(E.REBALANCE_IN_PROGRESS));
      case "CompletingRebalance": {
        const member = group.get(memberId);
        // A repeated SyncGroup replaces the waiting one (Kafka drops it; it is answered here).
        if (member.awaitingSyncCallback) group.maybeInvokeSyncCallback(member, syncError(E.REBALANCE_IN_PROGRESS));
        member.awaitingSyncCallback = cb;
        this.removePendingSyncMember(group, memberId);
        if (group.isLeader(memberId)) {
          this.logger.info(
            { groupId: group.groupId, generationId, members: group.size },
            "assignment received from leader",
          );
          // Members the leader left out get an empty assignment.
          const assignment = new Map<string, Buffer>();
          for (const a of req.assignments) assignment.set(a.memberId, Buffer.from(a.assignment));
          for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, EMPTY_BYTES);
          this.background(this.metadata.storeGroup(group, assignment), (storeError) => {
            // Another member may have joined meanwhile: only the same pending generation proceeds.
            if (!group.is("CompletingRebalance") || generationId !== group.generationId) return;
            if (storeError !== E.NONE) {
              this.resetAndPropagateAssignmentError(group, storeError);
              this.maybePrepareRebalance(
                group,
                `error when storing group assignment during SyncGroup (member: ${memberId})`,
              );
            } else {
              for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BYTES;
              this.propagateAssignment(group, E.NONE);
              group.transitionTo("Stable", this.now());
            }
          });
        }
        return;
      }
      case "Stable": {
        this.removePendingSyncMember(group, memberId);
        const member = group.get(memberId);
        cb({
          errorCode: E.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
        });
        this.completeAndScheduleNextHeartbeatExpiration(group, member);
        return;
      }
      case "Dead":
        return cb(syncError(E.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private resetAndPropagateAssignmentError(group: GroupMetadata, error: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_BYTES;
    this.propagateAssignment(group, error);
  }

  private propagateAssignment(group: GroupMetadata, error: number): void {
    const ok = error === E.NONE;
    for (const m of group.members.values()) {
      const sent = group.maybeInvokeSyncCallback(m, {
        errorCode: error,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      });
      // Expirations that fired while the member waited were ignored: expect a heartbeat again.
      if (sent) this.completeAndScheduleNextHeartbeatExpiration(group, m);
    }
  }

  /** Members of a new generation must send SyncGroup within the rebalance timeout, or are removed. */
  private schedulePendingSync(group: GroupMetadata): void {
    group.syncTimer?.cancel();
    group.syncTimer = null;
    if (group.pendingSyncMembers.size === 0) return;
    const generationId = group.generationId;
    group.syncTimer = this.scheduler.schedule(group.rebalanceTimeoutMs, () => {
      group.syncTimer = null;
      this.onExpirePendingSync(group, generationId);
    });
  }

  private removePendingSyncMember(group: GroupMetadata, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0 && group.syncTimer) {
      group.syncTimer.cancel();
      group.syncTimer = null;
    }
  }

  private removeSyncExpiration(group: GroupMetadata): void {
    group.pendingSyncMembers.clear();
    group.syncTimer?.cancel();
    group.syncTimer = null;
  }

  private onExpirePendingSync(group: GroupMetadata, generationId: number): void {
    if (generationId !== group.generationId) return;
    if (!group.is("CompletingRebalance") && !group.is("Stable")) return;
    if (group.pendingSyncMembers.size === 0) return;
    const missing = [...group.pendingSyncMembers];
    for (const id of missing) this.removeMember(group, id);
    this.prepareRebalance(group, `removing ${missing.join(", ")} on pending sync request expiration`);
  }

  // ======================================================================
  // Heartbeat and session timeouts
  // ======================================================================

  async heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    const statusError = this.validateGroupStatus(req.groupId, false);
    // While loading, answer blindly.
    if (statusError === E.COORDINATOR_LOAD_IN_PROGRESS) return { errorCode: E.NONE };
    if (statusError !== null) return { errorCode: statusError };
    const group = this.groups.get(req.groupId);
    if (!group) return { errorCode: E.UNKNOWN_MEMBER_ID };
    if (group.is("Dead")) return { errorCode: E.COORDINATOR_NOT_AVAILABLE };
    const memberError = this.validateCurrentMember(group, req.memberId, req.groupInstanceId ?? null);
    if (memberError !== null) return { errorCode: memberError };
    if (req.generationId !== group.generationId) return { errorCode: E.ILLEGAL_GENERATION };
    switch (group.state) {
      case "Empty":
        return { errorCode: E.UNKNOWN_MEMBER_ID };
      case "CompletingRebalance":
      case "Stable":
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(req.memberId));
        return { errorCode: E.NONE };
      case "PreparingRebalance":
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(req.memberId));
        return { errorCode: E.REBALANCE_IN_PROGRESS };
      case "Dead":
        return { errorCode: E.COORDINATOR_NOT_AVAILABLE };
    }
  }

  private completeAndScheduleNextHeartbeatExpiration(group: GroupMetadata, member: MemberMetadata): void {
    this.completeAndScheduleNextExpiration(group, member, member.sessionTimeoutMs);
  }

  private completeAndScheduleNextExpiration(group: GroupMetadata, member: MemberMetadata, timeoutMs: number): void {
    member.heartbeatTimer?.cancel();
    member.heartbeatSatisfied = false;
    const memberId = member.memberId;
    const timer = this.scheduler.schedule(timeoutMs, () => {
      if (member.heartbeatTimer === timer) member.heartbeatTimer = null;
      this.onExpireHeartbeat(group, memberId, member);
    });
    member.heartbeatTimer = timer;
  }

  private onExpireHeartbeat(group: GroupMetadata, memberId: string, member: MemberMetadata): void {
    if (group.is("Dead")) return;
    if (group.members.get(memberId) !== member) return;
    if (!member.hasSatisfiedHeartbeat) {
      this.logger.info(
        { groupId: group.groupId, memberId },
        "member failed its session timeout, removing it from the group",
      );
      this.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on heartbeat expiration`);
    }
  }

  /** Removes a member; a SyncGroup it still waits on is answered (Kafka leaves it unanswered). */
  private removeMember(group: GroupMetadata, memberId: string): void {
    const member = group.members.get(memberId);
    if (member) group.maybeInvokeSyncCallback(member, syncError(E.UNKNOWN_MEMBER_ID));
    group.remove(memberId);
  }

  private removeMemberAndUpdateGroup(group: GroupMetadata, member: MemberMetadata, reason: string): void {
    // A new member may time out while its JoinGroup waits: tell it to retry.
    group.maybeInvokeJoinCallback(member, joinError("", E.UNKNOWN_MEMBER_ID));
    this.removeMember(group, member.memberId);
    switch (group.state) {
      case "Dead":
      case "Empty":
        return;
      case "Stable":
      case "CompletingRebalance":
        return this.maybePrepareRebalance(group, reason);
      case "PreparingRebalance":
        return this.checkJoinCompletion(group);
    }
  }

  private removePendingMemberAndUpdateGroup(group: GroupMetadata, memberId: string): void {
    group.remove(memberId);
    if (group.is("PreparingRebalance")) this.checkJoinCompletion(group);
  }

  // ======================================================================
  // LeaveGroup
  // ======================================================================

  async leaveGroup(req: LeaveGroupRequest): Promise<LeaveGroupResponse> {
    const legacy = req.members === undefined;
    const leaving = legacy ? [{ memberId: req.memberId ?? "", groupInstanceId: null, reason: null }] : req.members!;
    const respond = (errorCode: number, members: LeaveGroupResponse["members"]): LeaveGroupResponse => {
      // v0-2 have one member and no member list: its error is the response's.
      if (legacy && errorCode === E.NONE) errorCode = members.find((m) => m.errorCode !== E.NONE)?.errorCode ?? E.NONE;
      return { errorCode, members };
    };
    const memberResult = (m: (typeof leaving)[number], errorCode: number) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? null,
      errorCode,
    });

    const statusError = this.validateGroupStatus(req.groupId, false);
    if (statusError !== null) return respond(statusError, []);
    const group = this.groups.get(req.groupId);
    if (!group)
      return respond(
        E.NONE,
        leaving.map((m) => memberResult(m, E.UNKNOWN_MEMBER_ID)),
      );
    if (group.is("Dead")) return respond(E.COORDINATOR_NOT_AVAILABLE, []);

    const results = leaving.map((m) => {
      const instanceId = m.groupInstanceId ?? null;
      const reason = m.reason ?? "not provided";
      if (m.memberId === "") {
        // Administrative removal of a static member by its instance id.
        const current = instanceId === null ? undefined : group.currentStaticMemberId(instanceId);
        if (current === undefined) return memberResult(m, E.UNKNOWN_MEMBER_ID);
        this.removeCurrentMemberFromGroup(group, current, reason);
        return memberResult(m, E.NONE);
      }
      if (group.isPendingMember(m.memberId)) {
        this.removePendingMemberAndUpdateGroup(group, m.memberId);
        return memberResult(m, E.NONE);
      }
      const error = this.validateCurrentMember(group, m.memberId, instanceId);
      if (error !== null) return memberResult(m, error);
      this.removeCurrentMemberFromGroup(group, m.memberId, reason);
      return memberResult(m, E.NONE);
    });
    return respond(E.NONE, results);
  }

  private removeCurrentMemberFromGroup(group: GroupMetadata, memberId: string, reason: string): void {
    const member = group.get(memberId);
    this.logger.info({ groupId: group.groupId, memberId, reason }, "member left the group through LeaveGroup");
    this.removeMemberAndUpdateGroup(
      group,
      member,
      `removing member ${memberId} on LeaveGroup; client reason: ${reason}`,
    );
  }

  // ======================================================================
  // committed offsets (offsets.ts)
  // ======================================================================

  commitOffsets(req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
    return this.offsets.commitOffsets(req);
  }

  fetchOffsets(req: OffsetFetchRequest): Promise<OffsetFetchResponse> {
    return this.offsets.fetchOffsets(req);
  }

  deleteOffsets(req: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
    return this.offsets.deleteOffsets(req);
  }

  /**
   * One pass of Kafka's offsets retention task: expires offsets, and removes
   * groups left Empty without offsets. Returns the number of offsets removed.
   */
  expireOffsets(): Promise<number> {
    return this.offsets.expireOffsets();
  }

  // ======================================================================
  // ListGroups / DescribeGroups / DeleteGroups (metadata-manager.ts)
  // ======================================================================

  listGroups(req: ListGroupsRequest = {}): Promise<ListGroupsResponse> {
    return this.metadata.listGroups(req);
  }

  describeGroups(req: DescribeGroupsRequest): Promise<DescribeGroupsResponse> {
    return this.metadata.describeGroups(req);
  }

  deleteGroups(req: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
    return this.metadata.deleteGroups(req);
  }

  // ======================================================================
  // helpers
  // ======================================================================

  private now(): number {
    return this.scheduler.now();
  }

  /** Runs `then` when `p` resolves; failures (coordinator bugs) are logged, never unhandled. */
  private background<T>(p: Promise<T>, then: (v: T) => void): void {
    this.track(p)
      .then(then)
      .catch((e) => this.logger.error({ err: (e as Error)?.message }, "group coordinator internal error"));
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  /**
   * Kafka's validateGroupStatus. OffsetCommit, OffsetFetch, DescribeGroups and
   * DeleteGroups accept the empty group id; the other APIs do not.
   */
  private validateGroupStatus(groupId: string, allowEmptyGroupId: boolean): number | null {
    if (groupId === null || groupId === undefined || (!allowEmptyGroupId && groupId === "")) return E.INVALID_GROUP_ID;
    if (this.status === "inactive" || this.status === "closed") return E.COORDINATOR_NOT_AVAILABLE;
    if (this.status === "loading") return E.COORDINATOR_LOAD_IN_PROGRESS;
    return null;
  }

  /**
   * Kafka's validateCurrentMember: a given instance id must map to this member id
   * (else FENCED_INSTANCE_ID, or UNKNOWN_MEMBER_ID if unknown); the member id must exist.
   */
  private validateCurrentMember(group: GroupMetadata, memberId: string, groupInstanceId: string | null): number | null {
    if (groupInstanceId !== null) {
      const current = group.currentStaticMemberId(groupInstanceId);
      if (current === undefined) return E.UNKNOWN_MEMBER_ID;
      if (current !== memberId) {
        this.logger.info({ groupId: group.groupId, memberId, groupInstanceId, current }, "static member fenced");
        return E.FENCED_INSTANCE_ID;
      }
      return null;
    }
    return group.has(memberId) ? null : E.UNKNOWN_MEMBER_ID;
  }

  // ---- introspection (tests, metrics) ----

  /** The state of a group, or undefined if the coordinator does not hold it. */
  groupState(groupId: string): GroupState | undefined {
    return this.groups.get(groupId)?.state;
  }
}
