/**
 * The agent's plug-in API: Flume's model (org.apache.flume.*) in TypeScript.
 *
 * An Event is headers + body. Sources hand events to a ChannelProcessor, which
 * runs the interceptor chain, asks the selector for channels and puts the events
 * into each channel inside one transaction per channel. Sinks take events from
 * their channel inside a transaction and commit only when the next hop holds them.
 *
 * Every component is created by a factory from its registry (see registry.ts),
 * configured once from a Context (its properties, with file:line for errors),
 * then started and stopped by the runtime. Channel operations are async: a file
 * channel writes its log, a Kafka channel talks to a broker.
 */
import { ConfigError, MillraceError } from "../errors.js";
import type { PropertyEntry } from "../formats/properties.js";

// ---------------------------------------------------------------- events

export interface Event {
  headers: Record<string, string>;
  body: Buffer;
}

export function event(body: Buffer | string, headers: Record<string, string> = {}): Event {
  return { headers, body: typeof body === "string" ? Buffer.from(body) : body };
}

// ---------------------------------------------------------------- errors

/** Raised by the agent at run time; `code` is stable (MR_AGENT_*). */
export class AgentError extends MillraceError {}

/** A channel refused a put because it is full (Flume's ChannelFullException). */
export class ChannelFullError extends AgentError {
  constructor(channel: string, detail = "") {
    super("MR_AGENT_CHANNEL_FULL", `channel ${channel} is full${detail ? `: ${detail}` : ""}`);
  }
}

/** Any other channel failure (Flume's ChannelException). */
export class ChannelError extends AgentError {}

/**
 * A put of more events than one transaction of the channel may hold
 * (transactionCapacity): not "full", the same batch would fail forever. The
 * channel processor splits such a batch into transactions of `capacity`.
 */
export class TransactionTooLargeError extends ChannelError {
  constructor(
    channel: string,
    readonly capacity: number,
  ) {
    super(
      "MR_AGENT_TX_TOO_LARGE",
      `transaction too large for channel ${channel}: more than its transactionCapacity (${capacity}) ` +
        "events in one transaction",
    );
  }
}

/** A sink or source could not deliver (Flume's EventDeliveryException). */
export class EventDeliveryError extends AgentError {}

// ---------------------------------------------------------------- configuration context

/**
 * A component's properties (the part of the agent config under its name, with
 * the component prefix removed: `a1.channels.c1.capacity` -> `capacity`).
 * Getters record which keys were read; the runtime reports every key nobody
 * read once, as unsupported, so nothing is silently ignored.
 */
export class Context {
  private readonly used = new Set<string>();
  constructor(
    /** the component's full name prefix, e.g. `a1.channels.c1` (for messages) */
    readonly prefix: string,
    private readonly props: Map<string, PropertyEntry>,
  ) {}

  static of(values: Record<string, string>, prefix = "test"): Context {
    const m = new Map<string, PropertyEntry>();
    for (const [key, value] of Object.entries(values))
      m.set(key, { key: `${prefix}.${key}`, value, file: "<inline>", line: 0 });
    return new Context(prefix, m);
  }

  has(key: string): boolean {
    return this.props.has(key);
  }
  keys(): string[] {
    return [...this.props.keys()];
  }
  entry(key: string): PropertyEntry | undefined {
    return this.props.get(key);
  }
  /**
   * Sets a property the file did not give (a translated deprecated name, a computed
   * default). `from` is the entry it comes from, so an error about it names that line.
   */
  set(key: string, value: string, from?: PropertyEntry): void {
    this.props.set(key, {
      key: from?.key ?? `${this.prefix}.${key}`,
      value,
      file: from?.file ?? "<computed>",
      line: from?.line ?? 0,
    });
  }
  /** marks a key as understood without reading it (e.g. handled by the runtime) */
  markUsed(key: string): void {
    this.used.add(key);
  }
  unusedKeys(): string[] {
    return this.keys().filter((k) => !this.used.has(k));
  }

  /** properties under `prefix.` with the prefix removed, as a sub-context */
  sub(prefix: string): Context {
    const m = new Map<string, PropertyEntry>();
    for (const [k, v] of this.props) {
      if (k.startsWith(prefix + ".")) {
        m.set(k.slice(prefix.length + 1), v);
        this.used.add(k);
      }
    }
    return new Context(`${this.prefix}.${prefix}`, m);
  }

  getString(key: string): string | undefined;
  getString(key: string, def: string): string;
  getString(key: string, def?: string): string | undefined {
    this.used.add(key);
    const e = this.props.get(key);
    return e === undefined ? def : e.value.trim();
  }

  requireString(key: string): string {
    const v = this.getString(key);
    if (v === undefined || v === "") throw this.error(key, "is required");
    return v;
  }

  getInteger(key: string): number | undefined;
  getInteger(key: string, def: number): number;
  getInteger(key: string, def?: number): number | undefined {
    const s = this.getString(key);
    if (s === undefined || s === "") return def;
    if (!/^[-+]?\d+$/.test(s)) throw this.error(key, `must be an integer, got "${s}"`);
    return Number(s);
  }

  /** an integer > 0 (batch sizes, durations); the default when absent */
  getPositiveInteger(key: string, def: number): number {
    const v = this.getInteger(key, def);
    if (v <= 0) throw this.error(key, `must be > 0, got ${v}`);
    return v;
  }

  getNumber(key: string, def: number): number {
    const s = this.getString(key);
    if (s === undefined || s === "") return def;
    const n = Number(s);
    if (!Number.isFinite(n)) throw this.error(key, `must be a number, got "${s}"`);
    return n;
  }

