/**
 * Opens each TopicsPort adapter for streaming tests: embedded (in-process log) and remote (a millrace broker
 * over TCP).
 */
import { LogManager } from "../../src/log/index.js";
import { GroupCoordinator } from "../../src/coordinator/groups/index.js";
import { OffsetsTopicStore } from "../../src/coordinator/offsets-topic.js";
import { EmbeddedTopics } from "../../src/topics/embedded.js";
import { RemoteTopics } from "../../src/topics/remote.js";
import type { TopicsPort } from "../../src/topics/port.js";
import { tempDir, removeDir, startBroker } from "../helpers/broker.js";

export interface OpenPort {
  port: TopicsPort;
  /** for the remote adapter: the broker's address */
  bootstrap?: string;
  close(): Promise<void>;
}

export async function openEmbedded(dir = tempDir(), keep = false): Promise<OpenPort> {
  const log = await LogManager.open({ dir });
  const store = new OffsetsTopicStore(log, { partitions: 3 });
  const groups = new GroupCoordinator({
    store,
    config: { offsetsTopicNumPartitions: store.partitions, groupInitialRebalanceDelayMs: 0 },
  });
  await groups.load();
  const port = new EmbeddedTopics({ log, groups });
  return {
    port,
    async close() {
      await port.close();
      await groups.close();
      await log.close();
      if (!keep) removeDir(dir);
    },
  };
}

export async function openRemote(): Promise<OpenPort> {
  const tb = await startBroker({ "auto.create.topics.enable": "false" });
  const port = new RemoteTopics({ bootstrapServers: tb.bootstrap });
  return {
    port,
    bootstrap: tb.bootstrap,
    async close() {
      await port.close();
      await tb.stop();
      removeDir(tb.dir);
    },
  };
}

export const adapters: [string, () => Promise<OpenPort>][] = [
  ["embedded", () => openEmbedded()],
  ["remote", openRemote],
];
