/**
 * The log manager (Kafka's LogManager): every topic and partition under one
 * data directory, laid out like a Kafka log dir (the directory's own files:
 * log-dir.ts), plus the shared group-commit flusher, the checkpoint, retention,
 * flush and cleaner schedules (the cleaner's pass: cleaner-manager.ts), and the
 * clean-shutdown marker.
 *
 *   <dir>/meta.properties                     cluster.id, node.id (Kafka's format)
 *   <dir>/millrace-topics.json                topics: id, partition count, config overrides
 *   <dir>/recovery-point-offset-checkpoint    Kafka's text format
 *   <dir>/log-start-offset-checkpoint         Kafka's text format
 *   <dir>/cleaner-offset-checkpoint           Kafka's text format (compacted partitions: first dirty offset)
 *   <dir>/.kafka_cleanshutdown                present only after a clean close
 *   <dir>/<topic>-<p>/partition.metadata, 00000000000000000000.{log,index,timeindex}, ...
 *
 * The topics file is the source of truth for which topics exist; it is
 * written (atomically) before partition directories are created and before
 * they are removed, so a crash in between leaves either missing directories
 * (recreated empty on open) or unknown ones (renamed to *-stray, never
 * served, never silently deleted).
 */
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { LogConfig } from "./config.js";
import { resolveDefaults, resolveTopicConfig, topicCollisionKey, validateTopicName } from "./config.js";
import type { CompactResult } from "./cleaner.js";
import { LogCleanerManager } from "./cleaner-manager.js";
import type { EmptiedBatch } from "./record-filter.js";
import { LogError } from "./errors.js";
import {
  CLEANER_OFFSET_CHECKPOINT,
  CLEAN_SHUTDOWN_FILE,
  DELETE_DIR_SUFFIX,
  LOCK_FILE,
  LOG_START_OFFSET_CHECKPOINT,
  PARTITION_METADATA,
  RECOVERY_POINT_CHECKPOINT,
  STRAY_DIR_SUFFIX,
  TOPICS_FILE,
  base64ToUuid,
  parsePartitionDirName,
  parsePartitionMetadata,
  partitionDirName,
  randomUuid,
  uuidToBase64,
} from "./files.js";
import { fsyncDir, readFileIfExists, unlinkIfExists, writeFileAtomic } from "../fs/index.js";
import { Flusher } from "./flusher.js";
import {
  acquireLock,
  adoptPartitionDirs,
  ensureMetaProperties,
  exists,
  readCheckpointFile,
  readTopicsFile,
  writeOffsetCheckpoints,
  writeTopicsFile,
} from "./log-dir.js";
import type { TopicsFile } from "./log-dir.js";
import type { CheckpointEntries } from "./files.js";
import { PartitionLog } from "./partition.js";
import type { PartitionContext } from "./partition.js";
import { noopLogger } from "./types.js";
import type { Logger } from "./types.js";

export interface TopicInfo {
  name: string;
  /** 16-byte topic UUID */
  id: Buffer;
  partitions: PartitionLog[];
  /** the topic's overrides only (what DescribeConfigs reports as DYNAMIC_TOPIC_CONFIG) */
  configs: Record<string, string>;
  /** resolved: Kafka defaults < manager defaults < overrides */
  config: LogConfig;
}

export interface LogManagerOptions {
  dir: string;
  /** broker-wide defaults for topic configs (the broker maps log.* settings to topic names) */
  defaults?: Partial<LogConfig>;
  logger?: Logger;
  /** node.id written to a new meta.properties (default 1) */
  nodeId?: number;
  /** how often startBackgroundTasks() runs retention (Kafka default 300000) */
  "log.retention.check.interval.ms"?: number;
  /**
   * how often flush.ms is checked (Kafka's default is "never", which makes flush.ms inert; millrace checks
   * every 1000 ms)
   */
  "log.flush.scheduler.interval.ms"?: number;
  /** how often checkpoint files are written (Kafka default 60000) */
  "log.flush.offset.checkpoint.interval.ms"?: number;
  /** partitions recovered in parallel on open (Kafka: num.recovery.threads.per.data.dir) */
  recoveryConcurrency?: number;
  /** startBackgroundTasks() runs the log cleaner (compaction); Kafka's default true */
  "log.cleaner.enable"?: boolean;
  /** how often startBackgroundTasks() runs a cleaner pass (Kafka default 15000) */
  "log.cleaner.backoff.ms"?: number;
  /** memory bound of one partition's offset map in a cleaning, bytes (Kafka default 134217728) */
  "log.cleaner.dedupe.buffer.size"?: number;
}

