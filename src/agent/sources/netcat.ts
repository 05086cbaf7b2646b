/**
 * Flume's netcat source: a TCP server on bind:port; every line ('\n', with an
 * optional '\r' before it removed) is one event. max-line-length (512) bytes per
 * line: a longer line is truncated and the client told "FAILED: Event exceeds
 * the maximum length (N chars, including newline)". With ack-every-event (true)
 * each accepted line is answered "OK", a refused one (channel full) "FAILED:
 * ...". encoding (utf-8) is accepted for compatibility; bodies are the raw bytes.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import type { ChannelProcessor, ComponentEnv, Context, EventDrivenSource } from "../api.js";
import { SourceCounter } from "../counters.js";
import { LineSplitter } from "./lines.js";
import { listenOn, readListenPort } from "./base.js";

export class NetcatSource implements EventDrivenSource {
  readonly kind = "event-driven" as const;
  private cp!: ChannelProcessor;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  readonly counter: SourceCounter;
  constructor(
    readonly name: string,
    agent: string,
    readonly bind: string,
    public port: number,
    readonly maxLineLength = 512,
    readonly ackEveryEvent = true,
    private readonly log?: Logger,
  ) {
    this.counter = new SourceCounter(agent, name);
  }
  static fromContext(name: string, ctx: Context, env: ComponentEnv): NetcatSource {
    const bind = ctx.requireString("bind");
    const port = readListenPort(ctx);
    const max = ctx.getInteger("max-line-length", 512);
    if (max <= 0) throw ctx.error("max-line-length", "must be positive");
    const ack = ctx.getBoolean("ack-every-event", true);
    ctx.getString("encoding");
    return new NetcatSource(name, env.agentName, bind, port, max, ack, env.logger);
  }
  setChannelProcessor(cp: ChannelProcessor): void {
    this.cp = cp;
  }
  async start(): Promise<void> {
    this.counter.register();
    this.server = createServer((s) => this.handle(s));
    this.port = await listenOn(this.server, this.port, this.bind);
    this.log?.info({ source: this.name, bind: this.bind, port: this.port }, "netcat source listening");
  }
  private handle(sock: Socket): void {
    this.sockets.add(sock);
    this.counter.inc("OpenConnectionCount");
    const splitter = new LineSplitter({ maxLineLength: this.maxLineLength, emitTooLongEarly: true });
    let chain = Promise.resolve();
    sock.on("data", (d: Buffer) => {
      const lines = splitter.push(d);
      if (lines.length === 0) return;
      sock.pause();
      chain = chain.then(async () => {
        for (const line of lines) {
          const body = Buffer.from(line.bytes);
          this.counter.inc("EventReceivedCount");
          if (line.truncated)
            this.reply(
              sock,
              `FAILED: Event exceeds the maximum length (${this.maxLineLength} chars, including newline)\n`,
            );
          try {
            await this.cp.processEvent({ headers: {}, body });
            this.counter.inc("EventAcceptedCount");
            if (this.ackEveryEvent && !line.truncated) this.reply(sock, "OK\n");
          } catch (err) {
            this.counter.inc("ChannelWriteFail");
            this.reply(sock, `FAILED: ${(err as Error).message}\n`);
          }
        }
        sock.resume();
      });
    });
    sock.on("error", () => {});
    sock.on("close", () => {
      this.sockets.delete(sock);
      this.counter.inc("OpenConnectionCount", -1);
    });
  }
  private reply(sock: Socket, s: string): void {
    if (!sock.destroyed) sock.write(s);
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = null;
    this.counter.unregister();
  }
}
