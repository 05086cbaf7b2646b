/**
 * What a streaming app hands to the dashboard besides the engine's own batch
 * metrics: its latest output (the Output view) and end-to-end latency per batch
 * (record timestamp → processed, p50/p99). Process-wide, keyed by app name, so an
 * app loaded in-process by `millrace run` or `millrace demo` appears without glue.
 */
import type { LatencySample, OutputInfo } from "./sources.js";
import { histogram } from "../metrics/registry.js";

export type { LatencySample };

const outputs = new Map<string, OutputInfo>();
const latencies = new Map<string, LatencySample[]>();
const KEEP = 300;

const e2e = histogram(
  "millrace_streaming_end_to_end_latency_ms",
  "Per record: appended to the topic → processed by the app's batch (ms)",
  ["app"],
  [10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000],
);

/** The app's latest output, shown in the dashboard's Output view. */
export function publishOutput(app: string, out: OutputInfo): void {
  outputs.set(app, out);
}

export function latestOutput(app?: string): OutputInfo | null {
  if (app !== undefined) return outputs.get(app) ?? null;
  let best: OutputInfo | null = null;
  for (const o of outputs.values()) if (!best || o.time > best.time) best = o;
  return best;
}

/** the q-quantile (0..1) of sorted values, nearest rank */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * Records a batch's end-to-end latencies: `recordTimestamps` (ms) of the records
 * the batch processed, measured against `processedAt`. Returns the p50/p99 sample
 * (undefined for an empty batch).
 */
export function publishLatency(
  app: string,
  batchTime: number,
  recordTimestamps: number[],
  processedAt = Date.now(),
): LatencySample | undefined {
  if (recordTimestamps.length === 0) return undefined;
  const lat = recordTimestamps.map((t) => Math.max(0, processedAt - t)).sort((a, b) => a - b);
  for (const l of lat) e2e.observe({ app }, l);
  const s = { time: batchTime, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
  let list = latencies.get(app);
  if (!list) latencies.set(app, (list = []));
  list.push(s);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
  return s;
}

export function latencySamples(app: string): LatencySample[] {
  return [...(latencies.get(app) ?? [])];
}
