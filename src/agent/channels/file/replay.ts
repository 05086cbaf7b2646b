/**
 * Replay at start (Flume's ReplayHandler): the queue of the last checkpoint, then
 * the log after the position it reflects. A committed transaction's puts join the
 * queue and its takes leave it; a transaction without its COMMIT record is
 * dropped; a torn tail (short record or CRC mismatch) ends the replay of its file,
 * and the last file is truncated there so new appends follow whole records.
 */
import { open } from "node:fs/promises";
import type { Logger } from "pino";
import { readFully } from "../../../fs/index.js";
import type { WriteAheadLog } from "./log.js";
import { EventQueue, type CheckpointState } from "./queue.js";
import { COMMIT, LOG_MAGIC, PUT, TAKE, decodeTake, parseRecords, pointer } from "./records.js";

/** What a start found: events from the checkpoint, replayed from the logs, torn tails. */
export interface ReplayStats {
  checkpointEvents: number;
  replayedPuts: number;
  replayedTakes: number;
  tornTails: number;
  incompleteTransactions: number;
}

export function emptyReplayStats(): ReplayStats {
  return { checkpointEvents: 0, replayedPuts: 0, replayedTakes: 0, tornTails: 0, incompleteTransactions: 0 };
}

export interface ReplayResult {
  queue: EventQueue;
  stats: ReplayStats;
  /** the queue differs from the checkpoint's (a new checkpoint is due) */
  changed: boolean;
}

const CHUNK = 8 * 1024 * 1024;

export class ReplayHandler {
  private readonly stats = emptyReplayStats();
  private readonly added: number[] = [];
  private readonly removed = new Set<number>();

  constructor(
    private readonly channel: string,
    private readonly log: WriteAheadLog,
    private readonly logger?: Logger,
  ) {}

  /** Replays the log (already scanned) on top of `checkpoint` (none, or null when it was corrupt). */
  async replay(checkpoint: CheckpointState | null | undefined): Promise<ReplayResult> {
    if (checkpoint === null)
      this.logger?.warn({ channel: this.channel }, "file channel checkpoint is corrupt: replaying every log file");
    const start = checkpoint ? { fileId: checkpoint.fileId, offset: checkpoint.offset } : { fileId: 0, offset: 0 };
    const base = checkpoint?.pointers ?? [];
    this.stats.checkpointEvents = base.length;
    const ids = this.log.fileIds().filter((id) => id >= start.fileId);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const from = id === start.fileId && start.offset > 0 ? start.offset : LOG_MAGIC.length;
      const stopAt = await this.replayFile(id, from);
      if (stopAt === null) continue;
      this.stats.tornTails++;
      this.logger?.warn(
        { channel: this.channel, file: this.log.pathOf(id), offset: stopAt },
        "file channel log has a torn tail: ignored",
      );
      if (i === ids.length - 1) await truncate(this.log.pathOf(id), stopAt);
    }
    const queue = new EventQueue();
    for (const p of base) if (!this.removed.has(p)) queue.push(p);
    for (const p of this.added) if (!this.removed.has(p)) queue.push(p);
    return { queue, stats: this.stats, changed: this.added.length > 0 || this.removed.size > 0 };
  }

  /** replays one file from `from`; returns the offset of a torn tail, or null */
  private async replayFile(id: number, from: number): Promise<number | null> {
    const fh = await open(this.log.pathOf(id), "r");
    try {
      const { size } = await fh.stat();
      const magic = await readFully(fh, LOG_MAGIC.length, 0);
      if (!magic.equals(LOG_MAGIC)) return size > 0 ? 0 : null;
      const pendingTx = new Map<number, { puts: number[]; takes: number[] }>();
      let pos = from;
      let carry = Buffer.alloc(0);
      while (pos - carry.length < size) {
        const readFrom = pos;
        const chunk = await readFully(fh, Math.min(CHUNK, size - readFrom), readFrom);
        const got = chunk.length;
        const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        const bufBase = readFrom - carry.length;
        const atEof = readFrom + got >= size;
        const { records, used, torn } = parseRecords(buf, bufBase, atEof);
        for (const r of records) {
          let t = pendingTx.get(r.txid);
          if (r.type === PUT || r.type === TAKE) {
            if (!t) pendingTx.set(r.txid, (t = { puts: [], takes: [] }));
            if (r.type === PUT) t.puts.push(pointer(id, r.offset));
            else t.takes.push(...decodeTake(r.payload));
          } else if (r.type === COMMIT && t) {
            for (const p of t.puts) this.added.push(p);
            for (const p of t.takes) this.removed.add(p);
            this.stats.replayedPuts += t.puts.length;
            this.stats.replayedTakes += t.takes.length;
            pendingTx.delete(r.txid);
          }
        }
        if (torn || (atEof && used < buf.length)) {
          this.stats.incompleteTransactions += pendingTx.size;
          return bufBase + used;
        }
        carry = Buffer.from(buf.subarray(used));
        pos = readFrom + got;
        if (atEof || got === 0) break;
      }
      this.stats.incompleteTransactions += pendingTx.size;
      return null;
    } finally {
      await fh.close();
    }
  }
}

async function truncate(path: string, at: number): Promise<void> {
  const fh = await open(path, "r+");
  try {
    await fh.truncate(at);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
