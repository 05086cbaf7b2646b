/**
 * Consumer group administration over a KafkaClient, as Kafka's Admin client
 * does it for kafka-consumer-groups: ListGroups on every broker,
 * FindCoordinator then DescribeGroups / OffsetFetch / OffsetCommit (outside
 * group management: generation -1, no member id) / DeleteGroups at the
 * group's coordinator. Works against millrace or any Kafka cluster.
 */
import { ApiKey } from "../protocol/apis.js";
import type { Message } from "../protocol/codec.js";
import { ErrorCode, errorName } from "../protocol/errors.js";
import { type KafkaClient, KafkaError } from "./client.js";
import { KafkaConnection } from "./connection.js";
import type { CommittedOffset } from "../topics/port.js";
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, type TopicPartitions } from "../protocol/consumer-protocol.js";

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  /** empty when the broker's ListGroups is older than v4 */
  state: string;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** decoded from the consumer protocol's Assignment; empty outside Stable */
  assignment: TopicPartitions[];
}

export interface GroupDescription {
  groupId: string;
  /** Kafka's group states: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead */
  state: string;
  protocolType: string;
  /** the assignment strategy (protocol name) chosen for the current generation, "" outside Stable */
  protocol: string;
  members: GroupMember[];
  coordinator: { nodeId: number; host: string; port: number };
}

export type { CommittedOffset } from "../topics/port.js";

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: bigint;
  metadata?: string;
}

