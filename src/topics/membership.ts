/**
 * A consumer group member of the classic protocol, written once over a
 * GroupTransport (the in-process coordinator for the embedded adapter, Kafka
 * requests for the remote one): JoinGroup (with the MEMBER_ID_REQUIRED second
 * step), the leader's client-side assignment, SyncGroup, heartbeats, eager
 * rebalances (revoke everything, rejoin, assign), generation-fenced commits
 * and LeaveGroup.
 */
import { EventEmitter } from "node:events";
import { ErrorCode, errorName } from "../protocol/errors.js";
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment } from "../protocol/consumer-protocol.js";
import { isAssignorName, joinProtocols, leaderAssignments, subscribedTopics, type AssignorName } from "./assignors.js";
import { TopicsError, type CommittedOffset, type GroupMember, type JoinOptions, type TopicPartition } from "./port.js";

export interface JoinRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer | null }[];
}

export interface MemberRef {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

/** The group requests a member makes; each returns the protocol's error code rather than throwing. */
export interface GroupTransport {
  join(req: JoinRequest): Promise<JoinResult>;
  sync(
    req: MemberRef & {
      protocolType: string;
      protocolName: string;
      assignments: { memberId: string; assignment: Buffer }[];
    },
  ): Promise<{ errorCode: number; assignment: Buffer }>;
  heartbeat(req: MemberRef): Promise<number>;
  leave(req: { groupId: string; memberId: string; groupInstanceId: string | null }): Promise<number>;
  commit(
    req: MemberRef & { offsets: CommittedOffset[] },
  ): Promise<{ topic: string; partition: number; errorCode: number }[]>;
  /** partition counts of the topics (missing topics left out) */
  partitionCounts(topics: string[]): Promise<Map<string, number>>;
  fetchCommitted(groupId: string, topics: string[]): Promise<CommittedOffset[]>;
  /** releases what the transport holds for this member (connections) */
  close(): Promise<void>;
}

/** The port calls a GroupTransport makes on behalf of its member. */
export interface TransportPort {
  partitionCounts(topics: string[]): Map<string, number> | Promise<Map<string, number>>;
  fetchOffsets(group: string, topics: string[]): Promise<CommittedOffset[]>;
}

/** What both transports pass straight through to their port. */
export abstract class PortGroupTransport<P extends TransportPort> {
  constructor(protected readonly port: P) {}

  async partitionCounts(topics: string[]): Promise<Map<string, number>> {
    return this.port.partitionCounts(topics);
  }

  fetchCommitted(groupId: string, topics: string[]): Promise<CommittedOffset[]> {
    return this.port.fetchOffsets(groupId, topics);
  }
}

/** An OffsetCommit request's topics, the offsets grouped by topic. */
export function offsetCommitTopics(offsets: CommittedOffset[]) {
  const m = new Map<string, CommittedOffset[]>();
  for (const o of offsets) {
    if (!m.has(o.topic)) m.set(o.topic, []);
    m.get(o.topic)!.push(o);
  }
  return [...m].map(([name, list]) => ({
    name,
    partitions: list.map((o) => ({
      partitionIndex: o.partition,
      committedOffset: o.offset,
      committedLeaderEpoch: -1,
      committedMetadata: o.metadata ?? null,
    })),
  }));
}

/** An OffsetCommit response as GroupTransport.commit answers it: one error code per partition. */
export function commitErrors(res: {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}): { topic: string; partition: number; errorCode: number }[] {
  return res.topics.flatMap((t) =>
    t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })),
  );
}

