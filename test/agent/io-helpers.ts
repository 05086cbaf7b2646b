/**
 * Small stand-ins for the runtime, so the network components can be tested on
 * their own: a channel processor that records what it was given (or refuses),
 * a transactional in-memory channel, and polling helpers.
 */
import pino from "pino";
import type { Channel, ChannelProcessor, ComponentEnv, Event, Transaction } from "../../src/agent/api.js";
import { ChannelFullError } from "../../src/agent/api.js";
import type { TopicsPort } from "../../src/topics/port.js";

export const logger = pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" });

export function env(topics?: TopicsPort): ComponentEnv {
  return { agentName: "a1", logger, ...(topics ? { topics: async () => topics } : {}) };
}

export class CollectingProcessor implements ChannelProcessor {
  events: Event[] = [];
  batches = 0;
  /** when set, puts fail with ChannelFullError */
  full = false;
  async processEvent(e: Event): Promise<void> {
    if (this.full) throw new ChannelFullError("test");
    this.events.push(e);
  }
  async processEventBatch(es: Event[]): Promise<void> {
    if (this.full) throw new ChannelFullError("test");
    this.batches++;
    this.events.push(...es);
  }
}

/** A minimal transactional channel (puts visible on commit, takes returned on rollback). */
export class TestChannel implements Channel {
  readonly queue: Event[] = [];
  commits = 0;
  rollbacks = 0;
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
    const puts: Event[] = [];
    const takes: Event[] = [];
    return {
      begin: () => {},
      put: async (e) => {
        puts.push(e);
      },
      take: async () => {
        const e = this.queue.shift() ?? null;
        if (e) takes.push(e);
        return e;
      },
      commit: async () => {
        this.queue.push(...puts);
        puts.length = 0;
        takes.length = 0;
        this.commits++;
      },
      rollback: async () => {
        this.queue.unshift(...takes);
        puts.length = 0;
        takes.length = 0;
        this.rollbacks++;
      },
      close: () => {},
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

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * An embedded TopicsPort over a fresh temp log, for Kafka component tests.
 * `view` is the same port with a close() that does nothing, for components
 * that close their port on stop while the test keeps using it.
 */
export async function embeddedTopics(): Promise<{ port: TopicsPort; view: TopicsPort; cleanup(): Promise<void> }> {
  const { LogManager } = await import("../../src/log/index.js");
  const { GroupCoordinator } = await import("../../src/coordinator/groups/index.js");
  const { OffsetsTopicStore } = await import("../../src/coordinator/offsets-topic.js");
  const { EmbeddedTopics } = await import("../../src/topics/embedded.js");
  const { tempDir, removeDir } = await import("../helpers/broker.js");
  const dir = tempDir("millrace-topics-");
  const log = await LogManager.open({ dir });
  const store = new OffsetsTopicStore(log, { partitions: 1 });
  const groups = new GroupCoordinator({ store, config: { offsetsTopicNumPartitions: store.partitions, groupInitialRebalanceDelayMs: 0 } });
  await groups.load();
  const port = new EmbeddedTopics({ log, groups });
  const view = Object.create(port, { close: { value: async () => {} } }) as TopicsPort;
  return {
    port,
    view,
    async cleanup() {
      await port.close();
      await groups.close();
      await log.close();
      removeDir(dir);
    },
  };
}
