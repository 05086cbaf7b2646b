/**
 * Composes a whole pipeline in one process, for `millrace demo` and
 * `millrace run pipeline.yaml`: the broker (embedded, or a Kafka cluster's
 * bootstrap.servers), agents from their Flume configuration files, streaming
 * apps loaded in-process from their modules, and the dashboard wired to all of
 * them. Inside the process the agents and apps reach the log through the
 * broker's embedded TopicsPort (their Kafka addresses are routed to it).
 *
 * stop() goes in the order that loses nothing: the agents (sources first, then
 * the channel flushes), the streaming apps (graceful: generated batches finish
 * and are checkpointed), the dashboard, and last the broker (log flushed).
 */
import { pathToFileURL } from "node:url";
import pino, { type Logger } from "pino";
import { Broker } from "../../broker/broker.js";
import { loadBrokerConfig } from "../../broker/config.js";
import { MillraceError } from "../../errors.js";
import { readPropertiesFile, type Properties } from "../../formats/properties.js";
import { enableProcessMetrics } from "../../metrics/registry.js";
import { Agent } from "../../agent/runtime/agent.js";
import { monitoringSnapshot } from "../../agent/counters.js";
import { StreamingContext } from "../../streaming/context.js";
import type { BatchInfo } from "../../streaming/scheduler.js";
import { registerInProcess } from "../../topics/inprocess.js";
import { openTopics } from "../../topics/open.js";
import type { TopicsPort } from "../../topics/port.js";
import { Dashboard } from "../../ui/server.js";
import { latencySamples, latestOutput } from "../../ui/feed.js";
import type { BatchUIData, DashboardSources, GroupInfo, StreamingAppInfo } from "../../ui/sources.js";
import type { Pipeline } from "./config.js";

export class PipelineError extends MillraceError {}

export interface RunnerAgent {
  name: string;
  /** the Flume properties file */
  confFile: string;
  /** already-parsed properties to run instead of the file's (the demo's adjusted copy) */
  properties?: Properties;
  sysprops?: Record<string, string>;
}

export interface RunnerApp {
  module: string;
  name?: string;
  master?: string;
  args: string[];
}

export interface RunnerSpec {
  broker: Pipeline["broker"];
  agents: RunnerAgent[];
  apps: RunnerApp[];
  ui: Pipeline["ui"];
  /** how the error messages name the settings that choose the ports */
  settings: { uiPort: string; brokerListeners: string };
  title?: string;
}

export interface RunningApp {
  name: string;
  module: string;
  ssc: StreamingContext;
  /** the module's evaluation (settles when the app's top level returns) */
  done: Promise<unknown>;
}

export function specFromPipeline(p: Pipeline): RunnerSpec {
  return {
    broker: p.broker,
    agents: p.agents.map((a) => ({
      name: a.name,
      confFile: a["conf-file"],
      ...(a.properties
        ? { sysprops: Object.fromEntries(Object.entries(a.properties).map(([k, v]) => [k, String(v)])) }
        : {}),
    })),
    apps: p.apps.map((a) => ({
      module: a.module,
      ...(a.name ? { name: a.name } : {}),
      master: a.master,
      args: a.args,
    })),
    ui: p.ui,
    settings: { uiPort: `ui.port in ${p.file}`, brokerListeners: `broker.listeners in ${p.file}` },
    title: `millrace run ${p.file}`,
  };
}

let loads = 0;
const say = (msg: string) => process.stdout.write(msg + "\n");

export class PipelineRunner {
  broker: Broker | undefined;
  topics!: TopicsPort;
  readonly agents: Agent[] = [];
  readonly apps: RunningApp[] = [];
  dashboard: Dashboard | undefined;
  readonly logger: Logger;
  private unroute: (() => void) | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(readonly spec: RunnerSpec) {
    this.logger = pino({ name: "millrace", level: process.env.MILLRACE_LOG_LEVEL ?? "warn" }, pino.destination(2));
  }

  static async start(spec: RunnerSpec): Promise<PipelineRunner> {
    const r = new PipelineRunner(spec);
    try {
      await r.startAll();
    } catch (e) {
      await r.stop({ quiet: true }).catch(() => {});
      throw e;
    }
    return r;
  }

  /** the Kafka bootstrap address clients can use, if any */
  bootstrap(): string | undefined {
    if (this.broker) return this.broker.listeners.length ? this.broker.bootstrap() : undefined;
    return this.spec.broker["bootstrap.servers"];
  }

