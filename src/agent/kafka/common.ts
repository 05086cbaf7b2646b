/**
 * What the Kafka channel, source and sink share: reaching topics (the agent's
 * embedded port, or a cluster named by kafka.bootstrap.servers), choosing a
 * partition for an event as Flume's Kafka components do, and a group reader
 * that tracks positions and commits offsets.
 *
 * Group membership goes through TopicsPort.joinGroup: several agents (or an
 * agent and any Kafka consumer) in one group split the partitions, as Flume's
 * Kafka consumers do.
 */
import { inProcessTopics } from "../../topics/inprocess.js";
import type { ComponentEnv, Context, Event } from "../api.js";
import { ChannelError } from "../api.js";
import { partitionForKey } from "../../client/partitioner.js";
import { openTopics } from "../../topics/index.js";
import type { ConfigError } from "../../errors.js";
import { configError } from "../config/config.js";
import type { ConsumedRecord, GroupMember, JoinOptions, TopicPartition, TopicsPort } from "../../topics/port.js";

/**
 * The port a component uses: the agent's embedded topics (inside millrace demo
 * or millrace run) or its own client of the cluster named by
 * kafka.bootstrap.servers; the adapter comes from the one `openTopics`.
 */
export class TopicsHandle {
  private port?: TopicsPort;
  private owned = false;
  constructor(
    private readonly bootstrap: string | undefined,
    private readonly env: ComponentEnv,
    private readonly what: string,
  ) {}

  /**
   * `kafka.bootstrap.servers` (after Flume's brokerList translation): absent or
   * "embedded" means the agent's own topics, which only an agent inside a
   * pipeline has; a standalone agent must name its broker (a config error, never
   * a private log nobody else can read).
   */
  static from(ctx: Context, env: ComponentEnv, what: string): TopicsHandle {
    const b = ctx.getString("kafka.bootstrap.servers");
    const embedded = b === undefined || b === "" || b.toLowerCase() === "embedded";
    if (embedded && !env.topics) throw noBroker(ctx, what);
    return new TopicsHandle(embedded ? undefined : b, env, what);
  }

  async get(): Promise<TopicsPort> {
    if (this.port) return this.port;
    const local = inProcessTopics(this.bootstrap);
    if (local) {
      this.port = local;
    } else if (this.bootstrap) {
      this.port = await openTopics({
        bootstrapServers: this.bootstrap,
        clientId: `millrace-agent-${this.env.agentName}`,
      });
      this.owned = true;
    } else if (this.env.topics) {
      this.port = await openTopics({ embedded: await this.env.topics() });
    } else {
      throw new ChannelError("MR_AGENT_NO_TOPICS", `${this.what}: no kafka.bootstrap.servers and no embedded broker`);
    }
    return this.port;
  }

  async close(): Promise<void> {
    const p = this.port;
    this.port = undefined;
    if (p && this.owned) await p.close();
  }
}

function noBroker(ctx: Context, what: string): ConfigError {
  const hint =
    "name the broker, e.g. kafka.bootstrap.servers = localhost:9092 (start one with `millrace broker`); " +
    "only inside `millrace demo` or `millrace run` is the embedded broker the default";
  if (ctx.has("kafka.bootstrap.servers"))
    return ctx.error(
      "kafka.bootstrap.servers",
      `is "embedded", but this standalone agent has no embedded broker: ${hint}`,
    );
  return configError(
    ctx.entry("type"),
    `${ctx.prefix}.kafka.bootstrap.servers`,
    `is not set: ${what} names no Kafka broker (no kafka.bootstrap.servers, no brokerList); ${hint}`,
  );
}

/** Partition count of a topic, creating it (1 partition) when missing, as a broker with auto-create does. */
export async function ensureTopic(port: TopicsPort, topic: string, partitions = 1): Promise<number> {
  const d = await port.describeTopic(topic);
  if (d) return d.partitions;
  await port.createTopic(topic, { partitions, ifNotExists: true });
  return (await port.describeTopic(topic))?.partitions ?? partitions;
}

