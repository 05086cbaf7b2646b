/**
 * The file channel's write-ahead log (Flume's Log and LogFile): numbered data
 * files `log-<id>` spread over dataDirs, each starting with a magic and holding
 * CRC-checked records (records.ts). Appends from concurrent commits are written
 * together with one writev, and one fdatasync covers every write before it
 * (group commit); a file that would outgrow maxFileSize is synced, closed and
 * followed by the next one.
 */
import { readdirSync } from "node:fs";
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { fsyncDir, unlinkIfExists, writevFully } from "../../../fs/index.js";
import { ChannelError, type Event } from "../../api.js";
import { LOG_MAGIC, PUT, decodeEvent, fileOf, offsetOf, parseRecords, pointer } from "./records.js";

interface PendingWrite {
  bufs: Buffer[];
  resolve(r: { pointers: number[]; gen: number }): void;
  reject(e: unknown): void;
}

/** writev takes at most IOV_MAX (1024) buffers */
const IOV_MAX = 1024;

export class WriteAheadLog {
  private readonly files = new Map<number, { path: string; read?: Promise<FileHandle> }>();
  private writeId = 0;
  private writeFh: FileHandle | null = null;
  private writePos = 0;
  /** count of group writes done, and the last one an fdatasync covers */
  private writeGen = 0;
  private syncedGen = 0;
  private syncing: Promise<void> | null = null;
  private pending: PendingWrite[] = [];
  private writing = false;

  constructor(
    private readonly channel: string,
    private readonly dataDirs: string[],
    private readonly maxFileSize: number,
  ) {}

  /** Finds the data files already in dataDirs (before replay). */
  scan(): void {
    this.files.clear();
    for (const dir of this.dataDirs) {
      for (const name of readdirSync(dir)) {
        const m = /^log-(\d+)$/.exec(name);
        if (m) this.files.set(Number(m[1]), { path: join(dir, name) });
      }
    }
  }

  /** ids of the data files, ascending */
  fileIds(): number[] {
    return [...this.files.keys()].sort((a, b) => a - b);
  }

  pathOf(id: number): string {
    return this.files.get(id)!.path;
  }

  /** where the next record goes: the checkpoint records it as the end of what it reflects */
  position(): { fileId: number; offset: number } {
    return { fileId: this.writeId, offset: this.writePos };
  }

  /** Opens a new data file after every existing one for appends. */
  async openForWrite(): Promise<void> {
    let m = 0;
    for (const id of this.files.keys()) if (id > m) m = id;
    await this.openWriteFile(m + 1);
  }

