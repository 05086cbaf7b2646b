import { Option } from "commander";
import { ConfigError } from "../errors.js";

/** The option every client tool takes, plus the old ZooKeeper flag, refused with a reason. */
export function bootstrapOptions(): Option[] {
  return [
    new Option("--bootstrap-server <host:port>", "broker address(es), comma-separated").default("127.0.0.1:9092"),
    new Option("--zookeeper <hosts>", "not supported: use --bootstrap-server").hideHelp(),
  ];
}

export function refuseZookeeper(opts: { zookeeper?: string }): void {
  if (opts.zookeeper !== undefined) {
    throw new ConfigError(
      "MR_CLI_ZOOKEEPER",
      "--zookeeper is not supported: millrace (like Kafka 4) has no ZooKeeper; use --bootstrap-server host:port (default 127.0.0.1:9092)",
    );
  }
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
