/**
 * Small test doubles: an in-memory Channel with Flume transaction semantics, and
 * a ChannelProcessor that commits batches into a list and can be told to fail
 * or to report a full channel. The real ones live in src/agent (runtime).
 */
import {
  ChannelError,
  ChannelFullError,
  type Channel,
  type ChannelProcessor,
  type Event,
  type Transaction,
} from "../../../src/agent/api.js";

export class ListChannel implements Channel {
  readonly queue: Event[] = [];
  commits = 0;
  rollbacks = 0;
  /** when set, take() throws this */
  failTakes: Error | null = null;
  constructor(readonly name = "c1") {}
  start(): void {}
  stop(): void {}
  size(): number {
    return this.queue.length;
  }
  capacity(): number | undefined {
    return undefined;
  }
  getTransaction(): Transaction {
    const ch = this;
    let puts: Event[] = [];
    let takes: Event[] = [];
    return {
      begin() {},
      async put(e) {
        puts.push(e);
      },
      async take() {
        if (ch.failTakes) throw ch.failTakes;
        const e = ch.queue.shift();
        if (e) takes.push(e);
        return e ?? null;
      },
      async commit() {
        ch.queue.push(...puts);
        puts = [];
        takes = [];
        ch.commits++;
      },
      async rollback() {
        ch.queue.unshift(...takes);
        puts = [];
        takes = [];
        ch.rollbacks++;
      },
      close() {},
    };
  }
  /** puts events in one committed transaction */
  async putAll(events: Event[]): Promise<void> {
    const tx = this.getTransaction();
    tx.begin();
    for (const e of events) await tx.put(e);
    await tx.commit();
    tx.close();
  }
}

export class ListChannelProcessor implements ChannelProcessor {
  readonly events: Event[] = [];
  batches = 0;
  /** the next N calls fail with ChannelFullError */
  fullFor = 0;
  /** the next N calls fail with ChannelError */
  failFor = 0;
  async processEvent(event: Event): Promise<void> {
    await this.processEventBatch([event]);
  }
  async processEventBatch(events: Event[]): Promise<void> {
    await Promise.resolve();
    if (this.fullFor > 0) {
      this.fullFor--;
      throw new ChannelFullError("test");
    }
    if (this.failFor > 0) {
      this.failFor--;
      throw new ChannelError("MR_AGENT_TEST", "injected failure");
    }
    this.events.push(...events);
    this.batches++;
  }
  bodies(): string[] {
    return this.events.map((e) => e.body.toString());
  }
}

export { waitFor } from "../../helpers/wait.js";
