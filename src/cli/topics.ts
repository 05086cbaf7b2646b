/** `millrace topics`, like kafka-topics.sh: --create, --list, --describe, --delete. */
import { Command } from "commander";
import { KafkaClient } from "../client/client.js";
import { ConfigError } from "../errors.js";
import { bootstrapOptions, collect, keyValues, refuseZookeeper } from "./common.js";

interface Opts {
  bootstrapServer: string;
  zookeeper?: string;
  create?: boolean;
  list?: boolean;
  describe?: boolean;
  delete?: boolean;
  topic?: string;
  partitions?: string;
  replicationFactor?: string;
  config: string[];
  ifNotExists?: boolean;
  ifExists?: boolean;
}

const TOPIC_RESOURCE = 2;

export function topicsCommand(): Command {
  const cmd = new Command("topics").description("create, list, describe and delete topics (like kafka-topics)");
  for (const o of bootstrapOptions()) cmd.addOption(o);
  return cmd
    .option("--create", "create a topic")
    .option("--list", "list topics")
    .option("--describe", "describe topics")
    .option("--delete", "delete a topic")
    .option("--topic <name>", "the topic")
    .option("--partitions <n>", "number of partitions (create)")
    .option("--replication-factor <n>", "replication factor (create; 1 on a single node)")
    .option("--config <key=value>", "topic config override (create; repeatable)", collect, [] as string[])
    .option("--if-not-exists", "create only if the topic does not exist")
    .option("--if-exists", "describe/delete only if the topic exists")
    .action(async (opts: Opts) => {
      refuseZookeeper(opts);
      const actions = [opts.create, opts.list, opts.describe, opts.delete].filter(Boolean).length;
      if (actions !== 1) throw new ConfigError("MR_CLI_ARGUMENT", "give exactly one of --create, --list, --describe, --delete");
      if ((opts.create || opts.delete) && !opts.topic) throw new ConfigError("MR_CLI_ARGUMENT", "--topic is required");
      const client = await KafkaClient.connect(opts.bootstrapServer, { clientId: "millrace-topics" });
      try {
        if (opts.create) {
          const existing = (await client.metadata([opts.topic!])).find((t) => t.errorCode === 0);
          if (existing && opts.ifNotExists) return;
          await client.createTopic(
            opts.topic!,
            opts.partitions ? Number(opts.partitions) : -1,
            keyValues(opts.config, "--config"),
            opts.replicationFactor ? Number(opts.replicationFactor) : -1,
          );
          console.log(`Created topic ${opts.topic}.`);
        } else if (opts.list) {
          const topics = await client.metadata();
          for (const t of topics.map((x) => x.name).sort()) console.log(t);
        } else if (opts.describe) {
          const topics = (await client.metadata(opts.topic ? [opts.topic] : undefined)).sort((a, b) => a.name.localeCompare(b.name));
          for (const t of topics) {
            if (t.errorCode !== 0) {
              if (opts.ifExists) continue;
              throw new ConfigError("MR_CLI_UNKNOWN_TOPIC", `topic '${t.name}' does not exist`);
            }
            const configs = await client.describeConfigs(TOPIC_RESOURCE, t.name);
            const overrides = configs
              .filter((c) => c.configSource === 1 || (c.configSource === -1 && !c.isDefault))
              .map((c) => `${c.name}=${c.value}`)
              .join(",");
            console.log(`Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: 1\tConfigs: ${overrides}`);
            for (const p of t.partitions) {
              console.log(`\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader}\tReplicas: ${p.leader}\tIsr: ${p.leader}`);
            }
          }
        } else if (opts.delete) {
          const existing = (await client.metadata([opts.topic!])).find((t) => t.errorCode === 0);
          if (!existing && opts.ifExists) return;
          await client.deleteTopic(opts.topic!);
          console.log(`Deleted topic ${opts.topic}.`);
        }
      } finally {
        await client.close();
      }
    });
}
