import { LogManager } from "../../../src/log/index.js";
import { GroupCoordinator } from "../../../src/coordinator/groups/index.js";
import { OffsetsTopicStore } from "../../../src/coordinator/offsets-topic.js";
import { EmbeddedTopics } from "../../../src/topics/embedded.js";
import { tempDir, removeDir } from "../../helpers/broker.js";
import { kafkaSuite } from "./suite.js";

kafkaSuite("embedded", async () => {
  const dir = tempDir();
  const log = await LogManager.open({ dir });
  const store = new OffsetsTopicStore(log, { partitions: 3 });
  const groups = new GroupCoordinator({
    store,
    config: { offsetsTopicNumPartitions: store.partitions, groupInitialRebalanceDelayMs: 0 },
  });
  await groups.load();
  return {
    port: new EmbeddedTopics({ log, groups }),
    async cleanup() {
      await groups.close();
      await log.close();
      removeDir(dir);
    },
  };
});
