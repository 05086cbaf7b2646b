/**
 * `millrace demo` (what `npm start` runs): the article's pipeline in one
 * process. The embedded broker (data in ./millrace-data, Kafka clients welcome on
 * 127.0.0.1:9092), the Twitter agent of examples/demo/twitter-agent.conf (the
 * synthetic `tweets` source → Kafka channel → topic `twitter`, no sink), the
 * trending-hashtags streaming app of examples/demo/trending-sentiment.ts, and the
 * dashboard on http://127.0.0.1:4040. Ctrl-C stops it all cleanly; a second
 * start resumes where the first stopped.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { ConfigError } from "../errors.js";
import type { Properties, PropertyEntry } from "../formats/properties.js";
import { PipelineRunner, readAgentProperties, type RunnerSpec } from "./pipeline/runner.js";
import { runUntilSignal } from "./run.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const DEMO_AGENT_CONF = join(ROOT, "examples", "demo", "twitter-agent.conf");
export const DEMO_APP = join(ROOT, "examples", "demo", "trending-sentiment.ts");
const AGENT = "TwitterAgent";
const SOURCE = "Twitter";
const CHANNEL = "KafkaChannel";

interface DemoOptions {
  dataDir: string;
  uiPort: string;
  uiHost: string;
  brokerPort: string;
  rate: string;
  source: string[];
  batch: string;
  window: string;
}

function int(v: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError("MR_CLI_ARGUMENT", `${flag} ${v}: must be a whole number from ${min} to ${max}`);
  return n;
}

/** The agent's properties with the source chosen by --source/--rate and the channel pointed at `bootstrap`. */
export function demoAgentProperties(
  base: Properties,
  opts: { source: string[]; rate: number; bootstrap: string },
): Properties {
  const prefix = `${AGENT}.sources.${SOURCE}.`;
  const set = new Map<string, string>();
  const [kind = "tweets", file] = opts.source;
  const keepSource = kind === "tweets";
  switch (kind) {
    case "tweets":
      set.set(prefix + "eventsPerSecond", String(opts.rate));
      break;
    case "replay":
      if (!file) throw new ConfigError("MR_CLI_ARGUMENT", "--source replay needs a file: --source replay tweets.jsonl");
      if (!existsSync(file)) throw new ConfigError("MR_CLI_ARGUMENT", `--source replay ${file}: no such file`);
      set.set(prefix + "type", "replay");
      set.set(prefix + "file", resolve(file));
      set.set(prefix + "rate", "recorded");
      break;
    case "twitter": {
      const token = process.env.X_BEARER_TOKEN ?? process.env.TWITTER_BEARER_TOKEN;
      if (!token)
        throw new ConfigError(
          "MR_CLI_ARGUMENT",
          "--source twitter needs X_BEARER_TOKEN (or TWITTER_BEARER_TOKEN) in the environment",
        );
      set.set(prefix + "type", "org.apache.flume.source.twitter.TwitterSource");
      set.set(prefix + "bearerToken", token);
      set.set(
        prefix + "keywords",
        process.env.MILLRACE_TWITTER_KEYWORDS ?? "hadoop, big data, analytics, spark, kafka, flume",
      );
      break;
    }
    case "jetstream":
      set.set(prefix + "type", "jetstream");
      set.set(prefix + "wantedCollections", "app.bsky.feed.post");
      break;
    default:
      throw new ConfigError("MR_CLI_ARGUMENT", `--source ${kind}: must be tweets, replay FILE, twitter or jetstream`);
  }
  set.set(`${AGENT}.channels.${CHANNEL}.kafka.bootstrap.servers`, opts.bootstrap);
  const entries: PropertyEntry[] = [];
  for (const e of base.entries) {
    if (!keepSource && e.key.startsWith(prefix) && e.key !== prefix + "channels") continue;
    if (set.has(e.key)) continue;
    entries.push(e);
  }
  for (const [key, value] of set) entries.push({ key, value, file: "<millrace demo>", line: 0 });
  return { entries, map: new Map(entries.map((e) => [e.key, e])) };
}

