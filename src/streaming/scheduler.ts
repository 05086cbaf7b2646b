/**
 * Running one batch's jobs (Spark's JobScheduler and its job handler): every
 * output operation in order, each retried up to spark.task.maxFailures times;
 * then the snapshots of the stateful streams and the checkpoint's done record;
 * then the batch's timings for the inputs (backpressure) and the metrics.
 * Generating batches and queueing them is the StreamingContext's part
 * (Spark's JobGenerator); the types of a batch's record live here, as Spark's
 * scheduler package holds BatchInfo.
 */
import { counter, gauge, histogram } from "../metrics/registry.js";
import type { Logger } from "pino";
import type { Checkpoint, DoneRecord } from "./checkpoint.js";
import type { DStreamGraph } from "./graph.js";
import { TaskFailedError } from "./errors.js";

export interface StageInfo {
  name: string;
  ms: number;
}

export interface BatchInfo {
  time: number;
  records: number;
  /** ms between the batch time and the start of its processing */
  schedulingDelay?: number;
  processingTime?: number;
  totalDelay?: number;
  inputRate?: number;
  submittedAt: number;
  startedAt?: number;
  completedAt?: number;
  stages: StageInfo[];
  /** set when the batch was re-run from the checkpoint after a restart */
  recovered?: boolean;
  error?: string;
}

/** the streaming metrics (per app) */
export const M = {
  batches: counter("millrace_streaming_batches_completed_total", "Batches completed", ["app"]),
  failed: counter("millrace_streaming_batches_failed_total", "Batches that failed", ["app"]),
  records: counter("millrace_streaming_records_total", "Input records processed", ["app"]),
  inputRate: gauge("millrace_streaming_input_rate", "Records per second of the last batch", ["app"]),
  schedDelay: gauge("millrace_streaming_scheduling_delay_ms", "Scheduling delay of the last batch (ms)", ["app"]),
  procTime: gauge("millrace_streaming_processing_time_ms", "Processing time of the last batch (ms)", ["app"]),
  totalDelay: histogram(
    "millrace_streaming_total_delay_ms",
    "Total delay of batches (ms)",
    ["app"],
    [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000],
  ),
  queued: gauge("millrace_streaming_queued_batches", "Batches generated and not yet completed", ["app"]),
  lastBatch: gauge("millrace_streaming_last_completed_batch_time_ms", "Time of the last completed batch", ["app"]),
  stage: histogram(
    "millrace_streaming_stage_time_ms",
    "Time of each output operation (ms)",
    ["app", "stage"],
    [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
  ),
};

/** what running a batch's jobs needs from its context */
export interface JobHost {
  readonly appName: string;
  readonly batchInterval: number;
  readonly graph: DStreamGraph;
  /** attempts of an output operation before the batch fails */
  readonly maxFailures: number;
  readonly logger: Logger;
  readonly checkpoint: Checkpoint | undefined;
}

/** Runs the jobs of the batch `info` (started: startedAt and schedulingDelay set) and completes `info`. */
export async function runBatchJobs(host: JobHost, info: BatchInfo): Promise<void> {
  const time = info.time;
  await runOutputs(host, info);
  await checkpointStates(host, info);
  info.completedAt = Date.now();
  info.processingTime = info.completedAt - info.startedAt!;
  info.totalDelay = info.completedAt - time;
  info.inputRate = info.processingTime > 0 ? (info.records * 1000) / Math.max(host.batchInterval, 1) : 0;
  host.graph.clearOld(time);
  for (const input of host.graph.inputs()) {
    input.onBatchCompleted({
      time,
      records: input.recordCount(input.infoFor(time)) ?? 0,
      processingMs: info.processingTime,
      schedulingDelayMs: info.schedulingDelay!,
    });
  }
  const app = host.appName;
  M.batches.inc({ app });
  M.records.inc({ app }, info.records);
  M.inputRate.set({ app }, info.inputRate);
  M.schedDelay.set({ app }, info.schedulingDelay!);
  M.procTime.set({ app }, info.processingTime);
  M.totalDelay.observe({ app }, info.totalDelay);
  M.lastBatch.set({ app }, time);
  for (const s of info.stages) M.stage.observe({ app, stage: s.name }, s.ms);
}

async function runOutputs(host: JobHost, info: BatchInfo): Promise<void> {
  const time = info.time;
  for (const op of host.graph.outputs) {
    const t0 = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const rdd = op.stream.getOrCompute(time);
        if (rdd) await op.run(rdd, time);
        break;
      } catch (e) {
        const err =
          e instanceof TaskFailedError ? e : new TaskFailedError(`${op.name} (output of ${op.stream.opName})`, time, e);
        if (attempt >= host.maxFailures) throw err;
        host.logger.warn({ err, attempt, time }, "output operation failed; retrying");
      }
    }
    info.stages.push({ name: `${op.name}#${host.graph.outputs.indexOf(op)}`, ms: performance.now() - t0 });
  }
}

/** stateful streams are materialized every batch; their snapshots go to the checkpoint with the done record */
async function checkpointStates(host: JobHost, info: BatchInfo): Promise<void> {
  const time = info.time;
  const states: DoneRecord["states"] = {};
  for (const s of host.graph.stateful()) {
    const t0 = performance.now();
    let snap: Awaited<ReturnType<typeof s.snapshot>>;
    try {
      snap = await s.snapshot(time);
    } catch (e) {
      throw e instanceof TaskFailedError ? e : new TaskFailedError(s.opName, time, e);
    }
    if (snap && host.checkpoint) states[String(s.id)] = snap;
    info.stages.push({ name: `state:${s.opName}#${s.id}`, ms: performance.now() - t0 });
  }
  const ckpt = host.checkpoint;
  if (ckpt) {
    ckpt.writeDone({ time, states });
    const inputRemember = Math.max(0, ...host.graph.inputs().map((s) => s.rememberDuration));
    ckpt.cleanup(time - inputRemember - host.batchInterval);
  }
}
