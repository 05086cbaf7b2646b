/**
 * parseAgentConfig by component kind: the keys grouped by kind and name, then
 * channels, sources, sinks and sink groups (runners), each checked against the
 * declared lists and the registry. Problems go to `errors` (all reported
 * together) and `warnings`.
 */
import type { ConfigError } from "../../errors.js";
import type { PropertyEntry } from "../../formats/properties.js";
import { Context } from "../api.js";
import { findChannel, findInterceptor, findSelector, findSink, findSinkProcessor, findSource } from "../registry.js";
import { limitSinkBatch, limitSourceBatch } from "./batch-sizes.js";
import type { ComponentConfig, InterceptorConfig, RunnerConfig, SinkConfig, SourceConfig } from "./config.js";
import { configError, ctxDigest, digest, where, words } from "./util.js";

export const KINDS = ["sources", "channels", "sinks", "sinkgroups"] as const;
export type Kind = (typeof KINDS)[number];

/** What every step reads: the agent, its keys grouped by kind, and where problems go. */
export interface ParseState {
  agent: string;
  errors: ConfigError[];
  warnings: string[];
  lists: Map<Kind, { names: string[]; entry?: PropertyEntry }>;
  comps: Map<Kind, Map<string, Map<string, PropertyEntry>>>;
}

const ctxOf = (p: ParseState, kind: Kind, name: string) =>
  new Context(`${p.agent}.${kind}.${name}`, p.comps.get(kind)!.get(name) ?? new Map());
const listEntry = (p: ParseState, kind: Kind) => p.lists.get(kind)?.entry;

/** Groups this agent's keys as <kind>.<name>.<rest>; keys of undeclared components are warned and left out. */
export function groupKeys(
  mine: Map<string, PropertyEntry>,
  agent: string,
  errors: ConfigError[],
  warnings: string[],
): ParseState {
  const kinds = KINDS;
  const lists = new Map<Kind, { names: string[]; entry?: PropertyEntry }>();
  const comps = new Map<Kind, Map<string, Map<string, PropertyEntry>>>();
  for (const k of kinds) comps.set(k, new Map());
  for (const [key, e] of mine) {
    const dot = key.indexOf(".");
    const kind = (dot < 0 ? key : key.slice(0, dot)) as Kind;
    if (!kinds.includes(kind)) {
      warnings.push(`${where(e)}${e.key} is not supported (unknown agent property); ignored`);
      continue;
    }
    if (dot < 0) {
      const names = words(e.value);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup) errors.push(configError(e, key, `lists "${dup}" twice`));
      lists.set(kind, { names: [...new Set(names)], entry: e });
      continue;
    }
    const rest = key.slice(dot + 1);
    const d2 = rest.indexOf(".");
    if (d2 <= 0) {
      warnings.push(`${where(e)}${e.key} is not supported (expected ${agent}.${kind}.<name>.<property>); ignored`);
      continue;
    }
    const name = rest.slice(0, d2);
    let m = comps.get(kind)!.get(name);
    if (!m) comps.get(kind)!.set(name, (m = new Map()));
    m.set(rest.slice(d2 + 1), e);
  }
  // Components configured but not declared in the list are ignored, as in Flume (with a warning).
  for (const kind of kinds) {
    const declared = new Set(lists.get(kind)?.names ?? []);
    for (const [name, m] of comps.get(kind)!) {
      if (!declared.has(name)) {
        const first = [...m.values()][0];
        warnings.push(
          `${where(first)}${agent}.${kind}.${name}.* is not used: "${name}" is not listed in ${agent}.${kind}; ignored`,
        );
      }
    }
  }

  return { agent, errors, warnings, lists, comps };
}

export interface ChannelsParsed {
  channels: ComponentConfig[];
  channelByName: Map<string, ComponentConfig>;
  /** whether a component's channel reference `n` (under `key`) is declared (an error if not) and valid */
  checkChannel: (ctx: Context, key: string, n: string) => boolean;
}

/**
 * The `type` of a component declared in `<agent>.<kind>`: undefined (with the error recorded) when it
 * is empty or not set; `declared` false means no key of the component exists at all.
 */
