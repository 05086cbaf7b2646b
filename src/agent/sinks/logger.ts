/**
 * Flume's logger sink: logs each event at INFO as
 * `Event: { headers:{k=v} body: 48 65 6C 6C 6F  Hello }` with at most
 * maxBytesToLog (16) body bytes shown in hex and as text. batchSize (100).
 */
import type { Logger } from "pino";
import type { ComponentEnv, Context, Event } from "../api.js";
import { BatchSink } from "./base.js";

/** Flume's EventHelper.dumpEvent: hex of the first bytes, then the printable text. */
export function dumpEvent(e: Event, maxBytes = 16): string {
  const headers = `{${Object.entries(e.headers)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ")}}`;
  const n = Math.min(maxBytes, e.body.length);
  let body = "";
  if (n > 0) {
    const slice = e.body.subarray(0, n);
    const hex = [...slice].map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join(" ");
    const text = [...slice].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    body = `${hex.padEnd(16 * 3 - 1)} ${text}`;
  }
  return `Event: { headers:${headers} body: ${body} }`;
}

export class LoggerSink extends BatchSink {
  constructor(
    name: string,
    agent: string,
    batch: number,
    readonly maxBytesToLog: number,
    private readonly log: Logger,
  ) {
    super(name, agent, batch);
  }
  static fromContext(name: string, ctx: Context, env: ComponentEnv): LoggerSink {
    const max = ctx.getInteger("maxBytesToLog", 16);
    if (max < 0) throw ctx.error("maxBytesToLog", "must not be negative");
    const b = ctx.getInteger("batchSize", 100);
    if (b <= 0) throw ctx.error("batchSize", "must be positive");
    return new LoggerSink(name, env.agentName, b, max, env.logger.child({ sink: name }));
  }
  protected deliver(events: Event[]): void {
    for (const e of events) this.log.info(dumpEvent(e, this.maxBytesToLog));
  }
}