  private async startAll(): Promise<void> {
    enableProcessMetrics();
    process.env.MILLRACE_PIPELINE = "1";
    const b = this.spec.broker;
    if (b["bootstrap.servers"]) {
      // the pipeline's own cluster connection, never another in-process broker's port
      this.topics = await openTopics({
        bootstrapServers: b["bootstrap.servers"],
        clientId: "millrace-pipeline",
        inProcess: false,
      });
    } else {
      const props: Record<string, string> = {};
      for (const [k, v] of Object.entries(b.properties ?? {})) props[k] = String(v);
      props["log.dirs"] = b["data.dir"] ?? props["log.dirs"] ?? "./millrace-data";
      if (b.listeners) props.listeners = b.listeners;
      const config = loadBrokerConfig({ props });
      try {
        this.broker = await Broker.start(config, {
          logger: this.logger.child({ part: "broker" }),
          listen: !!b.listeners,
        });
      } catch (e) {
        if (e instanceof MillraceError && e.code === "MR_BROKER_PORT_IN_USE") {
          const m = /port (\d+)/.exec(e.message);
          throw new PipelineError(
            "MR_BROKER_PORT_IN_USE",
            `the broker's Kafka port ${m?.[1] ?? ""} is already in use;` +
              ` choose another with ${this.spec.settings.brokerListeners}`,
          );
        }
        throw e;
      }
      this.topics = this.broker.embeddedTopics();
      // Kafka addresses of this broker (and, when it serves none, the default one) lead in-process.
      const addrs = this.broker.listeners.length
        ? this.broker.listeners.flatMap((l) => [
            `127.0.0.1:${l.boundPort}`,
            `localhost:${l.boundPort}`,
            this.broker!.bootstrap(),
          ])
        : ["127.0.0.1:9092", "localhost:9092"];
      this.unroute = registerInProcess(addrs, this.topics);
    }
    for (const t of b.topics ?? []) {
      const configs = Object.fromEntries(Object.entries(t.configs ?? {}).map(([k, v]) => [k, String(v)]));
      await this.topics.createTopic(t.name, { partitions: t.partitions, configs, ifNotExists: true });
    }
    if (this.spec.ui.enabled) {
      this.dashboard = await Dashboard.start(this.sources(), {
        host: this.spec.ui.host,
        port: this.spec.ui.port,
        portSetting: this.spec.settings.uiPort,
      });
    }
    await this.startMore();
  }

  /** Starts the agents and apps of the spec not started yet (agents first). */
  async startMore(): Promise<void> {
    for (const a of this.spec.agents.slice(this.agents.length)) {
      const agent = await Agent.start({
        name: a.name,
        ...(a.properties ? { properties: a.properties } : { confFile: a.confFile }),
        ...(a.sysprops ? { sysprops: a.sysprops } : {}),
        logger: this.logger.child({ part: `agent.${a.name}` }),
        topics: async () => this.topics,
        reload: !a.properties,
      });
      this.agents.push(agent);
    }
    for (const app of this.spec.apps.slice(this.apps.length)) this.apps.push(await this.loadApp(app));
  }

  /**
   * Imports a streaming app's module in-process with its own argv (as if node ran
   * it) and waits for the StreamingContext it starts.
   */
  private async loadApp(app: RunnerApp): Promise<RunningApp> {
    const before = StreamingContext.getActive();
    const saved = { argv: process.argv, master: process.env.MILLRACE_MASTER, name: process.env.MILLRACE_APP_NAME };
    process.argv = [process.argv[0]!, app.module, ...app.args];
    if (app.master) process.env.MILLRACE_MASTER = app.master;
    if (app.name) process.env.MILLRACE_APP_NAME = app.name;
    let settled: { ok: boolean; err?: unknown } | undefined;
    // a fresh evaluation per app, even when two apps share a module
    const done = import(`${pathToFileURL(app.module).href}?app=${++loads}`).then(
      (v) => {
        settled = { ok: true };
        return v;
      },
      (e) => {
        settled = { ok: false, err: e };
        throw e;
      },
    );
    done.catch(() => {});
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const cur = StreamingContext.getActive();
        if (cur && cur !== before && cur.state === "active") {
          const ra: RunningApp = { name: cur.appName, module: app.module, ssc: cur, done };
          done.catch((err) => {
            if (!this.stopping) this.logger.error({ err, app: ra.name }, "streaming app failed");
          });
          return ra;
        }
        if (settled) {
          if (!settled.ok) {
            const err = settled.err as Error;
            if (err instanceof MillraceError) throw err;
            throw new PipelineError(
              "MR_PIPELINE_APP",
              `streaming app ${app.module} failed to start: ${err?.message ?? err}`,
              { cause: err },
            );
          }
          throw new PipelineError(
            "MR_PIPELINE_APP",
            `streaming app ${app.module} returned without starting a StreamingContext`,
          );
        }
        if (Date.now() > deadline)
          throw new PipelineError(
            "MR_PIPELINE_APP",
            `streaming app ${app.module} did not start a StreamingContext within 60 s`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      process.argv = saved.argv;
      if (saved.master === undefined) delete process.env.MILLRACE_MASTER;
      else process.env.MILLRACE_MASTER = saved.master;
      if (saved.name === undefined) delete process.env.MILLRACE_APP_NAME;
      else process.env.MILLRACE_APP_NAME = saved.name;
    }
  }

