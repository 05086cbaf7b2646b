/**
 * multiport_syslogtcp (org.apache.flume.source.MultiportSyslogTCPSource):
 * syslog over TCP on several ports. Properties: host, ports ("p1 p2 ..."),
 * eventSize, keepFields, portHeader (the receiving port as a header),
 * batchSize (events per put, 100), charset.default / charset.port.<port>
 * (UTF-8 only: other charsets are rejected), clientIPHeader,
 * clientHostnameHeader. readBufferSize and numProcessors tune Flume's Mina
 * threads; they are accepted and have no effect here.
 */
import type { ComponentEnv, Context, EventDrivenSource } from "../api.js";
import { DEFAULT_EVENT_SIZE, syslogEvent } from "../syslog/parser.js";
import { SyslogSourceBase, clientHeaders, readCommon, readPort, type SyslogCommon } from "./syslog-common.js";
import { SyslogTcpListener } from "./syslog-tcp.js";

export class MultiportSyslogTcpSource extends SyslogSourceBase implements EventDrivenSource {
  private listeners: SyslogTcpListener[] = [];
  /** bound ports in the order of `ports` (port 0 picks one) */
  boundPorts: number[] = [];
  constructor(
    name: string,
    env: ComponentEnv,
    private readonly common: SyslogCommon,
    private readonly ports: number[],
    private readonly eventSize: number,
    private readonly batch: number,
    private readonly portHeader: string | undefined,
  ) {
    super(name, env);
  }

  batchSize(): number {
    return this.batch;
  }

  async start(): Promise<void> {
    this.boundPorts = [];
    try {
      for (const port of this.ports) {
        const idx = this.listeners.length;
        const l = new SyslogTcpListener(
          this.common.host,
          port,
          this.eventSize,
          (open) => this.counter.inc("OpenConnectionCount", open ? 1 : -1),
          async (msgs, socket) => {
            const extra = await clientHeaders(this.common, socket.remoteAddress);
            if (this.portHeader) extra[this.portHeader] = String(this.boundPorts[idx]);
            for (let i = 0; i < msgs.length; i += this.batch) {
              const batch = msgs.slice(i, i + this.batch).map((m) => {
                const e = syslogEvent(m.raw, { keepFields: this.common.keepFields }, m.incomplete);
                Object.assign(e.headers, extra);
                return e;
              });
              await this.deliver(batch);
            }
          },
        );
        this.listeners.push(l);
        this.boundPorts.push(await l.start());
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.counter.register();
  }

  async stop(): Promise<void> {
    const ls = this.listeners;
    this.listeners = [];
    await Promise.all(ls.map((l) => l.stop()));
    this.counter.unregister();
  }
}

export function createMultiportSyslogTcpSource(
  name: string,
  ctx: Context,
  env: ComponentEnv,
): MultiportSyslogTcpSource {
  const common = readCommon(ctx, "0.0.0.0");
  const spec = ctx.requireString("ports");
  const ports = spec
    .split(/\s+/)
    .filter(Boolean)
    .map((p) => readPort(ctx, "ports", p));
  const eventSize = ctx.getInteger("eventSize", DEFAULT_EVENT_SIZE);
  const batchSize = ctx.getInteger("batchSize", 100);
  if (batchSize < 1) throw ctx.error("batchSize", "must be positive");
  const portHeader = ctx.getString("portHeader");
  for (const key of ctx.keys()) {
    if (key === "charset.default" || key.startsWith("charset.port.")) {
      const cs = ctx.getString(key)!.toUpperCase().replace(/_/g, "-");
      if (cs !== "UTF-8" && cs !== "UTF8") throw ctx.error(key, `charset ${cs} is not supported (UTF-8 only)`);
    }
  }
  ctx.markUsed("readBufferSize");
  ctx.markUsed("numProcessors");
  return new MultiportSyslogTcpSource(name, env, common, ports, eventSize, batchSize, portHeader || undefined);
}
