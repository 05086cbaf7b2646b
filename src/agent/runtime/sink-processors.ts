/**
 * Flume's sink processors.
 *
 * default: one sink, called directly.
 * failover: the live sink with the highest `processor.priority.<sink>` takes
 *   every batch; a sink that throws is penalised for min(maxpenalty,
 *   2^failures seconds) and retried after; when it succeeds again it is live
 *   again. Events stay in the channel (the failed sink rolled back) and the
 *   next sink takes them.
 * load_balance: `processor.selector` = round_robin (default) | random; with
 *   `processor.backoff` a failed sink is skipped for min(maxTimeOut,
 *   2^failures seconds).
 */
import {
  EventDeliveryError,
  type ComponentEnv,
  type Context,
  type Sink,
  type SinkProcessor,
  type Status,
} from "../api.js";

const FAILURE_PENALTY_MS = 1000;

async function startAll(sinks: Sink[]): Promise<void> {
  for (const s of sinks) await s.start();
}
async function stopAll(sinks: Sink[]): Promise<void> {
  for (const s of sinks) await s.stop();
}

export class DefaultSinkProcessor implements SinkProcessor {
  constructor(readonly sink: Sink) {}
  static fromContext(ctx: Context, sinks: Sink[], _env: ComponentEnv): DefaultSinkProcessor {
    if (sinks.length !== 1)
      throw ctx.error("type", `default sink processor takes exactly one sink, got ${sinks.length}`);
    return new DefaultSinkProcessor(sinks[0]);
  }
  sinks(): Sink[] {
    return [this.sink];
  }
  start(): Promise<void> | void {
    return this.sink.start();
  }
  stop(): Promise<void> | void {
    return this.sink.stop();
  }
  process(): Promise<Status> {
    return this.sink.process();
  }
}

interface Ranked {
  sink: Sink;
  priority: number;
  failures: number;
  refresh: number;
}

export class FailoverSinkProcessor implements SinkProcessor {
  private readonly all: Ranked[];
  private live: Ranked[];
  private failed: Ranked[] = [];
  private readonly logger?: import("pino").Logger;
  constructor(
    entries: { sink: Sink; priority: number }[],
    readonly maxPenaltyMs = 30000,
    logger?: import("pino").Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.all = entries.map((e) => ({ ...e, failures: 0, refresh: 0 }));
    this.live = [...this.all].sort((a, b) => b.priority - a.priority);
    this.logger = logger;
  }
  static fromContext(ctx: Context, sinks: Sink[], env: ComponentEnv): FailoverSinkProcessor {
    const pri = ctx.sub("priority");
    const entries: { sink: Sink; priority: number }[] = [];
    let next = 0;
    const seen = new Map<number, string>();
    for (const s of sinks) {
      const p = pri.getInteger(s.name) ?? --next;
      const dup = seen.get(p);
      if (dup !== undefined) throw pri.error(s.name, `priority ${p} duplicates that of sink ${dup}`);
      seen.set(p, s.name);
      entries.push({ sink: s, priority: p });
    }
    for (const k of pri.keys())
      if (!sinks.some((s) => s.name === k)) throw pri.error(k, `names sink "${k}", which is not in this group`);
    const maxPenalty = ctx.getInteger("maxpenalty", 30000);
    if (maxPenalty <= 0) throw ctx.error("maxpenalty", "must be positive");
    return new FailoverSinkProcessor(entries, maxPenalty, env.logger);
  }
  sinks(): Sink[] {
    return this.all.map((r) => r.sink);
  }
  /** the sink that takes the next batch */
  activeSink(): Sink | undefined {
    return this.live[0]?.sink;
  }
  start(): Promise<void> {
    return startAll(this.sinks());
  }
  stop(): Promise<void> {
    return stopAll(this.sinks());
  }
  private penalise(r: Ranked): void {
    r.failures++;
    r.refresh = this.now() + Math.min(this.maxPenaltyMs, 2 ** r.failures * FAILURE_PENALTY_MS);
    this.live = this.live.filter((x) => x !== r);
    if (!this.failed.includes(r)) this.failed.push(r);
  }
  private revive(r: Ranked): void {
    r.failures = 0;
    this.failed = this.failed.filter((x) => x !== r);
    if (!this.live.includes(r)) this.live = [...this.live, r].sort((a, b) => b.priority - a.priority);
  }
  async process(): Promise<Status> {
    // Retry penalised sinks whose time has come, best priority first.
    const due = this.failed.filter((r) => r.refresh <= this.now()).sort((a, b) => b.priority - a.priority);
    for (const r of due) {
      try {
        const s = await r.sink.process();
        if (s === "READY") this.revive(r);
        else r.refresh = this.now() + Math.min(this.maxPenaltyMs, 2 ** r.failures * FAILURE_PENALTY_MS);
        return s;
      } catch (err) {
        this.logger?.warn({ err: (err as Error).message, sink: r.sink.name }, "sink failed again; still penalised");
        this.penalise(r);
      }
    }
    while (this.live.length > 0) {
      const r = this.live[0];
      try {
        return await r.sink.process();
      } catch (err) {
        this.logger?.warn(
          { err: (err as Error).message, sink: r.sink.name },
          "sink failed; failing over to the next sink",
        );
        this.penalise(r);
      }
    }
    throw new EventDeliveryError(
      "MR_AGENT_ALL_SINKS_FAILED",
      "all sinks failed to process, nothing left to fail over to",
    );
  }
}

