/**
 * The file channel's in-memory queue of event pointers and its checkpoint
 * (Flume's FlumeEventQueue and EventQueueBackingStore): the queue says which
 * logged events are still in the channel, in order; the checkpoint is that queue
 * plus the log position it reflects, so a start replays only the log after it.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../../fs/index.js";
import { decodeCheckpoint, encodeCheckpoint, fileOf } from "./records.js";

/** A double-ended queue of event pointers: takes from the head, rolled-back takes back to the head. */
export class EventQueue {
  private a: number[] = [];
  private head = 0;
  get length(): number {
    return this.a.length - this.head;
  }
  push(v: number): void {
    this.a.push(v);
  }
  shift(): number | undefined {
    if (this.head >= this.a.length) return undefined;
    const v = this.a[this.head++]!;
    if (this.head > 4096 && this.head * 2 > this.a.length) {
      this.a = this.a.slice(this.head);
      this.head = 0;
    }
    return v;
  }
  unshiftAll(vs: number[]): void {
    if (vs.length === 0) return;
    if (this.head >= vs.length) {
      this.head -= vs.length;
      for (let i = 0; i < vs.length; i++) this.a[this.head + i] = vs[i]!;
    } else {
      this.a = vs.concat(this.a.slice(this.head));
      this.head = 0;
    }
  }
  toArray(): number[] {
    return this.a.slice(this.head);
  }
  minFile(): number {
    let m = Infinity;
    for (let i = this.head; i < this.a.length; i++) {
      const f = fileOf(this.a[i]!);
      if (f < m) m = f;
    }
    return m;
  }
}

/** What a checkpoint holds: the queue's pointers and the log position (file id, offset) they reflect. */
export interface CheckpointState {
  fileId: number;
  offset: number;
  pointers: number[];
}

/** The checkpoint file in checkpointDir, replaced atomically and durably through src/fs. */
export class CheckpointStore {
  readonly path: string;
  constructor(dir: string) {
    this.path = join(dir, "checkpoint");
  }

  /** The last checkpoint; undefined when there is none, null when it is corrupt. */
  async read(): Promise<CheckpointState | null | undefined> {
    let buf: Buffer;
    try {
      buf = await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    return decodeCheckpoint(buf);
  }

  /** temp file, fsync, rename, fsync of the directory: a crash leaves the old or the new checkpoint */
  write(state: CheckpointState): Promise<void> {
    return writeFileAtomic(
      this.path,
      encodeCheckpoint(state.fileId, state.offset, state.pointers, state.pointers.length),
    );
  }
}
