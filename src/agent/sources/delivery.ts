/**
 * Batching and backpressure shared by the stream sources.
 *
 * Events are gathered into a batch and handed to the ChannelProcessor when the
 * batch reaches `maxBatchSize` or its oldest event is `maxBatchDurationMs` old.
 * While a batch is being delivered, `add()` does not return, so the reader that
 * awaits it stops consuming its socket (TCP backpressure). When the channel is
 * full (ChannelFullError) the same batch is retried after a growing pause,
 * never dropped. `onCommitted` runs after each successful hand-off (sources
 * persist their resume position there).
 */
import type { Logger } from "pino";
import { AgentError, ChannelFullError, type ChannelProcessor, type Context, type Event } from "../api.js";
import type { SourceCounter } from "../counters.js";
import { DeadLetter } from "./connectors/dead-letter.js";
import { sleep } from "./connectors/backoff.js";
import { putCounted } from "./put.js";
import { counter } from "../../metrics/registry.js";

export class DeliveryClosedError extends AgentError {
  constructor(name: string) {
    super("MR_AGENT_SOURCE_STOPPED", `source ${name} is stopping`);
  }
}

export interface DeliveryOptions<M> {
  name: string;
  counter: SourceCounter;
  logger: Logger;
  processor: () => ChannelProcessor | undefined;
  maxBatchSize: number;
  maxBatchDurationMs: number;
  /** first pause after a full channel; doubles up to channelFullMaxBackoffMs */
  channelFullBackoffMs?: number;
  channelFullMaxBackoffMs?: number;
  onCommitted?: (events: Event[], meta: M[]) => void | Promise<void>;
  /** turns a gathered batch into the events put (e.g. one Avro container per batch); runs once per batch */
  transform?: (events: Event[]) => Event[];
}

export class BatchDelivery<M = undefined> {
  private events: Event[] = [];
  private meta: M[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  /** true while a batch waits for room in the channel */
  waitingForChannel = false;

  constructor(private readonly opts: DeliveryOptions<M>) {}

  get pending(): number {
    return this.events.length;
  }
  /** true while a batch is being handed to the channel */
  get busy(): boolean {
    return this.inflight !== undefined;
  }

  /** waits for the batch under way; after close() its failure is a DeliveryClosedError */
  private async idle(): Promise<void> {
    while (this.inflight) {
      try {
        await this.inflight;
      } catch (err) {
        if (this.closed) throw new DeliveryClosedError(this.opts.name);
        throw err;
      }
    }
  }

  async add(event: Event, meta?: M): Promise<void> {
    await this.idle();
    if (this.closed) throw new DeliveryClosedError(this.opts.name);
    this.events.push(event);
    this.meta.push(meta as M);
    if (this.events.length >= this.opts.maxBatchSize) await this.flush();
    else if (this.timer === undefined)
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush().catch((err) => {
          if (!this.closed) this.opts.logger.error({ err, source: this.opts.name }, "timed batch hand-off failed");
        });
      }, this.opts.maxBatchDurationMs);
  }

  /** hands the current batch over (waits for one already under way first) */
  async flush(): Promise<void> {
    await this.idle();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.events.length === 0) return;
    const events = this.events;
    const meta = this.meta;
    this.events = [];
    this.meta = [];
    this.inflight = this.deliver(events, meta).finally(() => {
      this.inflight = undefined;
    });
    return this.idle();
  }

  private async deliver(events: Event[], meta: M[]): Promise<void> {
    const c = this.opts.counter;
    const put = this.opts.transform ? this.opts.transform(events) : events;
    let wait = this.opts.channelFullBackoffMs ?? 100;
    const maxWait = this.opts.channelFullMaxBackoffMs ?? 5000;
    let warned = false;
    for (let attempt = 0; ; attempt++) {
      const cp = this.opts.processor();
      if (!cp) throw new Error(`source ${this.opts.name} has no channel processor`);
      try {
        // the batch is received once, however often it is retried
        await putCounted(c, cp, put, { count: events.length, received: attempt === 0 });
        break;
      } catch (err) {
        if (this.closed) {
          this.opts.logger.error(
            { err, source: this.opts.name, events: events.length },
            "source stopped while its batch could not be delivered",
          );
          throw err;
        }
        if (!(err instanceof ChannelFullError)) {
          c.inc("GenericProcessingFail");
          this.opts.logger.error({ err, source: this.opts.name }, "channel put failed; retrying the same batch");
        } else if (!warned) {
          warned = true;
          this.opts.logger.warn(
            { source: this.opts.name, events: events.length },
            "channel full: reading paused, retrying the same batch",
          );
        }
        this.waitingForChannel = true;
        await sleep(wait, this.abort.signal);
        wait = Math.min(wait * 2, maxWait);
      }
    }
    this.waitingForChannel = false;
    if (this.opts.onCommitted) await this.opts.onCommitted(events, meta);
  }

  /**
   * Stops: a batch waiting for room gets one more attempt, then whatever is
   * gathered gets one attempt; what still cannot be delivered is logged.
   */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.closed = true;
    this.abort.abort();
    while (this.inflight) await this.inflight.catch(() => {});
    if (this.events.length > 0) await this.flush().catch(() => {});
  }
}

/** The dead-letter keys every source reads: deadLetter.file. */
export function deadLetterFromConfig(
  name: string,
  ctx: Context,
  logger: Logger,
  counterRef: () => SourceCounter,
): DeadLetter {
  const file = ctx.getString("deadLetter.file");
  return new DeadLetter({
    source: name,
    logger,
    file: file === "" ? undefined : file,
    onDeadLetter: () => counterRef().inc("EventReadFail"),
  });
}

const reconnects = counter("millrace_agent_source_reconnects_total", "Stream source reconnects, by failure kind", [
  "agent",
  "component",
  "kind",
]);
const gapSeconds = counter(
  "millrace_agent_source_gap_seconds_total",
  "Seconds stream sources spent disconnected (possible data gaps)",
  ["agent", "component"],
);

/**
 * Tracks disconnections so none goes unreported: `down()` when a stream fails,
 * `up()` when a new one is open; up() logs the gap (how long, why) as a warning.
 */
export class GapTracker {
  private downSince: number | undefined;
  private reason = "";
  gaps = 0;
  totalGapMs = 0;
  constructor(
    private readonly agent: string,
    private readonly name: string,
    private readonly logger: Logger,
    /** what a gap means for this source, in the log line */
    private readonly note: string,
  ) {}
  down(kind: string, reason: string): void {
    reconnects.inc({ agent: this.agent, component: this.name, kind });
    if (this.downSince === undefined) {
      this.downSince = Date.now();
      this.reason = reason;
    }
  }
  up(extra: Record<string, unknown> = {}): void {
    if (this.downSince === undefined) return;
    const ms = Date.now() - this.downSince;
    this.gaps++;
    this.totalGapMs += ms;
    gapSeconds.inc({ agent: this.agent, component: this.name }, ms / 1000);
    this.logger.warn(
      { source: this.name, gapMs: ms, since: new Date(this.downSince).toISOString(), reason: this.reason, ...extra },
      `stream reconnected after ${ms} ms: ${this.note}`,
    );
    this.downSince = undefined;
  }
}
