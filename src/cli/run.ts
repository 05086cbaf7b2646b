/**
 * `millrace run pipeline.yaml`: the pipeline a file describes (see
 * src/cli/pipeline/config.ts), in one process: the broker (embedded or a
 * cluster's bootstrap.servers), agents with their Flume configuration files,
 * streaming apps loaded in-process from their modules, and the dashboard.
 * SIGINT/SIGTERM stop it in order (sources, channels, apps, broker), exit 0.
 */
import { Command } from "commander";
import { readPipeline } from "./pipeline/config.js";
import { PipelineRunner, specFromPipeline } from "./pipeline/runner.js";

/** Waits for SIGINT/SIGTERM, stops the runner in order, says so and exits (0 when clean). */
export function runUntilSignal(runner: PipelineRunner): Promise<void> {
  return new Promise<void>(() => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      if (process.stdout.isTTY) process.stdout.write("\n");
      process.stdout.write(`${signal}: stopping the pipeline\n`);
      runner.stop().then(
        () => {
          process.stdout.write("stopped cleanly: offsets committed, checkpoint and log flushed\n");
          process.exit(0);
        },
        (err) => {
          process.stderr.write(`millrace: stopping failed: ${(err as Error).message}\n`);
          process.exit(1);
        },
      );
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
}

export function runCommand(): Command {
  return new Command("run")
    .description("run a pipeline file: broker, agents, streaming apps and dashboard in one process")
    .argument("<pipeline.yaml>", "the pipeline file")
    .action(async (file: string) => {
      const pipeline = readPipeline(file);
      const runner = await PipelineRunner.start(specFromPipeline(pipeline));
      const lines = [`millrace run ${file}`];
      if (runner.broker)
        lines.push(
          `  broker     embedded, data in ${runner.broker.config.logDir}` +
            `${runner.bootstrap() ? `, Kafka clients: ${runner.bootstrap()}` : ""}`,
          "             the default for Kafka channels, sources and sinks that name no kafka.bootstrap.servers",
        );
      else lines.push(`  broker     ${pipeline.broker["bootstrap.servers"]}`);
      for (const a of runner.agents) lines.push(`  agent      ${a.name}`);
      for (const a of runner.apps) lines.push(`  streaming  ${a.name} (${a.module})`);
      if (runner.dashboard)
        lines.push(`  dashboard  ${runner.dashboard.url}`, `  metrics    ${runner.dashboard.url}/metrics`);
      lines.push("Ctrl-C stops everything cleanly.", "");
      process.stdout.write(lines.join("\n") + "\n");
      await runUntilSignal(runner);
    });
}