/** Flume's partitionIdHeader / defaultPartitionId; both must be integers when set. */
export interface PartitionRule {
  partitionIdHeader?: string;
  defaultPartitionId?: number;
}

export function readPartitionRule(ctx: Context): PartitionRule {
  const h = ctx.getString("partitionIdHeader");
  const d = ctx.getInteger("defaultPartitionId");
  return { ...(h ? { partitionIdHeader: h } : {}), ...(d !== undefined ? { defaultPartitionId: d } : {}) };
}

/**
 * The partition of one event: the partitionIdHeader's value, else
 * defaultPartitionId, else murmur2 of the key (Kafka's default partitioner),
 * else `unkeyed` (the caller's sticky choice for the batch).
 */
export function choosePartition(
  rule: PartitionRule,
  e: Event,
  key: Buffer | null,
  partitions: number,
  unkeyed: number,
): number {
  let p: number | undefined;
  if (rule.partitionIdHeader && e.headers[rule.partitionIdHeader] !== undefined) {
    const v = e.headers[rule.partitionIdHeader];
    if (!/^\d+$/.test(v))
      throw new ChannelError(
        "MR_AGENT_BAD_PARTITION",
        `header ${rule.partitionIdHeader}="${v}" is not a partition number`,
      );
    p = Number(v);
  } else if (rule.defaultPartitionId !== undefined) p = rule.defaultPartitionId;
  else if (key) p = partitionForKey(key, partitions);
  else p = unkeyed % partitions;
  if (p < 0 || p >= partitions)
    throw new ChannelError("MR_AGENT_BAD_PARTITION", `partition ${p} does not exist (the topic has ${partitions})`);
  return p;
}

/** acks as Kafka's producer config spells them */
export function readAcks(ctx: Context, key: string, def: string): 0 | 1 | -1 {
  const v = ctx.getString(key, def).toLowerCase();
  if (v === "all" || v === "-1") return -1;
  if (v === "1") return 1;
  if (v === "0") return 0;
  throw ctx.error(key, `must be 0, 1, -1 or all, got "${v}"`);
}

export type OffsetReset = "earliest" | "latest" | "none";

export function readOffsetReset(ctx: Context, def: OffsetReset): OffsetReset {
  const v = ctx.getString("kafka.consumer.auto.offset.reset", def).toLowerCase();
  if (v !== "earliest" && v !== "latest" && v !== "none")
    throw ctx.error("kafka.consumer.auto.offset.reset", `must be earliest, latest or none, got "${v}"`);
  return v;
}

const tp = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export interface Position {
  topic: string;
  partition: number;
  offset: bigint;
}

/** Group membership settings from Kafka's consumer keys (kafka.consumer.*). */
export function readJoinOptions(ctx: Context): JoinOptions {
  const o: JoinOptions = {};
  const session = ctx.getInteger("kafka.consumer.session.timeout.ms");
  const heartbeat = ctx.getInteger("kafka.consumer.heartbeat.interval.ms");
  const poll = ctx.getInteger("kafka.consumer.max.poll.interval.ms");
  const strategy = ctx.getString("kafka.consumer.partition.assignment.strategy");
  if (session !== undefined) o.sessionTimeoutMs = session;
  if (heartbeat !== undefined) o.heartbeatIntervalMs = heartbeat;
  if (poll !== undefined) o.rebalanceTimeoutMs = poll;
  if (strategy) {
    const s = strategy.toLowerCase();
    if (s.includes("roundrobin")) o.assignor = "roundrobin";
    else if (s.includes("range")) o.assignor = "range";
    else
      throw ctx.error(
        "kafka.consumer.partition.assignment.strategy",
        `"${strategy}" is not supported (range or roundrobin)`,
      );
  }
  return o;
}

