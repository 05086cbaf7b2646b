/**
 * syslogudp (org.apache.flume.source.SyslogUDPSource): one datagram is one
 * message (a trailing newline is dropped). Properties: host, port,
 * keepFields, clientIPHeader, clientHostnameHeader.
 */
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { ComponentEnv, Context, EventDrivenSource } from "../api.js";
import { syslogEvent } from "../syslog/parser.js";
import { SyslogSourceBase, clientHeaders, readCommon, readPort, type SyslogCommon } from "./syslog-common.js";

/** Flume reads at most this many bytes of a datagram (SyslogUDPSource's buffer). */
export const MAX_UDP_MESSAGE = 65_535;

export class SyslogUdpSource extends SyslogSourceBase implements EventDrivenSource {
  private socket?: Socket;
  private chain: Promise<void> = Promise.resolve();
  boundPort = 0;
  constructor(
    name: string,
    env: ComponentEnv,
    private readonly common: SyslogCommon,
    private readonly port: number,
  ) {
    super(name, env);
  }

  async start(): Promise<void> {
    const socket = createSocket(isIPv6(this.common.host) ? "udp6" : "udp4");
    this.socket = socket;
    socket.on("message", (msg, rinfo) => {
      let raw = msg;
      // a datagram may end with its newline; the first newline ends the message, as in Flume
      const nl = raw.indexOf(0x0a);
      if (nl >= 0) raw = raw.subarray(0, nl);
      this.chain = this.chain.then(async () => {
        const e = syslogEvent(raw, { keepFields: this.common.keepFields });
        Object.assign(e.headers, await clientHeaders(this.common, rinfo.address));
        await this.deliver([e]);
      });
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(this.port, this.common.host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    socket.on("error", (err) => this.env.logger.warn({ err, source: this.name }, "syslog udp socket error"));
    this.boundPort = socket.address().port;
    this.counter.register();
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    await this.chain;
    this.counter.unregister();
  }
}

export function createSyslogUdpSource(name: string, ctx: Context, env: ComponentEnv): SyslogUdpSource {
  return new SyslogUdpSource(name, env, readCommon(ctx), readPort(ctx, "port"));
}
