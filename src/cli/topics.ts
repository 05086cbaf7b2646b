/** `millrace topics`, like kafka-topics.sh: --create, --list, --describe, --delete. */
import { Command } from "commander";
import { KafkaClient } from "../client/client.js";
import { ConfigError } from "../errors.js";
import { bootstrapOptions, collect, keyValues, refuseZookeeper } from "./common.js";
import { progress } from "./progress.js";

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
      if (actions !== 1)
        throw new ConfigError("MR_CLI_ARGUMENT", "give exactly one of --create, --list, --describe, --delete");
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
          const topics = (await client.metadata(opts.topic ? [opts.topic] : undefined)).sort((a, b) =>
            a.name.localeCompare(b.name),
          );
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
            console.log(
              `Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitions.length}` +
                `\tReplicationFactor: 1\tConfigs: ${overrides}`,
            );
            for (const p of t.partitions) {
              console.log(
                `\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader}` +
                  `\tReplicas: ${p.leader}\tIsr: ${p.leader}`,
              );
            }
          }
        } else if (opts.delete) {
          // --topic is a name or, as in kafka-topics, a regular expression over the topic names
          const all = (await client.metadata()).map((t) => t.name).filter((n) => !n.startsWith("__"));
          let names = all.filter((n) => n === opts.topic);
          if (names.length === 0 && /[*+?[\]()|^$\\]/.test(opts.topic!)) {
            let re: RegExp;
            try {
              re = new RegExp(`^(?:${opts.topic})$`);
            } catch (e) {
              throw new ConfigError(
                "MR_CLI_ARGUMENT",
                `--topic ${opts.topic}: not a topic name or a valid regular expression (${(e as Error).message})`,
              );
            }
            names = all.filter((n) => re.test(n)).sort();
          }
          if (names.length === 0) {
            if (opts.ifExists) return;
            throw new ConfigError("MR_CLI_UNKNOWN_TOPIC", `topic '${opts.topic}' does not exist`);
          }
          const prog = progress();
          const t0 = Date.now();
          for (let i = 0; i < names.length; i++) {
            prog.update(`deleting topics: ${i}/${names.length} done, now ${names[i]}`);
            await client.deleteTopic(names[i]!);
            // the deletion is complete when the broker no longer lists the topic
            for (let tries = 0; tries < 600; tries++) {
              if (!(await client.metadata([names[i]!])).some((t) => t.errorCode === 0)) break;
              prog.update(
                `deleting topics: ${i}/${names.length} done,` +
                  ` waiting for ${names[i]} to go (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
              );
              await new Promise((r) => setTimeout(r, 100));
            }
            prog.log(`Deleted topic ${names[i]}.`);
          }
          if (names.length > 1)
            prog.done(`deleted ${names.length} topics in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        }
      } finally {
        await client.close();
      }
    });
}
