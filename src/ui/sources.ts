/**
 * What the dashboard shows, as plain data. The pipeline (cli/demo, cli/run)
 * wires these providers to the running broker, agents and streaming apps; the
 * dashboard only reads them, so it works the same embedded or against a remote
 * Kafka.
 */
import type { TopicsPort } from "../topics/port.js";

/**
 * One row of the dashboard's batch table (Spark's streaming UI calls it
 * BatchUIData): a streaming BatchInfo with its delays filled in and a status.
 */
export interface BatchUIData {
  /** batch time, ms since the epoch */
  time: number;
  records: number;
  /** records/s over the batch interval */
  inputRate: number;
  schedulingDelay: number;
  processingTime: number;
  totalDelay: number;
  status?: "queued" | "running" | "completed" | "failed";
}

/** a batch's end-to-end latency (record appended → processed), ms */
export interface LatencySample {
  /** batch time */
  time: number;
  p50: number;
  p99: number;
}

export interface StreamingAppInfo {
  app: string;
  batchInterval: number;
  /** most recent last */
  batches: BatchUIData[];
  /** end-to-end latency samples (record appended → processed), ms, most recent last */
  latency?: LatencySample[];
}

export interface GroupInfo {
  group: string;
  state: string;
  members: number;
  partitions: { topic: string; partition: number; committed: number | null; logEnd: number; lag: number | null }[];
}

export interface OutputInfo {
  title: string;
  /** when the output was produced (ms) */
  time: number;
  lines: string[];
}

export interface DashboardSources {
  /** the part of the pipeline that holds topics (embedded or remote) */
  topics?: TopicsPort;
  /** topics hidden from the Topics view (internal ones) */
  hideTopic?: (name: string) => boolean;
  /** on-disk size per partition when known (embedded) */
  partitionSize?: (topic: string, partition: number) => number | undefined;
  groups?: () => Promise<GroupInfo[]>;
  streaming?: () => StreamingAppInfo[];
  /** Flume's monitoring JSON: {"SOURCE.r1": {...}, ...} per agent name */
  agents?: () => Record<string, Record<string, Record<string, string>>>;
  output?: () => OutputInfo | null;
  /** a one-line description of what runs, for the header */
  title?: string;
}
