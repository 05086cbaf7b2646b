/**
 * avro sink (org.apache.flume.sink.AvroSink): sends batches to a downstream
 * agent's avro source with appendBatch, and commits its channel transaction
 * only when the answer is OK (rolled back otherwise, so nothing is lost).
 * Properties: hostname, port, batch-size (100), connect-timeout (20000 ms),
 * request-timeout (20000 ms), reset-connection-interval (0 s: never; else
 * the connection is re-opened that often, to follow a load balancer),
 * compression-type (none only), ssl (false only).
 */
import type { ComponentEnv, Context, Event } from "../api.js";
import { EventDeliveryError } from "../api.js";
import { BatchSink } from "./base.js";
import { AvroRpcClient } from "../avro-rpc/client.js";

export interface AvroSinkOptions {
  hostname: string;
  port: number;
  batchSize: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  resetConnectionIntervalS: number;
}

export class AvroSink extends BatchSink {
  private client?: AvroRpcClient;
  private openedAt = 0;

  constructor(
    name: string,
    env: ComponentEnv,
    readonly options: AvroSinkOptions,
  ) {
    super(name, env.agentName, options.batchSize);
  }

  override stop(): void {
    this.closeClient();
    super.stop();
  }

  protected override label(): string {
    return `avro sink ${this.name}`;
  }

  private closeClient(): void {
    if (this.client) {
      this.client.close();
      this.client = undefined;
      this.counter.inc("ConnectionClosedCount");
    }
  }

  private getClient(): AvroRpcClient {
    const reset = this.options.resetConnectionIntervalS;
    if (this.client && reset > 0 && Date.now() - this.openedAt >= reset * 1000) this.closeClient();
    if (!this.client) {
      this.client = new AvroRpcClient({
        host: this.options.hostname,
        port: this.options.port,
        connectTimeoutMs: this.options.connectTimeoutMs,
        requestTimeoutMs: this.options.requestTimeoutMs,
      });
      this.openedAt = Date.now();
      this.counter.inc("ConnectionCreatedCount");
    }
    return this.client;
  }

  protected async deliver(events: Event[]): Promise<void> {
    const status = await this.getClient().appendBatch(events);
    if (status !== "OK")
      throw new EventDeliveryError(
        "MR_AGENT_SINK_DELIVERY",
        `avro sink ${this.name}: ${this.options.hostname}:${this.options.port} answered ${status}`,
      );
  }

  protected override onFailure(err: unknown): void {
    if (!(err instanceof EventDeliveryError)) {
      // a transport failure: start over with a new connection next time
      this.counter.inc("ConnectionFailedCount");
      this.closeClient();
    }
  }
}

export function createAvroSink(name: string, ctx: Context, env: ComponentEnv): AvroSink {
  const hostname = ctx.requireString("hostname");
  const portStr = ctx.requireString("port");
  if (!/^\d+$/.test(portStr) || Number(portStr) > 65535)
    throw ctx.error("port", `must be a port number, got "${portStr}"`);
  const batchSize = ctx.getInteger("batch-size", 100);
  if (batchSize < 1) throw ctx.error("batch-size", "must be positive");
  const compression = ctx.getString("compression-type", "none").toLowerCase();
  if (compression !== "none") throw ctx.error("compression-type", `"${compression}" is not supported (none only)`);
  if (ctx.getBoolean("ssl", false)) throw ctx.error("ssl", "true is not supported");
  return new AvroSink(name, env, {
    hostname,
    port: Number(portStr),
    batchSize,
    connectTimeoutMs: ctx.getInteger("connect-timeout", 20_000),
    requestTimeoutMs: ctx.getInteger("request-timeout", 20_000),
    resetConnectionIntervalS: ctx.getInteger("reset-connection-interval", 0),
  });
}
