import { Command } from "commander";
const program = new Command("millrace");
program.description("Flume, Kafka and Spark Streaming as one Node.js package");
await program.parseAsync(process.argv);
