/**
 * The synthetic tweet generator as a source, for demos and benchmarks.
 *
 *   eventsPerSecond   0 = as fast as the channel takes them (default 100)
 *   seed              same seed, same tweets (default 1)
 *   totalEvents       stop after this many (0 = never; default 0)
 *   batchSize         events per channel transaction (default 100)
 *   startTime         simulated clock start (ISO date or epoch ms; default now)
 *   simulatedEventsPerSecond   how fast simulated time runs when
 *                     eventsPerSecond = 0 (default 50)
 *
 * The simulated time of event i is startTime + i / rate, so the stream depends
 * only on the seed and the keys, never on how fast the machine is.
 */
import { TweetGenerator } from "../../social/generator.js";
import type { ComponentEnv, Context } from "../api.js";
import { StreamSource } from "./base.js";
import { systemClock, type Clock } from "./clock.js";
import { type BatchDelivery, DeliveryClosedError } from "./delivery.js";

/**
 * What the source draws tweets from: the next tweet at a simulated time (TweetGenerator is one;
 * tests pass their own).
 */
export interface TweetSupplier {
  next(nowMs: number): object;
}

export interface TweetSupplierOptions {
  seed: number;
  startTime: number;
}

/** Makes the source's supplier: by default src/social/generator.ts's TweetGenerator; tests may swap it. */
export const tweetSuppliers: { create?: (opts: TweetSupplierOptions) => TweetSupplier } = {
  create: (opts) => new TweetGenerator({ seed: opts.seed }),
};

export interface TweetsConfig {
  eventsPerSecond: number;
  seed: number;
  totalEvents: number;
  batchSize: number;
  startTime: number;
  simulatedEventsPerSecond: number;
}

export class TweetsSource extends StreamSource {
  private readonly delivery: BatchDelivery;
  readonly stats = { generated: 0, finished: false };

  constructor(
    name: string,
    readonly config: TweetsConfig,
    env: ComponentEnv,
    private readonly generator: TweetSupplier,
    private readonly clock: Clock = systemClock,
  ) {
    super(name, env);
    this.delivery = this.newDelivery({
      maxBatchSize: config.batchSize,
      maxBatchDurationMs: 1000,
    });
  }

  protected async closeDelivery(): Promise<void> {
    await this.delivery.close();
  }

  protected async run(): Promise<void> {
    const { eventsPerSecond, totalEvents, startTime } = this.config;
    const simRate = eventsPerSecond > 0 ? eventsPerSecond : this.config.simulatedEventsPerSecond;
    const wallStart = this.clock.now();
    try {
      for (let i = 0; totalEvents === 0 || i < totalEvents; i++) {
        if (this.stopping) return;
        if (eventsPerSecond > 0) {
          const wait = wallStart + (i * 1000) / eventsPerSecond - this.clock.now();
          if (wait > 0) {
            await this.delivery.flush();
            if (!(await this.clock.sleep(wait, this.abort.signal))) return;
          }
        } else if (i % 1000 === 999) {
          await new Promise((r) => setImmediate(r)); // let timers and I/O run
        }
        const sim = Math.floor(startTime + (i * 1000) / simRate);
        const tweet = this.generator.next(sim) as { id?: unknown; data?: { id?: unknown } };
        const id =
          typeof tweet.data?.id === "string" ? tweet.data.id : typeof tweet.id === "string" ? tweet.id : undefined;
        const headers: Record<string, string> = { timestamp: String(sim) };
        if (id !== undefined) headers.id = id;
        this.stats.generated++;
        await this.delivery.add({ headers, body: Buffer.from(JSON.stringify(tweet), "utf8") });
      }
      await this.delivery.flush();
      this.stats.finished = true;
      this.logger.info({ events: this.stats.generated }, "synthetic tweets finished");
    } catch (err) {
      if (!(err instanceof DeliveryClosedError)) throw err;
    }
  }
}

export function tweetsConfig(ctx: Context): TweetsConfig {
  const nonNegative = (key: string, def: number) => {
    const v = ctx.getNumber(key, def);
    if (v < 0) throw ctx.error(key, `must be >= 0, got ${v}`);
    return v;
  };
  const startStr = ctx.getString("startTime");
  let startTime = Date.now();
  if (startStr) {
    const t = /^\d+$/.test(startStr) ? Number(startStr) : Date.parse(startStr);
    if (!Number.isFinite(t))
      throw ctx.error("startTime", `must be an ISO date or epoch milliseconds, got "${startStr}"`);
    startTime = t;
  }
  const batchSize = ctx.getInteger("batchSize", 100);
  if (batchSize <= 0) throw ctx.error("batchSize", `must be > 0, got ${batchSize}`);
  const sim = ctx.getNumber("simulatedEventsPerSecond", 50);
  if (sim <= 0) throw ctx.error("simulatedEventsPerSecond", `must be > 0, got ${sim}`);
  return {
    eventsPerSecond: nonNegative("eventsPerSecond", 100),
    seed: ctx.getInteger("seed", 1),
    totalEvents: Math.floor(nonNegative("totalEvents", 0)),
    batchSize,
    startTime,
    simulatedEventsPerSecond: sim,
  };
}

export function createTweetsSource(
  name: string,
  ctx: Context,
  env: ComponentEnv,
  generator?: TweetSupplier,
  clock?: Clock,
): TweetsSource {
  const config = tweetsConfig(ctx);
  let gen = generator;
  if (!gen) {
    if (!tweetSuppliers.create)
      throw ctx.error(
        "type",
        "= tweets is not available yet in this build (the synthetic generator, src/social/generator.ts, is not wired)",
      );
    gen = tweetSuppliers.create({ seed: config.seed, startTime: config.startTime });
  }
  return new TweetsSource(name, config, env, gen, clock);
}
