/**
 * The remote TopicsPort: a Kafka cluster (or a millrace broker) reached
 * through @platformatic/kafka, a maintained Kafka client for Node.js. Its
 * low-level Consumer.fetch addresses one partition at one offset on the
 * partition's leader, which is what the direct approach needs: each call
 * reads an exact offset range.
 *
 * Group membership: the library's Consumer.joinGroup can join without
 * streaming, but it rejoins on its own when a heartbeat reports a rebalance
 * (its revocation is an event, not something awaited before the rejoin) and
 * its commit carries whatever generation it holds at the time. To give both
 * adapters the same eager-rebalance semantics (onRevoked awaited while the old
 * generation is still valid, generation-fenced commits), a member here is the
 * shared state machine of membership.ts over the library's lower-level API
 * functions (FindCoordinator v4, JoinGroup v7, SyncGroup v5, Heartbeat v4,
 * LeaveGroup v5, OffsetCommit v8) on its own Connection to the coordinator.
 */
import { randomUUID } from "node:crypto";
import {
  Admin,
  Connection,
  Consumer,
  Producer,
  ProduceAcks,
  findCoordinatorV4,
  heartbeatV4,
  joinGroupV7,
  leaveGroupV5,
  offsetCommitV8,
  syncGroupV5,
} from "@platformatic/kafka";
import {
  commitErrors,
  Membership,
  offsetCommitTopics,
  PortGroupTransport,
  type GroupTransport,
  type JoinRequest,
  type JoinResult,
  type MemberRef,
} from "./membership.js";
import {
  TopicsError,
  toBuffer,
  type CommittedOffset,
  type ConsumedRecord,
  type FetchOptions,
  type FetchResult,
  type GroupMember,
  type JoinOptions,
  type OffsetSpec,
  type ProduceOptions,
  type ProduceRecord,
  type TopicDescription,
  type TopicsPort,
  advanceFetch,
  leaveAll,
} from "./port.js";

export interface RemoteOptions {
  /** bootstrap.servers: "host:port[,host:port...]" */
  bootstrapServers: string;
  clientId?: string;
}

const TOPIC_RESOURCE = 2;
const DYNAMIC_TOPIC_CONFIG = 1;

export class RemoteTopics implements TopicsPort {
  readonly kind = "remote";
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly consumer: Consumer;
  private readonly members = new Set<Membership>();
  private closed = false;
  private readonly base: { clientId: string; bootstrapBrokers: string[] };

  constructor(private readonly opts: RemoteOptions) {
    const base = {
      clientId: opts.clientId ?? "millrace",
      bootstrapBrokers: opts.bootstrapServers
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    };
    this.base = base;
    this.admin = new Admin(base);
    this.producer = new Producer({ ...base, autocreateTopics: false });
    // The consumer never joins its group: it is used for fetches and list offsets only.
    this.consumer = new Consumer({ ...base, groupId: `millrace-port-${randomUUID()}` });
  }

  async createTopic(
    name: string,
    opts: { partitions?: number; configs?: Record<string, string>; ifNotExists?: boolean } = {},
  ): Promise<void> {
    if (opts.ifNotExists && (await this.listTopics()).includes(name)) return;
    try {
      await this.admin.createTopics({
        topics: [name],
        partitions: opts.partitions ?? -1,
        replicas: -1,
        configs: Object.entries(opts.configs ?? {}).map(([n, value]) => ({ name: n, value })),
      });
    } catch (e) {
      if (opts.ifNotExists && /already exists|TOPIC_ALREADY_EXISTS/i.test(errorText(e))) return;
      throw new TopicsError("MR_TOPICS_CREATE", `cannot create topic ${name}: ${errorText(e)}`, { cause: e });
    }
  }

