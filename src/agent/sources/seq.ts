/**
 * Flume's sequence generator source (pollable): bodies "0", "1", "2", ...
 * batchSize (1) events per channel transaction, totalEvents (unbounded) in all.
 * A batch the channel refuses is retried from the same number, so nothing is
 * skipped or repeated.
 */
import type { ChannelProcessor, ComponentEnv, Context, Event, PollableSource, Status } from "../api.js";
import { SourceCounter } from "../counters.js";
import { putCounted } from "./put.js";

export class SeqSource implements PollableSource {
  readonly kind = "pollable" as const;
  private cp!: ChannelProcessor;
  private next = 0;
  readonly counter: SourceCounter;
  constructor(
    readonly name: string,
    agent: string,
    readonly total = Number.MAX_SAFE_INTEGER,
    readonly batch = 1,
  ) {
    this.counter = new SourceCounter(agent, name);
  }
  static fromContext(name: string, ctx: Context, env: ComponentEnv): SeqSource {
    const total = ctx.getInteger("totalEvents", Number.MAX_SAFE_INTEGER);
    if (total < 0) throw ctx.error("totalEvents", "must not be negative");
    const batch = ctx.getInteger("batchSize", 1);
    if (batch <= 0) throw ctx.error("batchSize", "must be positive");
    return new SeqSource(name, env.agentName, total, batch);
  }
  setChannelProcessor(cp: ChannelProcessor): void {
    this.cp = cp;
  }
  batchSize(): number {
    return this.batch;
  }
  start(): void {
    this.counter.register();
  }
  stop(): void {
    this.counter.unregister();
  }
  async process(): Promise<Status> {
    const n = Math.min(this.batch, this.total - this.next);
    if (n <= 0) return "BACKOFF";
    const events: Event[] = [];
    for (let i = 0; i < n; i++) events.push({ headers: {}, body: Buffer.from(String(this.next + i)) });
    try {
      await putCounted(this.counter, this.cp, events, {
        call: n === 1 && this.batch === 1 ? "event" : "batch",
        append: n === 1 ? "single" : "batch",
      });
    } catch {
      return "BACKOFF";
    }
    this.next += n;
    return "READY";
  }
}
