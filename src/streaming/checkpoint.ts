/**
 * The checkpoint directory of a streaming app:
 *   metadata.json          app name, batch interval, zero time (first run)
 *   batch-<time>.json      what each input holds in that batch (offset ranges, ...),
 *                          written before the batch runs
 *   done-<time>.json       the batch completed: state snapshots of stateful streams
 * Every file is written atomically (temp file, fsync, rename, fsync of the directory).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { StreamingError } from "./errors.js";
import { hiddenTempPathFor, writeFileAtomicSync } from "../fs/index.js";

export interface CheckpointMeta {
  appName: string;
  batchInterval: number;
  zeroTime: number;
}

export interface DoneRecord {
  time: number;
  states: Record<string, { time: number; partitions: unknown[][] }>;
}

export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? { $bigint: x.toString() } : x));
}

export function fromJson<T>(s: string): T {
  return JSON.parse(s, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x) && typeof x.$bigint === "string" && Object.keys(x).length === 1
      ? BigInt(x.$bigint)
      : x,
  ) as T;
}

const BATCH = /^batch-(\d+)\.json$/;
const DONE = /^done-(\d+)\.json$/;

export class Checkpoint {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private read<T>(name: string): T {
    const p = join(this.dir, name);
    try {
      return fromJson<T>(readFileSync(p, "utf8"));
    } catch (e) {
      throw new StreamingError("MR_STREAMING_CHECKPOINT", `cannot read checkpoint file ${p}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  meta(): CheckpointMeta | undefined {
    return existsSync(join(this.dir, "metadata.json")) ? this.read<CheckpointMeta>("metadata.json") : undefined;
  }

  writeMeta(m: CheckpointMeta): void {
    writeDurably(join(this.dir, "metadata.json"), toJson(m));
  }

  writeBatch(time: number, inputs: Record<string, unknown>): void {
    writeDurably(join(this.dir, `batch-${time}.json`), toJson({ time, inputs }));
  }

  writeDone(rec: DoneRecord): void {
    writeDurably(join(this.dir, `done-${rec.time}.json`), toJson(rec));
  }

  batches(): Map<number, Record<string, unknown>> {
    const out = new Map<number, Record<string, unknown>>();
    const times = this.times(BATCH);
    for (const t of times) out.set(t, this.read<{ inputs: Record<string, unknown> }>(`batch-${t}.json`).inputs);
    return out;
  }

  lastDone(): DoneRecord | undefined {
    const times = this.times(DONE);
    const t = times[times.length - 1];
    return t === undefined ? undefined : this.read<DoneRecord>(`done-${t}.json`);
  }

  private times(re: RegExp): number[] {
    return readdirSync(this.dir)
      .map((n) => re.exec(n)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** drops batch files at or before `batchesBefore` and all but the newest done file */
  cleanup(batchesBefore: number): void {
    for (const t of this.times(BATCH))
      if (t <= batchesBefore) rmSync(join(this.dir, `batch-${t}.json`), { force: true });
    const done = this.times(DONE);
    for (const t of done.slice(0, -1)) rmSync(join(this.dir, `done-${t}.json`), { force: true });
  }
}

/** atomic and durable (src/fs), through a hidden `.name.tmp` sibling that listings of the folder skip */
function writeDurably(path: string, data: string): void {
  writeFileAtomicSync(path, data, { tmp: hiddenTempPathFor(path) });
}
