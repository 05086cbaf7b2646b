/** The channel contract for the file channel and the kafka channel (over an embedded TopicsPort). */
import { after } from "node:test";
import { join } from "node:path";
import { Context } from "../../../src/agent/api.js";
import { FileChannel } from "../../../src/agent/channels/file/file-channel.js";
import { createKafkaChannel } from "../../../src/agent/channels/kafka.js";
import { removeDir, tempDir } from "../../helpers/broker.js";
import { embeddedTopics, env } from "../io-helpers.js";
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
let kafka: Awaited<ReturnType<typeof embeddedTopics>> | undefined;
after(async () => {
  await kafka?.cleanup();
  dirs.forEach(removeDir);
});

let n = 0;
channelContract(
  "kafka (embedded topics)",
  async () => {
    kafka ??= await embeddedTopics();
    const id = n++;
    return createKafkaChannel(
      "c1",
      Context.of({ "kafka.topic": `contract-${id}`, "kafka.consumer.group.id": `g-${id}`, "kafka.pollTimeout": "20" }),
      env(kafka.view),
    );
  },
  { bounded: false },
);
