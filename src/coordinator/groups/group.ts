/**
 * The state of one classic group, as Kafka's GroupMetadata and MemberMetadata
 * hold it: members, static instance ids, pending (MEMBER_ID_REQUIRED) members,
 * the protocol vote, generation and leader, and the group's committed offsets.
 * The state machine that drives it lives in coordinator.ts.
 */
import { ErrorCode } from "../../protocol/errors.js";
import { GroupCoordinatorError } from "./errors.js";
import { CONSUMER_PROTOCOL_TYPE, parseSubscribedTopics } from "../../protocol/consumer-protocol.js";
import type { TimerHandle } from "./scheduler.js";
import type {
  GroupState,
  JoinGroupRequestProtocol,
  JoinGroupResponse,
  JoinGroupResponseMember,
  SyncGroupResponse,
} from "./types.js";

export const EMPTY_BYTES = Buffer.alloc(0);

export type JoinCallback = (r: JoinGroupResponse) => void;
export type SyncCallback = (r: SyncGroupResponse) => void;

/** Kafka's GroupState.validPreviousStates. */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ["PreparingRebalance"],
  PreparingRebalance: ["Stable", "CompletingRebalance", "Empty"],
  CompletingRebalance: ["PreparingRebalance"],
  Stable: ["CompletingRebalance"],
  Dead: ["Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"],
};

export class MemberMetadata {
  assignment: Buffer = EMPTY_BYTES;
  awaitingJoinCallback: JoinCallback | null = null;
  awaitingSyncCallback: SyncCallback | null = null;
  /** joined but not yet through a completed rebalance */
  isNew = false;
  heartbeatSatisfied = false;
  heartbeatTimer: TimerHandle | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public supportedProtocols: JoinGroupRequestProtocol[],
  ) {}

  get isStaticMember(): boolean {
    return this.groupInstanceId !== null;
  }
  get isAwaitingJoin(): boolean {
    return this.awaitingJoinCallback !== null;
  }
  get isAwaitingSync(): boolean {
    return this.awaitingSyncCallback !== null;
  }

  /** Kafka's MemberMetadata.hasSatisfiedHeartbeat: members in a rebalance are exempt, new ones are not. */
  get hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return this.heartbeatSatisfied;
    if (this.isAwaitingJoin || this.isAwaitingSync) return true;
    return this.heartbeatSatisfied;
  }

  protocolNames(): Set<string> {
    return new Set(this.supportedProtocols.map((p) => p.name));
  }

  metadata(protocol: string): Buffer {
    const p = this.supportedProtocols.find((x) => x.name === protocol);
    if (!p)
      throw new GroupCoordinatorError(
        "MR_GROUP_ILLEGAL_STATE",
        `member ${this.memberId} does not support protocol ${protocol}`,
      );
    return p.metadata;
  }

  /** Same protocols, same order, same metadata bytes. */
  matches(protocols: JoinGroupRequestProtocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i];
      const b = this.supportedProtocols[i];
      if (a.name !== b.name || !a.metadata.equals(b.metadata)) return false;
    }
    return true;
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: Set<string>): string {
    const p = this.supportedProtocols.find((x) => candidates.has(x.name));
    if (!p)
      throw new GroupCoordinatorError(
        "MR_GROUP_ILLEGAL_STATE",
        `member ${this.memberId} supports none of the candidate protocols`,
      );
    return p.name;
  }
}

/** A committed offset as the group caches it (Kafka's OffsetAndMetadata). */
export interface OffsetAndMetadata {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** set only by commits with an explicit retention time (OffsetCommit v2-4) */
  expireTimestamp: number | null;
  /** position of its record in the store (append order), to keep the newest */
  seq: number;
}

export interface JoinOperation {
  /** the initial-rebalance delay of an Empty group (never completes early) */
  initial: boolean;
  timer: TimerHandle | null;
}

export function tpKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

export class GroupMetadata {
  state: GroupState;
  currentStateTimestamp: number | null;
  protocolType: string | null = null;
  protocolName: string | null = null;
  generationId = 0;
  leaderId: string | null = null;
  /** insertion-ordered, as the leader sees them */
  readonly members = new Map<string, MemberMetadata>();
  /** group.instance.id -> member id */
  readonly staticMembers = new Map<string, string>();
  /** member ids handed out with MEMBER_ID_REQUIRED, not yet joined, with their expiry timers */
  readonly pendingMembers = new Map<string, TimerHandle | null>();
  /** members of the new generation that have not sent SyncGroup yet */
  readonly pendingSyncMembers = new Set<string>();
  numMembersAwaitingJoin = 0;
  /** protocol name -> how many members support it */
  private readonly supportedProtocols = new Map<string, number>();
  newMemberAdded = false;
  subscribedTopics: Set<string> | null = null;