export interface LogManagerStats {
  /** fdatasync/fsync calls made by the group committer */
  fsyncs: number;
  /** group-commit rounds */
  flushRounds: number;
}

interface PendingDelete {
  timer: NodeJS.Timeout | null;
  run: () => Promise<void>;
  done: Promise<void> | null;
}

export class LogManager {
  readonly dir: string;
  readonly clusterId: string;
  readonly nodeId: number;
  readonly defaults: LogConfig;
  private readonly logger: Logger;
  private readonly flusher = new Flusher();
  private readonly byName = new Map<string, TopicInfo>();
  private readonly reserved = new Set<string>();
  private readonly opts: LogManagerOptions;
  private serialChain: Promise<unknown> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private pendingDeletes = new Set<PendingDelete>();
  private closing: Promise<void> | null = null;
  private retentionRunning: Promise<void> | null = null;
  private readonly cleaner: LogCleanerManager;

  private constructor(opts: LogManagerOptions, clusterId: string, nodeId: number, defaults: LogConfig) {
    this.opts = opts;
    this.dir = opts.dir;
    this.clusterId = clusterId;
    this.nodeId = nodeId;
    this.defaults = defaults;
    this.logger = opts.logger ?? noopLogger;
    this.cleaner = new LogCleanerManager({
      dir: this.dir,
      logger: this.logger,
      partitions: () => this.allPartitions(),
      closing: () => this.closing !== null,
      dedupeBufferSize: opts["log.cleaner.dedupe.buffer.size"],
    });
  }

  /**
   * Producer-state seam for the cleaner (see CompactOptions.retainEmptyBatch):
   * set by whoever keeps producer state; null drops emptied batches.
   */
  get cleanerRetainEmptyBatch(): ((p: PartitionLog, batch: EmptiedBatch) => boolean) | null {
    return this.cleaner.retainEmptyBatch;
  }

  set cleanerRetainEmptyBatch(hook: ((p: PartitionLog, batch: EmptiedBatch) => boolean) | null) {
    this.cleaner.retainEmptyBatch = hook;
  }

  get stats(): LogManagerStats {
    return { fsyncs: this.flusher.fsyncs, flushRounds: this.flusher.rounds };
  }

