/**
 * syslogtcp (org.apache.flume.source.SyslogTcpSource): one TCP port, messages
 * newline-terminated (as Flume reads them) or octet-counted (RFC 6587, which
 * rsyslog and syslog-ng send with "octet-counted" framing). Properties: host,
 * port, eventSize (2500), keepFields (none), clientIPHeader,
 * clientHostnameHeader. A connection is paused while its events are put, so a
 * full channel slows the sender instead of filling memory.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { ComponentEnv, Context, EventDrivenSource } from "../api.js";
import { closeTcp, listenTcp } from "../listen.js";
import { DEFAULT_EVENT_SIZE, SyslogFramer, syslogEvent } from "../syslog/parser.js";
import { SyslogSourceBase, clientHeaders, readCommon, readPort, type SyslogCommon } from "./syslog-common.js";

/** Serves syslog over TCP on one port; shared by syslogtcp and multiport_syslogtcp. */
export class SyslogTcpListener {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly pending = new Set<Promise<void>>();
  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly eventSize: number,
    private readonly onConnection: (open: boolean) => void,
    /** puts the messages of one read; resolves when they are in the channel (or dropped) */
    private readonly handle: (msgs: { raw: Buffer; incomplete: boolean }[], socket: Socket) => Promise<void>,
  ) {}

  async start(): Promise<number> {
    const server = createServer((socket) => this.serve(socket));
    this.server = server;
    return listenTcp(server, this.port, this.host);
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    this.onConnection(true);
    const framer = new SyslogFramer(this.eventSize);
    let chain: Promise<void> = Promise.resolve();
    socket.on("data", (chunk: Buffer) => {
      const msgs = framer.push(chunk);
      if (msgs.length === 0) return;
      socket.pause();
      chain = chain
        .then(() => this.handle(msgs, socket))
        .then(() => {
          if (!socket.destroyed) socket.resume();
        });
      this.track(chain);
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.sockets.delete(socket);
      this.onConnection(false);
    });
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeTcp(server, this.sockets);
    await Promise.allSettled([...this.pending]);
  }
}

export class SyslogTcpSource extends SyslogSourceBase implements EventDrivenSource {
  private listener?: SyslogTcpListener;
  /** the port actually bound (port 0 picks one) */
  boundPort = 0;
  constructor(
    name: string,
    env: ComponentEnv,
    private readonly common: SyslogCommon,
    private readonly port: number,
    private readonly eventSize: number,
  ) {
    super(name, env);
  }

  async start(): Promise<void> {
    this.listener = new SyslogTcpListener(
      this.common.host,
      this.port,
      this.eventSize,
      (open) => this.counter.inc("OpenConnectionCount", open ? 1 : -1),
      async (msgs, socket) => {
        const extra = await clientHeaders(this.common, socket.remoteAddress);
        for (const m of msgs) {
          const e = syslogEvent(m.raw, { keepFields: this.common.keepFields }, m.incomplete);
          Object.assign(e.headers, extra);
          await this.deliver([e]);
        }
      },
    );
    this.boundPort = await this.listener.start();
    this.counter.register();
  }

  async stop(): Promise<void> {
    await this.listener?.stop();
    this.listener = undefined;
    this.counter.unregister();
  }
}

export function createSyslogTcpSource(name: string, ctx: Context, env: ComponentEnv): SyslogTcpSource {
  const common = readCommon(ctx);
  const port = readPort(ctx, "port");
  const eventSize = ctx.getInteger("eventSize", DEFAULT_EVENT_SIZE);
  if (eventSize < 1) throw ctx.error("eventSize", "must be positive");
  return new SyslogTcpSource(name, env, common, port, eventSize);
}
