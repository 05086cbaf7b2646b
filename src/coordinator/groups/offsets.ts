/**
 * Committed offsets of the classic groups: Kafka's OffsetMetadataManager.
 * OffsetCommit, OffsetFetch and OffsetDelete, the offsets retention task, the
 * tombstones of removed offsets and groups, and the offsets half of loading
 * `__consumer_offsets`. Membership (who may commit, in which generation) is the
 * GroupCoordinator's, reached through OffsetGroups.
 */
import { ErrorCode } from "../../protocol/errors.js";
import type { Logger } from "../../log/index.js";
import { CONSUMER_PROTOCOL_TYPE } from "../../protocol/consumer-protocol.js";
import { GroupMetadata, tpKey, type OffsetAndMetadata } from "./group.js";
import {
  OFFSET_COMMIT_VALUE_VERSION,
  OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  partitionForGroup,
  type OffsetCommitKey,
  type OffsetCommitValue,
} from "./records.js";
import type { Scheduler, TimerHandle } from "./scheduler.js";
import { storeErrorCode, type GroupStore, type GroupStoreRecord } from "./store.js";
import type {
  GroupCoordinatorConfig,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetDeleteRequest,
  OffsetDeleteResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  OffsetFetchResponsePartition,
} from "./types.js";

const E = ErrorCode;

export type TopicPartition = { topic: string; partition: number };

/** Offsets replayed from the store, by group then partition, the latest last. */
export type LoadedOffsets = Map<string, Map<string, { tp: TopicPartition; value: OffsetCommitValue; seq: number }>>;

/** What the offsets need of the group coordinator. */
export interface OffsetGroups {
  /** the groups by id (shared with the coordinator) */
  readonly groups: Map<string, GroupMetadata>;
  isActive(): boolean;
  /** Kafka's validateGroupStatus: an error code, or null when the coordinator serves the group */
  validateGroupStatus(groupId: string, allowEmptyGroupId: boolean): number | null;
  /** Kafka's validateCurrentMember */
  validateCurrentMember(group: GroupMetadata, memberId: string, groupInstanceId: string | null): number | null;
  /** a member's commit counts as its heartbeat */
  onMemberCommit(group: GroupMetadata, memberId: string): void;
  /** forgets a group that went Dead (and cancels its timers) */
  removeGroup(group: GroupMetadata): void;
  /** tracks a store append, so that close() waits for it */
  track<T>(p: Promise<T>): Promise<T>;
}

export interface OffsetMetadataManagerOptions {
  host: OffsetGroups;
  store: GroupStore;
  config: Readonly<GroupCoordinatorConfig>;
  scheduler: Scheduler;
  logger: Logger;
}

export class OffsetMetadataManager {
  private readonly host: OffsetGroups;
  private readonly store: GroupStore;
  private readonly config: Readonly<GroupCoordinatorConfig>;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  /** append order of offset commits (Kafka compares the records' log offsets) */
  private commitSeq = 0;
  private cleanupTimer: TimerHandle | null = null;

  constructor(opts: OffsetMetadataManagerOptions) {
    this.host = opts.host;
    this.store = opts.store;
    this.config = opts.config;
    this.scheduler = opts.scheduler;
    this.logger = opts.logger;
  }

  // ---- loading ----

  /** One replayed offset record (value null: a tombstone), in store order. */
  replayOffset(loaded: LoadedOffsets, key: OffsetCommitKey, value: Buffer | null): void {
    const { group, topic, partition } = key;
    let byGroup = loaded.get(group);
    if (value === null) {
      byGroup?.delete(tpKey(topic, partition));
      return;
    }
    const decoded = decodeOffsetCommitValue(value).value;
    if (!byGroup) loaded.set(group, (byGroup = new Map()));
    byGroup.delete(tpKey(topic, partition)); // keep the latest last, in commit order
    byGroup.set(tpKey(topic, partition), { tp: { topic, partition }, value: decoded, seq: ++this.commitSeq });
  }

