/**
 * The single-node Kafka-protocol broker: the log, TCP listeners, connections,
 * and the shared state handlers read (config, cluster id, topic creation).
 * Embedded in-process by default; `millrace broker` runs it on its own.
 */
import { createServer, type Server } from "node:net";
import { hostname } from "node:os";
import pino, { type Logger } from "pino";
import { LogManager, isTopicConfigName, parseConfigValue, type LogConfig, type TopicInfo } from "../log/index.js";
import { ConfigError } from "../errors.js";
import { ProducerIdManager, ProducerStateManager } from "../coordinator/producers/index.js";
import { GroupCoordinator } from "../coordinator/groups/index.js";
import { OffsetsTopicStore } from "../coordinator/offsets-topic.js";
import { MillraceError } from "../errors.js";
import { EmbeddedTopics } from "../topics/embedded.js";
import type { BrokerConfig, Listener } from "./config.js";
import { Connection } from "./connection.js";
import { observeBroker } from "./metrics.js";

export interface BrokerMetrics {
  requests: number;
  requestErrors: number;
  connections: number;
}

export interface BoundListener extends Listener {
  /** the port actually bound (differs from `port` when it was 0) */
  boundPort: number;
}

export class Broker {
  readonly metrics: BrokerMetrics = { requests: 0, requestErrors: 0, connections: 0 };
  private servers: Server[] = [];
  private connections = new Set<Connection>();
  readonly listeners: BoundListener[] = [];
  private stopping: Promise<void> | null = null;
  private creating = new Map<string, Promise<TopicInfo>>();
  private unobserve: (() => void) | undefined;

  isStopping(): boolean {
    return this.stopping !== null;
  }

  private constructor(
    readonly config: BrokerConfig,
    readonly log: LogManager,
    readonly clusterId: string,
    readonly logger: Logger,
    /** producer ids handed out by InitProducerId */
    readonly producerIds: ProducerIdManager,
    /** per-partition idempotent producer state (sequence numbers, duplicates) */
    readonly producers: ProducerStateManager,
    /** consumer groups and their committed offsets (stored in __consumer_offsets) */
    readonly groups: GroupCoordinator,
  ) {}

  static async start(config: BrokerConfig, opts: { logger?: Logger; listen?: boolean } = {}): Promise<Broker> {
    const logger = opts.logger ?? pino({ name: "broker", level: process.env.MILLRACE_LOG_LEVEL ?? "info" });
    const log = await LogManager.open({
      dir: config.logDir,
      nodeId: config.nodeId,
      defaults: topicDefaults(config),
      logger,
      "log.retention.check.interval.ms": config.retentionCheckIntervalMs,
      "log.cleaner.enable": config.cleaner.enable,
      "log.cleaner.backoff.ms": config.cleaner.backoffMs,
      "log.cleaner.dedupe.buffer.size": config.cleaner.dedupeBufferSize,
    });
    const producerIds = await ProducerIdManager.open({ dir: config.logDir, nodeId: config.nodeId });
    const producers = new ProducerStateManager(log, { logger });
    await producers.load();
    const store = new OffsetsTopicStore(log, { partitions: config.offsetsTopicPartitions });
    const groups = new GroupCoordinator({
      store,
      logger: logger.child({ component: "group-coordinator" }),
      config: { ...config.groups, offsetsTopicNumPartitions: store.partitions },
    });
    await groups.load();
    const broker = new Broker(config, log, log.clusterId, logger, producerIds, producers, groups);
    log.startBackgroundTasks();
    producers.startBackgroundTasks();
    broker.unobserve = observeBroker({ log, connections: () => broker.connections.size });
    if (opts.listen !== false) {
      try {
        await broker.listen();
      } catch (e) {
        await broker.stop();
        throw e;
      }
    }
    return broker;
  }