/** Errors that mean "ask again, maybe elsewhere": the coordinator is loading, moving or unknown. */
const COORDINATOR_RETRIABLE = new Set<number>([
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);
/** a group's coordinator: its broker and an open connection to it */
type Coordinator = { conn: KafkaConnection; nodeId: number; host: string; port: number };

const MAX_ATTEMPTS = 20;
const RETRY_BACKOFF_MS = 100;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class GroupAdmin {
  private coordinators = new Map<string, Coordinator>();
  private extra: KafkaConnection[] = [];
  private brokersKnown = false;

  constructor(readonly client: KafkaClient) {}

  /** Every group on every broker (Kafka's Admin.listConsumerGroups asks each one). */
  async listGroups(opts: { consumerOnly?: boolean } = {}): Promise<ListedGroup[]> {
    const brokers = await this.brokerIds();
    const out = new Map<string, ListedGroup>();
    for (const id of brokers) {
      const conn = await this.client.node(id);
      const res = await this.retry(`list groups on broker ${id}`, async () => {
        const r = await conn.request(ApiKey.ListGroups, { statesFilter: [], typesFilter: [] });
        return { errorCode: r.errorCode as number, value: r };
      });
      for (const g of res.groups as Message[]) {
        const protocolType: string = g.protocolType ?? "";
        // Admin.listConsumerGroups keeps consumer groups and groups without a protocol (offsets only).
        if (opts.consumerOnly !== false && protocolType !== "" && protocolType !== CONSUMER_PROTOCOL_TYPE) continue;
        out.set(g.groupId, { groupId: g.groupId, protocolType, state: g.groupState ?? "" });
      }
    }
    return [...out.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    return this.atCoordinator(groupId, `describe group ${groupId}`, async (conn, coordinator) => {
      const res = await conn.request(ApiKey.DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false });
      const g = (res.groups as Message[])[0];
      if (!g) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `describe group ${groupId}: empty response`);
      const protocolType: string = g.protocolType ?? "";
      const members: GroupMember[] = (g.members as Message[]).map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId ?? null,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment:
          protocolType === CONSUMER_PROTOCOL_TYPE ? decodeAssignment(m.memberAssignment as Buffer).partitions : [],
      }));
      return {
        errorCode: g.errorCode as number,
        value: { groupId, state: g.groupState, protocolType, protocol: g.protocolData ?? "", members, coordinator },
      };
    });
  }

  /** Every offset the group has committed (OffsetFetch with a null topic list). */
  async fetchOffsets(groupId: string): Promise<CommittedOffset[]> {
    return this.atCoordinator(groupId, `fetch offsets of group ${groupId}`, async (conn) => {
      const v = conn.version(ApiKey.OffsetFetch);
      if (v < 2)
        throw new KafkaError(
          ErrorCode.UNSUPPORTED_VERSION,
          "fetching all of a group's offsets needs OffsetFetch v2 or newer",
        );
      const res = await conn.send(
        ApiKey.OffsetFetch,
        v,
        v >= 8
          ? { groups: [{ groupId, topics: null }], requireStable: true }
          : { groupId, topics: null, requireStable: true },
      );
      const body: Message = v >= 8 ? (res.groups as Message[])[0] : res;
      const out: CommittedOffset[] = [];
      let partitionError: number = ErrorCode.NONE;
      for (const t of body.topics as Message[]) {
        for (const p of t.partitions as Message[]) {
          if (p.errorCode !== ErrorCode.NONE) partitionError = p.errorCode;
          else if (p.committedOffset >= 0n)
            out.push({
              topic: t.name,
              partition: p.partitionIndex,
              offset: p.committedOffset,
              metadata: p.metadata ?? null,
            });
        }
      }
      const errorCode = body.errorCode !== ErrorCode.NONE ? body.errorCode : partitionError;
      // UNSTABLE_OFFSET_COMMIT (a commit in flight) is retried like a coordinator error.
      return {
        errorCode: errorCode === ErrorCode.UNSTABLE_OFFSET_COMMIT ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : errorCode,
        value: out,
      };
    });
  }

  /**
   * Commits offsets outside group management (generation -1, no member id), as
   * Admin.alterConsumerGroupOffsets does: the coordinator accepts this only
   * while the group has no members (else UNKNOWN_MEMBER_ID).
   */
  async commitOffsets(groupId: string, offsets: OffsetToCommit[]): Promise<void> {
    const byTopic = new Map<string, OffsetToCommit[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    await this.atCoordinator(groupId, `commit offsets of group ${groupId}`, async (conn) => {
      const res = await conn.request(ApiKey.OffsetCommit, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: "",
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [...byTopic].map(([name, list]) => ({
          name,
          partitions: list.map((o) => ({
            partitionIndex: o.partition,
            committedOffset: o.offset,
            committedLeaderEpoch: -1,
            commitTimestamp: -1n,
            committedMetadata: o.metadata ?? "",
          })),
        })),
      });
      let errorCode: number = ErrorCode.NONE;
      const failed: string[] = [];
      for (const t of res.topics as Message[]) {
        for (const p of t.partitions as Message[]) {
          if (p.errorCode === ErrorCode.NONE) continue;
          if (errorCode === ErrorCode.NONE || COORDINATOR_RETRIABLE.has(p.errorCode)) errorCode = p.errorCode;
          failed.push(`${t.name}-${p.partitionIndex}: ${errorName(p.errorCode)}`);
        }
      }
      if (errorCode !== ErrorCode.NONE && !COORDINATOR_RETRIABLE.has(errorCode)) {
        throw new KafkaError(errorCode, `commit offsets of group ${groupId}: ${failed.join(", ")}`);
      }
      return { errorCode, value: undefined };
    });
  }

  /** DeleteGroups at each group's coordinator; the error code per group (0 when deleted). */
  async deleteGroups(groupIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const groupId of groupIds) {
      try {
        await this.atCoordinator(groupId, `delete group ${groupId}`, async (conn) => {
          const res = await conn.request(ApiKey.DeleteGroups, { groupsNames: [groupId] });
          const r = (res.results as Message[]).find((x) => x.groupId === groupId);
          const errorCode: number = r ? r.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
          if (!COORDINATOR_RETRIABLE.has(errorCode)) out.set(groupId, errorCode);
          return { errorCode: COORDINATOR_RETRIABLE.has(errorCode) ? errorCode : ErrorCode.NONE, value: undefined };
        });
      } catch (e) {
        if (e instanceof KafkaError) out.set(groupId, e.kafkaCode);
        else throw e;
      }
    }
    return out;
  }

  /** Closes the connections this admin opened itself (the client's are closed by the client). */
  close(): void {
    for (const c of this.extra) c.close();
    this.extra = [];
    this.coordinators.clear();
  }

  // ---- plumbing ----

  private async brokerIds(): Promise<number[]> {
    const res = await this.client.bootstrap.request(ApiKey.Metadata, {
      topics: [],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    // Registers the brokers with the client (node() needs them).
    await this.client.metadata([]);
    this.brokersKnown = true;
    return (res.brokers as Message[]).map((b) => b.nodeId as number).sort((a, b) => a - b);
  }

  /** FindCoordinator for a group, and a connection to it. */
  private async coordinator(groupId: string): Promise<Coordinator> {
    const cached = this.coordinators.get(groupId);
    if (cached) return cached;
    const boot = this.client.bootstrap;
    const v = boot.version(ApiKey.FindCoordinator);
    const res = await boot.send(
      ApiKey.FindCoordinator,
      v,
      v >= 4 ? { keyType: 0, coordinatorKeys: [groupId] } : { key: groupId, keyType: 0 },
    );
    const c: Message = v >= 4 ? (res.coordinators as Message[])[0] : res;
    if (c.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(
        c.errorCode,
        `find the coordinator of group ${groupId}: ` +
          `${errorName(c.errorCode)}${c.errorMessage ? ` (${c.errorMessage})` : ""}`,
      );
    }
    if (!this.brokersKnown) await this.brokerIds();
    let conn: KafkaConnection;
    try {
      conn = await this.client.node(c.nodeId);
    } catch {
      // Not (yet) in the metadata: connect to the address FindCoordinator gave.
      conn = await KafkaConnection.open(`${String(c.host).includes(":") ? `[${c.host}]` : c.host}:${c.port}`, {
        clientId: this.client.clientId,
      });
      this.extra.push(conn);
    }
    const entry = { conn, nodeId: c.nodeId as number, host: c.host as string, port: c.port as number };
    this.coordinators.set(groupId, entry);
    return entry;
  }

  /**
   * Runs `op` against the group's coordinator, retrying (bounded) on the
   * errors that mean the coordinator is loading, unavailable or elsewhere.
   */
  private async atCoordinator<T>(
    groupId: string,
    what: string,
    op: (
      conn: KafkaConnection,
      coordinator: { nodeId: number; host: string; port: number },
    ) => Promise<{ errorCode: number; value: T }>,
  ): Promise<T> {
    return this.retry(what, async () => {
      let c: Coordinator;
      try {
        c = await this.coordinator(groupId);
      } catch (e) {
        if (e instanceof KafkaError && COORDINATOR_RETRIABLE.has(e.kafkaCode))
          return { errorCode: e.kafkaCode, value: undefined as T };
        throw e;
      }
      const r = await op(c.conn, { nodeId: c.nodeId, host: c.host, port: c.port });
      if (r.errorCode === ErrorCode.NOT_COORDINATOR || r.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE)
        this.coordinators.delete(groupId);
      return r;
    });
  }

  private async retry<T>(what: string, op: () => Promise<{ errorCode: number; value: T }>): Promise<T> {
    let last: number = ErrorCode.NONE;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(RETRY_BACKOFF_MS);
      const r = await op();
      if (r.errorCode === ErrorCode.NONE) return r.value;
      if (!COORDINATOR_RETRIABLE.has(r.errorCode))
        throw new KafkaError(r.errorCode, `${what}: ${errorName(r.errorCode)}`);
      last = r.errorCode;
    }
    throw new KafkaError(last, `${what}: ${errorName(last)} after ${MAX_ATTEMPTS} attempts`);
  }
}
