/**
 * The metrics registry every part shares. Parts register their series here with
 * prom-client; the dashboard's /metrics serves `registry.metrics()`.
 *
 * Names are prefixed by part: `millrace_broker_`, `millrace_agent_`,
 * `millrace_streaming_`. Labels are consistent across parts: topic, partition,
 * component, app, agent.
 *
 * Several brokers, agents or apps may live in one process (tests do this), so
 * series are created with `counter()/gauge()/histogram()` below, which return the
 * existing metric when the name is already registered instead of throwing.
 */
import client from "prom-client";

export const registry = new client.Registry();

let processMetricsOn = false;
/** Adds Node's process metrics (cpu, memory, event loop lag, ...) once. */
export function enableProcessMetrics(): void {
  if (processMetricsOn) return;
  processMetricsOn = true;
  client.collectDefaultMetrics({ register: registry, prefix: "millrace_" });
}

export function counter<T extends string>(
  name: string,
  help: string,
  labelNames: readonly T[] = [],
): client.Counter<T> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as client.Counter<T>;
  return new client.Counter<T>({ name, help, labelNames: labelNames as T[], registers: [registry] });
}

export function gauge<T extends string>(
  name: string,
  help: string,
  labelNames: readonly T[] = [],
  collect?: (this: client.Gauge<T>) => void | Promise<void>,
): client.Gauge<T> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as client.Gauge<T>;
  return new client.Gauge<T>({
    name,
    help,
    labelNames: labelNames as T[],
    registers: [registry],
    ...(collect ? { collect } : {}),
  });
}

export function histogram<T extends string>(
  name: string,
  help: string,
  labelNames: readonly T[] = [],
  buckets?: number[],
): client.Histogram<T> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as client.Histogram<T>;
  return new client.Histogram<T>({
    name,
    help,
    labelNames: labelNames as T[],
    registers: [registry],
    ...(buckets ? { buckets } : {}),
  });
}

/** Prometheus text exposition of every registered series. */
export async function exposition(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
