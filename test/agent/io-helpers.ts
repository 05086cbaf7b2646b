/**
 * For the network and Kafka component tests: a silent logger, a ComponentEnv,
 * an embedded TopicsPort, and (re-exported from helpers/) the collecting
 * channel processor, the transactional list channel and waitFor.
 */
import pino from "pino";
import type { ComponentEnv } from "../../src/agent/api.js";
import type { TopicsPort } from "../../src/topics/port.js";

export const logger = pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" });

export function env(topics?: TopicsPort): ComponentEnv {
  return { agentName: "a1", logger, ...(topics ? { topics: async () => topics } : {}) };
}

export { CollectingProcessor } from "./helpers/collecting-processor.js";
export { ListChannel as TestChannel, waitFor } from "./helpers/channel.js";

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
  const groups = new GroupCoordinator({
    store,
    config: { offsetsTopicNumPartitions: store.partitions, groupInitialRebalanceDelayMs: 0 },
  });
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