  /** Puts the replayed offsets into their groups; a group with offsets only is created Empty. */
  applyLoaded(loaded: LoadedOffsets, now: number): void {
    for (const [groupId, byTp] of loaded) {
      if (byTp.size === 0) continue;
      let group = this.host.groups.get(groupId);
      if (!group) this.host.groups.set(groupId, (group = new GroupMetadata(groupId, "Empty", now)));
      for (const { tp, value, seq } of byTp.values()) {
        group.putOffset(tp.topic, tp.partition, {
          offset: value.offset,
          leaderEpoch: value.leaderEpoch,
          metadata: value.metadata,
          commitTimestamp: Number(value.commitTimestamp),
          expireTimestamp: value.expireTimestamp === -1n ? null : Number(value.expireTimestamp),
          seq,
        });
      }
    }
  }

  /** Stops the retention task. */
  close(): void {
    this.cleanupTimer?.cancel();
    this.cleanupTimer = null;
  }

  private now(): number {
    return this.scheduler.now();
  }

  // ---- OffsetCommit / OffsetFetch / OffsetDelete ----

  async commitOffsets(req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
    const respondAll = (errorCode: number): OffsetCommitResponse => ({
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    });
    const generationId = req.generationIdOrMemberEpoch ?? -1;
    const memberId = req.memberId ?? "";
    const groupInstanceId = req.groupInstanceId ?? null;
    const statusError = this.host.validateGroupStatus(req.groupId, true);
    if (statusError !== null) return respondAll(statusError);

    let group = this.host.groups.get(req.groupId);
    let created = false;
    if (!group) {
      // No group: only a commit outside group management (generation < 0) may create one.
      if (generationId >= 0) return respondAll(E.ILLEGAL_GENERATION);
      group = new GroupMetadata(req.groupId, "Empty", this.now());
      created = true;
    }
    const error = this.validateOffsetCommit(group, generationId, memberId, groupInstanceId);
    if (error !== null) return respondAll(error);
    if (created) this.host.groups.set(req.groupId, group);

    switch (group.state) {
      case "Empty":
        return this.storeOffsets(group, req);
      case "Stable":
      case "PreparingRebalance":
        // Commits stay allowed while preparing: the heartbeat tells the member to rejoin.
        this.host.onMemberCommit(group, memberId);
        return this.storeOffsets(group, req);
      case "CompletingRebalance":
        // Valid member and generation but no assignment yet.
        return respondAll(E.REBALANCE_IN_PROGRESS);
      case "Dead":
        return respondAll(E.COORDINATOR_NOT_AVAILABLE);
    }
  }

  private validateOffsetCommit(
    group: GroupMetadata,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
  ): number | null {
    if (group.is("Dead")) return E.COORDINATOR_NOT_AVAILABLE;
    if (generationId >= 0 || memberId !== "" || groupInstanceId !== null) {
      const e = this.host.validateCurrentMember(group, memberId, groupInstanceId);
      if (e !== null) return e;
      if (generationId !== group.generationId) return E.ILLEGAL_GENERATION;
      return null;
    }
    // A standalone commit: only while the group has no members.
    if (!group.is("Empty")) return E.UNKNOWN_MEMBER_ID;
    return null;
  }