  getBoolean(key: string, def: boolean): boolean {
    const s = this.getString(key);
    if (s === undefined || s === "") return def;
    const l = s.toLowerCase();
    if (l === "true") return true;
    if (l === "false") return false;
    throw this.error(key, `must be true or false, got "${s}"`);
  }

  /** A ConfigError naming file:line:key (or the key alone when it was not in a file). */
  error(key: string, message: string): ConfigError {
    const e = this.props.get(key);
    const where = e && e.line > 0 ? `${e.file}:${e.line}: ` : "";
    const full = e ? e.key : `${this.prefix}.${key}`;
    return new ConfigError("MR_CONFIG_INVALID", `${where}${full} ${message}`);
  }
}

// ---------------------------------------------------------------- lifecycle

export type LifecycleState = "IDLE" | "START" | "STOP" | "ERROR";

export interface LifecycleAware {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** Named component with Flume's counters (see counters.ts). */
export interface NamedComponent {
  readonly name: string;
}

// ---------------------------------------------------------------- channels

/**
 * A channel transaction (Flume's BasicTransactionSemantics): begin, then puts or
 * takes, then commit or rollback, then close. Puts are invisible to takers until
 * commit; takes are returned to the channel on rollback. One transaction is used
 * by one caller at a time.
 */
export interface Transaction {
  begin(): void;
  put(event: Event): Promise<void>;
  /** the next event, or null when the channel is empty */
  take(): Promise<Event | null>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): void;
}

export interface Channel extends LifecycleAware, NamedComponent {
  getTransaction(): Transaction;
  /** events committed and not yet taken (for ChannelSize) */
  size(): number;
  /** capacity in events, when bounded (for ChannelFillPercentage) */
  capacity(): number | undefined;
  /** most events one transaction may hold (Flume's TransactionCapacitySupported); checked against batch sizes */
  transactionCapacity?(): number;
}

// ---------------------------------------------------------------- interceptors and selectors

export interface Interceptor {
  initialize?(): void | Promise<void>;
  /** the event (possibly changed) or null to drop it */
  intercept(event: Event): Event | null;
  close?(): void | Promise<void>;
}

export interface ChannelSelector {
  /** channels every event must reach; a failure fails the put */
  getRequiredChannels(event: Event): Channel[];
  /** channels an event may reach; failures are logged and ignored */
  getOptionalChannels(event: Event): Channel[];
}

/** What sources talk to: interceptors, then the selector, then channel transactions. */
export interface ChannelProcessor {
  /** puts one event (one transaction per channel); ChannelFullError when full */
  processEvent(event: Event): Promise<void>;
  /** puts a batch atomically per required channel; ChannelFullError when full */
  processEventBatch(events: Event[]): Promise<void>;
}

// ---------------------------------------------------------------- sources

export type Status = "READY" | "BACKOFF";

interface SourceBase extends LifecycleAware, NamedComponent {
  /** set by the runtime before start() */
  setChannelProcessor(cp: ChannelProcessor): void;
  /** events per channel transaction (Flume's BatchSizeSupported); must not exceed the channels' transactionCapacity */
  batchSize?(): number;
}

/** Pushes events on its own (netcat, http, syslog, kafka, ...). */
export interface EventDrivenSource extends SourceBase {
  readonly kind: "event-driven";
}

/** Polled by a runner thread-equivalent (seq, spooldir, taildir, ...). */
export interface PollableSource extends SourceBase {
  readonly kind: "pollable";
  process(): Promise<Status>;
  /** ms added to the sleep after each BACKOFF (Flume default 1000) */
  backoffSleepIncrement?(): number;
  /** cap on the sleep (Flume default 5000) */
  maxBackoffSleepInterval?(): number;
}

export type Source = EventDrivenSource | PollableSource;

// ---------------------------------------------------------------- sinks

export interface Sink extends LifecycleAware, NamedComponent {
  /** set by the runtime before start() */
  setChannel(channel: Channel): void;
  /** takes up to a batch inside one transaction; READY if it moved events, BACKOFF if none */
  process(): Promise<Status>;
  /** events per take transaction (Flume's BatchSizeSupported); must not exceed the channel's transactionCapacity */
  batchSize?(): number;
}

export interface SinkProcessor extends LifecycleAware {
  process(): Promise<Status>;
}

// ---------------------------------------------------------------- component factories

/** What a factory gets besides its Context. */
export interface ComponentEnv {
  /** the agent's name (`a1`) */
  agentName: string;
  /** reaching topics, for Kafka sources, channels and sinks */
  topics?: () => Promise<import("../topics/port.js").TopicsPort>;
  /** the agent's logger (pino) */
  logger: import("pino").Logger;
}

export type ComponentKind = "source" | "channel" | "sink" | "interceptor" | "selector" | "sinkprocessor";

/** Creates a configured component; throws ConfigError (from ctx.error) on bad properties. */
export type SourceFactory = (name: string, ctx: Context, env: ComponentEnv) => Source;
export type ChannelFactory = (name: string, ctx: Context, env: ComponentEnv) => Channel;
export type SinkFactory = (name: string, ctx: Context, env: ComponentEnv) => Sink;
export type InterceptorFactory = (ctx: Context, env: ComponentEnv) => Interceptor;
/** A source's channel selector (`selector.*` properties), over the source's channels in config order. */
export type SelectorFactory = (ctx: Context, channels: Channel[], env: ComponentEnv) => ChannelSelector;
/** A sink group's processor (`processor.*` properties), over the group's sinks in config order. */
export type SinkProcessorFactory = (ctx: Context, sinks: Sink[], env: ComponentEnv) => SinkProcessor;
