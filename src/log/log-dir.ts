/**
 * A data directory's own files, laid out like a Kafka log dir:
 *
 *   <dir>/meta.properties                     cluster.id, node.id (Kafka's format)
 *   <dir>/millrace.lock                       pid of the process using the directory
 *   <dir>/millrace-topics.json                topics: id, partition count, config overrides
 *   <dir>/recovery-point-offset-checkpoint    Kafka's text format
 *   <dir>/log-start-offset-checkpoint         Kafka's text format
 *   (cleaner-offset-checkpoint: cleaner-manager.ts; .kafka_cleanshutdown: manager.ts)
 *
 * Every file the log relies on after a crash is written atomically through src/fs.
 */
import { parseProperties } from "../formats/properties.js";
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { validateTopicName } from "./config.js";
import { LogError } from "./errors.js";
import {
  LOCK_FILE,
  LOG_START_OFFSET_CHECKPOINT,
  META_PROPERTIES,
  PARTITION_METADATA,
  RECOVERY_POINT_CHECKPOINT,
  TOPICS_FILE,
  formatCheckpoint,
  formatProperties,
  parsePartitionMetadata,
  partitionDirName,
  randomUuid,
  readCheckpoint,
  uuidToBase64,
} from "./files.js";
import { readFileIfExists, writeFileAtomic } from "../fs/index.js";
import type { CheckpointEntries } from "./files.js";
import type { PartitionLog } from "./partition.js";
import type { Logger } from "./types.js";

export interface TopicsFile {
  version: 1;
  topics: Record<string, { id: string; partitions: number; configs: Record<string, string> }>;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A pid file; refuses a directory held by another live process. */
export async function acquireLock(dir: string): Promise<void> {
  const path = join(dir, LOCK_FILE);
  const existing = await readFileIfExists(path);
  if (existing) {
    const pid = Number(existing.toString("utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
      throw new LogError("MR_LOG_LOCKED", `${dir} is in use by process ${pid}`);
    }
  }
  await writeFile(path, `${process.pid}\n`);
}

/** Reads meta.properties, writing Kafka's KRaft v1 layout when it is missing. */
export async function ensureMetaProperties(
  dir: string,
  nodeId: number,
): Promise<{ clusterId: string; nodeId: number }> {
  const path = join(dir, META_PROPERTIES);
  const buf = await readFileIfExists(path);
  if (buf) {
    const props = new Map(
      [...parseProperties(buf.toString("utf8"), join(dir, META_PROPERTIES)).map].map(([k, e]) => [k, e.value]),
    );
    const clusterId = props.get("cluster.id");
    const node = Number(props.get("node.id") ?? props.get("broker.id") ?? nodeId);
    if (clusterId) return { clusterId, nodeId: Number.isInteger(node) ? node : nodeId };
  }
  const clusterId = uuidToBase64(randomUuid());
  const props = new Map<string, string>([
    ["node.id", String(nodeId)],
    ["directory.id", uuidToBase64(randomUuid())],
    ["version", "1"],
    ["cluster.id", clusterId],
  ]);
  await writeFileAtomic(path, formatProperties(props));
  return { clusterId, nodeId };
}

/** Whether `path` exists (any stat failure counts as no). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function readCheckpointFile(dir: string, logger: Logger, name: string): Promise<CheckpointEntries | null> {
  const path = join(dir, name);
  const c = await readCheckpoint(path);
  if (c === null && (await exists(path))) logger.warn({ file: name }, "ignoring malformed checkpoint file");
  return c;
}

export async function readTopicsFile(dir: string): Promise<TopicsFile | null> {
  const buf = await readFileIfExists(join(dir, TOPICS_FILE));
  if (!buf) return null;
  try {
    const f = JSON.parse(buf.toString("utf8")) as TopicsFile;
    if (f.version !== 1 || typeof f.topics !== "object" || f.topics === null) throw new Error("unknown version");
    return f;
  } catch (e) {
    throw new LogError("MR_LOG_CORRUPT", `${join(dir, TOPICS_FILE)} is unreadable: ${(e as Error).message}`);
  }
}

export function writeTopicsFile(dir: string, f: TopicsFile): Promise<void> {
  return writeFileAtomic(join(dir, TOPICS_FILE), JSON.stringify(f, null, 2) + "\n");
}

/** No millrace topics file: adopt Kafka-layout partition directories as they are (ids from partition.metadata). */
export async function adoptPartitionDirs(
  dir: string,
  onDisk: Iterable<{ topic: string; partition: number }>,
  logger: Logger,
): Promise<TopicsFile> {
  const file: TopicsFile = { version: 1, topics: {} };
  const counts = new Map<string, number>();
  for (const { topic, partition } of onDisk) {
    try {
      validateTopicName(topic);
    } catch {
      continue;
    }
    counts.set(topic, Math.max(counts.get(topic) ?? 0, partition + 1));
  }
  for (const [topic, n] of counts) {
    let id: Buffer | null = null;
    for (let p = 0; p < n && !id; p++) {
      const meta = await readFileIfExists(join(dir, partitionDirName(topic, p), PARTITION_METADATA));
      if (meta) id = parsePartitionMetadata(meta.toString("utf8"));
    }
    file.topics[topic] = { id: uuidToBase64(id ?? randomUuid()), partitions: n, configs: {} };
    logger.info({ topic, partitions: n }, "adopted existing partition directories");
  }
  await writeTopicsFile(dir, file);
  return file;
}

/** Writes recovery-point-offset-checkpoint and log-start-offset-checkpoint (atomically). */
export async function writeOffsetCheckpoints(dir: string, parts: readonly PartitionLog[]): Promise<void> {
  const rp = parts.map((p) => [p.topic, p.partition, p.recoveryPoint] as [string, number, bigint]);
  const lso = parts.map((p) => [p.topic, p.partition, p.logStartOffset] as [string, number, bigint]);
  await writeFileAtomic(join(dir, RECOVERY_POINT_CHECKPOINT), formatCheckpoint(rp));
  await writeFileAtomic(join(dir, LOG_START_OFFSET_CHECKPOINT), formatCheckpoint(lso));
}
