/**
 * The log's file helpers: durable handles with write/sync generations (what
 * the group committer needs to know what to fsync), and Kafka's file names and
 * small text formats (offset checkpoints, partition.metadata, meta.properties).
 * The durable primitives themselves (atomic replace, directory fsync, full
 * reads and writes) live in src/fs.
 */
import { open } from "node:fs/promises";
import { readFileIfExists } from "../fs/index.js";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * A file handle whose completed writes and syncs are counted. `dirty` means a
 * write completed after the last fdatasync began. FileHandle.close() waits for
 * pending operations, so closing never cuts a write or sync short.
 */
export class DurableFile {
  writeGen = 0;
  syncGen = 0;
  closed = false;
  constructor(
    readonly handle: FileHandle,
    readonly path: string,
    readonly isDir = false,
  ) {}

  get dirty(): boolean {
    return this.writeGen !== this.syncGen;
  }

  markWritten(): void {
    this.writeGen++;
  }

  /**
   * fdatasync (fsync for directories) covering every write completed before the call. Returns false if there
   * was nothing to do.
   */
  async sync(): Promise<boolean> {
    const gen = this.writeGen;
    if (gen === this.syncGen || this.closed) return false;
    if (this.isDir) await this.handle.sync();
    else await this.handle.datasync();
    if (gen > this.syncGen) this.syncGen = gen;
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  static async open(path: string, flags: string): Promise<DurableFile> {
    return new DurableFile(await open(path, flags), path);
  }

  static async openDir(path: string): Promise<DurableFile> {
    return new DurableFile(await open(path, "r"), path, true);
  }
}

// ---------------------------------------------------------------------------
// Kafka file names

export const LOG_SUFFIX = ".log";
export const INDEX_SUFFIX = ".index";
export const TIME_INDEX_SUFFIX = ".timeindex";
export const DELETED_SUFFIX = ".deleted";
export const DELETE_DIR_SUFFIX = "-delete";
export const STRAY_DIR_SUFFIX = "-stray";
export const CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";
export const RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint";
export const LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint";
/** Kafka's log cleaner checkpoint: per compacted partition, the first offset not yet cleaned */
export const CLEANER_OFFSET_CHECKPOINT = "cleaner-offset-checkpoint";
/** a cleaned segment's files while they are written (Kafka's suffix) */
export const CLEANED_SUFFIX = ".cleaned";
/** a cleaned segment's files once the swap is committed (Kafka's suffix) */
export const SWAP_SUFFIX = ".swap";
/** in a partition directory while a swap is in flight: which segments the cleaned one replaces */
export const CLEANER_SWAP_FILE = "cleaner-swap.json";
export const META_PROPERTIES = "meta.properties";
export const PARTITION_METADATA = "partition.metadata";
export const TOPICS_FILE = "millrace-topics.json";
export const LOCK_FILE = "millrace.lock";

/** 20-digit zero-padded offset, Kafka's segment file name stem. */
export function offsetFileStem(offset: bigint): string {
  return offset.toString().padStart(20, "0");
}

export function segmentPaths(dir: string, baseOffset: bigint): { log: string; index: string; timeIndex: string } {
  const stem = join(dir, offsetFileStem(baseOffset));
  return { log: stem + LOG_SUFFIX, index: stem + INDEX_SUFFIX, timeIndex: stem + TIME_INDEX_SUFFIX };
}

/** Parses "<topic>-<partition>" (the topic may itself contain '-'). */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(name);
  if (!m) return null;
  const partition = Number(m[2]);
  if (!Number.isSafeInteger(partition) || String(partition) !== m[2]) return null;
  return { topic: m[1], partition };
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

// ---------------------------------------------------------------------------
// UUIDs as Kafka prints them (base64url, no padding)

export function uuidToBase64(id: Buffer): string {
  return id.toString("base64url");
}

export function base64ToUuid(s: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]{22}$/.test(s)) return null;
  const b = Buffer.from(s, "base64url");
  return b.length === 16 ? b : null;
}

/**
 * A random (version 4) UUID that is neither Kafka's ZERO nor METADATA id and whose base64 form does not start
 * with '-' (Kafka's rule).
 */
export function randomUuid(): Buffer {
  for (;;) {
    const b = randomBytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const s = uuidToBase64(b);
    if (s.startsWith("-")) continue;
    if (b.equals(Buffer.alloc(16))) continue;
    if (b.equals(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))) continue;
    return b;
  }
}

// ---------------------------------------------------------------------------
// Offset checkpoint files: "0\n<count>\n<topic> <partition> <offset>\n..."

export type CheckpointEntries = Map<string, bigint>; // key: "<topic>-<partition>"

export function formatCheckpoint(entries: Iterable<[string, number, bigint]>): string {
  const lines: string[] = [];
  for (const [topic, partition, offset] of entries) lines.push(`${topic} ${partition} ${offset}`);
  return `0\n${lines.length}\n${lines.map((l) => l + "\n").join("")}`;
}

/** Parses a checkpoint file; returns null when it is malformed (the caller then ignores it). */
export function parseCheckpoint(text: string): CheckpointEntries | null {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  if (lines.length < 2 || lines[0].trim() !== "0") return null;
  const count = Number(lines[1].trim());
  if (!Number.isInteger(count) || count < 0 || lines.length - 2 !== count) return null;
  const out: CheckpointEntries = new Map();
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i].trim().split(/\s+/);
    if (parts.length !== 3 || !/^\d+$/.test(parts[1]) || !/^-?\d+$/.test(parts[2])) return null;
    out.set(`${parts[0]}-${Number(parts[1])}`, BigInt(parts[2]));
  }
  return out;
}

export async function readCheckpoint(path: string): Promise<CheckpointEntries | null> {
  const buf = await readFileIfExists(path);
  if (!buf) return null;
  return parseCheckpoint(buf.toString("utf8"));
}

// ---------------------------------------------------------------------------
// partition.metadata: "version: 0\ntopic_id: <base64url uuid>\n"

export function formatPartitionMetadata(topicId: Buffer): string {
  return `version: 0\ntopic_id: ${uuidToBase64(topicId)}\n`;
}

export function parsePartitionMetadata(text: string): Buffer | null {
  const m = /^version:\s*0\s*\ntopic_id:\s*(\S+)\s*$/m.exec(text.replace(/\r/g, ""));
  if (!m) return null;
  return base64ToUuid(m[1]);
}

// ---------------------------------------------------------------------------
// meta.properties (Java properties, KRaft v1 layout)

export function formatProperties(props: Map<string, string>, now = new Date()): string {
  let s = `#\n#${now.toString()}\n`;
  for (const [k, v] of props) s += `${k}=${v}\n`;
  return s;
}
