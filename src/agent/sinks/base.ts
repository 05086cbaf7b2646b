/**
 * A base for sinks that drain their channel in batches: take up to batchSize
 * events in one transaction, hand them to deliver(), commit when it resolves,
 * roll back (the events stay in the channel, in order) when it throws.
 * Keeps Flume's sink counters.
 */
import { EventDeliveryError, type Channel, type Event, type Sink, type Status } from "../api.js";
import { SinkCounter } from "../counters.js";

export abstract class BatchSink implements Sink {
  protected channel!: Channel;
  readonly counter: SinkCounter;
  constructor(
    readonly name: string,
    agent: string,
    protected readonly batch: number,
  ) {
    this.counter = new SinkCounter(agent, name);
  }
  setChannel(channel: Channel): void {
    this.channel = channel;
  }
  batchSize(): number {
    return this.batch;
  }
  start(): void | Promise<void> {
    this.counter.register();
  }
  stop(): void | Promise<void> {
    this.counter.unregister();
  }
  /** delivers the batch to the next hop; throw to roll back */
  protected abstract deliver(events: Event[]): Promise<void> | void;

  /** how errors name this sink, e.g. "kafka sink k1" */
  protected label(): string {
    return `sink ${this.name}`;
  }

  /** called after a failed batch was rolled back (drop a connection, forget metadata, ...) */
  protected onFailure(_err: unknown): void {}

  async process(): Promise<Status> {
    if (!this.channel) throw new EventDeliveryError("MR_AGENT_SINK_NO_CHANNEL", `${this.label()} has no channel`);
    const tx = this.channel.getTransaction();
    tx.begin();
    const events: Event[] = [];
    try {
      while (events.length < this.batch) {
        const e = await tx.take();
        if (e === null) break;
        events.push(e);
      }
      if (events.length === 0) this.counter.inc("BatchEmptyCount");
      else if (events.length < this.batch) this.counter.inc("BatchUnderflowCount");
      else this.counter.inc("BatchCompleteCount");
      if (events.length > 0) {
        this.counter.inc("EventDrainAttemptCount", events.length);
        await this.deliver(events);
      }
      await tx.commit();
      this.counter.inc("EventDrainSuccessCount", events.length);
      return events.length === 0 ? "BACKOFF" : "READY";
    } catch (err) {
      this.counter.inc("EventWriteFail");
      try {
        await tx.rollback();
      } catch {
        /* keep the first error */
      }
      this.onFailure(err);
      if (err instanceof EventDeliveryError) throw err;
      throw new EventDeliveryError("MR_AGENT_SINK_DELIVERY", `${this.label()}: ${(err as Error).message}`, {
        cause: err,
      });
    } finally {
      tx.close();
    }
  }
}
