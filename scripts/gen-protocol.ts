/**
 * Generates src/protocol/messages/*.ts from Apache Kafka's JSON message
 * definitions (Kafka's clients/src/main/resources/common/message/*.json).
 * Only facts are kept (names, types, versions, tags, defaults); the
 * definitions' prose is not copied. The output is committed, so building and
 * running millrace never needs the definitions.
 *
 *   npm run gen:protocol [-- <definitions dir>]   (default: ../shared/reference/kafka-protocol)
 */
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** The APIs millrace has schemas for; a schema does not mean ApiVersions advertises it. */
const APIS = [
  "Produce",
  "Fetch",
  "ListOffsets",
  "Metadata",
  "OffsetCommit",
  "OffsetFetch",
  "FindCoordinator",
  "JoinGroup",
  "Heartbeat",
  "LeaveGroup",
  "SyncGroup",
  "DescribeGroups",
  "ListGroups",
  "ApiVersions",
  "CreateTopics",
  "DeleteTopics",
  "DeleteRecords",
  "InitProducerId",
  "OffsetForLeaderEpoch",
  "AddPartitionsToTxn",
  "AddOffsetsToTxn",
  "EndTxn",
  "TxnOffsetCommit",
  "DescribeConfigs",
  "AlterConfigs",
  "CreatePartitions",
  "DeleteGroups",
  "IncrementalAlterConfigs",
  "OffsetDelete",
  "DescribeCluster",
  "DescribeProducers",
  "DescribeTransactions",
  "ListTransactions",
  "SaslHandshake",
  "SaslAuthenticate",
  "DescribeLogDirs",
];

const dir = process.argv[2] ?? join(import.meta.dirname, "..", "..", "shared", "reference", "kafka-protocol");
const out = join(import.meta.dirname, "..", "src", "protocol", "messages");

type Range = [number, number] | null;
const MAX = 0x7fff;

function range(s: string | undefined): Range {
  if (s === undefined || s === "none") return null;
  if (s.endsWith("+")) return [Number(s.slice(0, -1)), MAX];
  const [a, b] = s.split("-");
  return [Number(a), Number(b ?? a)];
}

function camel(name: string): string {
  return name[0].toLowerCase() + name.slice(1);
}

interface JsonField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  flexibleVersions?: string;
  fields?: JsonField[];
}
interface JsonMessage {
  apiKey?: number;
  type: string;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: JsonField[];
  commonStructs?: { name: string; versions: string; fields: JsonField[] }[];
}

function load(file: string): JsonMessage {
  const text = readFileSync(join(dir, file), "utf8")
    .split("\n")
    .filter((l) => !l.trim().startsWith("//"))
    .join("\n");
  return JSON.parse(text) as JsonMessage;
}

const PRIMS = new Set([
  "int8",
  "int16",
  "int32",
  "int64",
  "uint16",
  "uint32",
  "float64",
  "string",
  "bytes",
  "bool",
  "uuid",
  "records",
]);

function convDefault(f: JsonField, type: string): unknown {
  const d = f.default;
  if (d === undefined) return undefined;
  if (d === "null") return null;
  if (type === "bool") return d === true || d === "true";
  if (type === "int64") return { bigint: String(Number(d)) };
  if (["int8", "int16", "int32", "uint16", "uint32", "float64"].includes(type)) return Number(d);
  return String(d);
}

function field(f: JsonField, structs: Map<string, JsonField[]>): Record<string, unknown> {
  const o: Record<string, unknown> = { name: camel(f.name) };
  let type = f.type;
  let fields = f.fields;
  if (type.startsWith("[]")) {
    const elem = type.slice(2);
    if (PRIMS.has(elem)) {
      o.type = "array";
      o.elem = elem;
    } else {
      o.type = "array";
      o.elem = "struct";
      fields = fields ?? structs.get(elem);
      if (!fields) throw new Error(`unknown struct ${elem} in ${f.name}`);
    }
  } else if (PRIMS.has(type)) {
    o.type = type;
  } else {
    o.type = "struct";
    fields = fields ?? structs.get(type);
    if (!fields) throw new Error(`unknown struct ${type} in ${f.name}`);
  }
  o.versions = range(f.versions);
  const nullable = range(f.nullableVersions);
  if (nullable) o.nullable = nullable;
  const tagged = range(f.taggedVersions);
  if (tagged) {
    o.tagged = tagged;
    o.tag = f.tag;
  }
  if (f.flexibleVersions !== undefined) o.flexible = range(f.flexibleVersions);
  const d = convDefault(f, type);
  if (d !== undefined) o.default = d;
  if (fields) o.fields = fields.map((x) => field(x, structs));
  return o;
}

function spec(m: JsonMessage): Record<string, unknown> {
  const structs = new Map<string, JsonField[]>();
  for (const s of m.commonStructs ?? []) structs.set(s.name, s.fields);
  return {
    name: m.name,
    apiKey: m.apiKey,
    valid: range(m.validVersions),
    flexible: range(m.flexibleVersions),
    fields: m.fields.map((f) => field(f, structs)),
  };
}

function literal(v: unknown, indent = ""): string {
  if (v === null) return "null";
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === "number")) return `[${v.join(", ")}]`;
    const inner = indent + "  ";
    return `[\n${v.map((x) => inner + literal(x, inner)).join(",\n")},\n${indent}]`;
  }
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    if ("bigint" in o && Object.keys(o).length === 1) return `${o.bigint}n`;
    const entries = Object.entries(o).filter(([, x]) => x !== undefined);
    const simple = entries.every(
      ([k, x]) => k !== "fields" && (typeof x !== "object" || x === null || Array.isArray(x)),
    );
    if (simple) return `{ ${entries.map(([k, x]) => `${k}: ${literal(x, indent)}`).join(", ")} }`;
    const inner = indent + "  ";
    return `{\n${entries.map(([k, x]) => `${inner}${k}: ${literal(x, inner)}`).join(",\n")},\n${indent}}`;
  }
  return JSON.stringify(v);
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

const available = new Set(readdirSync(dir));
const index: string[] = [];
for (const api of APIS) {
  const req = load(`${api}Request.json`);
  const res = load(`${api}Response.json`);
  if (!available.has(`${api}Request.json`)) throw new Error(`no definition for ${api}`);
  const file = kebab(api);
  const body = [
    `// Generated by scripts/gen-protocol.ts from Apache Kafka's message definitions. Do not edit.`,
    `import type { MessageSpec } from "../schema.js";`,
    ``,
    `export const ${api}Request: MessageSpec = ${literal(spec(req))};`,
    ``,
    `export const ${api}Response: MessageSpec = ${literal(spec(res))};`,
    ``,
  ].join("\n");
  writeFileSync(join(out, `${file}.ts`), body);
  index.push(`export { ${api}Request, ${api}Response } from "./${file}.js";`);
}
for (const h of ["RequestHeader", "ResponseHeader"]) {
  const m = load(`${h}.json`);
  const file = kebab(h);
  writeFileSync(
    join(out, `${file}.ts`),
    [
      `// Generated by scripts/gen-protocol.ts from Apache Kafka's message definitions. Do not edit.`,
      `import type { MessageSpec } from "../schema.js";`,
      ``,
      `export const ${h}: MessageSpec = ${literal(spec(m))};`,
      ``,
    ].join("\n"),
  );
  index.push(`export { ${h} } from "./${file}.js";`);
}
writeFileSync(join(out, "index.ts"), `// Generated by scripts/gen-protocol.ts. Do not edit.\n${index.join("\n")}\n`);
console.log(`wrote ${APIS.length} APIs and 2 headers to ${out}`);
