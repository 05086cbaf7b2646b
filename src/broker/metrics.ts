/**
 * The broker's Prometheus series (millrace_broker_*), in the shared registry.
 * Per-partition figures are read from the log at scrape time (no cost on the
 * hot path); requests are counted as they are dispatched.
 */
import { counter, gauge, histogram } from "../metrics/registry.js";
import type { LogManager } from "../log/index.js";

interface Observed {
  log: LogManager;
  connections(): number;
}

const brokers = new Set<Observed>();

export const requestsTotal = counter("millrace_broker_requests_total", "Kafka protocol requests handled, by API", [
  "api",
]);
export const requestErrorsTotal = counter(
  "millrace_broker_request_errors_total",
  "Requests refused as malformed or unsupported (connection closed)",
  ["api"],
);
export const requestSeconds = histogram(
  "millrace_broker_request_duration_seconds",
  "Time from a request's arrival to its response being queued, by API",
  ["api"],
  [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
);

gauge("millrace_broker_connections", "Open client connections", [], function () {
  let n = 0;
  for (const b of brokers) n += b.connections();
  this.set(n);
});

gauge("millrace_broker_topics", "Topics in the log (internal ones included)", [], function () {
  let n = 0;
  for (const b of brokers) n += b.log.topics().length;
  this.set(n);
});

function perPartition(
  name: string,
  help: string,
  read: (p: NonNullable<ReturnType<LogManager["partition"]>>) => number,
): void {
  gauge(name, help, ["topic", "partition"], function () {
    this.reset();
    for (const b of brokers)
      for (const t of b.log.topics())
        for (let i = 0; i < t.partitions.length; i++) {
          const p = b.log.partition(t.name, i);
          if (p) this.set({ topic: t.name, partition: String(i) }, read(p));
        }
  });
}

perPartition("millrace_broker_log_end_offset", "Next offset to be written, per partition", (p) =>
  Number(p.logEndOffset),
);
perPartition("millrace_broker_log_start_offset", "First offset still in the log, per partition", (p) =>
  Number(p.logStartOffset),
);
perPartition("millrace_broker_high_watermark", "Offset up to which records are visible to consumers", (p) =>
  Number(p.highWatermark),
);
perPartition("millrace_broker_log_size_bytes", "Bytes in the partition's segments", (p) => p.size());

export function observeBroker(b: Observed): () => void {
  brokers.add(b);
  return () => brokers.delete(b);
}
