/**
 * Broker configuration with Kafka's names and defaults, read from a
 * server.properties file and `--override key=value` flags. Errors name
 * file:line:key. Keys millrace does not implement are reported once, never
 * silently dropped.
 */
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { parseProperties, readPropertiesFile, type PropertyEntry } from "../formats/properties.js";

type Kind = "int" | "long" | "bool" | "string" | "list" | "double";

interface KeyDef {
  kind: Kind;
  default: string | null;
  /** the topic-level config this broker key provides the default for */
  topic?: string;
  /** one of these values, when restricted */
  oneOf?: string[];
  min?: number;
}

/** Broker keys that millrace implements, with Kafka's defaults (log.dirs excepted: ./millrace-data). */
export const BROKER_KEYS: Record<string, KeyDef> = {
  "node.id": { kind: "int", default: "1", min: 0 },
  "broker.id": { kind: "int", default: null, min: 0 },
  listeners: { kind: "list", default: "PLAINTEXT://127.0.0.1:9092" },
  "advertised.listeners": { kind: "list", default: null },
  "listener.security.protocol.map": {
    kind: "list",
    default: "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
  },
  "sasl.server.max.receive.size": { kind: "int", default: "524288", min: 1 },
  "connection.failed.authentication.delay.ms": { kind: "int", default: "100", min: 0 },
  "authorizer.class.name": { kind: "string", default: "" },
  "super.users": { kind: "string", default: null },
  "allow.everyone.if.no.acl.found": { kind: "bool", default: "false" },
  "log.dirs": { kind: "list", default: null },
  "log.dir": { kind: "string", default: "./millrace-data" },
  "num.partitions": { kind: "int", default: "1", min: 1 },
  "default.replication.factor": { kind: "int", default: "1", min: 1 },
  "auto.create.topics.enable": { kind: "bool", default: "true" },
  "delete.topic.enable": { kind: "bool", default: "true" },
  "message.max.bytes": { kind: "int", default: "1048588", topic: "max.message.bytes", min: 0 },
  "socket.request.max.bytes": { kind: "int", default: "104857600", min: 1 },
  "log.segment.bytes": { kind: "int", default: "1073741824", topic: "segment.bytes", min: 14 },
  "log.roll.hours": { kind: "int", default: "168", min: 1 },
  "log.roll.ms": { kind: "long", default: null, topic: "segment.ms", min: 1 },
  "log.retention.hours": { kind: "int", default: "168" },
  "log.retention.minutes": { kind: "int", default: null },
  "log.retention.ms": { kind: "long", default: null, topic: "retention.ms" },
  "log.retention.bytes": { kind: "long", default: "-1", topic: "retention.bytes" },
  "log.retention.check.interval.ms": { kind: "long", default: "300000", min: 1 },
  "log.index.interval.bytes": { kind: "int", default: "4096", topic: "index.interval.bytes", min: 0 },
  "log.index.size.max.bytes": { kind: "int", default: "10485760", topic: "segment.index.bytes", min: 4 },
  "log.cleanup.policy": { kind: "list", default: "delete", topic: "cleanup.policy" },
  "log.message.timestamp.type": {
    kind: "string",
    default: "CreateTime",
    topic: "message.timestamp.type",
    oneOf: ["CreateTime", "LogAppendTime"],
  },
  "log.flush.interval.messages": { kind: "long", default: "9223372036854775807", topic: "flush.messages", min: 1 },
  "log.flush.interval.ms": { kind: "long", default: null, topic: "flush.ms" },
  "log.segment.delete.delay.ms": { kind: "long", default: "60000", topic: "file.delete.delay.ms", min: 0 },
  "compression.type": {
    kind: "string",
    default: "producer",
    topic: "compression.type",
    oneOf: ["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"],
  },
  "log.cleaner.enable": { kind: "bool", default: "true" },
  "log.cleaner.backoff.ms": { kind: "long", default: "15000", min: 0 },
  "log.cleaner.dedupe.buffer.size": { kind: "long", default: "134217728", min: 0 },
  "log.cleaner.min.cleanable.ratio": { kind: "double", default: "0.5", topic: "min.cleanable.dirty.ratio" },
  "log.cleaner.delete.retention.ms": { kind: "long", default: "86400000", topic: "delete.retention.ms", min: 0 },
  "log.cleaner.min.compaction.lag.ms": { kind: "long", default: "0", topic: "min.compaction.lag.ms", min: 0 },
  "log.cleaner.max.compaction.lag.ms": {
    kind: "long",
    default: "9223372036854775807",
    topic: "max.compaction.lag.ms",
    min: 1,
  },
  "min.insync.replicas": { kind: "int", default: "1", topic: "min.insync.replicas", min: 1 },
  "num.network.threads": { kind: "int", default: "3" },
  "num.io.threads": { kind: "int", default: "8" },
  "group.initial.rebalance.delay.ms": { kind: "int", default: "3000", min: 0 },
  "group.min.session.timeout.ms": { kind: "int", default: "6000", min: 0 },
  "group.max.session.timeout.ms": { kind: "int", default: "1800000", min: 0 },
  "group.max.size": { kind: "int", default: "2147483647", min: 1 },
  "offsets.topic.num.partitions": { kind: "int", default: "50", min: 1 },
  "offsets.retention.minutes": { kind: "int", default: "10080", min: 1 },
  "offsets.retention.check.interval.ms": { kind: "long", default: "600000", min: 1 },
  "offset.metadata.max.bytes": { kind: "int", default: "4096", min: 0 },
  "offsets.topic.replication.factor": { kind: "int", default: "1" },
  "transaction.state.log.replication.factor": { kind: "int", default: "1" },
  "transaction.state.log.min.isr": { kind: "int", default: "1" },
  "socket.send.buffer.bytes": { kind: "int", default: "102400" },
  "socket.receive.buffer.bytes": { kind: "int", default: "102400" },
  "process.roles": { kind: "list", default: "broker,controller" },
  "controller.listener.names": { kind: "list", default: null },
  "controller.quorum.voters": { kind: "list", default: null },
  "inter.broker.listener.name": { kind: "string", default: null },
};

