/** `millrace broker [server.properties] [--override key=value ...]`, like kafka-server-start. */
import { Command } from "commander";
import { Broker } from "../broker/broker.js";
import { describeIgnored, loadBrokerConfig } from "../broker/config.js";

export function brokerCommand(): Command {
  return new Command("broker")
    .description("run the Kafka-protocol broker (listens on 127.0.0.1:9092 by default)")
    .argument("[server.properties]", "a Kafka-style server.properties file")
    .option(
      "--override <key=value>",
      "set a broker config, after the file (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .action(async (file: string | undefined, opts: { override: string[] }) => {
      const config = loadBrokerConfig({ file, overrides: opts.override });
      const broker = await Broker.start(config);
      for (const line of describeIgnored(config)) broker.logger.warn(line);
      broker.logger.info(
        { logDir: config.logDir, bootstrap: broker.bootstrap(), topics: broker.log.topics().length },
        "millrace broker started",
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        broker.logger.info({ signal }, "shutting down: flushing the log");
        broker.stop().then(
          () => process.exit(0),
          (e) => {
            broker.logger.error({ err: e }, "shutdown failed");
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
    });
}
