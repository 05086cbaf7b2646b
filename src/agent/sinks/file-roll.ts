/**
 * Flume's file_roll sink (RollingFileSink): events written to files in
 * sink.directory, a new file every sink.rollInterval seconds (0 = never).
 * File names come from the path manager: DEFAULT `<prefix><startMillis>-<n>[.ext]`,
 * ROLLTIME `<prefix><yyyyMMddHHmmss>-<n>[.ext]`.
 *
 * Delivery: a batch is taken in one transaction, written and fsync'd, and only then
 * committed; a failure rolls the transaction back and returns BACKOFF.
 */
import { mkdirSync } from "node:fs";
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Channel, ComponentEnv, Context, Event, Sink, Status } from "../api.js";
import { SinkCounter } from "../counters.js";
import { TextSerializer, createSerializer, type EventSerializer } from "./serializers.js";

export interface PathManager {
  nextFile(): string;
}

export class DefaultPathManager implements PathManager {
  private readonly series = Date.now();
  private index = 0;
  constructor(
    private readonly prefix = "",
    private readonly extension = "",
    private readonly rollTime = false,
  ) {}
  nextFile(): string {
    this.index++;
    const stamp = this.rollTime ? rollTimeStamp(new Date()) : String(this.series);
    return `${this.prefix}${stamp}-${this.index}${this.extension ? `.${this.extension}` : ""}`;
  }
}

function rollTimeStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const date = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`;
  return `${date}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export interface FileRollOptions {
  directory: string;
  rollInterval?: number;
  batchSize?: number;
  serializer?: EventSerializer;
  pathManager?: PathManager;
  agentName?: string;
  logger?: Logger;
}

export class RollingFileSink implements Sink {
  readonly counter: SinkCounter;
  private channel: Channel | null = null;
  private fh: FileHandle | null = null;
  private current: string | null = null;
  private shouldRotate = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly directory: string;
  private readonly rollInterval: number;
  private readonly batch: number;
  /** events per take transaction (checked against the channel's transactionCapacity) */
  batchSize(): number {
    return this.batch;
  }
  private readonly serializer: EventSerializer;
  private readonly paths: PathManager;
  private readonly log?: Logger;
  /** every file this sink opened, in order */
  readonly files: string[] = [];

  constructor(
    readonly name: string,
    opts: FileRollOptions,
  ) {
    this.directory = opts.directory;
    this.rollInterval = opts.rollInterval ?? 30;
    this.batch = opts.batchSize ?? 100;
    this.serializer = opts.serializer ?? new TextSerializer();
    this.paths = opts.pathManager ?? new DefaultPathManager();
    this.log = opts.logger;
    this.counter = new SinkCounter(opts.agentName ?? "agent", name);
  }

  setChannel(channel: Channel): void {
    this.channel = channel;
  }

  start(): void {
    mkdirSync(this.directory, { recursive: true });
    this.counter.register();
    if (this.rollInterval > 0) {
      this.timer = setInterval(() => (this.shouldRotate = true), this.rollInterval * 1000);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.closeFile();
    this.counter.unregister();
  }

  private async closeFile(): Promise<void> {
    if (!this.fh) return;
    const fh = this.fh;
    this.fh = null;
    try {
      await fh.sync();
    } finally {
      await fh.close();
      this.counter.inc("ConnectionClosedCount");
    }
  }

  async process(): Promise<Status> {
    if (!this.channel) throw new Error(`sink ${this.name} has no channel`);
    if (this.shouldRotate) {
      this.shouldRotate = false;
      await this.closeFile();
    }
    if (!this.fh) {
      const name = this.paths.nextFile();
      this.current = join(this.directory, name);
      try {
        this.fh = await open(this.current, "a");
        this.files.push(this.current);
        this.counter.inc("ConnectionCreatedCount");
        const h = this.serializer.header();
        if (h.length > 0) await this.fh.write(h);
      } catch (err) {
        this.counter.inc("ConnectionFailedCount");
        this.fh = null;
        this.log?.error({ err, sink: this.name }, "file_roll: cannot open file");
        return "BACKOFF";
      }
    }
    const tx = this.channel.getTransaction();
    tx.begin();
    const batch: Event[] = [];
    try {
      while (batch.length < this.batch) {
        const e = await tx.take();
        if (!e) break;
        batch.push(e);
      }
      this.counter.inc("EventDrainAttemptCount", batch.length);
      if (batch.length > 0) {
        await this.fh.write(this.serializer.encode(batch));
        await this.fh.datasync();
      }
      await tx.commit();
      this.counter.inc("EventDrainSuccessCount", batch.length);
      if (batch.length === 0) this.counter.inc("BatchEmptyCount");
      else if (batch.length < this.batch) this.counter.inc("BatchUnderflowCount");
      else this.counter.inc("BatchCompleteCount");
      return batch.length === 0 ? "BACKOFF" : "READY";
    } catch (err) {
      this.counter.inc("EventWriteFail");
      this.log?.error({ err, sink: this.name }, "file_roll: write failed, transaction rolled back");
      await tx.rollback().catch(() => undefined);
      // the file may hold a partial batch: start a new one
      await this.closeFile().catch(() => undefined);
      return "BACKOFF";
    } finally {
      tx.close();
    }
  }
}

export function createFileRollSink(name: string, ctx: Context, env: ComponentEnv): RollingFileSink {
  const directory = ctx.requireString("sink.directory");
  const rollInterval = ctx.getInteger("sink.rollInterval", 30);
  if (rollInterval < 0) throw ctx.error("sink.rollInterval", "must be >= 0");
  const batchSize = ctx.getInteger("sink.batchSize", 100);
  if (batchSize <= 0) throw ctx.error("sink.batchSize", "must be positive");
  const pm = ctx.getString("sink.pathManager", "DEFAULT").toUpperCase();
  if (pm !== "DEFAULT" && pm !== "ROLLTIME")
    throw ctx.error("sink.pathManager", `must be DEFAULT or ROLLTIME, got "${pm}"`);
  const pathManager = new DefaultPathManager(
    ctx.getString("sink.pathManager.prefix", ""),
    ctx.getString("sink.pathManager.extension", ""),
    pm === "ROLLTIME",
  );
  const serializer = createSerializer(ctx, "sink.serializer");
  return new RollingFileSink(name, {
    directory,
    rollInterval,
    batchSize,
    serializer,
    pathManager,
    agentName: env.agentName,
    logger: env.logger,
  });
}