/** Keys Kafka has but millrace ignores (no effect on one node); accepted with a notice. */
const NO_EFFECT = [
  /^zookeeper\./,
  /^num\.recovery\.threads/,
  /^log\.cleaner\./,
  /^replica\./,
  /^controller\./,
  /^metadata\./,
];

export type SecurityProtocol = "PLAINTEXT" | "SSL" | "SASL_PLAINTEXT" | "SASL_SSL";
const SECURITY_PROTOCOLS: SecurityProtocol[] = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

/**
 * ssl.* / sasl.* keys a listener reads, at broker level or as
 * listener.name.<listener>.<key> / listener.name.<listener>.<mechanism>.<key>.
 */
export const LISTENER_SECURITY_KEYS = new Set([
  "ssl.keystore.type",
  "ssl.keystore.location",
  "ssl.keystore.password",
  "ssl.keystore.key",
  "ssl.keystore.certificate.chain",
  "ssl.key.password",
  "ssl.truststore.type",
  "ssl.truststore.location",
  "ssl.truststore.password",
  "ssl.truststore.certificates",
  "ssl.client.auth",
  "ssl.protocol",
  "ssl.enabled.protocols",
  "ssl.cipher.suites",
  "ssl.principal.mapping.rules",
  "ssl.endpoint.identification.algorithm",
  "sasl.enabled.mechanisms",
  "sasl.jaas.config",
  "sasl.oauthbearer.jwks.endpoint.url",
  "sasl.oauthbearer.expected.audience",
  "sasl.oauthbearer.expected.issuer",
  "sasl.oauthbearer.clock.skew.seconds",
  "sasl.oauthbearer.sub.claim.name",
  "sasl.server.callback.handler.class",
  "connections.max.reauth.ms",
]);

