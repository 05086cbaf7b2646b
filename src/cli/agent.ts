/**
 * `millrace agent --name A --conf DIR --conf-file F [-Dkey=value ...]`, like
 * `flume-ng agent`. Runs the agent named A from the properties file F, reloads
 * it when F changes (unless --no-reload-conf), serves Flume's monitoring JSON
 * with -Dflume.monitoring.type=http -Dflume.monitoring.port=N, and stops
 * cleanly (exit 0) on SIGTERM or SIGINT.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "commander";
import pino from "pino";
import { ConfigError } from "../errors.js";
import { Agent } from "../agent/runtime/agent.js";
import { startMonitoring } from "../agent/monitoring.js";
import { keyValues } from "./common.js";

const LEVELS: Record<string, string> = {
  TRACE: "trace",
  DEBUG: "debug",
  INFO: "info",
  WARN: "warn",
  ERROR: "error",
  FATAL: "fatal",
  OFF: "silent",
};

export function agentCommand(): Command {
  return new Command("agent")
    .description("run a Flume-compatible agent from a Flume properties file (flags as flume-ng agent)")
    .requiredOption("-n, --name <name>", "the agent's name in the configuration file")
    .option("-c, --conf <dir>", "configuration directory (a relative --conf-file is looked up here too)")
    .requiredOption("-f, --conf-file <file>", "the agent configuration (Flume properties format)")
    .option("--no-reload-conf", "do not re-read the configuration file when it changes")
    .option("--reload-interval <seconds>", "how often the configuration file is polled for changes", "30")
    .addOption(
      new Option(
        "-D <key=value>",
        "a system property, e.g. -Dflume.monitoring.type=http (repeatable);" +
          " -D<name>.<key>=<value> sets or overrides that agent property",
      )
        .argParser((v: string, acc: string[] = []) => [...acc, v])
        .default([]),
    )
    .addOption(new Option("-z, --zkConnect <hosts>", "not supported: configurations are read from files").hideHelp())
    .action(
      async (opts: {
        name: string;
        conf?: string;
        confFile: string;
        reloadConf: boolean;
        reloadInterval: string;
        D: string[];
        zkConnect?: string;
      }) => {
        if (opts.zkConnect !== undefined)
          throw new ConfigError(
            "MR_CLI_ARGUMENT",
            "--zkConnect is not supported: give the configuration with --conf-file",
          );
        const sysprops = keyValues(opts.D, "-D");
        let file = opts.confFile;
        if (!existsSync(file) && opts.conf && existsSync(join(opts.conf, file))) file = join(opts.conf, file);
        if (!existsSync(file)) throw new ConfigError("MR_CONFIG_INVALID", `--conf-file ${opts.confFile}: no such file`);
        const interval = Number(opts.reloadInterval);
        if (!Number.isFinite(interval) || interval <= 0)
          throw new ConfigError("MR_CLI_ARGUMENT", `--reload-interval ${opts.reloadInterval} is not a positive number`);
        const rootLevel = sysprops["flume.root.logger"]?.split(",")[0]?.trim().toUpperCase();
        const level = (process.env.MILLRACE_LOG_LEVEL || (rootLevel && LEVELS[rootLevel])) ?? "info";
        const logger = pino({ name: `agent.${opts.name}`, level });
        // -Dflume.root.logger=DEBUG,console (the article's command): console logging at that level
        logger.debug({ file, level, sysprops: Object.keys(sysprops) }, "logging to the console at level %s", level);
        const agent = await Agent.start({
          name: opts.name,
          confFile: file,
          sysprops,
          logger,
          reload: opts.reloadConf,
          reloadIntervalMs: interval * 1000,
        });
        let monitoring: Awaited<ReturnType<typeof startMonitoring>>;
        try {
          monitoring = await startMonitoring(sysprops, opts.name);
        } catch (e) {
          await agent.stop();
          throw e;
        }
        if (monitoring) logger.info({ port: monitoring.port }, "monitoring: GET /metrics");
        logger.info({ agent: opts.name, file }, "millrace agent started");
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          logger.info({ signal }, "shutting down the agent");
          Promise.all([agent.stop(), monitoring?.close()]).then(
            () => process.exit(0),
            (err) => {
              logger.error({ err }, "shutdown failed");
              process.exit(1);
            },
          );
        };
        process.on("SIGTERM", () => stop("SIGTERM"));
        process.on("SIGINT", () => stop("SIGINT"));
      },
    );
}