function declaredType(
  p: ParseState,
  kind: "channels" | "sources" | "sinks",
  name: string,
  ctx: Context,
  declared = true,
): string | undefined {
  const type = ctx.getString("type");
  if (declared && type !== undefined && type !== "") return type;
  const singular = kind.slice(0, -1);
  p.errors.push(
    type === ""
      ? ctx.error("type", "is empty")
      : configError(
          listEntry(p, kind),
          `${p.agent}.${kind}`,
          `declares ${singular} "${name}" but ${p.agent}.${kind}.${name}.type is not set`,
        ),
  );
  return undefined;
}

export function parseChannels(p: ParseState): ChannelsParsed {
  const { agent, errors, lists, comps } = p;
  const channels: ComponentConfig[] = [];
  for (const name of lists.get("channels")?.names ?? []) {
    const ctx = ctxOf(p, "channels", name);
    const type = declaredType(p, "channels", name, ctx, comps.get("channels")!.has(name));
    if (type === undefined) continue;
    if (!findChannel(type)) {
      errors.push(ctx.error("type", `names an unknown channel type "${type}"`));
      continue;
    }
    channels.push({ name, type, ctx, fingerprint: digest(["channel", name, ctxDigest(ctx)]) });
  }
  const channelByName = new Map(channels.map((c) => [c.name, c]));
  const declaredChannels = new Set(lists.get("channels")?.names ?? []);
  const checkChannel = (ctx: Context, key: string, n: string): boolean => {
    if (!declaredChannels.has(n)) {
      errors.push(ctx.error(key, `names channel "${n}", which is not declared in ${agent}.channels`));
      return false;
    }
    return channelByName.has(n);
  };

  return { channels, channelByName, checkChannel };
}

/** A source's interceptors, in their listed order; undefined when one is not valid (errors say why). */
function parseInterceptors(p: ParseState, name: string, ctx: Context): InterceptorConfig[] | undefined {
  const { agent, errors, warnings } = p;
  let ok = true;
  const interceptors: InterceptorConfig[] = [];
  const icNames = words(ctx.getString("interceptors", ""));
  const icCtx = ctx.sub("interceptors");
  for (const k of icCtx.keys()) {
    const iname = k.split(".")[0];
    if (!icNames.includes(iname))
      warnings.push(
        `${where(icCtx.entry(k)!)}${icCtx.entry(k)!.key} is not used: interceptor "${iname}" is not ` +
          `listed in ${agent}.sources.${name}.interceptors; ignored`,
      );
  }
  for (const iname of icNames) {
    const ic = icCtx.sub(iname);
    const itype = ic.getString("type");
    if (!itype) {
      errors.push(ctx.error("interceptors", `lists interceptor "${iname}" but ${ic.prefix}.type is not set`));
      ok = false;
      continue;
    }
    if (!findInterceptor(itype)) {
      errors.push(ic.error("type", `names an unknown interceptor type "${itype}"`));
      ok = false;
      continue;
    }
    interceptors.push({ name: iname, type: itype, ctx: ic });
  }
  return ok ? interceptors : undefined;
}

export function parseSources(p: ParseState, ch: ChannelsParsed): SourceConfig[] {
  const { agent, errors, lists } = p;
  const { channelByName, checkChannel } = ch;
  const sources: SourceConfig[] = [];
  for (const name of lists.get("sources")?.names ?? []) {
    const ctx = ctxOf(p, "sources", name);
    const type = declaredType(p, "sources", name, ctx);
    if (type === undefined) continue;
    let ok = true;
    if (!findSource(type)) {
      errors.push(ctx.error("type", `names an unknown source type "${type}"`));
      ok = false;
    }
    const chs = words(ctx.getString("channels", ""));
    if (chs.length === 0) {
      errors.push(
        ctx.has("channels")
          ? ctx.error("channels", "is empty: a source needs at least one channel")
          : configError(
              ctx.entry("type"),
              `${agent}.sources.${name}.channels`,
              `is not set: source "${name}" has no channels`,
            ),
      );
      ok = false;
    }
    for (const c of chs) if (!checkChannel(ctx, "channels", c)) ok = false;
    const selectorCtx = ctx.sub("selector");
    const selectorType = selectorCtx.getString("type", "replicating");
    if (!findSelector(selectorType)) {
      errors.push(selectorCtx.error("type", `names an unknown channel selector "${selectorType}"`));
      ok = false;
    }
    const interceptors = parseInterceptors(p, name, ctx);
    if (!interceptors) ok = false;
    if (!ok) continue;
    limitSourceBatch(
      name,
      type,
      ctx,
      chs.map((c) => channelByName.get(c)!),
      errors,
    );
    sources.push({
      name,
      type,
      ctx,
      channels: chs,
      selectorType,
      selectorCtx,
      interceptors: interceptors!,
      fingerprint: digest(["source", name, ctxDigest(ctx), chs.map((c) => channelByName.get(c)!.fingerprint)]),
    });
  }

  return sources;
}