  /** Appends a transaction's records; resolves with their pointers and the write generation to sync to. */
  append(bufs: Buffer[]): Promise<{ pointers: number[]; gen: number }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ bufs, resolve, reject });
      void this.drain();
    });
  }

  /** Waits until an fdatasync covers write generation `gen` (one sync serves every waiter before it). */
  async syncTo(gen: number): Promise<void> {
    while (this.syncedGen < gen) {
      if (this.syncing) {
        await this.syncing;
        continue;
      }
      const target = this.writeGen;
      const fh = this.writeFh!;
      this.syncing = fh
        .datasync()
        .then(() => {
          if (target > this.syncedGen) this.syncedGen = target;
        })
        .finally(() => {
          this.syncing = null;
        });
      await this.syncing;
    }
  }

  /** Reads the event whose PUT record `p` points at. */
  async readEvent(p: number): Promise<Event> {
    const fh = await this.readHandle(fileOf(p));
    const off = offsetOf(p);
    let buf = Buffer.allocUnsafe(8192);
    let { bytesRead } = await fh.read(buf, 0, buf.length, off);
    if (bytesRead < 8)
      throw new ChannelError(
        "MR_AGENT_CHANNEL_CORRUPT",
        `file channel ${this.channel}: event at ${fileOf(p)}:${off} is missing`,
      );
    const total = 8 + buf.readUInt32BE(0);
    if (total > bytesRead) {
      const more = Buffer.allocUnsafe(total);
      buf.copy(more, 0, 0, bytesRead);
      const r = await fh.read(more, bytesRead, total - bytesRead, off + bytesRead);
      bytesRead += r.bytesRead;
      buf = more;
    }
    const { records } = parseRecords(buf.subarray(0, Math.min(bytesRead, total)), off, true);
    const rec = records[0];
    if (!rec || rec.type !== PUT)
      throw new ChannelError(
        "MR_AGENT_CHANNEL_CORRUPT",
        `file channel ${this.channel}: bad record at ${fileOf(p)}:${off}`,
      );
    return decodeEvent(rec.payload);
  }

  /** Deletes the data files before `minRef` (no queued event is in them), never the one being written. */
  async deleteBefore(minRef: number): Promise<void> {
    for (const [id, f] of [...this.files]) {
      if (id >= minRef || id === this.writeId) continue;
      this.files.delete(id);
      if (f.read) await (await f.read).close().catch(() => undefined);
      await unlinkIfExists(f.path).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.writeFh?.close();
    this.writeFh = null;
    for (const f of this.files.values()) {
      if (f.read) await (await f.read).close().catch(() => undefined);
      f.read = undefined;
    }
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pending.length > 0) await this.writeGroup(this.pending.splice(0));
    } finally {
      this.writing = false;
    }
  }

  /** writes the pending appends, rotating to a new file where one would outgrow maxFileSize */
  private async writeGroup(batch: PendingWrite[]): Promise<void> {
    let group: { w: PendingWrite; pointers: number[] }[] = [];
    let groupBufs: Buffer[] = [];
    let start = this.writePos;
    const flush = async () => {
      if (groupBufs.length === 0) return;
      for (let i = 0, pos = start; i < groupBufs.length; i += IOV_MAX) {
        const part = groupBufs.slice(i, i + IOV_MAX);
        await writevFully(this.writeFh!, part, pos);
        for (const b of part) pos += b.length;
      }
      this.writeGen++;
      const gen = this.writeGen;
      for (const g of group) g.w.resolve({ pointers: g.pointers, gen });
      group = [];
      groupBufs = [];
      start = this.writePos;
    };
    for (const w of batch) {
      try {
        const size = w.bufs.reduce((n, b) => n + b.length, 0);
        if (this.writePos + size > this.maxFileSize && this.writePos > LOG_MAGIC.length) {
          await flush();
          await this.rotate();
          start = this.writePos;
        }
        const pointers: number[] = [];
        for (const b of w.bufs) {
          pointers.push(pointer(this.writeId, this.writePos));
          this.writePos += b.length;
          groupBufs.push(b);
        }
        group.push({ w, pointers });
      } catch (err) {
        w.reject(err);
      }
    }
    try {
      await flush();
    } catch (err) {
      for (const g of group)
        g.w.reject(
          new ChannelError(
            "MR_AGENT_CHANNEL_IO",
            `file channel ${this.channel}: log write failed: ${(err as Error).message}`,
            { cause: err },
          ),
        );
    }
  }

  private async rotate(): Promise<void> {
    const fh = this.writeFh!;
    const gen = this.writeGen;
    await fh.datasync();
    if (gen > this.syncedGen) this.syncedGen = gen;
    await fh.close();
    await this.openWriteFile(this.writeId + 1);
  }

  private async openWriteFile(id: number): Promise<void> {
    const dir = this.dataDirs[id % this.dataDirs.length]!;
    const path = join(dir, `log-${id}`);
    const fh = await open(path, "w+");
    await fh.write(LOG_MAGIC, 0, LOG_MAGIC.length, 0);
    await fh.datasync();
    await fsyncDir(dir);
    this.files.set(id, { path });
    this.writeId = id;
    this.writeFh = fh;
    this.writePos = LOG_MAGIC.length;
  }

  private readHandle(id: number): Promise<FileHandle> {
    const f = this.files.get(id);
    if (!f) throw new ChannelError("MR_AGENT_CHANNEL_CORRUPT", `file channel ${this.channel}: log file ${id} is gone`);
    f.read ??= open(f.path, "r");
    return f.read;
  }
}
