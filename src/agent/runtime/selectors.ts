/**
 * Flume's channel selectors.
 *
 * replicating (default): every event goes to all the source's channels; those
 *   listed in `selector.optional` may fail without failing the put.
 * multiplexing: `selector.header` (default `flume.selector.header`) picks
 *   `selector.mapping.<value>` (required) and `selector.optional.<value>`;
 *   events with no mapping go to `selector.default`.
 */
import type { Channel, ChannelSelector, ComponentEnv, Context, Event } from "../api.js";

function channelList(ctx: Context, key: string, byName: Map<string, Channel>): Channel[] {
  const v = ctx.getString(key, "");
  const out: Channel[] = [];
  for (const n of v.split(/\s+/).filter(Boolean)) {
    const c = byName.get(n);
    if (!c)
      throw ctx.error(
        key,
        `names channel "${n}", which is not one of this source's channels (${[...byName.keys()].join(" ")})`,
      );
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

export class ReplicatingSelector implements ChannelSelector {
  private readonly required: Channel[];
  private readonly optional: Channel[];
  constructor(channels: Channel[], optional: Channel[] = []) {
    this.optional = optional;
    this.required = channels.filter((c) => !optional.includes(c));
  }
  static fromContext(ctx: Context, channels: Channel[], _env: ComponentEnv): ReplicatingSelector {
    const byName = new Map(channels.map((c) => [c.name, c]));
    return new ReplicatingSelector(channels, channelList(ctx, "optional", byName));
  }
  getRequiredChannels(_e: Event): Channel[] {
    return this.required;
  }
  getOptionalChannels(_e: Event): Channel[] {
    return this.optional;
  }
}

export class MultiplexingSelector implements ChannelSelector {
  constructor(
    readonly header: string,
    private readonly mapping: Map<string, Channel[]>,
    private readonly optional: Map<string, Channel[]>,
    private readonly defaults: Channel[],
  ) {}
  static fromContext(ctx: Context, channels: Channel[], _env: ComponentEnv): MultiplexingSelector {
    const byName = new Map(channels.map((c) => [c.name, c]));
    const header = ctx.getString("header", "flume.selector.header");
    const mapping = new Map<string, Channel[]>();
    const optional = new Map<string, Channel[]>();
    const m = ctx.sub("mapping");
    for (const k of m.keys()) mapping.set(k, channelList(m, k, byName));
    const o = ctx.sub("optional");
    for (const k of o.keys()) {
      const req = mapping.get(k) ?? [];
      optional.set(
        k,
        channelList(o, k, byName).filter((c) => !req.includes(c)),
      );
    }
    const defaults = channelList(ctx, "default", byName);
    return new MultiplexingSelector(header, mapping, optional, defaults);
  }
  getRequiredChannels(e: Event): Channel[] {
    const v = e.headers[this.header];
    const mapped = v === undefined ? undefined : this.mapping.get(v);
    if (mapped && mapped.length > 0) return mapped;
    return this.defaults;
  }
  getOptionalChannels(e: Event): Channel[] {
    const v = e.headers[this.header];
    return (v === undefined ? undefined : this.optional.get(v)) ?? [];
  }
}
