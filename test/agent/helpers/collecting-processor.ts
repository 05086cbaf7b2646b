/**
 * A minimal ChannelProcessor for source tests: keeps every event it accepts,
 * and refuses puts with ChannelFullError while `full` is set or when a batch
 * would exceed `capacity` (call `drain()` to make room).
 */
import { ChannelFullError, type ChannelProcessor, type Event } from "../../../src/agent/api.js";

export class CollectingProcessor implements ChannelProcessor {
  events: Event[] = [];
  batches: Event[][] = [];
  /** events taken out by drain() (still counted as delivered) */
  drained = 0;
  full = false;
  capacity: number | undefined;
  rejections = 0;

  async processEvent(e: Event): Promise<void> {
    return this.processEventBatch([e]);
  }

  async processEventBatch(batch: Event[]): Promise<void> {
    if (this.full || (this.capacity !== undefined && this.events.length + batch.length > this.capacity)) {
      this.rejections++;
      throw new ChannelFullError("test", `${this.events.length} events held`);
    }
    this.events.push(...batch);
    this.batches.push(batch);
  }

  /** removes every held event (as a sink would), returning them */
  drain(): Event[] {
    const out = this.events;
    this.events = [];
    this.drained += out.length;
    return out;
  }

  bodies(): string[] {
    return this.events.map((e) => e.body.toString("utf8"));
  }
}

export { waitFor } from "./channel.js";
