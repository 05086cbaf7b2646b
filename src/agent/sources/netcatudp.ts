/**
 * Flume's netcatudp source: every UDP datagram on bind:port is one event (a trailing newline
 * removed); remoteAddressHeader names a header for the sender's address.
 */
import { createSocket, type Socket } from "node:dgram";
import type { ChannelProcessor, ComponentEnv, Context, EventDrivenSource } from "../api.js";
import { SourceCounter } from "../counters.js";
import { readListenPort } from "./base.js";

export class NetcatUdpSource implements EventDrivenSource {
  readonly kind = "event-driven" as const;
  private cp!: ChannelProcessor;
  private sock: Socket | null = null;
  readonly counter: SourceCounter;
  constructor(
    readonly name: string,
    agent: string,
    readonly bind: string,
    public port: number,
    readonly remoteAddressHeader?: string,
  ) {
    this.counter = new SourceCounter(agent, name);
  }
  static fromContext(name: string, ctx: Context, env: ComponentEnv): NetcatUdpSource {
    const bind = ctx.requireString("bind");
    const port = readListenPort(ctx);
    const header = ctx.getString("remoteAddressHeader");
    return new NetcatUdpSource(name, env.agentName, bind, port, header || undefined);
  }
  setChannelProcessor(cp: ChannelProcessor): void {
    this.cp = cp;
  }
  async start(): Promise<void> {
    this.counter.register();
    const sock = createSocket(this.bind.includes(":") ? "udp6" : "udp4");
    this.sock = sock;
    sock.on("message", (msg, rinfo) => {
      let body = msg;
      if (body.length && body[body.length - 1] === 0x0a) body = body.subarray(0, -1);
      if (body.length && body[body.length - 1] === 0x0d) body = body.subarray(0, -1);
      this.counter.inc("EventReceivedCount");
      const headers: Record<string, string> = this.remoteAddressHeader
        ? { [this.remoteAddressHeader]: rinfo.address }
        : {};
      this.cp.processEvent({ headers, body: Buffer.from(body) }).then(
        () => this.counter.inc("EventAcceptedCount"),
        () => this.counter.inc("ChannelWriteFail"),
      );
    });
    await new Promise<void>((resolve, reject) => {
      sock.once("error", reject);
      sock.bind(this.port, this.bind, () => resolve());
    });
    this.port = sock.address().port;
  }
  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.sock ? this.sock.close(() => r()) : r()));
    this.sock = null;
    this.counter.unregister();
  }
}
