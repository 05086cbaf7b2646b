/**
 * Flume's ChannelProcessor: interceptor chain, then the selector, then one
 * transaction per channel. A failure on a required channel rolls that channel
 * back and is thrown to the source (ChannelFullError stays a ChannelFullError,
 * so http answers 503); a failure on an optional channel is logged only.
 * Channels are written one after the other, as Flume does: when a later
 * required channel fails, the earlier ones keep their copy. A batch larger
 * than a channel's transactionCapacity is split (logged "transaction too
 * large"), never refused forever.
 */
import type { Logger } from "pino";
import {
  AgentError,
  ChannelError,
  type Channel,
  type ChannelProcessor,
  type ChannelSelector,
  type Event,
  type Interceptor,
  TransactionTooLargeError,
} from "../api.js";

export class InterceptorChain {
  constructor(readonly interceptors: Interceptor[] = []) {}
  async initialize(): Promise<void> {
    for (const i of this.interceptors) await i.initialize?.();
  }
  async close(): Promise<void> {
    for (const i of this.interceptors) await i.close?.();
  }
  intercept(e: Event): Event | null {
    let cur: Event | null = e;
    for (const i of this.interceptors) {
      cur = i.intercept(cur);
      if (cur === null) return null;
    }
    return cur;
  }
  interceptAll(events: Event[]): Event[] {
    if (this.interceptors.length === 0) return events;
    const out: Event[] = [];
    for (const e of events) {
      const r = this.intercept(e);
      if (r !== null) out.push(r);
    }
    return out;
  }
}

async function putOnce(channel: Channel, events: Event[]): Promise<void> {
  const tx = channel.getTransaction();
  tx.begin();
  try {
    for (const e of events) await tx.put(e);
    await tx.commit();
  } catch (err) {
    try {
      await tx.rollback();
    } catch {
      /* the original error matters */
    }
    if (err instanceof AgentError) throw err;
    throw new ChannelError(
      "MR_AGENT_CHANNEL",
      `unable to put a batch on channel ${channel.name}: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    tx.close();
  }
}

/**
 * One transaction for the batch; a batch larger than the channel's
 * transactionCapacity (TransactionTooLargeError: the same put would fail
 * forever) is split into transactions of that many events instead.
 */
async function putAll(channel: Channel, events: Event[], logger?: Logger): Promise<void> {
  try {
    await putOnce(channel, events);
  } catch (err) {
    if (!(err instanceof TransactionTooLargeError) || events.length <= 1) throw err;
    const size = Math.max(1, Math.min(err.capacity, events.length - 1));
    logger?.warn(
      { channel: channel.name, events: events.length, transactionCapacity: err.capacity },
      `transaction too large for channel ${channel.name}: ${events.length} events > ` +
        `transactionCapacity ${err.capacity}; ` +
        `split into ${Math.ceil(events.length / size)} transactions`,
    );
    for (let i = 0; i < events.length; i += size) await putAll(channel, events.slice(i, i + size), logger);
  }
}

export class DefaultChannelProcessor implements ChannelProcessor {
  readonly chain: InterceptorChain;
  constructor(
    readonly selector: ChannelSelector,
    interceptors: Interceptor[] | InterceptorChain = [],
    private readonly logger?: Logger,
  ) {
    this.chain = interceptors instanceof InterceptorChain ? interceptors : new InterceptorChain(interceptors);
  }

  async initialize(): Promise<void> {
    await this.chain.initialize();
  }
  async close(): Promise<void> {
    await this.chain.close();
  }

  async processEventBatch(batch: Event[]): Promise<void> {
    const events = this.chain.interceptAll(batch);
    const required = new Map<Channel, Event[]>();
    const optional = new Map<Channel, Event[]>();
    for (const e of events) {
      for (const c of this.selector.getRequiredChannels(e)) {
        let l = required.get(c);
        if (!l) required.set(c, (l = []));
        l.push(e);
      }
      for (const c of this.selector.getOptionalChannels(e)) {
        let l = optional.get(c);
        if (!l) optional.set(c, (l = []));
        l.push(e);
      }
    }
    for (const [c, list] of required) await putAll(c, list, this.logger);
    for (const [c, list] of optional) {
      try {
        await putAll(c, list, this.logger);
      } catch (err) {
        this.logger?.warn({ err, channel: c.name }, "unable to put a batch on an optional channel; ignored");
      }
    }
  }

  async processEvent(e: Event): Promise<void> {
    const ev = this.chain.intercept(e);
    if (ev === null) return;
    for (const c of this.selector.getRequiredChannels(ev)) await putAll(c, [ev]);
    for (const c of this.selector.getOptionalChannels(ev)) {
      try {
        await putAll(c, [ev]);
      } catch (err) {
        this.logger?.warn({ err, channel: c.name }, "unable to put an event on an optional channel; ignored");
      }
    }
  }
}
