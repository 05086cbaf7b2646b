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
import { ConfigError } from "../../errors.js";
import type { Properties, PropertyEntry } from "../../formats/properties.js";
import type { Context } from "../api.js";
import { groupKeys, parseChannels, parseRunners, parseSinks, parseSources } from "./components.js";
import { substitute, where } from "./util.js";

export { configError } from "./util.js";

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

  const p = groupKeys(mine, agent, errors, warnings);
  const ch = parseChannels(p);
  const channels = ch.channels;
  const sources = parseSources(p, ch);
  const sinks = parseSinks(p, ch);
  const runners = parseRunners(p, sinks);

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
