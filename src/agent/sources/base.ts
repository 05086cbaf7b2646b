/**
 * The shape every stream source here shares: Flume counters, a channel
 * processor set by the runtime, a background run loop started by start() and
 * ended by stop() (which aborts the connection, then delivers or logs what is
 * still gathered).
 */
import type { Server } from "node:net";
import type { Logger } from "pino";
import type { ChannelProcessor, ComponentEnv, Context, EventDrivenSource } from "../api.js";
import { SourceCounter } from "../counters.js";
import type { DeadLetter } from "./connectors/dead-letter.js";
import { BatchDelivery, type DeliveryOptions } from "./delivery.js";

export abstract class StreamSource implements EventDrivenSource {
  readonly kind = "event-driven" as const;
  readonly counter: SourceCounter;
  protected cp: ChannelProcessor | undefined;
  protected readonly logger: Logger;
  protected abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    readonly name: string,
    protected readonly env: ComponentEnv,
  ) {
    this.counter = new SourceCounter(env.agentName, name);
    this.logger = env.logger.child({ source: name });
  }

  setChannelProcessor(cp: ChannelProcessor): void {
    this.cp = cp;
  }

  get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  start(): void {
    if (this.loop) return;
    if (!this.cp) throw new Error(`source ${this.name} started without a channel processor`);
    this.abort = new AbortController();
    this.counter.register();
    this.loop = this.run().catch((err) => {
      this.logger.error({ err }, "source stopped by an unexpected error");
    });
  }

  async stop(): Promise<void> {
    if (!this.loop) return;
    this.abort.abort();
    // closing the delivery wakes a reader blocked on a full channel
    const closing = this.closeDelivery();
    await this.loop;
    this.loop = undefined;
    await closing;
    this.counter.set("OpenConnectionCount", 0);
    this.counter.unregister();
  }

  /** The source's BatchDelivery (its name, counters, logger, channel processor) with the batch settings it read. */
  protected newDelivery<M = undefined>(
    opts: Omit<DeliveryOptions<M>, "name" | "counter" | "logger" | "processor">,
  ): BatchDelivery<M> {
    return new BatchDelivery<M>({
      name: this.name,
      counter: this.counter,
      logger: this.logger,
      processor: () => this.cp,
      ...opts,
    });
  }

  /** the background loop; must return soon after `this.abort` fires */
  protected abstract run(): Promise<void>;
  protected abstract closeDelivery(): Promise<void>;
}

/**
 * A stream source with a dead-letter store: stop() closes its delivery, then
 * waits until the store has written what it was given.
 */
export abstract class DeadLetterSource<M = undefined> extends StreamSource {
  protected abstract readonly delivery: BatchDelivery<M>;
  protected abstract readonly dead: DeadLetter;

  get deadLetters(): DeadLetter {
    return this.dead;
  }

  protected async closeDelivery(): Promise<void> {
    await this.delivery.close();
    await this.dead.flushed();
  }
}

/** A listening source's `port` (netcat, netcatudp, http): required, 0-65535 (0 picks a free one). */
export function readListenPort(ctx: Context): number {
  const port = ctx.getInteger("port");
  if (port === undefined) throw ctx.error("port", "is required");
  if (port < 0 || port > 65535) throw ctx.error("port", "must be between 0 and 65535");
  return port;
}

/**
 * A listening source's server on bind:port; resolves with the bound port. The
 * "error" listener stays after listening, so a later server error is ignored.
 */
export async function listenOn(server: Server, port: number, bind: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, bind, () => resolve());
  });
  return (server.address() as { port: number }).port;
}
