/**
 * The agent: builds components from an AgentConfig, starts them in Flume's order
 * (channels, then sink runners, then sources) and stops them in reverse
 * (sources, then sink runners, then channels). Stopping a runner waits for its
 * transaction in flight, so in-flight work is committed or rolled back.
 *
 * Reload: the config file is watched (fs.watch, plus polling every
 * `reloadIntervalMs`, Flume's 30 s by default). A changed file is parsed and
 * built first; only when that succeeds are the changed components restarted.
 * A component is changed when its properties, or those of a channel it uses,
 * changed. A bad new file leaves the running agent as it was (logged).
 */
import { readFileSync, watch, watchFile, unwatchFile, type FSWatcher } from "node:fs";
import pino, { type Logger } from "pino";
import { ConfigError } from "../../errors.js";
import { parseProperties, type Properties } from "../../formats/properties.js";
import type { Channel, ComponentEnv, Context, Interceptor, Sink, SinkProcessor, Source } from "../api.js";
import { parseAgentConfig, unusedKeyWarnings, type AgentConfig, type SinkConfig } from "../config/config.js";
import { findChannel, findInterceptor, findSelector, findSink, findSinkProcessor, findSource } from "../registry.js";
import { registerBuiltins } from "../builtin.js";
import { DefaultChannelProcessor } from "./channel-processor.js";
import { SinkRunner, SourceRunner } from "./runners.js";

interface LiveChannel {
  fingerprint: string;
  channel: Channel;
}
interface LiveSource {
  fingerprint: string;
  source: Source;
  runner: SourceRunner;
}
interface LiveRunner {
  fingerprint: string;
  sinks: Sink[];
  runner: SinkRunner;
}

export interface AgentOptions {
  name: string;
  /** the properties file (watched for changes unless reload is off) */
  confFile?: string;
  /** properties given directly (tests); ignored when confFile is set */
  properties?: Properties;
  /** -D properties */
  sysprops?: Record<string, string>;
  logger?: Logger;
  topics?: ComponentEnv["topics"];
  /** watch the file and re-read it on change (default true when confFile is set) */
  reload?: boolean;
  /** polling interval of the file watch (Flume: 30 s) */
  reloadIntervalMs?: number;
}

interface Built {
  config: AgentConfig;
  channels: Map<string, LiveChannel>;
  sources: Map<string, LiveSource>;
  runners: Map<string, LiveRunner>;
  warnings: string[];
}

export class Agent {
  readonly name: string;
  readonly logger: Logger;
  private channels = new Map<string, LiveChannel>();
  private sources = new Map<string, LiveSource>();
  private runners = new Map<string, LiveRunner>();
  private readonly reported = new Set<string>();
  private watcher: FSWatcher | null = null;
  private lastText = "";
  private reloading: Promise<void> = Promise.resolve();
  private stopped = false;
  /** number of successful (re)loads, for tests */
  generation = 0;

  constructor(readonly opts: AgentOptions) {
    registerBuiltins();
    this.name = opts.name;
    this.logger = opts.logger ?? pino({ name: `agent.${opts.name}`, level: process.env.MILLRACE_LOG_LEVEL ?? "info" });
  }

  /** Builds and starts the agent; throws ConfigError on a bad config (nothing is left running). */
  static async start(opts: AgentOptions): Promise<Agent> {
    const a = new Agent(opts);
    const props = a.readProps();
    await a.apply(a.build(props));
    if (opts.confFile && opts.reload !== false) a.watchFile();
    return a;
  }

  private readProps(): Properties {
    if (this.opts.confFile) {
      this.lastText = readFileSync(this.opts.confFile, "utf8");
      return parseProperties(this.lastText, this.opts.confFile);
    }
    if (this.opts.properties) return this.opts.properties;
    throw new ConfigError("MR_CONFIG_INVALID", "no agent configuration given");
  }

