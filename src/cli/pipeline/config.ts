/**
 * pipeline.yaml: which broker (embedded, or a Kafka cluster's bootstrap.servers),
 * which agents with their Flume configuration files, which streaming apps, and
 * the dashboard. Validated with zod; errors name file:line:key.
 *
 *   broker:
 *     embedded: true                 # the default; or
 *     # bootstrap.servers: kafka1:9092,kafka2:9092
 *     data.dir: ./millrace-data      # embedded only
 *     listeners: PLAINTEXT://127.0.0.1:9092   # embedded only: also serve the Kafka protocol
 *     topics:                        # created when missing
 *       - { name: twitter, partitions: 2 }
 *   agents:
 *     - name: TwitterAgent
 *       conf-file: examples/twitter-kafka-channel.conf
 *   apps:
 *     - module: examples/streaming/trending-hashtags.ts
 *       master: local[2]
 *       args: [--topic, twitter]
 *   ui:
 *     port: 4040
 *     host: 127.0.0.1
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import YAML, { LineCounter, isMap, isSeq, type Node } from "yaml";
import { z } from "zod";
import { ConfigError } from "../../errors.js";

const topicSpec = z.strictObject({
  name: z.string().min(1),
  partitions: z.number().int().positive().default(1),
  configs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

const brokerSpec = z
  .strictObject({
    embedded: z.boolean().optional(),
    "bootstrap.servers": z.string().min(1).optional(),
    "data.dir": z.string().min(1).optional(),
    listeners: z.string().min(1).optional(),
    properties: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    topics: z.array(topicSpec).optional(),
  })
  .superRefine((b, ctx) => {
    if (b["bootstrap.servers"] && b.embedded === true)
      ctx.addIssue({ code: "custom", path: ["embedded"], message: "cannot be true together with bootstrap.servers" });
    if (b["bootstrap.servers"] && (b["data.dir"] || b.listeners))
      ctx.addIssue({
        code: "custom",
        path: [b["data.dir"] ? "data.dir" : "listeners"],
        message: "only applies to the embedded broker, not with bootstrap.servers",
      });
  });

const agentSpec = z.strictObject({
  name: z.string().min(1),
  "conf-file": z.string().min(1),
  conf: z.string().optional(),
  properties: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

const appSpec = z.strictObject({
  module: z.string().min(1),
  name: z.string().optional(),
  master: z
    .string()
    .regex(/^local(\[(\d+|\*)\])?$/, "must be local, local[N] or local[*]")
    .default("local[2]"),
  args: z.array(z.union([z.string(), z.number()]).transform(String)).default([]),
});

const uiSpec = z.strictObject({
  enabled: z.boolean().default(true),
  port: z.number().int().min(0).max(65535).default(4040),
  host: z.string().default("127.0.0.1"),
});

export const pipelineSchema = z.strictObject({
  broker: brokerSpec.default({}),
  agents: z.array(agentSpec).default([]),
  apps: z.array(appSpec).default([]),
  ui: uiSpec.default({ enabled: true, port: 4040, host: "127.0.0.1" }),
});

export type PipelineSpec = z.infer<typeof pipelineSchema>;

export interface Pipeline extends PipelineSpec {
  /** the file it came from; relative paths inside are resolved against its folder */
  file: string;
}

/** file:line of a key path in the YAML document, as precisely as the path allows. */
function locate(doc: YAML.Document, lc: LineCounter, path: (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const parent = n === 0 ? doc.contents : (doc.getIn(path.slice(0, n - 1), true) as Node | undefined);
    if (n === 0) return parent?.range ? lc.linePos(parent.range[0]).line : undefined;
    const last = path[n - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === last);
      const k = pair?.key as Node | undefined;
      if (k?.range) return lc.linePos(k.range[0]).line;
    } else if (isSeq(parent) && typeof last === "number") {
      const item = parent.items[last] as Node | undefined;
      if (item?.range) return lc.linePos(item.range[0]).line;
    }
  }
  return undefined;
}

export function parsePipeline(text: string, file: string): Pipeline {
  const lc = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = lc.linePos(e.pos[0]).line;
    throw new ConfigError("MR_CONFIG_INVALID", `${file}:${line}: not valid YAML: ${e.message.split("\n")[0]}`);
  }
  const raw = doc.toJS() ?? {};
  const parsed = pipelineSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    let path = issue.path.filter((p): p is string | number => typeof p === "string" || typeof p === "number");
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      path = [...path, issue.keys[0]];
      message = "is not a known setting";
    }
    const line = locate(doc, lc, path);
    const key = path
      .map((p) => (typeof p === "number" ? `[${p}]` : p))
      .join(".")
      .replace(/\.\[/g, "[");
    throw new ConfigError("MR_CONFIG_INVALID", `${file}${line ? `:${line}` : ""}: ${key || "(document)"}: ${message}`);
  }
  const base = dirname(resolve(file));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const spec = parsed.data;
  return {
    ...spec,
    file,
    broker: { ...spec.broker, ...(spec.broker["data.dir"] ? { "data.dir": abs(spec.broker["data.dir"]) } : {}) },
    agents: spec.agents.map((a) => ({
      ...a,
      "conf-file": abs(a["conf-file"]),
      ...(a.conf ? { conf: abs(a.conf) } : {}),
    })),
    apps: spec.apps.map((a) => ({ ...a, module: abs(a.module) })),
  };
}

export function readPipeline(file: string): Pipeline {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError("MR_CONFIG_NOT_FOUND", `cannot read pipeline file ${file}: ${(e as Error).message}`);
  }
  return parsePipeline(text, file);
}