  private async storeOffsets(group: GroupMetadata, req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
    const now = this.now();
    const retention = req.retentionTimeMs ?? -1n;
    const entries = req.topics.flatMap((t) =>
      t.partitions.map((p) => {
        const metadata = p.committedMetadata ?? "";
        const ts = p.commitTimestamp ?? -1n;
        const committed: OffsetAndMetadata = {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch ?? -1,
          metadata,
          commitTimestamp: ts === -1n ? now : Number(ts),
          expireTimestamp: retention === -1n ? null : now + Number(retention),
          seq: 0,
        };
        return {
          topic: t.name,
          partition: p.partitionIndex,
          committed,
          tooLarge: metadata.length > this.config.offsetMetadataMaxBytes,
        };
      }),
    );
    const valid = entries.filter((e) => !e.tooLarge);
    let error: number = E.NONE;
    if (valid.length > 0) {
      const records: GroupStoreRecord[] = valid.map((e) => ({
        key: encodeOffsetCommitKey({ group: group.groupId, topic: e.topic, partition: e.partition }),
        value: encodeOffsetCommitValue(
          {
            offset: e.committed.offset,
            leaderEpoch: e.committed.leaderEpoch,
            metadata: e.committed.metadata,
            commitTimestamp: BigInt(e.committed.commitTimestamp),
            expireTimestamp: e.committed.expireTimestamp === null ? -1n : BigInt(e.committed.expireTimestamp),
          },
          e.committed.expireTimestamp === null ? OFFSET_COMMIT_VALUE_VERSION : OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY,
        ),
      }));
      for (const e of valid) {
        e.committed.seq = ++this.commitSeq;
        group.pendingOffsetCommits.set(tpKey(e.topic, e.partition), e.committed);
      }
      try {
        await this.host.track(
          this.store.append(partitionForGroup(group.groupId, this.config.offsetsTopicNumPartitions), records),
        );
      } catch (err) {
        error = storeErrorCode(err, true);
        this.logger.warn(
          { groupId: group.groupId, errorCode: error, err: (err as Error)?.message },
          "offset commit append failed",
        );
      }
      if (!group.is("Dead")) {
        for (const e of valid) {
          const key = tpKey(e.topic, e.partition);
          if (error === E.NONE && group.pendingOffsetCommits.has(key)) {
            // Keep the newest record (a later commit may have landed first).
            const current = group.offset(e.topic, e.partition);
            if (!current || current.seq < e.committed.seq) group.putOffset(e.topic, e.partition, e.committed);
          }
          if (group.pendingOffsetCommits.get(key) === e.committed) group.pendingOffsetCommits.delete(key);
        }
      }
    }
    let i = 0;
    return {
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: entries[i++].tooLarge ? E.OFFSET_METADATA_TOO_LARGE : error,
        })),
      })),
    };
  }

  async fetchOffsets(req: OffsetFetchRequest): Promise<OffsetFetchResponse> {
    const statusError = this.host.validateGroupStatus(req.groupId, true);
    if (statusError !== null) return { errorCode: statusError, topics: [] };
    const noOffset = (partitionIndex: number, errorCode: number = E.NONE): OffsetFetchResponsePartition => ({
      partitionIndex,
      committedOffset: -1n,
      committedLeaderEpoch: -1,
      metadata: "",
      errorCode,
    });
    const group = this.host.groups.get(req.groupId);
    // Offsets are returned whatever the group's state: it may use Kafka for offsets only.
    if (!group || group.is("Dead")) {
      return {
        errorCode: E.NONE,
        topics: (req.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((p) => noOffset(p)),
        })),
      };
    }
    const requested =
      req.topics ?? [...group.offsets].map(([name, parts]) => ({ name, partitionIndexes: [...parts.keys()] }));
    return {
      errorCode: E.NONE,
      topics: requested.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => {
          if (req.requireStable && group.pendingOffsetCommits.has(tpKey(t.name, p)))
            return noOffset(p, E.UNSTABLE_OFFSET_COMMIT);
          const o = group.offset(t.name, p);
          if (!o) return noOffset(p);
          return {
            partitionIndex: p,
            committedOffset: o.offset,
            committedLeaderEpoch: o.leaderEpoch,
            metadata: o.metadata,
            errorCode: E.NONE,
          };
        }),
      })),
    };
  }

  async deleteOffsets(req: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
    const statusError = this.host.validateGroupStatus(req.groupId, false);
    if (statusError !== null) return { errorCode: statusError, topics: [] };
    const group = this.host.groups.get(req.groupId);
    if (!group || group.is("Dead")) return { errorCode: E.GROUP_ID_NOT_FOUND, topics: [] };

    const partitionErrors = new Map<string, number>();
    const eligible: TopicPartition[] = [];
    const all = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    if (group.is("Empty")) {
      eligible.push(...all);
    } else if (group.protocolType === CONSUMER_PROTOCOL_TYPE) {
      // A live consumer group keeps the offsets of topics it subscribes to.
      for (const tp of all) {
        if (group.isSubscribedToTopic(tp.topic))
          partitionErrors.set(tpKey(tp.topic, tp.partition), E.GROUP_SUBSCRIBED_TO_TOPIC);
        else eligible.push(tp);
      }
    } else {
      return { errorCode: E.NON_EMPTY_GROUP, topics: [] };
    }
    if (eligible.length > 0) {
      await this.cleanupGroupMetadata([group], (g) => g.removeOffsets(eligible));
      for (const tp of eligible) partitionErrors.set(tpKey(tp.topic, tp.partition), E.NONE);
    }
    return {
      errorCode: E.NONE,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: partitionErrors.get(tpKey(t.name, p.partitionIndex)) ?? E.NONE,
        })),
      })),
    };
  }

  // ---- offset retention and group cleanup ----

  /**
   * One pass of Kafka's offsets retention task (run every
   * offsets.retention.check.interval.ms): expires offsets, and removes groups
   * left Empty without offsets. Returns the number of offsets removed.
   */
  async expireOffsets(): Promise<number> {
    if (!this.host.isActive()) return 0;
    const now = this.now();
    return this.cleanupGroupMetadata([...this.host.groups.values()], (g) =>
      g.removeExpiredOffsets(now, this.config.offsetsRetentionMs),
    );
  }

  scheduleCleanup(): void {
    // Fixed rate, like Kafka's scheduled task: the next pass is scheduled before this one runs.
    this.cleanupTimer = this.scheduler.schedule(this.config.offsetsRetentionCheckIntervalMs, () => {
      this.scheduleCleanup();
      void this.host
        .track(this.expireOffsets())
        .catch((e) => this.logger.error({ err: (e as Error)?.message }, "offsets retention pass failed"));
    });
  }

  /**
   * Kafka's cleanupGroupMetadata: removes the offsets the selector picks, turns
   * Empty groups without offsets Dead and forgets them, and writes tombstones
   * (the group's only if it ever had a generation: offsets-only groups have no
   * metadata record). Tombstone failures are logged: the next pass retries.
   */
  async cleanupGroupMetadata(
    groups: GroupMetadata[],
    selector: (g: GroupMetadata) => TopicPartition[],
  ): Promise<number> {
    let removedCount = 0;
    const appends: Promise<void>[] = [];
    const now = this.now();
    for (const group of groups) {
      const removed = selector(group);
      if (group.is("Empty") && !group.hasOffsets) group.transitionTo("Dead", now);
      const records: GroupStoreRecord[] = removed.map((tp) => ({
        key: encodeOffsetCommitKey({ group: group.groupId, topic: tp.topic, partition: tp.partition }),
        value: null,
      }));
      if (group.is("Dead") && this.host.groups.get(group.groupId) === group) {
        this.host.removeGroup(group);
        if (group.generationId > 0)
          records.push({ key: encodeGroupMetadataKey({ group: group.groupId }), value: null });
      }
      if (records.length === 0) continue;
      removedCount += removed.length;
      appends.push(
        this.host
          .track(this.store.append(partitionForGroup(group.groupId, this.config.offsetsTopicNumPartitions), records))
          .catch((e) => {
            this.logger.warn(
              { groupId: group.groupId, err: (e as Error)?.message },
              "failed to write tombstones for group",
            );
          }),
      );
    }
    await Promise.all(appends);
    return removedCount;
  }
}
