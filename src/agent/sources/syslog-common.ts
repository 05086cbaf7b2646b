/**
 * What the three syslog sources share: Flume's properties (host, port,
 * keepFields, clientIPHeader, clientHostnameHeader), counters, and handing one
 * event (or a batch) to the channel processor. A failed put is counted and the
 * event dropped, as Flume's syslog sources do (syslog has no way to say "retry").
 */
import { promises as dns } from "node:dns";
import type { ChannelProcessor, ComponentEnv, Context, Event } from "../api.js";
import { ChannelFullError } from "../api.js";
import { SourceCounter } from "../counters.js";
import { chooseFieldsToKeep, type KeepFields } from "../syslog/parser.js";
import { putCounted } from "./put.js";

export interface SyslogCommon {
  host: string;
  keepFields: KeepFields;
  clientIPHeader?: string;
  clientHostnameHeader?: string;
}

export function readCommon(ctx: Context, defaultHost?: string): SyslogCommon {
  const host = defaultHost === undefined ? ctx.requireString("host") : ctx.getString("host", defaultHost);
  const ip = ctx.getString("clientIPHeader");
  const hn = ctx.getString("clientHostnameHeader");
  return {
    host,
    keepFields: chooseFieldsToKeep(ctx.getString("keepFields", "none")),
    ...(ip ? { clientIPHeader: ip } : {}),
    ...(hn ? { clientHostnameHeader: hn } : {}),
  };
}

export function readPort(ctx: Context, key: string, value?: string): number {
  const s = value ?? ctx.requireString(key);
  if (!/^\d+$/.test(s) || Number(s) > 65535) throw ctx.error(key, `must be a port number (0-65535), got "${s}"`);
  return Number(s);
}

/** Adds the client address headers Flume's syslog sources offer. */
export async function clientHeaders(
  common: SyslogCommon,
  address: string | undefined,
): Promise<Record<string, string>> {
  const h: Record<string, string> = {};
  if (!address) return h;
  const ip = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (common.clientIPHeader) h[common.clientIPHeader] = ip;
  if (common.clientHostnameHeader) {
    try {
      h[common.clientHostnameHeader] = (await dns.reverse(ip))[0] ?? ip;
    } catch {
      h[common.clientHostnameHeader] = ip;
    }
  }
  return h;
}

export class SyslogSourceBase {
  readonly kind = "event-driven" as const;
  protected cp?: ChannelProcessor;
  readonly counter: SourceCounter;
  constructor(
    readonly name: string,
    protected readonly env: ComponentEnv,
  ) {
    this.counter = new SourceCounter(env.agentName, name);
  }
  setChannelProcessor(cp: ChannelProcessor): void {
    this.cp = cp;
  }

  /** puts events, counting as Flume does; never throws */
  protected async deliver(events: Event[]): Promise<boolean> {
    if (events.length === 0) return true;
    try {
      await putCounted(this.counter, this.cp!, events, {
        call: events.length === 1 ? "event" : "batch",
        append: "none",
      });
      return true;
    } catch (err) {
      const why = err instanceof ChannelFullError ? "channel full" : (err as Error).message;
      this.env.logger.warn(
        { source: this.name, err },
        `syslog source ${this.name} dropped ${events.length} event(s): ${why}`,
      );
      return false;
    }
  }
}
