/**
 * The `millrace` command. One file per subcommand; their flags mirror the
 * Kafka and Flume tools people know (kafka-topics, kafka-console-consumer, ...).
 */
import { Command } from "commander";
import { MillraceError } from "../errors.js";
import { brokerCommand } from "./broker.js";
import { topicsCommand } from "./topics.js";
import { consoleProducerCommand } from "./console-producer.js";
import { consoleConsumerCommand } from "./console-consumer.js";
import { consumerGroupsCommand } from "./consumer-groups.js";
import { agentCommand } from "./agent.js";
import { submitCommand } from "./submit.js";
import { demoCommand } from "./demo.js";
import { runCommand } from "./run.js";
import { storageCommand } from "./storage.js";

const program = new Command("millrace");
program
  .description("Flume, Kafka and Spark Streaming as one Node.js package")
  .version("0.1.0")
  .showHelpAfterError()
  .enablePositionalOptions();
program.addCommand(brokerCommand());
program.addCommand(topicsCommand());
program.addCommand(consoleProducerCommand());
program.addCommand(consoleConsumerCommand());
program.addCommand(consumerGroupsCommand());
program.addCommand(agentCommand());
program.addCommand(submitCommand());
program.addCommand(demoCommand());
program.addCommand(runCommand());
program.addCommand(storageCommand());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof MillraceError) {
    process.stderr.write(`millrace: ${e.message} [${e.code}]\n`);
    process.exit(1);
  }
  throw e;
}