  private async listen(): Promise<void> {
    for (const l of this.config.listeners) {
      const server = createServer((socket) => {
        if (this.stopping) return socket.destroy();
        const c = new Connection(socket, this, l.name);
        this.connections.add(c);
        this.metrics.connections++;
      });
      await new Promise<void>((resolve, reject) => {
        server.once("error", (e: NodeJS.ErrnoException) =>
          reject(
            new MillraceError(
              e.code === "EADDRINUSE" ? "MR_BROKER_PORT_IN_USE" : "MR_BROKER_LISTEN",
              e.code === "EADDRINUSE"
                ? `port ${l.port} on ${l.host || "all interfaces"} is already in use; change the broker's listeners setting (listeners=${l.name}://${l.host}:${l.port})`
                : `cannot listen on ${l.name}://${l.host}:${l.port}: ${e.code ?? e.message}`,
              { cause: e },
            ),
          ),
        );
        server.listen({ host: l.host || undefined, port: l.port }, () => resolve());
      });
      const addr = server.address();
      const boundPort = typeof addr === "object" && addr ? addr.port : l.port;
      this.servers.push(server);
      this.listeners.push({ ...l, boundPort });
      this.logger.info({ listener: `${l.name}://${l.host}:${boundPort}` }, "listening");
    }
  }

  connectionClosed(c: Connection): void {
    this.connections.delete(c);
  }

  /** Where clients should connect for the given listener (advertised.listeners, else the bound address). */
  advertisedAddress(listener: string): { host: string; port: number } {
    const adv = this.config.advertised.get(listener);
    const bound = this.listeners.find((l) => l.name === listener) ?? this.listeners[0];
    if (adv) return { host: adv.host, port: adv.port === 0 && bound ? bound.boundPort : adv.port };
    if (!bound) return { host: "127.0.0.1", port: 9092 };
    const host = bound.host === "" || bound.host === "0.0.0.0" || bound.host === "::" ? hostname() : bound.host;
    return { host, port: bound.boundPort };
  }

  /** The bootstrap address of the first listener, e.g. "127.0.0.1:9092". */
  bootstrap(): string {
    const a = this.advertisedAddress(this.listeners[0]?.name ?? "PLAINTEXT");
    return `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
  }

  /** Creates a topic once even when several requests ask for it at the same time. */
  async createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Promise<TopicInfo> {
    const existing = this.creating.get(name);
    if (existing) return existing;
    const p = this.log.createTopic(name, partitions, configs).finally(() => this.creating.delete(name));
    this.creating.set(name, p);
    const t = await p;
    this.logger.info({ topic: name, partitions }, "created topic");
    return t;
  }

  /**
   * A TopicsPort over this broker's log, group coordinator and producer state
   * (in-process, no sockets). Closing it makes its group members leave and
   * leaves the broker running.
   */
  embeddedTopics(): EmbeddedTopics {
    return new EmbeddedTopics({
      log: this.log,
      groups: this.groups,
      producers: this.producers,
      producerIds: this.producerIds,
      defaultPartitions: this.config.numPartitions,
    });
  }

  /** Stops accepting, closes connections, flushes and closes the log. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        // server.close() only calls back once every connection has ended, so the
        // connections are closed before waiting (else a connected client hangs stop()).
        const closed = Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
        for (const c of [...this.connections]) c.close();
        await closed;
        await this.groups.close();
        await this.producers.close();
        await this.log.close();
        this.unobserve?.();
        this.logger.info("broker stopped");
      })();
    }
    return this.stopping;
  }
}

/** The broker's log.* settings as typed topic-level defaults (errors name the broker key). */
function topicDefaults(config: BrokerConfig): Partial<LogConfig> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(config.topicDefaults)) {
    if (!isTopicConfigName(name)) continue;
    try {
      out[name] = parseConfigValue(name, raw);
    } catch (e) {
      throw new ConfigError("MR_CONFIG_INVALID", `broker default for ${name}: ${(e as Error).message}`);
    }
  }
  return out as Partial<LogConfig>;
}
