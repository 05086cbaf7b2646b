/**
 * The embedded TopicsPort: in-process calls into the log and the group
 * coordinator, no sockets. Produce goes through the broker's own append path
 * (coordinator/producers/append.ts: validation, idempotent producer state);
 * group members talk to the GroupCoordinator directly, with the consumer
 * protocol's bytes, so Kafka clients can share their groups.
 *
 * Standalone: `EmbeddedTopics.open({ dataDir })` opens (and close() closes)
 * its own log, group coordinator and producer state. Shared:
 * `new EmbeddedTopics({ log, groups, producers })` (or `broker.embeddedTopics()`)
 * uses a running broker's, and close() leaves them open.
 */
import { isMainThread, workerData } from "node:worker_threads";
import { LogError, LogManager, type LogConfig, type LogManagerOptions } from "../log/index.js";
import { encodeBatch, decodeRecordSet } from "../protocol/records/records.js";
import { recordOffsetForTimestamp } from "../log/timestamp-lookup.js";
import { GroupCoordinator, type GroupCoordinatorConfig } from "../coordinator/groups/index.js";
import { OffsetsTopicStore } from "../coordinator/offsets-topic.js";
import {
  ProducerIdManager,
  ProducerStateManager,
  appendRecords,
  type ProducerStateManagerOptions,
} from "../coordinator/producers/index.js";
import { ErrorCode, errorName } from "../protocol/errors.js";
import type { Logger } from "../log/index.js";
import { commitErrors, Membership, offsetCommitTopics, PortGroupTransport, type GroupTransport } from "./membership.js";
import {
  TopicsError,
  toBuffer,
  type CommittedOffset,
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

export interface EmbeddedOptions {
  log: LogManager;
  /** partitions of topics created without a count (num.partitions) */
  defaultPartitions?: number;
  /** the group coordinator that stores committed offsets and runs groups (the embedded broker's) */
  groups?: GroupCoordinator;
  /** idempotent producer state of `log` (the embedded broker's); without it appends skip the sequence checks */
  producers?: ProducerStateManager;
  /** producer ids (the embedded broker's), for idempotent produce */
  producerIds?: ProducerIdManager;
}

export interface EmbeddedOpenOptions {
  /** the log directory (a broker's log.dirs can be opened here, and the other way round) */
  dataDir: string;
  /** num.partitions for topics created without a count (default 1) */
  defaultPartitions?: number;
  /** topic config defaults (Kafka's topic-level names) */
  topicDefaults?: Partial<LogConfig>;
  /** other LogManager settings */
  log?: Omit<LogManagerOptions, "dir" | "defaults" | "logger">;
  /** group coordinator settings (offsetsTopicNumPartitions is the __consumer_offsets partition count, default 50) */
  groups?: Partial<GroupCoordinatorConfig>;
  producers?: Omit<ProducerStateManagerOptions, "logger">;
  logger?: Logger;
  /** run retention, compaction, producer expiry and snapshots in the background (default true) */
  backgroundTasks?: boolean;
}

/** Commits and joins use the classic group APIs' newest shapes (JoinGroup v7, SyncGroup v5). */
const JOIN_VERSION = 7;
const SYNC_VERSION = 5;
const CLIENT_ID = "millrace-embedded";

export class EmbeddedTopics implements TopicsPort {
  readonly kind = "embedded";
  private readonly log: LogManager;
  private readonly members = new Set<Membership>();
  private ownedClose: (() => Promise<void>) | null = null;
  private closed = false;

  constructor(private readonly opts: EmbeddedOptions) {
    this.log = opts.log;
  }

  /** Opens a standalone embedded port over `dataDir`: its own log, group coordinator and producer state. */
  static async open(o: EmbeddedOpenOptions): Promise<EmbeddedTopics> {
    if (inStreamingWorker()) return unopenedPort();
    const log = await LogManager.open({ ...o.log, dir: o.dataDir, defaults: o.topicDefaults, logger: o.logger });
    const opened: { close(): Promise<void> }[] = [log];
    try {
      const producerIds = await ProducerIdManager.open({ dir: o.dataDir });
      const producers = new ProducerStateManager(log, { ...o.producers, logger: o.logger });
      await producers.load();
      opened.unshift(producers);
      const store = new OffsetsTopicStore(log, { partitions: o.groups?.offsetsTopicNumPartitions });
      const groups = new GroupCoordinator({
        store,
        logger: o.logger,
        config: { ...o.groups, offsetsTopicNumPartitions: store.partitions },
      });
      await groups.load();
      opened.unshift(groups);
      if (o.backgroundTasks !== false) {
        log.startBackgroundTasks();
        producers.startBackgroundTasks();
      }
      const port = new EmbeddedTopics({ log, groups, producers, producerIds, defaultPartitions: o.defaultPartitions });
      port.ownedClose = async () => {
        // groups first (they write to __consumer_offsets), then producer snapshots, then the log
        for (const c of opened) await c.close();
      };
      return port;
    } catch (e) {
      for (const c of opened) await c.close().catch(() => {});
      throw e;
    }
  }

  private partition(topic: string, partition: number) {
    const p = this.log.partition(topic, partition);
    if (!p) throw new TopicsError("MR_TOPICS_UNKNOWN_PARTITION", `unknown topic or partition ${topic}-${partition}`);
    return p;
  }

  async createTopic(
    name: string,
    opts: { partitions?: number; configs?: Record<string, string>; ifNotExists?: boolean } = {},
  ): Promise<void> {
    if (this.log.topic(name)) {
      if (opts.ifNotExists) return;
      throw new TopicsError("MR_TOPICS_EXISTS", `topic '${name}' already exists`);
    }
    try {
      await this.log.createTopic(name, opts.partitions ?? this.opts.defaultPartitions ?? 1, opts.configs ?? {});
    } catch (e) {
      if (opts.ifNotExists && e instanceof LogError && e.code === "MR_LOG_TOPIC_EXISTS") return;
      throw e;
    }
  }

  async describeTopic(name: string): Promise<TopicDescription | null> {
    const t = this.log.topic(name);
    return t ? { name: t.name, partitions: t.partitions.length, configs: { ...t.configs } } : null;
  }

  async listTopics(): Promise<string[]> {
    // Internal topics (__consumer_offsets) are left out, as Kafka's admin clients do by default.
    return this.log
      .topics()
      .map((t) => t.name)
      .filter((n) => !n.startsWith("__"))
      .sort();
  }

  async deleteTopic(name: string): Promise<void> {
    await this.log.deleteTopic(name);
  }

  async produce(
    topic: string,
    partition: number,
    records: ProduceRecord[],
    opts: ProduceOptions = {},
  ): Promise<bigint> {
    if (records.length === 0)
      throw new TopicsError("MR_TOPICS_PRODUCE", `produce to ${topic}-${partition}: no records`);
    const idem = opts.idempotent ? await this.idempotentSession() : null;
    const key = `${topic}\u0000${partition}`;
    const buf = encodeBatch({
      records: records.map((r) => ({
        key: toBuffer(r.key),
        value: toBuffer(r.value),
        headers: r.headers,
        timestamp: r.timestamp,
      })),
      ...(idem
        ? { producerId: idem.producerId, producerEpoch: idem.producerEpoch, baseSequence: idem.sequences.get(key) ?? 0 }
        : {}),
    });
    const sync = opts.idempotent || (opts.acks ?? -1) === -1;
    // The broker's append path: the same validation and producer-state checks as a Produce request.
    // It issues the append synchronously, so the sequence advances here, before any other produce.
    const pending = appendRecords({ log: this.log, producers: this.opts.producers }, topic, partition, buf, { sync });
    if (idem && pending instanceof Promise)
      idem.sequences.set(key, ((idem.sequences.get(key) ?? 0) + records.length) % 0x80000000);
    const res = await pending;
    if (res.errorCode !== ErrorCode.NONE) {
      // The producer state may or may not hold the batch: continue with a new producer id, as a Kafka
      // producer bumps its epoch.
      if (idem && this.idem === idem) this.idem = null;
      const code =
        res.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? "MR_TOPICS_UNKNOWN_PARTITION" : "MR_TOPICS_PRODUCE";
      throw new TopicsError(
        code,
        `produce to ${topic}-${partition}: ` +
          `${errorName(res.errorCode)}${res.errorMessage ? ` (${res.errorMessage})` : ""}`,
      );
    }
    return res.baseOffset;
  }

  private idem: { producerId: bigint; producerEpoch: number; sequences: Map<string, number> } | null = null;
  private idemInit: Promise<{ producerId: bigint; producerEpoch: number; sequences: Map<string, number> }> | null =
    null;

  /** The port's idempotent producer: a producer id from the ProducerIdManager, sequences per partition. */
  private async idempotentSession() {
    if (this.idem) return this.idem;
    const ids = this.opts.producerIds;
    if (!ids || !this.opts.producers) {
      throw new TopicsError(
        "MR_TOPICS_NO_IDEMPOTENCE",
        "idempotent produce needs the producer id and producer state managers (EmbeddedOptions.producerIds and " +
          "producers)",
      );
    }
    this.idemInit ??= (async () => {
      const r = await ids.initProducerId({ transactionalId: null, transactionTimeoutMs: 60000 });
      if (r.errorCode !== ErrorCode.NONE)
        throw new TopicsError(
          "MR_TOPICS_PRODUCE",
          `no producer id: ${errorName(r.errorCode)}${r.message ? ` (${r.message})` : ""}`,
        );
      return { producerId: r.producerId, producerEpoch: r.producerEpoch, sequences: new Map<string, number>() };
    })().finally(() => {
      this.idemInit = null;
    });
    this.idem = await this.idemInit;
    return this.idem;
  }

  async fetch(topic: string, partition: number, from: bigint, opts: FetchOptions = {}): Promise<FetchResult> {
    const p = this.partition(topic, partition);
    if (from >= p.highWatermark && (opts.maxWaitMs ?? 0) > 0 && (opts.until === undefined || from < opts.until)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          p.off("append", done);
          resolve();
        };
        const timer = setTimeout(done, opts.maxWaitMs);
        p.once("append", done);
      });
    }
    const hw = p.highWatermark;
    const until = opts.until !== undefined && opts.until < hw ? opts.until : hw;
    if (from >= until) return { records: [], nextOffset: from, highWatermark: hw };
    const r = await p.read(from, opts.maxBytes ?? 1 << 20);
    const out: FetchResult = { records: [], nextOffset: from, highWatermark: r.highWatermark };
    if (!r.records) return out;
    for (const b of decodeRecordSet(r.records)) {
      const last = b.header.baseOffset + BigInt(b.header.lastOffsetDelta);
      if (!b.isControl) {
        for (const rec of b.records) {
          if (rec.offset < from || rec.offset >= until) continue;
          out.records.push({
            topic,
            partition,
            offset: rec.offset,
            timestamp: rec.timestamp,
            key: rec.key,
            value: rec.value,
            headers: rec.headers,
          });
        }
      }
      if (advanceFetch(out, last, until)) break;
    }
    return out;
  }

  async listOffset(topic: string, partition: number, spec: OffsetSpec): Promise<bigint> {
    const p = this.partition(topic, partition);
    if (spec === "earliest") return p.logStartOffset;
    if (spec === "latest") return p.highWatermark;
    const r = await recordOffsetForTimestamp(p, BigInt(spec.timestamp));
    return r ? r.offset : -1n;
  }

  private coordinator(): GroupCoordinator {
    if (!this.opts.groups)
      throw new TopicsError("MR_TOPICS_NO_GROUPS", "group offsets need the group coordinator (EmbeddedOptions.groups)");
    return this.opts.groups;
  }

  /** Commits as a standalone client (generation -1), like an admin or a direct-approach app. */
  async commitOffsets(group: string, offsets: CommittedOffset[]): Promise<void> {
    const res = await this.coordinator().commitOffsets({
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: "",
      groupInstanceId: null,
      topics: offsetCommitTopics(offsets),
    });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0)
          throw new TopicsError(
            "MR_TOPICS_COMMIT",
            `commit of ${group} ${t.name}-${p.partitionIndex}: ${errorName(p.errorCode)}`,
          );
      }
    }
  }

  async fetchOffsets(group: string, topics: string[]): Promise<CommittedOffset[]> {
    const res = await this.coordinator().fetchOffsets({
      groupId: group,
      topics: topics.map((name) => ({
        name,
        partitionIndexes: Array.from({ length: this.log.topic(name)?.partitions.length ?? 0 }, (_, i) => i),
      })),
    });
    if (res.errorCode !== 0)
      throw new TopicsError("MR_TOPICS_OFFSETS", `offsets of ${group}: ${errorName(res.errorCode)}`);
    const out: CommittedOffset[] = [];
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.committedOffset >= 0n)
          out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata });
      }
    }
    return out;
  }

  async joinGroup(group: string, topics: string[], opts: JoinOptions = {}): Promise<GroupMember> {
    if (this.closed) throw new TopicsError("MR_TOPICS_CLOSED", "the topics port is closed");
    const groups = this.coordinator();
    const member = new Membership(group, topics, opts, new EmbeddedGroupTransport(groups, this), (m) =>
      this.members.delete(m),
    );
    this.members.add(member);
    await member.start();
    return member;
  }

  /** Makes every member leave; a standalone port then closes its coordinator, producer state and log. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await leaveAll(this.members);
    if (this.ownedClose) await this.ownedClose();
  }

  /** The partition count of each existing topic among `topics`. */
  partitionCounts(topics: string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const t of topics) {
      const info = this.log.topic(t);
      if (info) out.set(t, info.partitions.length);
    }
    return out;
  }
}