interface Backed {
  sink: Sink;
  failures: number;
  restoreAt: number;
}

export class LoadBalancingSinkProcessor implements SinkProcessor {
  private readonly entries: Backed[];
  private next = 0;
  constructor(
    sinks: Sink[],
    readonly selector: "round_robin" | "random" = "round_robin",
    readonly backoff = false,
    readonly maxTimeOutMs = 30000,
    private readonly logger?: import("pino").Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = sinks.map((sink) => ({ sink, failures: 0, restoreAt: 0 }));
  }
  static fromContext(ctx: Context, sinks: Sink[], env: ComponentEnv): LoadBalancingSinkProcessor {
    const backoff = ctx.getBoolean("backoff", false);
    const sel = ctx.getString("selector", "round_robin").toLowerCase();
    if (sel !== "round_robin" && sel !== "random")
      throw ctx.error("selector", `must be round_robin or random, got "${sel}"`);
    const maxTimeOut = ctx.getInteger("selector.maxTimeOut", 30000);
    if (maxTimeOut <= 0) throw ctx.error("selector.maxTimeOut", "must be positive");
    if (sinks.length === 0) throw ctx.error("type", "load_balance needs at least one sink");
    return new LoadBalancingSinkProcessor(sinks, sel, backoff, maxTimeOut, env.logger);
  }
  sinks(): Sink[] {
    return this.entries.map((e) => e.sink);
  }
  start(): Promise<void> {
    return startAll(this.sinks());
  }
  stop(): Promise<void> {
    return stopAll(this.sinks());
  }
  private order(): Backed[] {
    const now = this.now();
    const avail = this.entries.filter((e) => !this.backoff || e.restoreAt <= now);
    if (this.selector === "random") {
      for (let i = avail.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [avail[i], avail[j]] = [avail[j], avail[i]];
      }
      return avail;
    }
    if (avail.length === 0) return avail;
    const start = this.next % avail.length;
    this.next = (this.next + 1) % Math.max(1, this.entries.length);
    return [...avail.slice(start), ...avail.slice(0, start)];
  }
  async process(): Promise<Status> {
    for (const e of this.order()) {
      try {
        const s = await e.sink.process();
        e.failures = 0;
        e.restoreAt = 0;
        return s;
      } catch (err) {
        if (this.backoff) {
          e.failures++;
          e.restoreAt = this.now() + Math.min(this.maxTimeOutMs, 2 ** e.failures * FAILURE_PENALTY_MS);
        }
        this.logger?.warn(
          { err: (err as Error).message, sink: e.sink.name },
          "sink failed to process; trying the next one",
        );
      }
    }
    throw new EventDeliveryError("MR_AGENT_ALL_SINKS_FAILED", "all configured sinks have failed");
  }
}
