/**
 * Flume's agent configuration (properties format) for one agent name:
 *
 *   A.sources = r1          A.sources.r1.type = seq        A.sources.r1.channels = c1 c2
 *   A.channels = c1         A.channels.c1.type = memory
 *   A.sinks = k1            A.sinks.k1.type = logger       A.sinks.k1.channel = c1
 *   A.sinkgroups = g1       A.sinkgroups.g1.sinks = k1 k2  A.sinkgroups.g1.processor.type = failover
 *   A.sources.r1.selector.type / .selector.*  A.sources.r1.interceptors = i1  A.sources.r1.interceptors.i1.type
 *
 * parseAgentConfig() checks the structure (declared lists, references, known
 * types) without creating anything; every problem is a ConfigError naming
 * file:line:key, all of them reported together. Keys for other agents are left
 * alone (one file may hold several agents, as in Flume); keys for this agent
 * that nothing uses become warnings.
 *
 * `${NAME}` in values is replaced by the -D property NAME or else the
 * environment variable NAME (what Flume does with EnvVarResolverProperties);
 * unresolved references are left as they are.
 */
import { createHash } from "node:crypto";
import { ConfigError } from "../../errors.js";
import type { Properties, PropertyEntry } from "../../formats/properties.js";
import { Context } from "../api.js";
import { limitSinkBatch, limitSourceBatch } from "./batch-sizes.js";
import { findChannel, findInterceptor, findSelector, findSink, findSinkProcessor, findSource } from "../registry.js";

export interface ComponentConfig {
  name: string;
  type: string;
  ctx: Context;
  /** stable digest of the component's properties and its dependencies (for reload) */
  fingerprint: string;
}
export interface InterceptorConfig {
  name: string;
  type: string;
  ctx: Context;
}
export interface SourceConfig extends ComponentConfig {
  channels: string[];
  selectorType: string;
  selectorCtx: Context;
  interceptors: InterceptorConfig[];
}
export interface SinkConfig extends ComponentConfig {
  channel: string;
}
/** a sink runner: a declared sink group, or one lone sink with the default processor */
export interface RunnerConfig {
  name: string;
  sinks: string[];
  processorType: string;
  processorCtx: Context;
  fingerprint: string;
}
export interface AgentConfig {
  agent: string;
  sources: SourceConfig[];
  channels: ComponentConfig[];
  sinks: SinkConfig[];
  runners: RunnerConfig[];
  /** messages for properties nothing reads (before component contexts are checked) */
  warnings: string[];
}

export interface ParseOptions {
  /** -D properties, for ${NAME} substitution; `<agent>.<key>` ones set or override that property */
  sysprops?: Record<string, string>;
  env?: Record<string, string | undefined>;
}

function where(e: PropertyEntry): string {
  return e.line > 0 ? `${e.file}:${e.line}: ` : "";
}

export function configError(e: PropertyEntry | undefined, key: string, message: string): ConfigError {
  return new ConfigError("MR_CONFIG_INVALID", `${e ? where(e) : ""}${key} ${message}`);
}

function substitute(value: string, o: ParseOptions): string {
  if (!value.includes("${")) return value;
  return value.replace(/\$\{([^}]+)\}/g, (m, name: string) => o.sysprops?.[name] ?? (o.env ?? process.env)[name] ?? m);
}

function digest(parts: unknown): string {
  return createHash("sha1").update(JSON.stringify(parts)).digest("hex");
}

function ctxDigest(ctx: Context): [string, string][] {
  return ctx
    .keys()
    .sort()
    .map((k) => [k, ctx.entry(k)!.value]);
}

function words(v: string): string[] {
  return v.split(/\s+/).filter(Boolean);
}

