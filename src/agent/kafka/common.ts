/**
 * What the Kafka channel, source and sink share: reaching topics (the agent's
 * embedded port, or a cluster named by kafka.bootstrap.servers), choosing a
 * partition for an event as Flume's Kafka components do, and a group reader
 * that tracks positions and commits offsets.
 *
 * Group membership: the reader takes every partition of its topics and starts
 * from the group's committed offsets (auto.offset.reset where none). Several
 * agents in one group would each read everything; when the TopicsPort grows
 * joinGroup, only `GroupReader.assign()` changes (ask for an assignment instead
 * of listing partitions) and `commit()` passes the generation.
 */
import type { ComponentEnv, Context, Event } from "../api.js";
import { ChannelError } from "../api.js";
import { partitionForKey } from "../../client/partitioner.js";
import { RemoteTopics } from "../../topics/remote.js";
import type { ConsumedRecord, TopicsPort } from "../../topics/port.js";

/** The port a component uses: the agent's (embedded) or its own remote client. */
export class TopicsHandle {
  private port?: TopicsPort;
  private owned = false;
  constructor(
    private readonly bootstrap: string | undefined,
    private readonly env: ComponentEnv,
    private readonly what: string,
  ) {}

  /** `kafka.bootstrap.servers`: absent or "embedded" means the agent's own topics */
  static from(ctx: Context, env: ComponentEnv, what: string): TopicsHandle {
    const b = ctx.getString("kafka.bootstrap.servers");
    return new TopicsHandle(b && b.toLowerCase() !== "embedded" ? b : undefined, env, what);
  }

  async get(): Promise<TopicsPort> {
    if (this.port) return this.port;
    if (this.bootstrap) {
      this.port = new RemoteTopics({ bootstrapServers: this.bootstrap, clientId: `millrace-agent-${this.env.agentName}` });
      this.owned = true;
    } else if (this.env.topics) {
      this.port = await this.env.topics();
    } else {
      throw new ChannelError("MR_AGENT_NO_TOPICS", `${this.what}: no kafka.bootstrap.servers and the agent has no embedded topics`);
    }
    return this.port;
  }

  async close(): Promise<void> {
    const p = this.port;
    this.port = undefined;
    if (p && this.owned) await p.close();
  }
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
export function choosePartition(rule: PartitionRule, e: Event, key: Buffer | null, partitions: number, unkeyed: number): number {
  let p: number | undefined;
  if (rule.partitionIdHeader && e.headers[rule.partitionIdHeader] !== undefined) {
    const v = e.headers[rule.partitionIdHeader];
    if (!/^\d+$/.test(v)) throw new ChannelError("MR_AGENT_BAD_PARTITION", `header ${rule.partitionIdHeader}="${v}" is not a partition number`);
    p = Number(v);
  } else if (rule.defaultPartitionId !== undefined) p = rule.defaultPartitionId;
  else if (key) p = partitionForKey(key, partitions);
  else p = unkeyed % partitions;
  if (p < 0 || p >= partitions) throw new ChannelError("MR_AGENT_BAD_PARTITION", `partition ${p} does not exist (the topic has ${partitions})`);
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
  if (v !== "earliest" && v !== "latest" && v !== "none") throw ctx.error("kafka.consumer.auto.offset.reset", `must be earliest, latest or none, got "${v}"`);
  return v;
}

const tp = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export interface Position {
  topic: string;
  partition: number;
  offset: bigint;
}

/**
 * Reads the partitions of some topics for one consumer group. `poll` returns
 * records from the current positions and moves them on; `commit` stores
 * positions in the group; `seek` moves a position back (a rolled-back take).
 */
export class GroupReader {
  private positions = new Map<string, Position>();
  private order: Position[] = [];
  private next = 0;
  private assigned = false;

  constructor(
    private readonly port: TopicsPort,
    readonly group: string,
    private readonly topics: string[] | RegExp,
    private readonly reset: OffsetReset,
  ) {}

  /** Takes the partitions to read and their starting positions (see the module comment about joinGroup). */
  async assign(): Promise<void> {
    const names = Array.isArray(this.topics) ? this.topics : (await this.port.listTopics()).filter((t) => (this.topics as RegExp).test(t));
    const committed = new Map<string, bigint>();
    if (names.length > 0) for (const c of await this.port.fetchOffsets(this.group, names)) if (c.offset >= 0n) committed.set(tp(c.topic, c.partition), c.offset);
    for (const topic of names) {
      const d = await this.port.describeTopic(topic);
      if (!d) continue;
      for (let partition = 0; partition < d.partitions; partition++) {
        const k = tp(topic, partition);
        if (this.positions.has(k)) continue;
        let offset = committed.get(k);
        if (offset === undefined) {
          if (this.reset === "none") throw new ChannelError("MR_AGENT_NO_OFFSET", `group ${this.group} has no committed offset for ${topic}-${partition} (auto.offset.reset=none)`);
          offset = await this.port.listOffset(topic, partition, this.reset);
        }
        const p = { topic, partition, offset };
        this.positions.set(k, p);
        this.order.push(p);
      }
    }
    this.assigned = true;
  }

  /** records from the positions on, up to `max`; waits up to maxWaitMs when there are none */
  async poll(max: number, maxWaitMs: number): Promise<ConsumedRecord[]> {
    if (!this.assigned) await this.assign();
    const out: ConsumedRecord[] = [];
    if (this.order.length === 0) {
      // a regex that matched nothing yet (or missing topics): look again later
      if (maxWaitMs > 0) await new Promise((r) => setTimeout(r, Math.min(maxWaitMs, 200)));
      this.assigned = false;
      return out;
    }
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      for (let i = 0; i < this.order.length && out.length < max; i++) {
        const p = this.order[(this.next + i) % this.order.length];
        const res = await this.port.fetch(p.topic, p.partition, p.offset);
        for (const r of res.records) {
          if (out.length >= max) break;
          out.push(r);
          p.offset = r.offset + 1n;
        }
        if (res.records.length === 0 && res.nextOffset > p.offset) p.offset = res.nextOffset;
      }
      this.next = (this.next + 1) % this.order.length;
      const left = deadline - Date.now();
      if (out.length > 0 || left <= 0) return out;
      // nothing anywhere: long-poll one partition, then sweep again
      const p = this.order[this.next];
      const res = await this.port.fetch(p.topic, p.partition, p.offset, { maxWaitMs: left });
      for (const r of res.records) {
        if (out.length >= max) break;
        out.push(r);
        p.offset = r.offset + 1n;
      }
      if (out.length > 0 || Date.now() >= deadline) return out;
    }
  }

  /** moves a partition's position back to `offset` */
  seek(topic: string, partition: number, offset: bigint): void {
    const p = this.positions.get(tp(topic, partition));
    if (p) p.offset = offset;
  }

  position(topic: string, partition: number): bigint | undefined {
    return this.positions.get(tp(topic, partition))?.offset;
  }

  async commit(offsets: Position[]): Promise<void> {
    if (offsets.length > 0) await this.port.commitOffsets(this.group, offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })));
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

/** Warns once for keys Flume had that mean nothing here. */
export function ignoreWithWarning(ctx: Context, env: ComponentEnv, keys: string[], why: string): void {
  for (const k of keys) {
    if (ctx.has(k)) {
      ctx.markUsed(k);
      env.logger.warn(`${ctx.prefix}.${k} is ignored: ${why}`);
    }
  }
}
