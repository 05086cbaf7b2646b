/**
 * Flume's monitoring counters (org.apache.flume.instrumentation.*Counter), with
 * Flume's names, so `http` monitoring JSON looks like Flume's:
 *   {"SOURCE.r1": {"Type": "SOURCE", "EventReceivedCount": "10", ...}, "CHANNEL.c1": {...}}
 * Every counter group also feeds the shared Prometheus registry as
 * `millrace_agent_<snake_name>{agent, component, type}`.
 */
import { gauge } from "../metrics/registry.js";

export type CounterType = "SOURCE" | "CHANNEL" | "SINK" | "SINK_PROCESSOR" | "INTERCEPTOR";

const SOURCE_KEYS = [
  "EventReceivedCount",
  "EventAcceptedCount",
  "AppendReceivedCount",
  "AppendAcceptedCount",
  "AppendBatchReceivedCount",
  "AppendBatchAcceptedCount",
  "OpenConnectionCount",
  "EventReadFail",
  "ChannelWriteFail",
  "GenericProcessingFail",
] as const;

const CHANNEL_KEYS = [
  "ChannelSize",
  "ChannelCapacity",
  "EventPutAttemptCount",
  "EventPutSuccessCount",
  "EventTakeAttemptCount",
  "EventTakeSuccessCount",
  "ChannelFillPercentage",
  "RollbackCounter",
] as const;

const SINK_KEYS = [
  "ConnectionCreatedCount",
  "ConnectionClosedCount",
  "ConnectionFailedCount",
  "BatchEmptyCount",
  "BatchUnderflowCount",
  "BatchCompleteCount",
  "EventDrainAttemptCount",
  "EventDrainSuccessCount",
  "EventWriteFail",
  "ChannelReadFail",
] as const;

export type SourceCounterKey = (typeof SOURCE_KEYS)[number];
export type ChannelCounterKey = (typeof CHANNEL_KEYS)[number];
export type SinkCounterKey = (typeof SINK_KEYS)[number];

function snake(s: string): string {
  return s.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/** Every live counter group, for the monitoring JSON and Prometheus. */
const live = new Set<CounterGroup<string>>();

export class CounterGroup<K extends string> {
  readonly values = new Map<string, number>();
  startTime = 0;
  stopTime = 0;
  constructor(
    readonly type: CounterType,
    readonly agent: string,
    readonly name: string,
    keys: readonly K[],
  ) {
    for (const k of keys) this.values.set(k, 0);
  }
  inc(key: K, by = 1): number {
    const v = (this.values.get(key) ?? 0) + by;
    this.values.set(key, v);
    return v;
  }
  set(key: K, v: number): void {
    this.values.set(key, v);
  }
  get(key: K): number {
    return this.values.get(key) ?? 0;
  }
  /** call from start(): makes the group visible and stamps StartTime */
  register(): this {
    this.startTime = Date.now();
    this.stopTime = 0;
    live.add(this as CounterGroup<string>);
    return this;
  }
  /** call from stop(): stamps StopTime and hides the group */
  unregister(): void {
    this.stopTime = Date.now();
    live.delete(this as CounterGroup<string>);
  }
  /** Flume's JSON shape: every value a string */
  toJSON(): Record<string, string> {
    const out: Record<string, string> = { Type: this.type };
    for (const [k, v] of this.values) out[k] = String(v);
    out.StartTime = String(this.startTime);
    out.StopTime = String(this.stopTime);
    return out;
  }
}

export class SourceCounter extends CounterGroup<SourceCounterKey> {
  constructor(agent: string, name: string) {
    super("SOURCE", agent, name, SOURCE_KEYS);
  }
}

export class ChannelCounter extends CounterGroup<ChannelCounterKey> {
  constructor(agent: string, name: string) {
    super("CHANNEL", agent, name, CHANNEL_KEYS);
  }
  /** updates ChannelSize, ChannelCapacity and ChannelFillPercentage together */
  setSize(size: number, capacity: number | undefined): void {
    this.set("ChannelSize", size);
    if (capacity !== undefined && capacity > 0) {
      this.set("ChannelCapacity", capacity);
      this.set("ChannelFillPercentage", (size * 100) / capacity);
    }
  }
}

export class SinkCounter extends CounterGroup<SinkCounterKey> {
  constructor(agent: string, name: string) {
    super("SINK", agent, name, SINK_KEYS);
  }
}

/** Flume's http monitoring document: {"TYPE.name": {...}} for every live group. */
export function monitoringSnapshot(agent?: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const g of live) if (agent === undefined || g.agent === agent) out[`${g.type}.${g.name}`] = g.toJSON();
  return out;
}

// Prometheus: one gauge per counter name, read from the live groups at scrape time.
for (const [type, keys] of [
  ["SOURCE", SOURCE_KEYS],
  ["CHANNEL", CHANNEL_KEYS],
  ["SINK", SINK_KEYS],
] as const) {
  for (const key of keys) {
    const metric = `millrace_agent_${type.toLowerCase()}_${snake(key)}`;
    gauge(metric, `Flume ${type.toLowerCase()} counter ${key}`, ["agent", "component"], function () {
      this.reset();
      for (const g of live)
        if (g.type === type) this.set({ agent: g.agent, component: g.name }, g.values.get(key) ?? 0);
    });
  }
}