  async describeTopic(name: string): Promise<TopicDescription | null> {
    if (!(await this.listTopics()).includes(name)) return null;
    const md = await this.producer.metadata({ topics: [name], forceUpdate: true });
    const t = md.topics.get(name);
    if (!t) return null;
    const described = await this.admin.describeConfigs({
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name }],
    });
    const configs: Record<string, string> = {};
    for (const c of described[0]?.configs ?? []) {
      if (c.configSource === DYNAMIC_TOPIC_CONFIG && c.value) configs[c.name] = c.value;
    }
    return { name, partitions: t.partitionsCount, configs };
  }

  async listTopics(): Promise<string[]> {
    return (await this.admin.listTopics({ includeInternals: false })).sort();
  }

  async deleteTopic(name: string): Promise<void> {
    await this.admin.deleteTopics({ topics: [name] });
  }

  /** The idempotent producer (created on first use): producer id, sequences, and retries that resend the same batch. */
  private idempotentProducer: Producer | null = null;
  /**
   * Idempotent sends one at a time: @platformatic/kafka 1.35 advances a
   * partition's sequence number only when a response arrives, so concurrent
   * sends would carry the same sequence and every one but the first would be
   * dropped by the broker as a duplicate (as Kafka does).
   */
  private idempotentChain: Promise<unknown> = Promise.resolve();

  async produce(
    topic: string,
    partition: number,
    records: ProduceRecord[],
    opts: ProduceOptions = {},
  ): Promise<bigint> {
    const acks = opts.idempotent
      ? ProduceAcks.ALL
      : opts.acks === 0
        ? ProduceAcks.NO_RESPONSE
        : opts.acks === 1
          ? ProduceAcks.LEADER
          : ProduceAcks.ALL;
    if (opts.idempotent) {
      const run = this.idempotentChain
        .catch(() => {})
        .then(() => {
          this.idempotentProducer ??= new Producer({
            ...this.base,
            autocreateTopics: false,
            idempotent: true,
            retries: 10,
          });
          return this.send(this.idempotentProducer, topic, partition, records, acks);
        });
      this.idempotentChain = run;
      return run;
    }
    return this.send(this.producer, topic, partition, records, acks);
  }

  private async send(
    producer: Producer,
    topic: string,
    partition: number,
    records: ProduceRecord[],
    acks: number,
  ): Promise<bigint> {
    const res = await producer.send({
      acks,
      messages: records.map((r) => ({
        topic,
        partition,
        key: toBuffer(r.key) ?? undefined,
        value: toBuffer(r.value) ?? undefined,
        headers: new Map((r.headers ?? []).map((h) => [Buffer.from(h.key), h.value ?? Buffer.alloc(0)])),
        timestamp: r.timestamp !== undefined ? BigInt(r.timestamp) : undefined,
      })),
    });
    const o = res.offsets?.find((x) => x.topic === topic && x.partition === partition);
    return o ? BigInt(o.offset) : -1n;
  }

  async fetch(topic: string, partition: number, from: bigint, opts: FetchOptions = {}): Promise<FetchResult> {
    const md = await this.consumer.metadata({ topics: [topic] });
    const meta = md.topics.get(topic);
    const leader = meta?.partitions[partition]?.leader;
    if (leader === undefined)
      throw new TopicsError("MR_TOPICS_UNKNOWN_PARTITION", `unknown topic or partition ${topic}-${partition}`);
    const node = leader;
    // The client sends topic ids (Fetch v13+) to brokers that have them.
    const topicKey = meta?.id && meta.id !== "AAAAAAAAAAAAAAAAAAAAAA" ? meta.id : topic;
    const maxBytes = opts.maxBytes ?? 1 << 20;
    const res = await this.consumer.fetch({
      node,
      topics: [
        {
          topicId: topicKey,
          partitions: [
            { partition, fetchOffset: from, partitionMaxBytes: maxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1 },
          ],
        },
      ],
      maxWaitTime: opts.maxWaitMs ?? 0,
      minBytes: 1,
      maxBytes,
    });
    const p = res.responses[0]?.partitions[0];
    if (!p) throw new TopicsError("MR_TOPICS_FETCH", `no fetch answer for ${topic}-${partition}`);
    if (p.errorCode !== 0)
      throw new TopicsError("MR_TOPICS_FETCH", `fetch ${topic}-${partition} at ${from}: error ${p.errorCode}`);
    const hw = p.highWatermark;
    const until = opts.until !== undefined && opts.until < hw ? opts.until : hw;
    const out: FetchResult = { records: [], nextOffset: from, highWatermark: hw };
    for (const b of p.records ?? []) {
      const last = b.firstOffset + BigInt(b.lastOffsetDelta);
      const logAppendTime = (b.attributes & 0x08) !== 0;
      for (const r of b.records) {
        const offset = b.firstOffset + BigInt(r.offsetDelta);
        if (offset < from || offset >= until) continue;
        const rec: ConsumedRecord = {
          topic,
          partition,
          offset,
          timestamp: logAppendTime ? b.maxTimestamp : b.firstTimestamp + r.timestampDelta,
          key: r.key,
          value: r.value,
          headers: r.headers.map(([k, v]) => ({ key: k ? k.toString() : "", value: v })),
        };
        out.records.push(rec);
      }
      if (advanceFetch(out, last, until)) break;
    }
    return out;
  }

  async listOffset(topic: string, partition: number, spec: OffsetSpec): Promise<bigint> {
    const timestamp = spec === "earliest" ? -2n : spec === "latest" ? -1n : BigInt(spec.timestamp);
    const offsets = await this.consumer.listOffsets({
      topics: [topic],
      partitions: { [topic]: [partition] },
      timestamp,
    });
    const list = offsets.get(topic);
    const v = list?.[partition];
    return v === undefined ? -1n : BigInt(v);
  }

  async commitOffsets(group: string, offsets: CommittedOffset[]): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
    for (const o of offsets) {
      if (!byTopic.has(o.topic)) byTopic.set(o.topic, []);
      byTopic.get(o.topic)!.push({ partition: o.partition, offset: o.offset });
    }
    await this.admin.alterConsumerGroupOffsets({
      groupId: group,
      topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
    });
  }

  async fetchOffsets(group: string, topics: string[]): Promise<CommittedOffset[]> {
    const res = await this.admin.listConsumerGroupOffsets({ groups: [group] });
    const out: CommittedOffset[] = [];
    for (const t of res[0]?.topics ?? []) {
      if (!topics.includes(t.name)) continue;
      for (const p of t.partitions)
        out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata });
    }
    return out;
  }

  async joinGroup(group: string, topics: string[], opts: JoinOptions = {}): Promise<GroupMember> {
    if (this.closed) throw new TopicsError("MR_TOPICS_CLOSED", "the topics port is closed");
    const transport = new RemoteGroupTransport(this, group, opts.rebalanceTimeoutMs ?? 30000);
    const member = new Membership(group, topics, opts, transport, (m) => this.members.delete(m));
    this.members.add(member);
    await member.start();
    return member;
  }

  /** Partition counts from fresh metadata (missing topics left out). */
  async partitionCounts(topics: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (topics.length === 0) return out;
    const existing = new Set(await this.listTopics());
    const wanted = topics.filter((t) => existing.has(t));
    if (wanted.length === 0) return out;
    const md = await this.producer.metadata({ topics: wanted, forceUpdate: true });
    for (const t of wanted) {
      const m = md.topics.get(t);
      if (m) out.set(t, m.partitionsCount);
    }
    return out;
  }

  /** The first bootstrap address and the client id, for the group connections. */
  connectionTarget(): { host: string; port: number; clientId: string } {
    const first =
      this.opts.bootstrapServers
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)[0] ?? "localhost:9092";
    const { host, port } = splitHostPort(first);
    return { host, port, clientId: this.opts.clientId ?? "millrace" };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await leaveAll(this.members);
    await Promise.allSettled([
      this.consumer.close(true),
      this.producer.close(),
      this.admin.close(),
      this.idempotentProducer?.close(),
    ]);
  }
}

