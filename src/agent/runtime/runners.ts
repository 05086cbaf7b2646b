/**
 * Source and sink runners (Flume's SourceRunner / SinkRunner).
 *
 * An event-driven source is started and stopped; a pollable source is called in
 * a loop, sleeping min(backoffs * backoffSleepIncrement, maxBackoffSleep) after
 * each BACKOFF. A sink runner calls its sink processor the same way and sleeps
 * maxBackoffSleep after a failure. Stopping waits for the call in flight, so a
 * transaction in progress is committed or rolled back before components stop.
 */
import type { Logger } from "pino";
import type { PollableSource, Sink, SinkProcessor, Source, Status } from "../api.js";
import type { DefaultChannelProcessor } from "./channel-processor.js";

/** A sleep that stop() can cut short. */
class Sleeper {
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
  interrupt(): void {
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    this.wake = null;
  }
}

export interface BackoffOptions {
  backoffSleepIncrement?: number;
  maxBackoffSleep?: number;
}

export class SourceRunner {
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly sleeper = new Sleeper();
  constructor(
    readonly source: Source,
    readonly processor: DefaultChannelProcessor,
    private readonly logger: Logger,
    private readonly backoff: BackoffOptions = {},
  ) {}

  async start(): Promise<void> {
    await this.processor.initialize();
    this.source.setChannelProcessor(this.processor);
    await this.source.start();
    this.running = true;
    if (this.source.kind === "pollable") this.loop = this.poll(this.source);
  }

  private async poll(src: PollableSource): Promise<void> {
    const inc = src.backoffSleepIncrement?.() ?? this.backoff.backoffSleepIncrement ?? 1000;
    const max = src.maxBackoffSleepInterval?.() ?? this.backoff.maxBackoffSleep ?? 5000;
    let backoffs = 0;
    while (this.running) {
      let status: Status;
      try {
        status = await src.process();
      } catch (err) {
        this.logger.error({ err, source: src.name }, "source process failed");
        status = "BACKOFF";
      }
      if (!this.running) break;
      if (status === "BACKOFF") {
        backoffs++;
        await this.sleeper.sleep(Math.min(backoffs * inc, max));
      } else {
        backoffs = 0;
        // let I/O and timers run between batches
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.sleeper.interrupt();
    await this.loop;
    this.loop = null;
    await this.source.stop();
    await this.processor.close();
  }
}

export class SinkRunner {
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly sleeper = new Sleeper();
  constructor(
    readonly name: string,
    readonly processor: SinkProcessor & { sinks?(): Sink[] },
    private readonly logger: Logger,
    private readonly backoff: BackoffOptions = {},
  ) {}

  async start(): Promise<void> {
    await this.processor.start();
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const inc = this.backoff.backoffSleepIncrement ?? 1000;
    const max = this.backoff.maxBackoffSleep ?? 5000;
    let backoffs = 0;
    while (this.running) {
      try {
        const s = await this.processor.process();
        if (!this.running) break;
        if (s === "BACKOFF") {
          backoffs++;
          await this.sleeper.sleep(Math.min(backoffs * inc, max));
        } else {
          backoffs = 0;
          await new Promise((r) => setImmediate(r));
        }
      } catch (err) {
        this.logger.error({ err: (err as Error).message, sink: this.name }, "unable to deliver events; backing off");
        if (!this.running) break;
        await this.sleeper.sleep(max);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.sleeper.interrupt();
    await this.loop;
    this.loop = null;
    await this.processor.stop();
  }
}