const COORDINATOR_RETRIABLE = new Set<number>([
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);
const FENCED = new Set<number>([
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.FENCED_INSTANCE_ID,
]);
const RETRY_BACKOFF_MS = 100;
const MAX_RETRIES = 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type State = "joining" | "stable" | "left";

export class Membership extends EventEmitter implements GroupMember {
  memberId = "";
  generationId = -1;
  private parts: TopicPartition[] = [];
  private state: State = "joining";
  private timer: NodeJS.Timeout | null = null;
  private rejoining: Promise<void> | null = null;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly instanceId: string | null;
  private readonly assignor: AssignorName;

  constructor(
    readonly group: string,
    private readonly topics: string[],
    private readonly opts: JoinOptions,
    private readonly transport: GroupTransport,
    private readonly onLeft: (m: Membership) => void = () => {},
  ) {
    super();
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 10000;
    this.rebalanceTimeoutMs = opts.rebalanceTimeoutMs ?? 30000;
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 3000;
    this.instanceId = opts.groupInstanceId ?? null;
    this.assignor = opts.assignor ?? "range";
    if (!isAssignorName(this.assignor))
      throw new TopicsError(
        "MR_TOPICS_GROUP_ASSIGNOR",
        `unknown assignor '${String(this.assignor)}' (range or roundrobin)`,
      );
    if (topics.length === 0)
      throw new TopicsError("MR_TOPICS_GROUP_TOPICS", `joining group ${group} needs at least one topic`);
  }

  /** a method, not a field read, so TypeScript does not narrow the state across awaits */
  private hasLeft(): boolean {
    return this.state === "left";
  }

  assignment(): TopicPartition[] {
    return this.parts.map((p) => ({ ...p }));
  }

  /** Joins and waits for the first assignment; on failure the transport is closed. */
  async start(): Promise<void> {
    try {
      await this.rebalance();
    } catch (e) {
      // Give the place back (LeaveGroup when the coordinator knows us), then report the failure.
      this.parts = [];
      await this.leaveQuietly(true).catch(() => {});
      throw e;
    }
  }

  // ---- rebalances ----

  /** Revokes, rejoins and assigns; concurrent callers share one rebalance. */
  private rebalance(): Promise<void> {
    this.rejoining ??= (async () => {
      this.stopHeartbeats();
      await this.revoke();
      if (this.hasLeft()) return;
      this.state = "joining";
      await this.joinAndSync();
      if (this.hasLeft()) return;
      this.state = "stable";
      const parts = this.assignment();
      await this.opts.onAssigned?.(parts);
      this.emit("assigned", parts, this.generationId);
      this.scheduleHeartbeat();
    })().finally(() => {
      this.rejoining = null;
    });
    return this.rejoining;
  }

  /** A rebalance started by a heartbeat or a fenced commit: failures are reported and retried. */
  private backgroundRebalance(): void {
    if (this.state === "left" || this.rejoining) return;
    this.rebalance().catch((e) => {
      this.report(e);
      if (!this.hasLeft()) {
        // try again after a heartbeat interval
        this.state = "joining";
        this.timer = setTimeout(() => {
          this.timer = null;
          this.backgroundRebalance();
        }, this.heartbeatIntervalMs);
      }
    });
  }

  private async revoke(): Promise<void> {
    const revoked = this.parts;
    if (revoked.length === 0) return;
    try {
      await this.opts.onRevoked?.(revoked.map((p) => ({ ...p })));
    } catch (e) {
      this.report(e);
    }
    this.parts = [];
    this.emit("revoked", revoked);
  }

  private async joinAndSync(): Promise<void> {
    let retries = 0;
    const retry = async (code: number) => {
      if (++retries > MAX_RETRIES)
        throw new TopicsError(
          "MR_TOPICS_GROUP_JOIN",
          `join group ${this.group}: ${errorName(code)} after ${MAX_RETRIES} attempts`,
        );
      await sleep(RETRY_BACKOFF_MS);
    };
    for (;;) {
      if (this.hasLeft()) return;
      const join = await this.transport.join({
        groupId: this.group,
        sessionTimeoutMs: this.sessionTimeoutMs,
        rebalanceTimeoutMs: this.rebalanceTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: this.instanceId,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocols: joinProtocols(this.topics, this.assignor),
      });
      if (this.hasLeft()) return;
      if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = join.memberId;
        continue;
      }
      if (join.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = "";
        await retry(join.errorCode);
        continue;
      }
      if (COORDINATOR_RETRIABLE.has(join.errorCode) || join.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) {
        await retry(join.errorCode);
        continue;
      }
      if (join.errorCode !== ErrorCode.NONE) {
        throw new TopicsError("MR_TOPICS_GROUP_JOIN", `join group ${this.group}: ${errorName(join.errorCode)}`);
      }
      this.memberId = join.memberId;
      const protocol = join.protocolName ?? "";
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (join.leader === join.memberId) {
        if (!isAssignorName(protocol)) {
          throw new TopicsError(
            "MR_TOPICS_GROUP_PROTOCOL",
            `group ${this.group} chose assignor '${protocol}', which this member cannot run as leader`,
          );
        }
        const counts = await this.transport.partitionCounts(subscribedTopics(join.members));
        assignments = leaderAssignments(protocol, join.members, counts);
      }
      const sync = await this.transport.sync({
        groupId: this.group,
        generationId: join.generationId,
        memberId: this.memberId,
        groupInstanceId: this.instanceId,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocolName: protocol,
        assignments,
      });
      if (this.hasLeft()) return;
      if (sync.errorCode === ErrorCode.NONE) {
        this.generationId = join.generationId;
        this.parts = decodeAssignment(sync.assignment).partitions.flatMap((tp) =>
          tp.partitions.map((partition) => ({ topic: tp.topic, partition })),
        );
        this.parts.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
        return;
      }
      if (sync.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = "";
      if (
        sync.errorCode === ErrorCode.REBALANCE_IN_PROGRESS ||
        sync.errorCode === ErrorCode.ILLEGAL_GENERATION ||
        sync.errorCode === ErrorCode.UNKNOWN_MEMBER_ID ||
        COORDINATOR_RETRIABLE.has(sync.errorCode)
      ) {
        await retry(sync.errorCode);
        continue;
      }
      throw new TopicsError("MR_TOPICS_GROUP_SYNC", `sync group ${this.group}: ${errorName(sync.errorCode)}`);
    }
  }

  // ---- heartbeats ----

  private ref(): { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null } {
    return {
      groupId: this.group,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.instanceId,
    };
  }

  private scheduleHeartbeat(): void {
    this.stopHeartbeats();
    if (this.state !== "stable") return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.beat();
    }, this.heartbeatIntervalMs);
  }

  private stopHeartbeats(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async beat(): Promise<void> {
    if (this.state !== "stable" || this.rejoining) return;
    let code: number;
    try {
      code = await this.transport.heartbeat(this.ref());
    } catch (e) {
      this.report(e);
      this.scheduleHeartbeat();
      return;
    }
    if (this.state !== "stable" || this.rejoining) return;
    if (code === ErrorCode.NONE || COORDINATOR_RETRIABLE.has(code)) return this.scheduleHeartbeat();
    if (code === ErrorCode.REBALANCE_IN_PROGRESS || code === ErrorCode.ILLEGAL_GENERATION)
      return this.backgroundRebalance();
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) {
      this.memberId = "";
      return this.backgroundRebalance();
    }
    if (code === ErrorCode.FENCED_INSTANCE_ID) {
      // another process took this group.instance.id: this member is out for good
      this.report(
        new TopicsError(
          "MR_TOPICS_GROUP_FENCED",
          `member ${this.instanceId} of group ${this.group} was fenced by a newer instance`,
        ),
      );
      await this.leaveQuietly(false);
      return;
    }
    this.report(new TopicsError("MR_TOPICS_GROUP_HEARTBEAT", `heartbeat in group ${this.group}: ${errorName(code)}`));
    this.scheduleHeartbeat();
  }

  private report(e: unknown): void {
    if (this.listenerCount("error") > 0) this.emit("error", e instanceof Error ? e : new Error(String(e)));
  }

  // ---- offsets ----

  async commit(offsets: CommittedOffset[]): Promise<void> {
    if (this.hasLeft())
      throw new TopicsError("MR_TOPICS_GROUP_LEFT", `member ${this.memberId} has left group ${this.group}`);
    if (offsets.length === 0) return;
    const res = await this.transport.commit({ ...this.ref(), offsets });
    const failed = res.filter((r) => r.errorCode !== ErrorCode.NONE);
    if (failed.length === 0) return;
    const detail = failed.map((r) => `${r.topic}-${r.partition}: ${errorName(r.errorCode)}`).join(", ");
    const where = `commit of member ${this.memberId} (generation ${this.generationId}) in group ${this.group}`;
    if (failed.some((r) => FENCED.has(r.errorCode))) {
      this.backgroundRebalance();
      throw new TopicsError("MR_TOPICS_GROUP_FENCED", `${where} refused, the member must rejoin: ${detail}`);
    }
    if (failed.some((r) => r.errorCode === ErrorCode.REBALANCE_IN_PROGRESS)) {
      this.backgroundRebalance();
      throw new TopicsError("MR_TOPICS_GROUP_REBALANCING", `${where} refused during a rebalance: ${detail}`);
    }
    throw new TopicsError("MR_TOPICS_COMMIT", `${where} failed: ${detail}`);
  }

  committed(): Promise<CommittedOffset[]> {
    return this.transport.fetchCommitted(this.group, this.topics);
  }

  // ---- leaving ----

  leave(): Promise<void> {
    return this.leaveQuietly(true);
  }

  private leaving: Promise<void> | null = null;

  private leaveQuietly(sendLeave: boolean): Promise<void> {
    this.leaving ??= (async () => {
      this.stopHeartbeats();
      // revoke first (while the generation is still valid, so onRevoked may commit)
      if (this.state === "stable" && !this.rejoining) await this.revoke();
      this.state = "left";
      this.parts = [];
      try {
        if (sendLeave && this.memberId !== "") {
          const code = await this.transport.leave({
            groupId: this.group,
            memberId: this.memberId,
            groupInstanceId: this.instanceId,
          });
          if (code !== ErrorCode.NONE && code !== ErrorCode.UNKNOWN_MEMBER_ID && !COORDINATOR_RETRIABLE.has(code)) {
            throw new TopicsError("MR_TOPICS_GROUP_LEAVE", `leave group ${this.group}: ${errorName(code)}`);
          }
        }
      } finally {
        await this.transport.close().catch(() => {});
        this.onLeft(this);
      }
    })();
    return this.leaving;
  }
}