/**
 * One member of a consumer group reading the partitions the group assigns it
 * (TopicsPort.joinGroup). `poll` returns records from the positions and moves
 * them on; `commit` stores offsets as the member (generation-fenced, so a
 * member that lost a partition in a rebalance cannot commit over its new
 * owner); `seek` moves a position back (a rolled-back take). A partition
 * without a committed offset starts at auto.offset.reset, or at the position
 * snapshot taken by `snapshot()` (the Kafka channel takes one at start, so
 * "latest" means "from when the channel started", not "from the first take").
 * With kafka.topics.regex the matching topics are looked up again every
 * `topicRefreshMs` and the member rejoins when they changed.
 */
export class GroupReader {
  private member?: GroupMember;
  private positions = new Map<string, Position>();
  private order: Position[] = [];
  private next = 0;
  private joining?: Promise<void>;
  private subscribed: string[] = [];
  private nextTopicCheck = 0;
  private readonly start = new Map<string, bigint>();

  constructor(
    private readonly port: TopicsPort,
    readonly group: string,
    private readonly topics: string[] | RegExp,
    private readonly reset: OffsetReset,
    private readonly join: JoinOptions = {},
    /** called when partitions are taken away (drop anything buffered from them) */
    private readonly onRevoked?: (parts: TopicPartition[]) => void,
    private readonly topicRefreshMs = 10_000,
  ) {}

  private async topicNames(): Promise<string[]> {
    if (Array.isArray(this.topics)) return this.topics;
    const re = this.topics;
    return (await this.port.listTopics()).filter((t) => re.test(t)).sort();
  }

  /** records the reset position of every partition now (used where the group has no offset) */
  async snapshot(): Promise<void> {
    if (this.reset === "none") return;
    for (const topic of await this.topicNames()) {
      const d = await this.port.describeTopic(topic);
      for (let p = 0; p < (d?.partitions ?? 0); p++)
        this.start.set(tp(topic, p), await this.port.listOffset(topic, p, this.reset));
    }
  }

  /** joins the group (once; concurrent callers share the join) */
  async assign(): Promise<void> {
    if (this.member) return;
    this.joining ??= this.doJoin().finally(() => (this.joining = undefined));
    await this.joining;
  }

  private async doJoin(): Promise<void> {
    const names = await this.topicNames();
    this.nextTopicCheck = Date.now() + this.topicRefreshMs;
    if (names.length === 0) return; // a regex that matches nothing yet: poll looks again
    this.subscribed = names;
    this.member = await this.port.joinGroup(this.group, names, {
      ...this.join,
      onAssigned: (parts) => this.setAssignment(parts),
      onRevoked: (parts) => this.revoke(parts),
    });
  }

  private async setAssignment(parts: TopicPartition[]): Promise<void> {
    const committed = new Map<string, bigint>();
    const topics = [...new Set(parts.map((p) => p.topic))];
    if (topics.length > 0)
      for (const c of await this.port.fetchOffsets(this.group, topics))
        if (c.offset >= 0n) committed.set(tp(c.topic, c.partition), c.offset);
    const positions = new Map<string, Position>();
    for (const { topic, partition } of parts) {
      const k = tp(topic, partition);
      let offset = committed.get(k) ?? this.start.get(k);
      if (offset === undefined) {
        if (this.reset === "none")
          throw new ChannelError(
            "MR_AGENT_NO_OFFSET",
            `group ${this.group} has no committed offset for ${topic}-${partition} (auto.offset.reset=none)`,
          );
        offset = await this.port.listOffset(topic, partition, this.reset);
      }
      positions.set(k, { topic, partition, offset });
    }
    this.positions = positions;
    this.order = [...positions.values()];
    this.next = 0;
  }

  private revoke(parts: TopicPartition[]): void {
    for (const p of parts) this.positions.delete(tp(p.topic, p.partition));
    this.order = [...this.positions.values()];
    this.next = 0;
    this.onRevoked?.(parts);
  }