export function parseSinks(p: ParseState, ch: ChannelsParsed): SinkConfig[] {
  const { agent, errors, warnings, lists } = p;
  const { channelByName, checkChannel } = ch;
  const sinks: SinkConfig[] = [];
  for (const name of lists.get("sinks")?.names ?? []) {
    const ctx = ctxOf(p, "sinks", name);
    const type = declaredType(p, "sinks", name, ctx);
    if (type === undefined) continue;
    let ok = true;
    if (!findSink(type)) {
      errors.push(ctx.error("type", `names an unknown sink type "${type}"`));
      ok = false;
    }
    const ch = ctx.getString("channel", "");
    if (ch === "") {
      errors.push(
        ctx.has("channel")
          ? ctx.error("channel", "is empty: a sink needs a channel")
          : configError(
              ctx.entry("type"),
              `${agent}.sinks.${name}.channel`,
              `is not set: sink "${name}" has no channel`,
            ),
      );
      ok = false;
    } else if (words(ch).length > 1) {
      errors.push(ctx.error("channel", "must name exactly one channel"));
      ok = false;
    } else if (!checkChannel(ctx, "channel", ch)) ok = false;
    if (!ok) continue;
    limitSinkBatch(name, type, ctx, channelByName.get(ch)!, warnings);
    sinks.push({
      name,
      type,
      ctx,
      channel: ch,
      fingerprint: digest(["sink", name, ctxDigest(ctx), channelByName.get(ch)!.fingerprint]),
    });
  }

  return sinks;
}

/** Sink groups, then one runner for each sink in no group (the default processor). */
export function parseRunners(p: ParseState, sinks: SinkConfig[]): RunnerConfig[] {
  const { agent, errors, lists } = p;
  const sinkByName = new Map(sinks.map((s) => [s.name, s]));
  const declaredSinks = new Set(lists.get("sinks")?.names ?? []);
  const runners: RunnerConfig[] = [];
  const grouped = new Map<string, string>();
  for (const name of lists.get("sinkgroups")?.names ?? []) {
    const ctx = ctxOf(p, "sinkgroups", name);
    const members = words(ctx.getString("sinks", ""));
    if (members.length === 0) {
      errors.push(
        ctx.has("sinks")
          ? ctx.error("sinks", "is empty")
          : configError(
              listEntry(p, "sinkgroups"),
              `${agent}.sinkgroups`,
              `declares sink group "${name}" but ${agent}.sinkgroups.${name}.sinks is not set`,
            ),
      );
      continue;
    }
    let ok = true;
    for (const s of members) {
      if (!declaredSinks.has(s)) {
        errors.push(ctx.error("sinks", `names sink "${s}", which is not declared in ${agent}.sinks`));
        ok = false;
      } else if (grouped.has(s)) {
        errors.push(
          ctx.error(
            "sinks",
            `names sink "${s}", which is already in sink group "${grouped.get(s)}"; a sink may be in one group only`,
          ),
        );
        ok = false;
      } else grouped.set(s, name);
      if (!sinkByName.has(s)) ok = false;
    }
    const pctx = ctx.sub("processor");
    const ptype = pctx.getString("type", "default");
    if (!findSinkProcessor(ptype)) {
      errors.push(pctx.error("type", `names an unknown sink processor "${ptype}"`));
      ok = false;
    }
    if (!ok) continue;
    runners.push({
      name,
      sinks: members,
      processorType: ptype,
      processorCtx: pctx,
      fingerprint: digest(["group", name, ctxDigest(ctx), members.map((s) => sinkByName.get(s)!.fingerprint)]),
    });
  }
  for (const s of sinks) {
    if (grouped.has(s.name)) continue;
    runners.push({
      name: s.name,
      sinks: [s.name],
      processorType: "default",
      processorCtx: new Context(`${agent}.sinks.${s.name}.processor`, new Map()),
      fingerprint: digest(["lone", s.fingerprint]),
    });
  }

  return runners;
}