  /** topic -> partition -> committed offset */
  readonly offsets = new Map<string, Map<number, OffsetAndMetadata>>();
  /** commits being written, by tpKey */
  readonly pendingOffsetCommits = new Map<string, OffsetAndMetadata>();

  joinOp: JoinOperation | null = null;
  syncTimer: TimerHandle | null = null;

  constructor(
    readonly groupId: string,
    initialState: GroupState,
    now: number,
  ) {
    this.state = initialState;
    this.currentStateTimestamp = now;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, now: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new GroupCoordinatorError(
        "MR_GROUP_ILLEGAL_STATE",
        `group ${this.groupId} cannot go from ${this.state} to ${state}`,
      );
    }
    this.state = state;
    this.currentStateTimestamp = now;
  }

  /** Kafka's canRebalance: PreparingRebalance may follow the current state. */
  get canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): MemberMetadata {
    const m = this.members.get(memberId);
    if (!m) throw new GroupCoordinatorError("MR_GROUP_ILLEGAL_STATE", `no member ${memberId} in group ${this.groupId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  get leaderOrEmpty(): string {
    return this.leaderId ?? "";
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  currentStaticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  get hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0;
  }

  get rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  add(member: MemberMetadata, callback: JoinCallback | null): void {
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.incSupportedProtocols(member);
    member.awaitingJoinCallback = callback;
    if (member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    this.pendingMembers.get(member.memberId)?.cancel();
    this.pendingMembers.delete(member.memberId);
  }

  /** Removes a member (or pending member); the leader passes to the next member. Returns the removed member. */
  remove(memberId: string): MemberMetadata | undefined {
    const member = this.members.get(memberId);
    if (member) {
      this.members.delete(memberId);
      this.decSupportedProtocols(member);
      if (member.isAwaitingJoin) this.numMembersAwaitingJoin--;
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
      member.heartbeatTimer?.cancel();
      member.heartbeatTimer = null;
    }
    if (this.isLeader(memberId)) {
      const first = this.members.keys().next();
      this.leaderId = first.done ? null : first.value;
    }
    this.pendingMembers.get(memberId)?.cancel();
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    return member;
  }

  updateMember(
    member: MemberMetadata,
    protocols: JoinGroupRequestProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    callback: JoinCallback | null,
  ): void {
    this.decSupportedProtocols(member);
    member.supportedProtocols = protocols;
    this.incSupportedProtocols(member);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (callback !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    else if (callback === null && member.isAwaitingJoin) this.numMembersAwaitingJoin--;
    member.awaitingJoinCallback = callback;
  }

  /** Gives a static member's identity to a new member id; anyone waiting on the old id is fenced. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): MemberMetadata {
    const member = this.members.get(oldMemberId);
    if (!member)
      throw new GroupCoordinatorError("MR_GROUP_ILLEGAL_STATE", `cannot replace non-existing member ${oldMemberId}`);
    this.members.delete(oldMemberId);
    this.maybeInvokeJoinCallback(member, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    this.maybeInvokeSyncCallback(member, syncError(ErrorCode.FENCED_INSTANCE_ID));
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    this.staticMembers.set(groupInstanceId, newMemberId);
    return member;
  }

  maybeInvokeJoinCallback(member: MemberMetadata, result: JoinGroupResponse): boolean {
    const cb = member.awaitingJoinCallback;
    if (!cb) return false;
    member.awaitingJoinCallback = null;
    this.numMembersAwaitingJoin--;
    cb(result);
    return true;
  }

  maybeInvokeSyncCallback(member: MemberMetadata, result: SyncGroupResponse): boolean {
    const cb = member.awaitingSyncCallback;
    if (!cb) return false;
    member.awaitingSyncCallback = null;
    cb(result);
    return true;
  }

  private incSupportedProtocols(member: MemberMetadata): void {
    for (const name of member.protocolNames())
      this.supportedProtocols.set(name, (this.supportedProtocols.get(name) ?? 0) + 1);
  }

  private decSupportedProtocols(member: MemberMetadata): void {
    for (const name of member.protocolNames()) {
      const n = (this.supportedProtocols.get(name) ?? 0) - 1;
      if (n <= 0) this.supportedProtocols.delete(name);
      else this.supportedProtocols.set(name, n);
    }
  }

  /**
   * Kafka's supportsProtocols: an Empty group takes any; otherwise one of the member's protocols must be
   * supported by every member.
   */
  supportsProtocols(memberProtocolType: string, memberProtocols: Set<string>): boolean {
    if (this.is("Empty")) return memberProtocolType.length > 0 && memberProtocols.size > 0;
    if (this.protocolType !== memberProtocolType) return false;
    for (const p of memberProtocols) if (this.supportedProtocols.get(p) === this.members.size) return true;
    return false;
  }

  /**
   * Kafka's protocol vote: the candidates are the protocols every member supports;
   * each member votes for its most preferred candidate; the most votes win.
   * Ties (which Kafka breaks by hash order) go to the candidate voted first, in member order.
   */
  selectProtocol(): string {
    if (this.members.size === 0)
      throw new GroupCoordinatorError("MR_GROUP_ILLEGAL_STATE", "cannot select a protocol for an empty group");
    const candidates = new Set<string>();
    for (const [name, n] of this.supportedProtocols) if (n === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best = "";
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best;
  }

  /** Kafka's maybeElectNewJoinedLeader: keep a leader that rejoined, else take any member that did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo("CompletingRebalance", now);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo("Empty", now);
    }
    this.pendingSyncMembers.clear();
  }

  /** Every member's metadata for the selected protocol (the leader's JoinGroup response). */
  currentMemberMetadata(): JoinGroupResponseMember[] {
    const protocol = this.protocolName;
    if (protocol === null || this.is("Dead") || this.is("PreparingRebalance")) {
      throw new GroupCoordinatorError(
        "MR_GROUP_ILLEGAL_STATE",
        `cannot obtain member metadata for group in state ${this.state}`,
      );
    }
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(protocol),
    }));
  }

  /** The topics a "consumer" group subscribes to; null when unknown (not a consumer group, or unparsable metadata). */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const t = parseSubscribedTopics(m.metadata(this.protocolName));
      if (t === null) return null;
      for (const x of t) topics.add(x);
    }
    return topics;
  }

  /** Unknown subscriptions count as subscribed (Kafka's isSubscribedToTopic). */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null ? true : this.subscribedTopics.has(topic);
  }

  // ---- offsets ----

  offset(topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingOffsetCommits.size > 0;
  }

  putOffset(topic: string, partition: number, o: OffsetAndMetadata): void {
    let t = this.offsets.get(topic);
    if (!t) this.offsets.set(topic, (t = new Map()));
    t.set(partition, o);
  }

  /** Removes the offsets (and pending commits) of these partitions; returns those that existed. */
  removeOffsets(partitions: { topic: string; partition: number }[]): { topic: string; partition: number }[] {
    const removed: { topic: string; partition: number }[] = [];
    for (const { topic, partition } of partitions) {
      this.pendingOffsetCommits.delete(tpKey(topic, partition));
      const t = this.offsets.get(topic);
      if (t?.delete(partition)) removed.push({ topic, partition });
      if (t && t.size === 0) this.offsets.delete(topic);
    }
    return removed;
  }

  allOffsetPartitions(): { topic: string; partition: number }[] {
    const out: { topic: string; partition: number }[] = [];
    for (const [topic, parts] of this.offsets) for (const partition of parts.keys()) out.push({ topic, partition });
    return out;
  }

  /**
   * Kafka's removeExpiredOffsets: an Empty group's offsets expire retention after it
   * became Empty; a Stable consumer group's offsets of topics no longer subscribed
   * expire retention after their commit; a standalone group's, after their commit.
   * Offsets with an explicit expire timestamp expire then. Pending commits stay.
   */
  removeExpiredOffsets(now: number, retentionMs: number): { topic: string; partition: number }[] {
    const expired = (base: (o: OffsetAndMetadata) => number, subscribed?: Set<string>) => {
      const out: { topic: string; partition: number }[] = [];
      for (const [topic, parts] of this.offsets) {
        if (subscribed?.has(topic)) continue;
        for (const [partition, o] of parts) {
          if (this.pendingOffsetCommits.has(tpKey(topic, partition))) continue;
          const isExpired = o.expireTimestamp === null ? now - base(o) >= retentionMs : now >= o.expireTimestamp;
          if (isExpired) out.push({ topic, partition });
        }
      }
      return out;
    };
    let list: { topic: string; partition: number }[];
    if (this.protocolType !== null && this.is("Empty")) {
      list = expired((o) => this.currentStateTimestamp ?? o.commitTimestamp);
    } else if (this.protocolType === CONSUMER_PROTOCOL_TYPE && this.subscribedTopics !== null && this.is("Stable")) {
      list = expired((o) => o.commitTimestamp, this.subscribedTopics);
    } else if (this.protocolType === null) {
      list = expired((o) => o.commitTimestamp);
    } else {
      list = [];
    }
    return this.removeOffsets(list);
  }
}

// Error-only responses (Kafka's JoinGroupResult(memberId, error) and SyncGroupResult(error)).

export function joinError(memberId: string, errorCode: number): JoinGroupResponse {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: "",
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncError(errorCode: number): SyncGroupResponse {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}
