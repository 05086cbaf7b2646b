/**
 * Where the tasks of a stage run. `local[N]` sets the parallelism (default number
 * of partitions for shuffles and repartition) and the size of the pool.
 *
 * InThreadPool runs closures in the driver's thread (one after another, in
 * partition order). With N >= 2 and an app module, the narrow per-partition
 * operations registered by the graph run on worker threads instead (worker.ts,
 * RDD.mapPartitionsWithIndex with a task id); what is left here (post-shuffle
 * merges, cogroup, foreachPartition) stays in the driver.
 */
import { StreamingError } from "./errors.js";

export interface TaskPool {
  readonly size: number;
  runTasks<T>(tasks: Array<() => T | Promise<T>>): Promise<T[]>;
  close(): Promise<void>;
}

export class InThreadPool implements TaskPool {
  constructor(readonly size: number) {}
  async runTasks<T>(tasks: Array<() => T | Promise<T>>): Promise<T[]> {
    const out: T[] = [];
    for (const t of tasks) out.push(await t());
    return out;
  }
  async close(): Promise<void> {}
}

/** "local", "local[4]", "local[*]" -> number of threads. */
export function parseMaster(master: string): number {
  const m = /^local(?:\[(\d+|\*)\])?$/.exec(master.trim());
  if (!m)
    throw new StreamingError(
      "MR_STREAMING_MASTER",
      `unsupported master ${JSON.stringify(master)}: use local, local[N] or local[*]`,
    );
  if (m[1] === undefined) return 1;
  if (m[1] === "*")
    return Math.max(
      1,
      (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2,
    );
  const n = Number(m[1]);
  if (n < 1) throw new StreamingError("MR_STREAMING_MASTER", `local[${n}]: need at least one thread`);
  return n;
}