  /** the partitions this reader owns now */
  assignment(): TopicPartition[] {
    return this.order.map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  private async refreshTopics(): Promise<void> {
    if (Array.isArray(this.topics) || Date.now() < this.nextTopicCheck) return;
    this.nextTopicCheck = Date.now() + this.topicRefreshMs;
    const names = await this.topicNames();
    if (names.join("\u0000") === this.subscribed.join("\u0000")) return;
    await this.close();
    await this.assign();
  }

  private take(p: Position, records: ConsumedRecord[], out: ConsumedRecord[], max: number): void {
    for (const r of records) {
      if (out.length >= max) break;
      out.push(r);
      p.offset = r.offset + 1n;
    }
  }

  /** records from the positions on, up to `max`; waits up to maxWaitMs when there are none */
  async poll(max: number, maxWaitMs: number): Promise<ConsumedRecord[]> {
    await this.assign();
    await this.refreshTopics();
    const out: ConsumedRecord[] = [];
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const order = this.order;
      if (order.length === 0) {
        // nothing assigned (yet): other members own everything, a rebalance is under way, or no topic matched
        if (!this.member) this.nextTopicCheck = 0;
        const left = deadline - Date.now();
        if (left > 0) await new Promise((r) => setTimeout(r, Math.min(left, 100)));
        if (!this.member) await this.assign();
        if (Date.now() >= deadline) return out;
        continue;
      }
      for (let i = 0; i < order.length && out.length < max; i++) {
        const p = order[(this.next + i) % order.length];
        const res = await this.port.fetch(p.topic, p.partition, p.offset);
        this.take(p, res.records, out, max);
        if (res.records.length === 0 && res.nextOffset > p.offset) p.offset = res.nextOffset;
      }
      this.next = (this.next + 1) % order.length;
      const left = deadline - Date.now();
      if (out.length > 0 || left <= 0) return out;
      // nothing anywhere: long-poll one partition (bounded, so rebalances are noticed), then sweep again
      const p = order[this.next % order.length];
      const res = await this.port.fetch(p.topic, p.partition, p.offset, { maxWaitMs: Math.min(left, 1000) });
      if (this.positions.get(tp(p.topic, p.partition)) === p) this.take(p, res.records, out, max);
      if (out.length > 0 || Date.now() >= deadline) return out;
    }
  }

  /** moves a partition's position back to `offset` (ignored for a partition no longer owned) */
  seek(topic: string, partition: number, offset: bigint): void {
    const p = this.positions.get(tp(topic, partition));
    if (p) p.offset = offset;
  }

  position(topic: string, partition: number): bigint | undefined {
    return this.positions.get(tp(topic, partition))?.offset;
  }

  /** commits as the group member (fenced by generation) */
  async commit(offsets: Position[]): Promise<void> {
    if (offsets.length === 0) return;
    const list = offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }));
    if (this.member) await this.member.commit(list);
    else await this.port.commitOffsets(this.group, list);
  }

  /** leaves the group */
  async close(): Promise<void> {
    const m = this.member;
    this.member = undefined;
    this.positions.clear();
    this.order = [];
    if (m) await m.leave().catch(() => undefined);
  }
}

/** The offsets to commit after `records`: one past the last record of each partition. */
export function offsetsAfter(records: ConsumedRecord[]): Position[] {
  const m = new Map<string, Position>();
  for (const r of records) {
    const k = tp(r.topic, r.partition);
    const cur = m.get(k);
    if (!cur || cur.offset <= r.offset) m.set(k, { topic: r.topic, partition: r.partition, offset: r.offset + 1n });
  }
  return [...m.values()];
}

/** The first offset of each partition among `records` (where a rolled-back take rewinds to). */
export function firstOffsets(records: ConsumedRecord[]): Position[] {
  const m = new Map<string, Position>();
  for (const r of records) {
    const k = tp(r.topic, r.partition);
    const cur = m.get(k);
    if (!cur || r.offset < cur.offset) m.set(k, { topic: r.topic, partition: r.partition, offset: r.offset });
  }
  return [...m.values()];
}
