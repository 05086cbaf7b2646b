/**
 * avro source (org.apache.flume.source.AvroSource): receives events from an
 * upstream agent's avro sink (or any Flume RPC client) over Avro IPC with the
 * Netty framing. Properties: bind, port, threads (accepted; Node serves all
 * connections on one loop), compression-type (none; deflate is not
 * supported and rejected), ssl (false only). A put the channel refuses is
 * answered FAILED, so the sender keeps the events and retries.
 */
import type { ChannelProcessor, ComponentEnv, Context, Event, EventDrivenSource } from "../api.js";
import { SourceCounter } from "../counters.js";
import { AvroRpcServer } from "../avro-rpc/server.js";
import type { RpcStatus } from "../avro-rpc/protocol.js";
import { putCounted } from "./put.js";

export class AvroSource implements EventDrivenSource {
  readonly kind = "event-driven" as const;
  readonly counter: SourceCounter;
  private cp?: ChannelProcessor;
  private server?: AvroRpcServer;
  boundPort = 0;

  constructor(
    readonly name: string,
    private readonly env: ComponentEnv,
    private readonly bind: string,
    private readonly port: number,
  ) {
    this.counter = new SourceCounter(env.agentName, name);
  }

  setChannelProcessor(cp: ChannelProcessor): void {
    this.cp = cp;
  }

  private async put(events: Event[], batch: boolean): Promise<RpcStatus> {
    const kind = batch ? "batch" : "single";
    try {
      await putCounted(this.counter, this.cp!, events, { call: batch ? "batch" : "event", append: kind });
    } catch (err) {
      this.env.logger.warn(
        { err, source: this.name },
        `avro source ${this.name}: put of ${events.length} event(s) failed, answered FAILED`,
      );
      return "FAILED";
    }
    return "OK";
  }

  async start(): Promise<void> {
    this.server = new AvroRpcServer(
      this.bind,
      this.port,
      {
        append: (e) => this.put([e], false),
        appendBatch: (es) => (es.length === 0 ? Promise.resolve("OK") : this.put(es, true)),
        onConnection: (open) => this.counter.inc("OpenConnectionCount", open ? 1 : -1),
      },
      this.env.logger,
    );
    this.boundPort = await this.server.start();
    this.counter.register();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
    this.counter.unregister();
  }
}

export function createAvroSource(name: string, ctx: Context, env: ComponentEnv): AvroSource {
  const bind = ctx.requireString("bind");
  const portStr = ctx.requireString("port");
  if (!/^\d+$/.test(portStr) || Number(portStr) > 65535)
    throw ctx.error("port", `must be a port number, got "${portStr}"`);
  ctx.markUsed("threads");
  const compression = ctx.getString("compression-type", "none").toLowerCase();
  if (compression !== "none") throw ctx.error("compression-type", `"${compression}" is not supported (none only)`);
  if (ctx.getBoolean("ssl", false)) throw ctx.error("ssl", "true is not supported");
  return new AvroSource(name, env, bind, Number(portStr));
}