export function parseAgentConfig(props: Properties, agent: string, o: ParseOptions = {}): AgentConfig {
  const errors: ConfigError[] = [];
  const warnings: string[] = [];
  const mine = new Map<string, PropertyEntry>();
  const prefix = agent + ".";
  for (const e of props.entries) {
    if (!e.key.startsWith(prefix)) continue;
    mine.set(e.key.slice(prefix.length), { ...e, value: substitute(e.value, o) });
  }
  // millrace extension: -D<agent>.<key>=<value> sets or overrides a property of this agent
  // (to run a shared file with local ports, paths or servers without editing it)
  if (mine.size > 0) {
    for (const [k, v] of Object.entries(o.sysprops ?? {})) {
      if (k.startsWith(prefix))
        mine.set(k.slice(prefix.length), { key: k, value: substitute(v, o), file: "-D", line: 0 });
    }
  }
  if (mine.size === 0) {
    throw new ConfigError(
      "MR_CONFIG_NO_AGENT",
      `no properties for agent "${agent}" (keys must start with "${prefix}")`,
    );
  }

  // Group the keys: <kind>.<name>.<rest>
  const kinds = ["sources", "channels", "sinks", "sinkgroups"] as const;
  type Kind = (typeof kinds)[number];
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
  const ctxOf = (kind: Kind, name: string) =>
    new Context(`${agent}.${kind}.${name}`, comps.get(kind)!.get(name) ?? new Map());
  const listEntry = (kind: Kind) => lists.get(kind)?.entry;

  // ---- channels
  const channels: ComponentConfig[] = [];
  for (const name of lists.get("channels")?.names ?? []) {
    const ctx = ctxOf("channels", name);
    const type = ctx.getString("type");
    if (!comps.get("channels")!.has(name) || type === undefined || type === "") {
      errors.push(
        type === ""
          ? ctx.error("type", "is empty")
          : configError(
              listEntry("channels"),
              `${agent}.channels`,
              `declares channel "${name}" but ${agent}.channels.${name}.type is not set`,
            ),
      );
      continue;
    }
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

  // ---- sources
  const sources: SourceConfig[] = [];
  for (const name of lists.get("sources")?.names ?? []) {
    const ctx = ctxOf("sources", name);
    const type = ctx.getString("type");
    if (type === undefined || type === "") {
      errors.push(
        type === ""
          ? ctx.error("type", "is empty")
          : configError(
              listEntry("sources"),
              `${agent}.sources`,
              `declares source "${name}" but ${agent}.sources.${name}.type is not set`,
            ),
      );
      continue;
    }
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
    const interceptors: InterceptorConfig[] = [];
    const icNames = words(ctx.getString("interceptors", ""));
    const icCtx = ctx.sub("interceptors");
    for (const k of icCtx.keys()) {
      const iname = k.split(".")[0];
      if (!icNames.includes(iname))
        warnings.push(
          `${where(icCtx.entry(k)!)}${icCtx.entry(k)!.key} is not used: interceptor "${iname}" is not listed in ${agent}.sources.${name}.interceptors; ignored`,
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
      interceptors,
      fingerprint: digest(["source", name, ctxDigest(ctx), chs.map((c) => channelByName.get(c)!.fingerprint)]),
    });
  }

  // ---- sinks
  const sinks: SinkConfig[] = [];
  for (const name of lists.get("sinks")?.names ?? []) {
    const ctx = ctxOf("sinks", name);
    const type = ctx.getString("type");
    if (type === undefined || type === "") {
      errors.push(
        type === ""
          ? ctx.error("type", "is empty")
          : configError(
              listEntry("sinks"),
              `${agent}.sinks`,
              `declares sink "${name}" but ${agent}.sinks.${name}.type is not set`,
            ),
      );
      continue;
    }
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
  const sinkByName = new Map(sinks.map((s) => [s.name, s]));
  const declaredSinks = new Set(lists.get("sinks")?.names ?? []);

  // ---- sink groups
  const runners: RunnerConfig[] = [];
  const grouped = new Map<string, string>();
  for (const name of lists.get("sinkgroups")?.names ?? []) {
    const ctx = ctxOf("sinkgroups", name);
    const members = words(ctx.getString("sinks", ""));
    if (members.length === 0) {
      errors.push(
        ctx.has("sinks")
          ? ctx.error("sinks", "is empty")
          : configError(
              listEntry("sinkgroups"),
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

  // ---- channels nobody uses
  for (const c of channels) {
    if (!sources.some((s) => s.channels.includes(c.name)) && !sinks.some((s) => s.channel === c.name)) {
      const e = c.ctx.entry("type")!;
      warnings.push(`${where(e)}channel "${c.name}" has no source and no sink connected`);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigError("MR_CONFIG_INVALID", errors.map((e) => e.message).join("\n"));
  return { agent, sources, channels, sinks, runners, warnings };
}

/** Warnings for every key in these contexts that no component read. */
export function unusedKeyWarnings(ctxs: Context[]): string[] {
  const out: string[] = [];
  for (const c of ctxs) {
    for (const k of c.unusedKeys()) {
      const e = c.entry(k)!;
      out.push(`${where(e)}${e.key} is not supported by this component; ignored`);
    }
  }
  return out;
}