  /** what the dashboard reads */
  sources(): DashboardSources {
    const broker = this.broker;
    return {
      topics: this.topics,
      title: this.spec.title ?? "millrace",
      ...(broker ? { partitionSize: (t: string, p: number) => broker.log.partition(t, p)?.size() } : {}),
      ...(broker ? { groups: () => embeddedGroups(broker) } : {}),
      streaming: () => this.apps.map((a) => streamingInfo(a)),
      agents: () => Object.fromEntries(this.agents.map((a) => [a.name, monitoringSnapshot(a.name)])),
      output: () => latestOutput(),
    };
  }

  /** Stops everything in order; `quiet` skips the progress lines (failed start). */
  stop(opts: { quiet?: boolean } = {}): Promise<void> {
    this.stopping ??= (async () => {
      const log = opts.quiet ? () => {} : say;
      for (const a of this.agents) {
        log(`stopping agent ${a.name}: sources stop, channels flush`);
        await a.stop();
      }
      for (const app of this.apps) {
        log(`stopping streaming app ${app.name}: running batches finish, checkpoint written`);
        await app.ssc.stop({ graceful: true });
        await app.done.catch(() => {});
      }
      await this.dashboard?.close();
      this.unroute?.();
      if (this.broker) {
        log("stopping the broker: log flushed to disk");
        await this.broker.stop();
      } else {
        await this.topics?.close();
      }
    })();
    return this.stopping;
  }
}

function streamingInfo(a: RunningApp): StreamingAppInfo {
  const I = a.ssc.batchInterval;
  const row = (b: BatchInfo, status: BatchUIData["status"]): BatchUIData => ({
    time: b.time,
    records: b.records,
    inputRate: b.inputRate ?? (b.records * 1000) / I,
    schedulingDelay: b.schedulingDelay ?? Math.max(0, Date.now() - b.time),
    processingTime: b.processingTime ?? 0,
    totalDelay: b.totalDelay ?? Math.max(0, Date.now() - b.time),
    status,
  });
  const done = a.ssc
    .batches()
    .slice(-200)
    .map((b) => row(b, b.error ? "failed" : "completed"));
  const pending = a.ssc.pendingBatches().map((b) => row(b, b.startedAt ? "running" : "queued"));
  return { app: a.name, batchInterval: I, batches: [...done, ...pending], latency: latencySamples(a.name).slice(-200) };
}

/** consumer groups of the embedded broker: members from the coordinator, committed offsets against the log end */
export async function embeddedGroups(broker: Broker): Promise<GroupInfo[]> {
  const list = await broker.groups.listGroups();
  const out: GroupInfo[] = [];
  const ids = list.groups.map((g) => g.groupId).sort();
  const described = ids.length ? (await broker.groups.describeGroups({ groups: ids })).groups : [];
  for (const d of described) {
    const offsets = await broker.groups.fetchOffsets({ groupId: d.groupId, topics: null });
    const partitions: GroupInfo["partitions"] = [];
    for (const t of offsets.topics) {
      for (const p of t.partitions) {
        const log = broker.log.partition(t.name, p.partitionIndex);
        const logEnd = log ? Number(log.highWatermark) : 0;
        const committed = p.committedOffset >= 0n ? Number(p.committedOffset) : null;
        partitions.push({
          topic: t.name,
          partition: p.partitionIndex,
          committed,
          logEnd,
          lag: committed === null ? null : Math.max(0, logEnd - committed),
        });
      }
    }
    partitions.sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : x.partition - y.partition));
    out.push({ group: d.groupId, state: d.groupState, members: d.members.length, partitions });
  }
  return out;
}

/** Reads a Flume properties file (errors name the file). */
export function readAgentProperties(file: string): Properties {
  return readPropertiesFile(file);
}