  /** Opens (creating if needed) a data directory and recovers every partition. */
  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const dir = opts.dir;
    const defaults = resolveDefaults(opts.defaults);
    await mkdir(dir, { recursive: true });
    await acquireLock(dir);
    try {
      const { clusterId, nodeId } = await ensureMetaProperties(dir, opts.nodeId ?? 1);
      const m = new LogManager(opts, clusterId, nodeId, defaults);
      try {
        await m.load();
      } catch (e) {
        await Promise.allSettled(m.allPartitions().map((p) => p.abort()));
        throw e;
      }
      return m;
    } catch (e) {
      await unlinkIfExists(join(dir, LOCK_FILE)).catch(() => undefined);
      throw e;
    }
  }

  /** Partition directories present on disk; `-delete` ones are removed in the background. */
  private async partitionDirsOnDisk(): Promise<Map<string, { topic: string; partition: number }>> {
    const dir = this.dir;
    const onDisk = new Map<string, { topic: string; partition: number }>();
    for (const ent of await readdir(dir, { withFileTypes: true })) {
      if (!ent.isDirectory()) continue;
      if (ent.name.endsWith(DELETE_DIR_SUFFIX)) {
        this.scheduleDelete(0, () => rm(join(dir, ent.name), { recursive: true, force: true }));
        continue;
      }
      if (ent.name.endsWith(STRAY_DIR_SUFFIX) || ent.name.endsWith("-future")) continue;
      const parsed = parsePartitionDirName(ent.name);
      if (parsed) onDisk.set(ent.name, parsed);
    }
    return onDisk;
  }

  private partitionContext(info: () => TopicInfo): PartitionContext {
    return {
      flusher: this.flusher,
      logger: this.logger,
      config: () => info().config,
      onLogStartOffsetChanged: () => this.writeCheckpoints(),
      onCleanerCheckpointChanged: () => this.writeCleanerCheckpoint(),
      scheduleDelete: (ms, destroy) => this.scheduleDelete(ms, destroy),
    };
  }

  private async load(): Promise<void> {
    const started = Date.now();
    const dir = this.dir;
    const clean = await exists(join(dir, CLEAN_SHUTDOWN_FILE));
    const recoveryPoints = await readCheckpointFile(dir, this.logger, RECOVERY_POINT_CHECKPOINT);
    const startOffsets = await readCheckpointFile(dir, this.logger, LOG_START_OFFSET_CHECKPOINT);
    const cleanerOffsets = await readCheckpointFile(dir, this.logger, CLEANER_OFFSET_CHECKPOINT);

    const onDisk = await this.partitionDirsOnDisk();
    const file = (await readTopicsFile(dir)) ?? (await adoptPartitionDirs(dir, onDisk.values(), this.logger));

    // Load every known partition, a few at a time.
    const checkpoints = { recoveryPoints, startOffsets, cleanerOffsets };
    const jobs: (() => Promise<void>)[] = [];
    const progress = { done: 0, of: 0 };
    for (const [name, t] of Object.entries(file.topics)) {
      const info = this.storedTopic(name, t);
      this.byName.set(name, info);
      for (let p = 0; p < t.partitions; p++) {
        onDisk.delete(partitionDirName(name, p));
        jobs.push(() => this.loadPartition(info, p, clean, checkpoints, progress));
      }
    }
    progress.of = jobs.length;
    if (!clean && jobs.length > 0)
      this.logger.warn(
        { dir, partitions: jobs.length },
        `no clean shutdown marker: checking ${jobs.length} partitions' logs`,
      );
    await runLimited(jobs, this.opts.recoveryConcurrency ?? 8);
    if (!clean && jobs.length > 0)
      this.logger.warn(
        { partitions: jobs.length, ms: Date.now() - started },
        `log recovery done: ${jobs.length} partitions checked`,
      );

    for (const dirName of onDisk.keys()) {
      await this.moveAside(dirName, STRAY_DIR_SUFFIX, "partition directory of an unknown topic");
    }

    // From here on new writes may land: the marker must be gone (durably) first.
    if (await unlinkIfExists(join(dir, CLEAN_SHUTDOWN_FILE))) await fsyncDir(dir);
    await this.writeCheckpoints();
    this.logger.info(
      { dir, clean, topics: this.byName.size, partitions: this.allPartitions().length, ms: Date.now() - started },
      "log manager opened",
    );
  }

  /** A topic as the topics file records it; stored configs that no longer validate are dropped (with a warning). */
  private storedTopic(name: string, t: TopicsFile["topics"][string]): TopicInfo {
    const id = base64ToUuid(t.id);
    if (!id) throw new LogError("MR_LOG_CORRUPT", `${TOPICS_FILE}: topic ${name} has an invalid id ${t.id}`);
    let resolved: ReturnType<typeof resolveTopicConfig>;
    try {
      resolved = resolveTopicConfig(this.defaults, t.configs ?? {});
    } catch (e) {
      this.logger.warn({ topic: name, err: (e as Error).message }, "ignoring invalid stored topic configs");
      resolved = resolveTopicConfig(this.defaults, {});
    }
    return { name, id, partitions: new Array(t.partitions), configs: resolved.overrides, config: resolved.config };
  }

  /** Opens (and, after an unclean shutdown, recovers) one partition of a stored topic. */
  private async loadPartition(
    info: TopicInfo,
    p: number,
    clean: boolean,
    checkpoints: Record<"recoveryPoints" | "startOffsets" | "cleanerOffsets", CheckpointEntries | null>,
    progress: { done: number; of: number },
  ): Promise<void> {
    const { name, id } = info;
    const dirName = partitionDirName(name, p);
    const pdir = join(this.dir, dirName);
    const meta = await readFileIfExists(join(pdir, PARTITION_METADATA));
    const metaId = meta ? parsePartitionMetadata(meta.toString("utf8")) : null;
    if (metaId && !metaId.equals(id)) {
      await this.moveAside(dirName, STRAY_DIR_SUFFIX, "partition directory belongs to another topic id");
    }
    const key = `${name}-${p}`;
    const t0 = Date.now();
    const part = await PartitionLog.load(
      {
        dir: pdir,
        topic: name,
        partition: p,
        topicId: id,
        clean,
        recoveryPoint: checkpoints.recoveryPoints?.get(key),
        logStartOffset: checkpoints.startOffsets?.get(key),
        cleanerCheckpoint: checkpoints.cleanerOffsets?.get(key),
      },
      this.partitionContext(() => info),
    );
    info.partitions[p] = part;
    if (clean) return;
    const done = ++progress.done;
    this.logger.info(
      {
        partition: key,
        done,
        of: progress.of,
        bytes: part.size(),
        logEnd: String(part.logEndOffset),
        ms: Date.now() - t0,
      },
      `log recovery ${done}/${progress.of}: ${key} checked`,
    );
  }

  private async moveAside(dirName: string, suffix: string, why: string): Promise<void> {
    const to = `${dirName}.${randomBytes(16).toString("hex")}${suffix}`;
    await rename(join(this.dir, dirName), join(this.dir, to));
    await fsyncDir(this.dir);
    this.logger.warn({ dir: dirName, movedTo: to, why }, "moved partition directory aside");
  }

  private currentTopicsFile(extra?: TopicInfo, without?: string): TopicsFile {
    const f: TopicsFile = { version: 1, topics: {} };
    const list = [...this.byName.values()].filter((t) => t.name !== without && t.name !== extra?.name);
    if (extra) list.push(extra);
    for (const t of list) {
      f.topics[t.name] = { id: uuidToBase64(t.id), partitions: t.partitions.length, configs: t.configs };
    }
    return f;
  }

  /** Runs topic mutations one at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.serialChain.then(fn, fn);
    this.serialChain = next.catch(() => undefined);
    return next;
  }

  private ensureOpen(): void {
    if (this.closing) throw new LogError("MR_LOG_CLOSED", `log manager for ${this.dir} is closed`);
  }

  // -------------------------------------------------------------------------
  // topics

  topic(name: string): TopicInfo | undefined {
    return this.byName.get(name);
  }

  topics(): TopicInfo[] {
    return [...this.byName.values()];
  }

  partition(topic: string, p: number): PartitionLog | undefined {
    return this.byName.get(topic)?.partitions[p];
  }

  private allPartitions(): PartitionLog[] {
    const out: PartitionLog[] = [];
    for (const t of this.byName.values()) for (const p of t.partitions) if (p) out.push(p);
    return out;
  }

  /**
   * What createTopic checks, without creating anything (CreateTopics with
   * validateOnly): the name (Kafka's rules, '.'/'_' collisions), that it does
   * not exist, the partition count and the configs. Throws LogError; returns
   * the normalised overrides and the resolved config.
   */
  validateTopic(
    name: string,
    partitions: number,
    configs: Record<string, string> = {},
  ): { overrides: Record<string, string>; config: LogConfig } {
    validateTopicName(name);
    if (this.byName.has(name) || this.reserved.has(name))
      throw new LogError("MR_LOG_TOPIC_EXISTS", `Topic '${name}' already exists.`);
    const key = topicCollisionKey(name);
    for (const other of [...this.byName.keys(), ...this.reserved]) {
      if (topicCollisionKey(other) === key) {
        throw new LogError("MR_LOG_INVALID_TOPIC", `Topic '${name}' collides with existing topic: ${other}`);
      }
    }
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new LogError(
        "MR_LOG_INVALID_PARTITIONS",
        `Number of partitions must be larger than 0 (got ${partitions}).`,
      );
    }
    return resolveTopicConfig(this.defaults, configs);
  }

  /**
   * Creates a topic: validates the name (Kafka's rules, including the '.'/'_'
   * collision rule), the partition count and the config overrides, then
   * records it and creates its partition directories durably.
   */
  async createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Promise<TopicInfo> {
    this.ensureOpen();
    const { overrides, config } = this.validateTopic(name, partitions, configs);
    this.reserved.add(name);
    try {
      return await this.serial(async () => {
        this.ensureOpen();
        const info: TopicInfo = {
          name,
          id: randomUuid(),
          partitions: new Array<PartitionLog>(partitions),
          configs: overrides,
          config,
        };
        await writeTopicsFile(this.dir, this.currentTopicsFile(info));
        try {
          await this.createPartitionLogs(info, 0, partitions);
        } catch (e) {
          await Promise.all(info.partitions.map((p) => p?.close({ deleted: true })));
          for (let p = 0; p < partitions; p++)
            await rm(join(this.dir, partitionDirName(name, p)), { recursive: true, force: true });
          await writeTopicsFile(this.dir, this.currentTopicsFile());
          throw e;
        }
        this.byName.set(name, info);
        await this.writeCheckpoints();
        this.logger.info({ topic: name, partitions, configs: overrides, id: uuidToBase64(info.id) }, "created topic");
        return info;
      });
    } finally {
      this.reserved.delete(name);
    }
  }

  private async createPartitionLogs(info: TopicInfo, from: number, to: number): Promise<void> {
    for (let p = from; p < to; p++) {
      const dirName = partitionDirName(info.name, p);
      if (await exists(join(this.dir, dirName)))
        await this.moveAside(dirName, STRAY_DIR_SUFFIX, "left over from an earlier topic");
      info.partitions[p] = await PartitionLog.load(
        { dir: join(this.dir, dirName), topic: info.name, partition: p, topicId: info.id, clean: true },
        this.partitionContext(() => info),
      );
    }
    await fsyncDir(this.dir);
  }

  /** CreatePartitions: grows a topic to `total` partitions. */
  async addPartitions(name: string, total: number): Promise<TopicInfo> {
    this.ensureOpen();
    const info = this.byName.get(name);
    if (!info) throw new LogError("MR_LOG_UNKNOWN_TOPIC", `Topic '${name}' does not exist.`);
    return this.serial(async () => {
      const current = info.partitions.length;
      if (!Number.isInteger(total) || total <= current) {
        throw new LogError(
          "MR_LOG_INVALID_PARTITIONS",
          `Topic currently has ${current} partitions, ${total} would not be an increase.`,
        );
      }
      const grown: TopicInfo = { ...info, partitions: [...info.partitions] };
      grown.partitions.length = total;
      await writeTopicsFile(this.dir, this.currentTopicsFile(grown, name));
      await this.createPartitionLogs(grown, current, total);
      info.partitions = grown.partitions;
      await this.writeCheckpoints();
      this.logger.info({ topic: name, partitions: total }, "added partitions");
      return info;
    });
  }

  /**
   * Deletes a topic: it disappears at once, its partitions are closed, the
   * topics file is rewritten, and the partition directories are renamed to
   * `<topic>-<p>.<uuidhex>-delete` and removed asynchronously, as Kafka does.
   */
  async deleteTopic(name: string): Promise<void> {
    this.ensureOpen();
    const info = this.byName.get(name);
    if (!info) throw new LogError("MR_LOG_UNKNOWN_TOPIC", `Topic '${name}' does not exist.`);
    this.byName.delete(name);
    await this.serial(async () => {
      await Promise.all(info.partitions.map((p) => p.close({ deleted: true })));
      await writeTopicsFile(this.dir, this.currentTopicsFile());
      const renamed: string[] = [];
      for (let p = 0; p < info.partitions.length; p++) {
        const from = partitionDirName(name, p);
        const to = `${from}.${randomBytes(16).toString("hex")}${DELETE_DIR_SUFFIX}`;
        try {
          await rename(join(this.dir, from), join(this.dir, to));
          renamed.push(to);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        }
      }
      await fsyncDir(this.dir);
      for (const d of renamed) {
        this.scheduleDelete(info.config["file.delete.delay.ms"], () =>
          rm(join(this.dir, d), { recursive: true, force: true }),
        );
      }
      await this.writeCheckpoints();
      if (info.partitions.some((p) => p.cleanerCheckpoint !== null)) await this.writeCleanerCheckpoint();
      this.logger.info({ topic: name, partitions: info.partitions.length }, "deleted topic");
    });
  }

  /**
   * Changes a topic's overrides. mode "replace" (AlterConfigs): `configs` is
   * the new override set. mode "merge" (IncrementalAlterConfigs): keys are set,
   * a null value removes the override.
   */
  async alterTopicConfig(
    name: string,
    configs: Record<string, string | null>,
    mode: "replace" | "merge" = "replace",
  ): Promise<void> {
    this.ensureOpen();
    const info = this.byName.get(name);
    if (!info) throw new LogError("MR_LOG_UNKNOWN_TOPIC", `Topic '${name}' does not exist.`);
    const next: Record<string, string> = mode === "merge" ? { ...info.configs } : {};
    for (const [k, v] of Object.entries(configs)) {
      if (v === null || v === undefined) delete next[k];
      else next[k] = v;
    }
    const { overrides, config } = resolveTopicConfig(this.defaults, next);
    await this.serial(async () => {
      const updated: TopicInfo = { ...info, configs: overrides, config };
      await writeTopicsFile(this.dir, this.currentTopicsFile(updated, name));
      info.configs = overrides;
      info.config = config;
      this.logger.info({ topic: name, configs: overrides }, "altered topic config");
    });
  }

  // -------------------------------------------------------------------------
  // retention, flushing, checkpoints

  /** One retention pass over every partition (log.retention.check.interval.ms). */
  async runRetention(now = Date.now()): Promise<void> {
    this.ensureOpen();
    if (this.retentionRunning) return this.retentionRunning;
    this.retentionRunning = (async () => {
      try {
        let deleted = 0;
        for (const p of this.allPartitions()) {
          if (p.isClosed) continue;
          try {
            deleted += await p.applyRetention(now);
          } catch (e) {
            if (p.isClosed) continue;
            this.logger.error({ topic: p.topic, partition: p.partition, err: e }, "retention failed");
          }
        }
        if (deleted > 0) await this.writeCheckpoints();
      } finally {
        this.retentionRunning = null;
      }
    })();
    return this.retentionRunning;
  }

  /**
   * One log-cleaner pass: compacts every partition of a topic whose
   * cleanup.policy has "compact" and that is due (see PartitionLog.compact;
   * `force` cleans regardless of the dirty ratio). Passes run one at a time.
   * Returns one result per compacted-topic partition.
   */
  runCleaner(now = Date.now(), opts: { force?: boolean } = {}): Promise<CompactResult[]> {
    this.ensureOpen();
    return this.cleaner.run(now, opts.force ?? false);
  }

  /** Writes cleaner-offset-checkpoint (atomically): every partition that has been compacted. */
  writeCleanerCheckpoint(): Promise<void> {
    return this.cleaner.writeCheckpoint();
  }

  /** Starts retention, log cleaner, flush.ms and checkpoint timers (unref'd). */
  startBackgroundTasks(): void {
    this.ensureOpen();
    if (this.timers.length > 0) return;
    const every = (ms: number, fn: () => Promise<void> | void, what: string) => {
      const t = setInterval(() => {
        Promise.resolve()
          .then(fn)
          .catch((e) => {
            if (!this.closing) this.logger.error({ err: e }, `${what} failed`);
          });
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts["log.retention.check.interval.ms"] ?? 300000, () => this.runRetention(), "retention check");
    if (this.opts["log.cleaner.enable"] ?? true) {
      every(
        this.opts["log.cleaner.backoff.ms"] ?? 15000,
        async () => {
          if (!this.cleaner.inProgress && !this.closing) await this.runCleaner();
        },
        "log cleaner",
      );
    }
    every(
      this.opts["log.flush.scheduler.interval.ms"] ?? 1000,
      () => {
        const now = Date.now();
        for (const p of this.allPartitions()) p.maybeTimedFlush(now);
      },
      "flush check",
    );
    every(this.opts["log.flush.offset.checkpoint.interval.ms"] ?? 60000, () => this.writeCheckpoints(), "checkpoint");
  }

  /** Writes recovery-point-offset-checkpoint and log-start-offset-checkpoint (atomically). */
  writeCheckpoints(): Promise<void> {
    return writeOffsetCheckpoints(this.dir, this.allPartitions());
  }

  private scheduleDelete(delayMs: number, destroy: () => Promise<void>): void {
    const entry: PendingDelete = { timer: null, done: null, run: async () => undefined };
    entry.run = () => {
      if (!entry.done) {
        if (entry.timer) clearTimeout(entry.timer);
        entry.done = destroy()
          .catch((e) => this.logger.warn({ err: e }, "asynchronous file deletion failed"))
          .finally(() => this.pendingDeletes.delete(entry));
      }
      return entry.done;
    };
    this.pendingDeletes.add(entry);
    if (delayMs <= 0) void entry.run();
    else {
      entry.timer = setTimeout(() => void entry.run(), delayMs);
      entry.timer.unref();
    }
  }

  // -------------------------------------------------------------------------
  // shutdown

  /**
   * Clean shutdown: drains writes, fdatasyncs everything, writes index files,
   * checkpoints and the clean-shutdown marker, closes every file.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      for (const t of this.timers) clearInterval(t);
      this.timers = [];
      await this.serialChain;
      if (this.retentionRunning) await this.retentionRunning.catch(() => undefined);
      const cleaner = this.cleaner.inProgress;
      const parts = this.allPartitions();
      // Closing partitions stops a compaction in progress at its next batch (nothing half-swapped: swaps run
      // in the write queue).
      const results = await Promise.allSettled(parts.map((p) => p.close()));
      if (cleaner) await cleaner.catch(() => undefined);
      await this.flusher.idle();
      let clean = true;
      results.forEach((r, i) => {
        if (r.status === "rejected") {
          clean = false;
          this.logger.error(
            { topic: parts[i].topic, partition: parts[i].partition, err: r.reason },
            "partition did not close cleanly",
          );
        }
      });
      if (parts.some((p) => p.unclean)) clean = false;
      await this.writeCheckpoints();
      await Promise.all([...this.pendingDeletes].map((d) => d.run()));
      if (clean) await writeFileAtomic(join(this.dir, CLEAN_SHUTDOWN_FILE), "");
      else this.logger.warn({ dir: this.dir }, "not writing the clean-shutdown marker: recovery will run on next open");
      await unlinkIfExists(join(this.dir, LOCK_FILE));
      this.logger.info({ dir: this.dir, clean }, "log manager closed");
    })();
    return this.closing;
  }

  /**
   * Stops without flushing or writing anything (what kill -9 leaves, minus the
   * page cache): for crash tests and fatal errors.
   */
  abort(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      for (const t of this.timers) clearInterval(t);
      this.timers = [];
      for (const d of this.pendingDeletes) if (d.timer) clearTimeout(d.timer);
      this.pendingDeletes.clear();
      const cleaner = this.cleaner.inProgress;
      await Promise.allSettled(this.allPartitions().map((p) => p.abort()));
      if (cleaner) await cleaner.catch(() => undefined);
      await this.flusher.idle();
      await unlinkIfExists(join(this.dir, LOCK_FILE));
    })();
    return this.closing;
  }
}

async function runLimited(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (next < jobs.length && failed === null) {
      const job = jobs[next++];
      try {
        await job();
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  if (failed !== null) throw failed;
}