export interface Listener {
  name: string;
  host: string;
  port: number;
  /** from listener.security.protocol.map */
  securityProtocol: SecurityProtocol;
}

export interface BrokerConfig {
  nodeId: number;
  listeners: Listener[];
  /** advertised address per listener name */
  advertised: Map<string, { host: string; port: number }>;
  logDir: string;
  numPartitions: number;
  autoCreateTopics: boolean;
  deleteTopicEnable: boolean;
  messageMaxBytes: number;
  socketRequestMaxBytes: number;
  retentionCheckIntervalMs: number;
  cleaner: { enable: boolean; backoffMs: number; dedupeBufferSize: number };
  offsetsTopicPartitions: number;
  /** group coordinator settings (group.* and offsets.*) */
  groups: {
    groupInitialRebalanceDelayMs: number;
    groupMinSessionTimeoutMs: number;
    groupMaxSessionTimeoutMs: number;
    groupMaxSize: number;
    offsetsRetentionMs: number;
    offsetsRetentionCheckIntervalMs: number;
    offsetMetadataMaxBytes: number;
  };
  /** topic-level defaults derived from the broker keys (Kafka topic config names) */
  topicDefaults: Record<string, string>;
  /** every implemented key with its effective value and where it came from */
  values: Map<string, { value: string | null; source: "static" | "default"; entry?: PropertyEntry }>;
  /** keys that were given but have no effect in millrace */
  ignored: PropertyEntry[];
  /** ssl.*, sasl.* and listener.name.* security settings as given (read per listener by listeners.ts) */
  security: Map<string, PropertyEntry>;
  saslServerMaxReceiveSize: number;
  connectionFailedAuthenticationDelayMs: number;
  /** authorizer.class.name, super.users, allow.everyone.if.no.acl.found */
  authorizer: { className: string; superUsers: string | null; allowEveryoneIfNoAclFound: boolean };
}

function fail(e: PropertyEntry, msg: string): never {
  throw new ConfigError("MR_CONFIG_INVALID", `${e.file}:${e.line}: ${e.key}: ${msg}`);
}

const validators: Record<Kind, z.ZodType> = {
  int: z
    .string()
    .regex(/^-?\d+$/, "must be an integer")
    .transform(Number)
    .pipe(z.number().int().min(-2147483648).max(2147483647)),
  long: z
    .string()
    .regex(/^-?\d+$/, "must be an integer")
    .transform((s) => BigInt(s)),
  double: z.string().transform(Number).pipe(z.number()),
  bool: z.enum(["true", "false"], "must be true or false"),
  string: z.string(),
  list: z.string(),
};

function check(e: PropertyEntry, def: KeyDef): void {
  const r = validators[def.kind].safeParse(e.value.trim());
  if (!r.success) fail(e, `${JSON.stringify(e.value)} ${r.error.issues[0]?.message ?? "is invalid"}`);
  if (def.oneOf && !def.oneOf.includes(e.value.trim()))
    fail(e, `${JSON.stringify(e.value)} is not one of ${def.oneOf.join(", ")}`);
  if (def.min !== undefined && Number(e.value) < def.min) fail(e, `${e.value} is below the minimum of ${def.min}`);
}

function parseListener(s: string, e: PropertyEntry | undefined): Omit<Listener, "securityProtocol"> {
  const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(s.trim());
  if (!m) {
    const msg = `${JSON.stringify(s)} is not NAME://host:port`;
    if (e) fail(e, msg);
    throw new ConfigError("MR_CONFIG_INVALID", `listeners: ${msg}`);
  }
  return { name: m[1].toUpperCase(), host: m[2].replace(/^\[|\]$/g, ""), port: Number(m[3]) };
}

