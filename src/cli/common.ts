import { Option } from "commander";
import { ConfigError } from "../errors.js";

/** The option every client tool takes, plus the old ZooKeeper flag, refused with a reason. */
export function bootstrapOptions(): Option[] {
  return [
    new Option("--bootstrap-server <host:port>", "broker address(es), comma-separated").default("127.0.0.1:9092"),
    new Option("--zookeeper <hosts>", "not supported: use --bootstrap-server").hideHelp(),
  ];
}

/**
 * `--zookeeper` (the article's kafka-topics.sh / kafka-console-consumer.sh
 * flag): one line saying why, and the command to run instead: the same
 * arguments with `--bootstrap-server <the ZooKeeper host>:9092`.
 */
export function refuseZookeeper(opts: { zookeeper?: string }, argv: string[] = process.argv.slice(2)): void {
  if (opts.zookeeper === undefined) return;
  throw new ConfigError(
    "MR_CLI_ZOOKEEPER",
    `--zookeeper is not supported: millrace (like Kafka 4) has no ZooKeeper,` +
      ` clients talk to the broker; run: ${zookeeperReplacement(opts.zookeeper, argv)}`,
  );
}

/** `argv` with --zookeeper H:2181[,...] replaced by --bootstrap-server H:9092 (Kafka's default port) */
export function zookeeperReplacement(zookeeper: string, argv: string[]): string {
  const first = zookeeper.split(",")[0]!.trim().replace(/\/.*$/, "");
  const host = /^(.*):\d+$/.exec(first)?.[1] ?? (first || "127.0.0.1");
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--zookeeper") {
      i++;
      out.push("--bootstrap-server", `${host}:9092`);
    } else if (a.startsWith("--zookeeper=")) out.push("--bootstrap-server", `${host}:9092`);
    else out.push(a);
  }
  return ["millrace", ...out].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(" ");
}

export function collect(v: string, acc: string[]): string[] {
  return [...acc, v];
}

/** Parses repeated key=value flags into an object. */
export function keyValues(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new ConfigError("MR_CLI_ARGUMENT", `${flag} ${JSON.stringify(kv)} is not key=value`);
    out[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  return out;
}
