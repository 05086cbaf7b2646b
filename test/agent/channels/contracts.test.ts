/** The channel contract for the file channel and the kafka channel (over an embedded TopicsPort). */
import { after } from "node:test";
import { join } from "node:path";
import { Context } from "../../../src/agent/api.js";
import { FileChannel } from "../../../src/agent/channels/file/file-channel.js";
import { createKafkaChannel } from "../../../src/agent/channels/kafka.js";
import { LogManager } from "../../../src/log/index.js";
import { GroupCoordinator } from "../../../src/coordinator/groups/index.js";
import { OffsetsTopicStore } from "../../../src/coordinator/offsets-topic.js";
import { EmbeddedTopics } from "../../../src/topics/embedded.js";
import { removeDir, tempDir } from "../../helpers/broker.js";
import { env } from "../io-helpers.js";
import { channelContract } from "../contracts/channel.js";

const dirs: string[] = [];

channelContract("file", ({ capacity, transactionCapacity }) => {
  const dir = tempDir("millrace-fc-contract-");
  dirs.push(dir);
  return new FileChannel("c1", {
    checkpointDir: join(dir, "ckpt"),
    dataDirs: [join(dir, "data")],
    capacity,
    transactionCapacity,
    checkpointInterval: 0,
    minimumRequiredSpace: 1024 * 1024,
    keepAlive: 0,
  });
});

// One embedded log for the kafka channel's runs; each channel gets its own topic and group.
let embedded: Promise<{ port: EmbeddedTopics; close(): Promise<void> }> | undefined;
function topics() {
  embedded ??= (async () => {
    const dir = tempDir("millrace-kc-contract-");
    dirs.push(dir);
    const log = await LogManager.open({ dir });
    const store = new OffsetsTopicStore(log, { partitions: 1 });
    const groups = new GroupCoordinator({ store, config: { offsetsTopicNumPartitions: store.partitions, groupInitialRebalanceDelayMs: 0 } });
    await groups.load();
    const port = new EmbeddedTopics({ log, groups });
    return {
      port,
      async close() {
        await port.close();
        await groups.close();
        await log.close();
      },
    };
  })();
  return embedded;
}
after(async () => {
  if (embedded) await (await embedded).close();
  dirs.forEach(removeDir);
});

let n = 0;
channelContract(
  "kafka (embedded topics)",
  async () => {
    const { port } = await topics();
    const id = n++;
    // the channel must not close the shared port: hand it a view whose close() does nothing
    const view = Object.create(port, { close: { value: async () => {} } }) as EmbeddedTopics;
    return createKafkaChannel("c1", Context.of({ "kafka.topic": `contract-${id}`, "kafka.consumer.group.id": `g-${id}`, "kafka.pollTimeout": "20" }), env(view));
  },
  { bounded: false },
);