function splitList(v: string): string[] {
  return v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export interface LoadOptions {
  /** path of a server.properties file */
  file?: string;
  /** `key=value` strings, applied after the file */
  overrides?: string[];
  /** already parsed entries (tests, embedded use) */
  props?: Record<string, string>;
}

export function loadBrokerConfig(opts: LoadOptions = {}): BrokerConfig {
  const given = new Map<string, PropertyEntry>();
  if (opts.file) for (const e of readPropertiesFile(opts.file).entries) given.set(e.key, e);
  for (const [k, v] of Object.entries(opts.props ?? {}))
    given.set(k, { key: k, value: String(v), file: "<embedded>", line: 0 });
  (opts.overrides ?? []).forEach((o, i) => {
    const idx = o.indexOf("=");
    if (idx <= 0)
      throw new ConfigError("MR_CONFIG_INVALID", `--override #${i + 1}: ${JSON.stringify(o)} is not key=value`);
    const parsed = parseProperties(o, `--override #${i + 1}`).entries[0];
    given.set(parsed.key, parsed);
  });

  const ignored: PropertyEntry[] = [];
  const security = new Map<string, PropertyEntry>();
  for (const e of given.values()) {
    const def = BROKER_KEYS[e.key];
    if (def) check(e, def);
    if (isListenerSecurityKey(e.key)) security.set(e.key, e);
    else if (!def) ignored.push(e);
  }

  const values = new Map<string, { value: string | null; source: "static" | "default"; entry?: PropertyEntry }>();
  for (const [k, def] of Object.entries(BROKER_KEYS)) {
    const e = given.get(k);
    values.set(
      k,
      e ? { value: e.value.trim(), source: "static", entry: e } : { value: def.default, source: "default" },
    );
  }
  const get = (k: string): string | null => values.get(k)!.value;

  const listenersEntry = given.get("listeners");
  const mapEntry = given.get("listener.security.protocol.map");
  const protocolMap = parseProtocolMap(get("listener.security.protocol.map")!, mapEntry);
  const listeners: Listener[] = splitList(get("listeners")!).map((s) => {
    const l = parseListener(s, listenersEntry);
    const securityProtocol = protocolMap.get(l.name);
    if (!securityProtocol) {
      const msg = `listener ${l.name} has no security protocol in listener.security.protocol.map`;
      if (listenersEntry) fail(listenersEntry, msg);
      throw new ConfigError("MR_CONFIG_INVALID", msg);
    }
    return { ...l, securityProtocol };
  });
  if (listeners.length === 0)
    throw new ConfigError("MR_CONFIG_INVALID", "listeners: at least one listener is required");
  const names = listeners.map((l) => l.name);
  if (new Set(names).size !== names.length && listenersEntry) fail(listenersEntry, "each listener needs its own name");
  const advertised = new Map<string, { host: string; port: number }>();
  const advEntry = given.get("advertised.listeners");
  for (const s of splitList(get("advertised.listeners") ?? "")) {
    const l = parseListener(s, advEntry);
    advertised.set(l.name, { host: l.host, port: l.port });
  }

  const logDirs = get("log.dirs");
  const logDir = logDirs ? splitList(logDirs)[0] : get("log.dir")!;
  if (logDirs && splitList(logDirs).length > 1) {
    ignored.push({ ...given.get("log.dirs")!, key: "log.dirs (only the first directory is used)" });
  }

  const retentionMs =
    get("log.retention.ms") ??
    (get("log.retention.minutes") !== null
      ? String(Number(get("log.retention.minutes")) * 60_000)
      : String(Number(get("log.retention.hours")) * 3_600_000));
  const segmentMs = get("log.roll.ms") ?? String(Number(get("log.roll.hours")) * 3_600_000);

  const topicDefaults: Record<string, string> = {};
  for (const [k, def] of Object.entries(BROKER_KEYS)) {
    if (def.topic && get(k) !== null) topicDefaults[def.topic] = get(k)!;
  }
  topicDefaults["retention.ms"] = retentionMs;
  topicDefaults["segment.ms"] = segmentMs;
  if (get("log.flush.interval.ms") === null) delete topicDefaults["flush.ms"];

  return {
    nodeId: Number(get("broker.id") ?? get("node.id")),
    listeners,
    advertised,
    logDir,
    numPartitions: Number(get("num.partitions")),
    autoCreateTopics: get("auto.create.topics.enable") === "true",
    deleteTopicEnable: get("delete.topic.enable") === "true",
    messageMaxBytes: Number(get("message.max.bytes")),
    socketRequestMaxBytes: Number(get("socket.request.max.bytes")),
    retentionCheckIntervalMs: Number(get("log.retention.check.interval.ms")),
    cleaner: {
      enable: get("log.cleaner.enable") === "true",
      backoffMs: Number(get("log.cleaner.backoff.ms")),
      dedupeBufferSize: Number(get("log.cleaner.dedupe.buffer.size")),
    },
    offsetsTopicPartitions: Number(get("offsets.topic.num.partitions")),
    groups: {
      groupInitialRebalanceDelayMs: Number(get("group.initial.rebalance.delay.ms")),
      groupMinSessionTimeoutMs: Number(get("group.min.session.timeout.ms")),
      groupMaxSessionTimeoutMs: Number(get("group.max.session.timeout.ms")),
      groupMaxSize: Number(get("group.max.size")),
      offsetsRetentionMs: Number(get("offsets.retention.minutes")) * 60_000,
      offsetsRetentionCheckIntervalMs: Number(get("offsets.retention.check.interval.ms")),
      offsetMetadataMaxBytes: Number(get("offset.metadata.max.bytes")),
    },
    topicDefaults,
    values,
    ignored,
    security,
    saslServerMaxReceiveSize: Number(get("sasl.server.max.receive.size")),
    connectionFailedAuthenticationDelayMs: Number(get("connection.failed.authentication.delay.ms")),
    authorizer: {
      className: get("authorizer.class.name") ?? "",
      superUsers: get("super.users"),
      allowEveryoneIfNoAclFound: get("allow.everyone.if.no.acl.found") === "true",
    },
  };
}

/** ssl.*, sasl.* keys a listener reads, plain or prefixed with listener.name.<l>. (and a mechanism). */
function isListenerSecurityKey(key: string): boolean {
  if (LISTENER_SECURITY_KEYS.has(key)) return true;
  const m = /^listener\.name\.[^.]+\.(.+)$/.exec(key);
  if (!m) return false;
  if (LISTENER_SECURITY_KEYS.has(m[1])) return true;
  const mech = /^[a-z0-9-]+\.(.+)$/.exec(m[1]);
  return mech !== null && LISTENER_SECURITY_KEYS.has(mech[1]);
}

function parseProtocolMap(v: string, e: PropertyEntry | undefined): Map<string, SecurityProtocol> {
  const out = new Map<string, SecurityProtocol>();
  for (const pair of splitList(v)) {
    const [name, proto] = pair.split(":").map((x) => x.trim().toUpperCase());
    if (!name || !SECURITY_PROTOCOLS.includes(proto as SecurityProtocol)) {
      const msg = `${JSON.stringify(pair)} is not NAME:${SECURITY_PROTOCOLS.join("|")}`;
      if (e) fail(e, msg);
      throw new ConfigError("MR_CONFIG_INVALID", `listener.security.protocol.map: ${msg}`);
    }
    out.set(name, proto as SecurityProtocol);
  }
  return out;
}

/** One line per ignored key, for the startup log. */
export function describeIgnored(cfg: BrokerConfig): string[] {
  return cfg.ignored.map((e) => {
    const noEffect = NO_EFFECT.some((r) => r.test(e.key));
    const why = noEffect
      ? "has no effect on a single-node millrace broker"
      : "is not supported by millrace and is ignored";
    return `${e.file}:${e.line}: ${e.key}: ${why}`;
  });
}
