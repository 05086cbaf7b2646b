/**
 * Flume's exec source: runs `command` (through `shell -c`-style prefix when
 * `shell` is set), one event per line of its stdout, handed to the channel in
 * batches of batchSize or after batchTimeout ms. When the channel refuses a batch
 * the child's stdout is paused and the batch retried (backpressure, no loss while
 * the process runs). restart / restartThrottle respawn the command when it exits;
 * logStdErr logs its stderr.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Logger } from "pino";
import type { ChannelProcessor, ComponentEnv, Context, Event, EventDrivenSource } from "../api.js";
import { SourceCounter } from "../counters.js";
import { DEFAULT_MAX_LINE_LENGTH, LineSplitter, type Line } from "./lines.js";

export interface ExecOptions {
  command: string;
  shell?: string;
  restart?: boolean;
  restartThrottle?: number;
  batchSize?: number;
  batchTimeout?: number;
  logStdErr?: boolean;
  charset?: BufferEncoding;
  /** bytes (UTF-8) a line may have; a longer one is cut to it with a warning (default DEFAULT_MAX_LINE_LENGTH) */
  maxLineLength?: number;
  agentName?: string;
  logger?: Logger;
}

export class ExecSource implements EventDrivenSource {
  readonly kind = "event-driven" as const;
  readonly counter: SourceCounter;
  private cp: ChannelProcessor | null = null;
  private child: ChildProcess | null = null;
  private buffer: Event[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** how many times the command was started */
  runs = 0;
  /** resolves when the current child has exited and its output was delivered */
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly opts: ExecOptions,
  ) {
    this.counter = new SourceCounter(opts.agentName ?? "agent", name);
  }

  batchSize(): number {
    return this.opts.batchSize ?? 20;
  }

  setChannelProcessor(cp: ChannelProcessor): void {
    this.cp = cp;
  }

  start(): void {
    this.stopped = false;
    this.counter.register();
    this.spawnChild();
  }

  private spawnChild(): void {
    const o = this.opts;
    const args = o.shell
      ? [...o.shell.split(/\s+/).filter(Boolean), o.command]
      : o.command.split(/\s+/).filter(Boolean);
    const child = spawn(args[0]!, args.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.runs++;
    const splitter = new LineSplitter({ maxLineLength: o.maxLineLength });
    let done!: () => void;
    this.exited = new Promise((r) => (done = r));
    child.stdout!.setEncoding(o.charset ?? "utf8");
    child.stdout!.on("data", (chunk: string) => this.onData(chunk, child, splitter));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => {
      if (o.logStdErr)
        for (const l of s.split("\n")) if (l) this.opts.logger?.info({ source: this.name }, `StderrLogger: ${l}`);
    });
    child.on("error", (err) => this.opts.logger?.error({ err, source: this.name }, "exec: cannot run command"));
    child.on("close", (code, signal) => {
      void (async () => {
        const last = splitter.end();
        if (last) this.push(last);
        await this.flushAll();
        this.opts.logger?.info({ source: this.name, code, signal }, "exec: command exited");
        done();
        if (this.child === child) this.child = null;
        if (!this.stopped && o.restart) {
          this.restartTimer = setTimeout(() => this.spawnChild(), o.restartThrottle ?? 10_000);
          this.restartTimer.unref?.();
        }
      })();
    });
  }

  private onData(chunk: string, child: ChildProcess, splitter: LineSplitter): void {
    // the decoded text is split as UTF-8 bytes (a \n byte is never inside a character)
    for (const l of splitter.push(Buffer.from(chunk, "utf8"))) this.push(l);
    if (this.buffer.length >= (this.opts.batchSize ?? 20)) {
      child.stdout!.pause();
      void this.flushAll().then(() => child.stdout!.resume());
    } else if (this.buffer.length > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flushAll();
      }, this.opts.batchTimeout ?? 3000);
      this.timer.unref?.();
    }
  }

  private push(line: Line): void {
    if (line.truncated)
      this.opts.logger?.warn(
        { source: this.name, length: line.length, maxLineLength: this.opts.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH },
        "exec: line longer than the maximum, cut",
      );
    const text = line.bytes.toString("utf8");
    this.buffer.push({ headers: {}, body: Buffer.from(text, this.opts.charset ?? "utf8") });
    this.counter.inc("EventReceivedCount");
  }

  /** delivers everything buffered, retrying while the channel refuses */
  private flushAll(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.buffer.length ? this.flushAll() : undefined));
    this.flushing = (async () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      let delay = 50;
      while (this.buffer.length > 0) {
        const batch = this.buffer.slice(0, this.opts.batchSize ?? 20);
        try {
          this.counter.inc("AppendBatchReceivedCount");
          await this.cp!.processEventBatch(batch);
          this.buffer.splice(0, batch.length);
          this.counter.inc("AppendBatchAcceptedCount");
          this.counter.inc("EventAcceptedCount", batch.length);
          delay = 50;
        } catch (err) {
          this.counter.inc("ChannelWriteFail");
          this.opts.logger?.warn({ err, source: this.name }, "exec: channel refused a batch, retrying");
          if (this.stopped) break;
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 1000);
        }
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.child) {
      this.child.kill("SIGTERM");
      await this.exited;
    }
    await this.flushAll();
    this.counter.unregister();
  }
}

export function createExecSource(name: string, ctx: Context, env: ComponentEnv): ExecSource {
  const batchSize = ctx.getInteger("batchSize", 20);
  if (batchSize <= 0) throw ctx.error("batchSize", "must be positive");
  const charset = ctx.getString("charset", "UTF-8").toLowerCase().replace("-", "");
  if (!Buffer.isEncoding(charset)) throw ctx.error("charset", `unsupported charset "${charset}"`);
  return new ExecSource(name, {
    command: ctx.requireString("command"),
    shell: ctx.getString("shell") || undefined,
    restart: ctx.getBoolean("restart", false),
    restartThrottle: ctx.getInteger("restartThrottle", 10_000),
    batchSize,
    batchTimeout: ctx.getInteger("batchTimeout", 3000),
    logStdErr: ctx.getBoolean("logStdErr", false),
    charset: charset as BufferEncoding,
    agentName: env.agentName,
    logger: env.logger,
  });
}