/** Group requests as in-process calls into the GroupCoordinator (what the broker's handlers do for a socket). */
class EmbeddedGroupTransport extends PortGroupTransport<EmbeddedTopics> implements GroupTransport {
  constructor(
    private readonly groups: GroupCoordinator,
    port: EmbeddedTopics,
  ) {
    super(port);
  }

  async join(req: Parameters<GroupTransport["join"]>[0]) {
    const res = await keepAlive(
      this.groups.joinGroup({
        ...req,
        apiVersion: JOIN_VERSION,
        clientId: CLIENT_ID,
        clientHost: "/embedded",
        reason: null,
      }),
    );
    return {
      errorCode: res.errorCode,
      generationId: res.generationId,
      protocolName: res.protocolName,
      leader: res.leader,
      memberId: res.memberId,
      members: res.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        metadata: m.metadata,
      })),
    };
  }

  async sync(req: Parameters<GroupTransport["sync"]>[0]) {
    const res = await keepAlive(this.groups.syncGroup({ ...req, apiVersion: SYNC_VERSION }));
    return { errorCode: res.errorCode, assignment: res.assignment };
  }

  async heartbeat(req: Parameters<GroupTransport["heartbeat"]>[0]) {
    return (await this.groups.heartbeat(req)).errorCode;
  }

  async leave(req: Parameters<GroupTransport["leave"]>[0]) {
    const res = await this.groups.leaveGroup({
      groupId: req.groupId,
      members: [{ memberId: req.memberId, groupInstanceId: req.groupInstanceId, reason: "the member left" }],
    });
    return res.errorCode !== 0 ? res.errorCode : (res.members[0]?.errorCode ?? 0);
  }

  async commit(req: Parameters<GroupTransport["commit"]>[0]) {
    const res = await this.groups.commitOffsets({
      groupId: req.groupId,
      generationIdOrMemberEpoch: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      topics: offsetCommitTopics(req.offsets),
    });
    return commitErrors(res);
  }

  async close() {}
}

/**
 * The coordinator's timers are unref'd (a broker's sockets keep its process
 * alive); a member waiting in-process for a rebalance to complete must keep
 * the event loop alive itself, as a pending socket request would.
 */
async function keepAlive<T>(p: Promise<T>): Promise<T> {
  const t = setInterval(() => {}, 1 << 30);
  try {
    return await p;
  } finally {
    clearInterval(t);
  }
}

/**
 * in a streaming worker thread (see src/streaming/worker.ts) the app's graph is rebuilt for its closures
 * only: ports are not opened
 */
function inStreamingWorker(): boolean {
  return !isMainThread && (workerData as { millraceWorker?: boolean } | null)?.millraceWorker === true;
}

/**
 * a port whose methods do nothing (resolve undefined): an app module loaded in a worker must not open the log
 * a second time
 */
function unopenedPort(): EmbeddedTopics {
  return new Proxy(Object.create(EmbeddedTopics.prototype) as EmbeddedTopics, {
    get: (_t, prop) => (prop === "then" ? undefined : async () => undefined),
  });
}
