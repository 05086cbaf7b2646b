/** Flume's null sink: takes batches (batchSize, default 100) and discards them. */
import type { ComponentEnv, Context, Event } from "../api.js";
import { BatchSink } from "./base.js";

export class NullSink extends BatchSink {
  static fromContext(name: string, ctx: Context, env: ComponentEnv): NullSink {
    const b = ctx.getInteger("batchSize", 100);
    if (b <= 0) throw ctx.error("batchSize", "must be positive");
    return new NullSink(name, env.agentName, b);
  }
  protected deliver(_events: Event[]): void {}
}
