/**
 * The single-node Kafka-protocol broker: the log, TCP listeners, connections,
 * and the shared state handlers read (config, cluster id, topic creation).
 * Embedded in-process by default; `millrace broker` runs it on its own.
 */
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
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
import { ConnectionSession, ListenerSecurity } from "./listeners.js";
import { AclStore, ScramCredentialStore } from "../security/stores.js";
import { AUTHORIZER_CLASS_NAMES, StandardAuthorizer, parseSuperUsers } from "../security/authorizer.js";
import { watchTlsFiles } from "../security/tls.js";

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
  private unwatch: (() => void)[] = [];
  /** SCRAM credentials (scram-credentials.json in the log dir) */
  scram!: ScramCredentialStore;
  /** ACL bindings (acls.json in the log dir) */
  acls!: AclStore;
  /**
   * set when authorizer.class.name names Kafka's StandardAuthorizer (or AclAuthorizer); not enforced by
   * handlers yet
   */
  authorizer: StandardAuthorizer | null = null;
  private security = new Map<string, ListenerSecurity>();

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
    try {
      broker.setUpSecurity();
    } catch (e) {
      await groups.close();
      await producers.close();
      await log.close();
      throw e;
    }
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

  /** Loads the SCRAM and ACL stores and reads every listener's TLS/SASL settings (errors name the key). */
  private setUpSecurity(): void {
    this.scram = ScramCredentialStore.open(this.config.logDir);
    this.acls = AclStore.open(this.config.logDir);
    const a = this.config.authorizer;
    if (a.className !== "") {
      if (!AUTHORIZER_CLASS_NAMES.includes(a.className))
        throw new ConfigError(
          "MR_CONFIG_INVALID",
          `authorizer.class.name: ${a.className} is not one of ${AUTHORIZER_CLASS_NAMES.join(", ")}`,
        );
      this.authorizer = new StandardAuthorizer(() => this.acls.all(), {
        superUsers: parseSuperUsers(a.superUsers),
        allowEveryoneIfNoAclFound: a.allowEveryoneIfNoAclFound,
      });
    }
    for (const l of this.config.listeners) this.security.set(l.name, new ListenerSecurity(l, this.config, this.scram));
  }

  private accept(socket: Socket, sec: ListenerSecurity): void {
    if (this.stopping) return void socket.destroy();
    let principal: ReturnType<ListenerSecurity["transportPrincipal"]>;
    try {
      principal = sec.transportPrincipal(sec.ssl ? (socket as TLSSocket) : null);
    } catch (e) {
      this.logger.warn(
        { client: `${socket.remoteAddress}:${socket.remotePort}`, reason: (e as Error).message },
        "failed authentication",
      );
      return void socket.destroy();
    }
    const c = new Connection(socket, this, sec.listener.name, new ConnectionSession(sec, principal));
    this.connections.add(c);
    this.metrics.connections++;
  }

  private listenerServer(sec: ListenerSecurity): Server {
    if (!sec.tls) return createServer((socket) => this.accept(socket, sec));
    const options = (t: NonNullable<typeof sec.tls>) => ({
      ...t.context,
      requestCert: t.clientAuth !== "none",
      rejectUnauthorized: t.clientAuth === "required",
    });
    const server = createTlsServer(options(sec.tls), (socket) => this.accept(socket, sec));
    server.on("tlsClientError", (e, socket) => {
      this.logger.warn(
        { client: `${socket.remoteAddress}:${socket.remotePort}`, reason: e.message },
        "TLS handshake failed",
      );
    });
    this.unwatch.push(
      watchTlsFiles(
        sec.tls,
        () => sec.buildTls(),
        (t) => {
          server.setSecureContext(options(t));
          sec.tls = t;
          this.logger.info({ listener: sec.listener.name }, "reloaded TLS keystore/truststore");
        },
        (e) =>
          this.logger.error(
            { listener: sec.listener.name, err: e.message },
            "TLS reload failed; keeping the old certificates",
          ),
      ),
    );
    return server;
  }

  private async listen(): Promise<void> {
    for (const l of this.config.listeners) {
      const sec = this.security.get(l.name)!;
      const server = this.listenerServer(sec);
      await new Promise<void>((resolve, reject) => {
        server.once("error", (e: NodeJS.ErrnoException) =>
          reject(
            new MillraceError(
              e.code === "EADDRINUSE" ? "MR_BROKER_PORT_IN_USE" : "MR_BROKER_LISTEN",
              e.code === "EADDRINUSE"
                ? `port ${l.port} on ${l.host || "all interfaces"} is already in use; change the broker's ` +
                    `listeners setting (listeners=${l.name}://${l.host}:${l.port})`
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
      this.logger.info(
        { listener: `${l.name}://${l.host}:${boundPort}`, securityProtocol: l.securityProtocol },
        "listening",
      );
      if (l.securityProtocol === "PLAINTEXT" && !isLoopback(l.host) && !this.authorizer) this.warnOpen(l, boundPort);
    }
  }

  private warnOpen(l: Listener, port: number): void {
    const line = "*".repeat(78);
    this.logger.warn(
      `\n${line}\n* WARNING: listener ${l.name}://${l.host || "0.0.0.0"}:${port} is PLAINTEXT on a non-loopback ` +
        `address\n` +
        `* with no authorizer: anyone who can reach it can read, write and delete every topic.\n` +
        `* Use SASL_SSL or SSL (listener.security.protocol.map), set authorizer.class.name,\n` +
        `* or bind it to 127.0.0.1.\n${line}`,
    );
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
        for (const u of this.unwatch) u();
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

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
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