  channel(name: string): Channel | undefined {
    return this.channels.get(name)?.channel;
  }
  source(name: string): Source | undefined {
    return this.sources.get(name)?.source;
  }
  sink(name: string): Sink | undefined {
    for (const r of this.runners.values()) for (const s of r.sinks) if (s.name === name) return s;
    return undefined;
  }

  private env(): ComponentEnv {
    return { agentName: this.name, logger: this.logger, ...(this.opts.topics ? { topics: this.opts.topics } : {}) };
  }

  /** Creates every component the new config changes; starts nothing. */
  build(props: Properties): Built {
    const config = parseAgentConfig(props, this.name, { sysprops: this.opts.sysprops });
    const env = this.env();
    const ctxs: Context[] = [];
    const channels = new Map<string, LiveChannel>();
    for (const c of config.channels) {
      const old = this.channels.get(c.name);
      if (old && old.fingerprint === c.fingerprint) {
        channels.set(c.name, old);
        continue;
      }
      channels.set(c.name, { fingerprint: c.fingerprint, channel: findChannel(c.type)!.factory(c.name, c.ctx, env) });
      ctxs.push(c.ctx);
    }
    const errors: ConfigError[] = [];
    const channelConf = new Map(config.channels.map((c) => [c.name, c]));
    const checkBatch = (owner: Context, batch: number | undefined, chName: string, what: string) => {
      const ch = channels.get(chName)!.channel;
      const tc = ch.transactionCapacity?.();
      if (batch === undefined || tc === undefined || batch <= tc) return;
      const cctx = channelConf.get(chName)!.ctx;
      const msg = `(${batch}) of ${what} is greater than the transactionCapacity (${tc}) of channel ${chName}`;
      // the component's own name for its batch size (Flume's keys differ by component)
      const key = [
        "batchSize",
        "hdfs.batchSize",
        "sink.batchSize",
        "batch-size",
        "flumeBatchSize",
        "maxBatchSize",
      ].find((k) => owner.has(k));
      if (key) errors.push(owner.error(key, msg));
      else if (cctx.has("transactionCapacity"))
        errors.push(cctx.error("transactionCapacity", `(${tc}) is smaller than the batchSize (${batch}) of ${what}`));
      else errors.push(owner.error("batchSize", msg));
    };

    const sources = new Map<string, LiveSource>();
    for (const s of config.sources) {
      const old = this.sources.get(s.name);
      if (old && old.fingerprint === s.fingerprint) {
        sources.set(s.name, old);
        continue;
      }
      const source = findSource(s.type)!.factory(s.name, s.ctx, env);
      const chs = s.channels.map((n) => channels.get(n)!.channel);
      const selector = findSelector(s.selectorType)!.factory(s.selectorCtx, chs, env);
      const interceptors: Interceptor[] = s.interceptors.map((i) => {
        ctxs.push(i.ctx);
        return findInterceptor(i.type)!.factory(i.ctx, env);
      });
      ctxs.push(s.ctx, s.selectorCtx);
      for (const n of s.channels) checkBatch(s.ctx, source.batchSize?.(), n, `source ${s.name}`);
      const backoff = {
        backoffSleepIncrement: s.ctx.getInteger("pollableSource.backoffSleepIncrement"),
        maxBackoffSleep: s.ctx.getInteger("pollableSource.maxBackoffSleep"),
      };
      const cp = new DefaultChannelProcessor(selector, interceptors, this.logger);
      sources.set(s.name, {
        fingerprint: s.fingerprint,
        source,
        runner: new SourceRunner(source, cp, this.logger, backoff),
      });
    }

    const sinkConf = new Map<string, SinkConfig>(config.sinks.map((s) => [s.name, s]));
    const runners = new Map<string, LiveRunner>();
    for (const r of config.runners) {
      const old = this.runners.get(r.name);
      if (old && old.fingerprint === r.fingerprint) {
        runners.set(r.name, old);
        continue;
      }
      const sinks = r.sinks.map((n) => {
        const sc = sinkConf.get(n)!;
        const sink = findSink(sc.type)!.factory(n, sc.ctx, env);
        sink.setChannel(channels.get(sc.channel)!.channel);
        checkBatch(sc.ctx, sink.batchSize?.(), sc.channel, `sink ${n}`);
        ctxs.push(sc.ctx);
        return sink;
      });
      const first = sinkConf.get(r.sinks[0])!.ctx;
      const backoff = {
        backoffSleepIncrement: first.getInteger("runner.backoffSleepIncrement"),
        maxBackoffSleep: first.getInteger("runner.maxBackoffSleep"),
      };
      const proc: SinkProcessor = findSinkProcessor(r.processorType)!.factory(r.processorCtx, sinks, env);
      ctxs.push(r.processorCtx);
      runners.set(r.name, {
        fingerprint: r.fingerprint,
        sinks,
        runner: new SinkRunner(r.name, proc, this.logger, backoff),
      });
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new ConfigError("MR_CONFIG_INVALID", errors.map((e) => e.message).join("\n"));
    return { config, channels, sources, runners, warnings: [...config.warnings, ...unusedKeyWarnings(ctxs)] };
  }

  /** Stops what the new build replaces or drops, then starts what it adds. */
  private async apply(b: Built): Promise<void> {
    for (const w of b.warnings) {
      if (this.reported.has(w)) continue;
      this.reported.add(w);
      this.logger.warn(w);
    }
    // stop: sources, sink runners, channels
    for (const [n, s] of this.sources) if (b.sources.get(n) !== s) await s.runner.stop();
    for (const [n, r] of this.runners) if (b.runners.get(n) !== r) await r.runner.stop();
    for (const [n, c] of this.channels) if (b.channels.get(n) !== c) await c.channel.stop();
    const oldC = this.channels;
    const oldR = this.runners;
    const oldS = this.sources;
    this.channels = b.channels;
    this.runners = b.runners;
    this.sources = b.sources;
    // start: channels, sink runners, sources
    for (const [n, c] of b.channels) if (oldC.get(n) !== c) await c.channel.start();
    for (const [n, r] of b.runners) if (oldR.get(n) !== r) await r.runner.start();
    for (const [n, s] of b.sources) if (oldS.get(n) !== s) await s.runner.start();
    this.generation++;
    this.logger.info(
      {
        agent: this.name,
        sources: [...b.sources.keys()],
        channels: [...b.channels.keys()],
        sinkRunners: [...b.runners.keys()],
      },
      "agent components started",
    );
  }

  /** Re-reads the configuration; keeps the running agent when the new one is bad. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      if (this.stopped || !this.opts.confFile) return;
      let text: string;
      try {
        text = readFileSync(this.opts.confFile, "utf8");
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, "cannot read the configuration; keeping the running one");
        return;
      }
      if (text === this.lastText) return;
      this.lastText = text;
      this.logger.info({ file: this.opts.confFile }, "configuration changed; reloading");
      try {
        await this.apply(this.build(parseProperties(text, this.opts.confFile)));
      } catch (err) {
        this.logger.error((err as Error).message + " (the running configuration is kept)");
      }
    });
    return this.reloading;
  }

  private watchFile(): void {
    const file = this.opts.confFile!;
    const interval = this.opts.reloadIntervalMs ?? 30000;
    watchFile(file, { interval, persistent: false }, () => void this.reload());
    try {
      this.watcher = watch(file, { persistent: false }, () => void this.reload());
      this.watcher.on("error", () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null; // polling still runs
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.opts.confFile) unwatchFile(this.opts.confFile);
    this.watcher?.close();
    await this.reloading;
    for (const s of this.sources.values()) await s.runner.stop();
    for (const r of this.runners.values()) await r.runner.stop();
    for (const c of this.channels.values()) await c.channel.stop();
    this.logger.info({ agent: this.name }, "agent stopped");
  }
}