function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(addr);
  if (!m) return { host: addr, port: 9092 };
  return { host: m[1], port: Number(m[2]) };
}

/** The parsed response of a request that answered with an error code (the library throws those). */
function responseOf<T>(e: unknown): T {
  const r = (e as { response?: unknown }).response;
  if (r && typeof r === "object") return r as T;
  throw e;
}

async function call<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    return responseOf<T>(e);
  }
}

/**
 * Group requests of one member over its own connection to the group's
 * coordinator (found with FindCoordinator on the bootstrap server). A failed
 * connection is dropped and found again on the next request.
 */
class RemoteGroupTransport extends PortGroupTransport<RemoteTopics> implements GroupTransport {
  private conn: Connection | null = null;
  private connecting: Promise<Connection> | null = null;

  constructor(
    port: RemoteTopics,
    private readonly group: string,
    private readonly rebalanceTimeoutMs: number,
  ) {
    super(port);
  }

  private newConnection(clientId: string): Connection {
    // A JoinGroup may wait for the whole rebalance timeout before it is answered.
    return new Connection(clientId, { requestTimeout: this.rebalanceTimeoutMs + 10_000 });
  }

  private coordinator(): Promise<Connection> {
    if (this.conn?.isConnected()) return Promise.resolve(this.conn);
    this.connecting ??= (async () => {
      const target = this.port.connectionTarget();
      const boot = this.newConnection(target.clientId);
      try {
        await boot.connect(target.host, target.port);
        const res = await call(findCoordinatorV4.api.async(boot, 0, [this.group]));
        const c = res.coordinators.find((x) => x.key === this.group) ?? res.coordinators[0];
        if (c?.errorCode !== 0) {
          throw new TopicsError(
            "MR_TOPICS_GROUP_COORDINATOR",
            `no coordinator for group ${this.group}: error ${c?.errorCode ?? "none"}`,
          );
        }
        const conn = this.newConnection(target.clientId);
        await conn.connect(c.host, c.port);
        if (this.conn) await this.conn.close().catch(() => {});
        this.conn = conn;
        return conn;
      } finally {
        await boot.close().catch(() => {});
      }
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /** Runs a request; a network failure drops the connection so the next request reconnects. */
  private async request<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const c = await this.coordinator();
    try {
      return await call(fn(c));
    } catch (e) {
      if (this.conn === c) {
        this.conn = null;
        await c.close().catch(() => {});
      }
      throw e;
    }
  }

  async join(req: JoinRequest): Promise<JoinResult> {
    const res = await this.request((c) =>
      joinGroupV7.api.async(
        c,
        req.groupId,
        req.sessionTimeoutMs,
        req.rebalanceTimeoutMs,
        req.memberId,
        req.groupInstanceId,
        req.protocolType,
        req.protocols,
      ),
    );
    return {
      errorCode: res.errorCode,
      generationId: res.generationId,
      protocolName: res.protocolName ?? null,
      leader: res.leader,
      memberId: res.memberId ?? "",
      members: res.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId ?? null,
        metadata: m.metadata,
      })),
    };
  }

  async sync(req: Parameters<GroupTransport["sync"]>[0]) {
    const res = await this.request((c) =>
      syncGroupV5.api.async(
        c,
        req.groupId,
        req.generationId,
        req.memberId,
        req.groupInstanceId,
        req.protocolType,
        req.protocolName,
        req.assignments,
      ),
    );
    return { errorCode: res.errorCode, assignment: res.assignment ?? Buffer.alloc(0) };
  }

  async heartbeat(req: MemberRef) {
    const res = await this.request((c) =>
      heartbeatV4.api.async(c, req.groupId, req.generationId, req.memberId, req.groupInstanceId),
    );
    return res.errorCode;
  }

  async leave(req: Parameters<GroupTransport["leave"]>[0]) {
    const res = await this.request((c) =>
      leaveGroupV5.api.async(c, req.groupId, [
        { memberId: req.memberId, groupInstanceId: req.groupInstanceId, reason: "the member left" },
      ]),
    );
    return res.errorCode !== 0 ? res.errorCode : (res.members[0]?.errorCode ?? 0);
  }

  async commit(req: Parameters<GroupTransport["commit"]>[0]) {
    const res = await this.request((c) =>
      offsetCommitV8.api.async(
        c,
        req.groupId,
        req.generationId,
        req.memberId,
        req.groupInstanceId,
        offsetCommitTopics(req.offsets),
      ),
    );
    return commitErrors(res);
  }

  async close() {
    const c = this.conn;
    this.conn = null;
    if (c) await c.close().catch(() => {});
  }
}

function errorText(e: unknown): string {
  const err = e as { message?: string; errors?: { message?: string }[] };
  return [err.message, ...(err.errors ?? []).map((x) => x.message)].filter(Boolean).join("; ");
}