export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "the whole pipeline in one process: broker, Twitter agent (synthetic tweets)," +
        " trending-hashtags app, dashboard (npm start)",
    )
    .option("--data-dir <dir>", "where the broker keeps its log, the app its checkpoint and output", "./millrace-data")
    .option("--ui-port <port>", "dashboard port (0 = any free port)", "4040")
    .option("--ui-host <host>", "dashboard address", "127.0.0.1")
    .option("--broker-port <port>", "port for Kafka clients on 127.0.0.1 (0 = any free port)", "9092")
    .option("--rate <tweets/s>", "synthetic tweets per second", "100")
    .option("--source <kind...>", "tweets (default), replay FILE, twitter (X_BEARER_TOKEN), jetstream", ["tweets"])
    .option("--batch <ms>", "streaming batch interval", "2000")
    .option("--window <ms>", "trending window", "60000")
    .action(async (o: DemoOptions) => {
      const uiPort = int(o.uiPort, "--ui-port", 0, 65535);
      const brokerPort = int(o.brokerPort, "--broker-port", 0, 65535);
      const rate = int(o.rate, "--rate", 1);
      const batch = int(o.batch, "--batch", 1);
      const windowMs = int(o.window, "--window", batch);
      if (windowMs % batch !== 0)
        throw new ConfigError("MR_CLI_ARGUMENT", `--window ${windowMs} must be a multiple of --batch ${batch}`);
      const dataDir = resolve(o.dataDir);
      const base = readAgentProperties(DEMO_AGENT_CONF);
      // validate --source before anything starts
      demoAgentProperties(base, { source: o.source, rate, bootstrap: "embedded" });
      const spec: RunnerSpec = {
        broker: {
          "data.dir": join(dataDir, "broker"),
          listeners: `PLAINTEXT://127.0.0.1:${brokerPort}`,
          topics: [{ name: "twitter", partitions: 2 }],
        },
        agents: [],
        apps: [],
        ui: { enabled: true, host: o.uiHost, port: uiPort },
        settings: { uiPort: "--ui-port", brokerListeners: "--broker-port" },
        title: "millrace demo: tweets → agent → topic twitter → trending hashtags",
      };
      const runner = await PipelineRunner.start(spec);
      // the agent and the app start once the broker's address is known
      try {
        const bootstrap = runner.bootstrap()!;
        spec.agents.push({
          name: AGENT,
          confFile: DEMO_AGENT_CONF,
          properties: demoAgentProperties(base, { source: o.source, rate, bootstrap }),
        });
        spec.apps.push({
          module: DEMO_APP,
          args: [
            "--bootstrap",
            bootstrap,
            "--topic",
            "twitter",
            "--batch",
            String(batch),
            "--window",
            String(windowMs),
            "--checkpoint",
            join(dataDir, "checkpoints", "trending-hashtags"),
            "--output",
            join(dataDir, "demo-output", "trending.jsonl"),
          ],
        });
        await runner.startMore();
      } catch (e) {
        await runner.stop({ quiet: true }).catch(() => {});
        throw e;
      }
      const src = o.source[0] === "tweets" ? `synthetic tweets at ${rate}/s` : o.source.join(" ");
      const lines = [
        "",
        "millrace demo — the Flume → Kafka → Spark Streaming pipeline in one process",
        "",
        `  broker     embedded, data in ${dataDir}`,
        "             the default for Kafka channels, sources and sinks that name no kafka.bootstrap.servers",
        `  agent      ${AGENT} (${DEMO_AGENT_CONF.slice(ROOT.length)}): ${src} → Kafka channel → topic twitter`,
        `  streaming  trending-hashtags: top 10 over ${windowMs / 1000} s, every ${batch / 1000} s,` +
          ` with AFINN sentiment`,
        `  output     ${join(dataDir, "demo-output", "trending.jsonl")}`,
        "",
        `  dashboard  ${runner.dashboard!.url}`,
        `  metrics    ${runner.dashboard!.url}/metrics`,
        `  Kafka      ${runner.bootstrap()}` +
          `   (try: npx millrace console-consumer --bootstrap-server ${runner.bootstrap()} --topic twitter)`,
        "",
        "Ctrl-C stops everything cleanly.",
        "",
      ];
      process.stdout.write(lines.join("\n") + "\n");
      await runUntilSignal(runner);
    });
}
