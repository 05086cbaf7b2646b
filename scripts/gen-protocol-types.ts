/**
 * The TypeScript side of scripts/gen-protocol.ts: from one message definition,
 * an interface per struct, exactly as src/protocol/codec.ts reads and writes it.
 * Per message the interface is the union of its versions: a field in every
 * valid version is required, a version-gated or tagged field is optional, a
 * field nullable in some version is `| null`. int64 is bigint, uuid a
 * base64url string, bytes and records are Buffers.
 */

export type Range = [number, number] | null;
const MAX = 0x7fff;

export function range(s: string | undefined): Range {
  if (s === undefined || s === "none") return null;
  if (s.endsWith("+")) return [Number(s.slice(0, -1)), MAX];
  const [a, b] = s.split("-");
  return [Number(a), Number(b ?? a)];
}

export function camel(name: string): string {
  return name[0].toLowerCase() + name.slice(1);
}

export interface JsonField {
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

export interface JsonMessage {
  apiKey?: number;
  type: string;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: JsonField[];
  commonStructs?: { name: string; versions: string; fields: JsonField[] }[];
}

export const PRIMS = new Set([
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

const TS_TYPES: Record<string, string> = {
  int8: "number",
  int16: "number",
  int32: "number",
  uint16: "number",
  uint32: "number",
  float64: "number",
  int64: "bigint",
  string: "string",
  uuid: "string",
  bool: "boolean",
  bytes: "Buffer",
  records: "Buffer",
};

export interface InterfaceField {
  name: string;
  type: string;
  optional: boolean;
}

export interface Interface {
  name: string;
  fields: InterfaceField[];
}

function intersect(a: Range, b: Range): Range {
  if (!a || !b) return null;
  const lo = Math.max(a[0], b[0]);
  const hi = Math.min(a[1], b[1]);
  return lo <= hi ? [lo, hi] : null;
}

function covers(outer: Range, inner: Range): boolean {
  return !!outer && !!inner && outer[0] <= inner[0] && outer[1] >= inner[1];
}

function hull(a: Range, b: Range): Range {
  if (!a) return b;
  if (!b) return a;
  return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
}

interface Struct {
  fields: JsonField[];
  /** the versions in which the struct is read or written anywhere in the message */
  versions: Range;
}

/** Every struct of the message by type name, with the versions it is used in. */
function collect(m: JsonMessage, top: string): Map<string, Struct> {
  const common = new Map((m.commonStructs ?? []).map((s) => [s.name, s.fields]));
  const structs = new Map<string, Struct>();
  const visit = (name: string, fields: JsonField[], versions: Range): void => {
    const prev = structs.get(name);
    structs.set(name, { fields, versions: hull(prev?.versions ?? null, versions) });
    for (const f of fields) {
      const elem = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
      if (PRIMS.has(elem)) continue;
      const sub = f.fields ?? common.get(elem);
      if (!sub) throw new Error(`unknown struct ${elem} in ${m.name}.${f.name}`);
      visit(elem, sub, intersect(versions, range(f.versions)) ?? versions);
    }
  };
  visit(top, m.fields, range(m.validVersions));
  return structs;
}

/**
 * A nested struct's interface name: Kafka's struct name when it starts with the API's name
 * (JoinGroupRequestProtocol), else prefixed by the message's (ProduceResponse + LeaderIdAndEpoch),
 * so that names stay unique across messages and do not change when an API is added.
 */
function structName(m: JsonMessage, struct: string): string {
  const api = m.name.replace(/(Request|Response)$/, "");
  return struct.startsWith(api) ? struct : `${m.name}${struct}`;
}

function fieldType(m: JsonMessage, f: JsonField, versions: Range): string {
  const nullable = intersect(range(f.nullableVersions), versions) !== null ? " | null" : "";
  const array = f.type.startsWith("[]");
  const elem = array ? f.type.slice(2) : f.type;
  return `${TS_TYPES[elem] ?? structName(m, elem)}${array ? "[]" : ""}${nullable}`;
}

/** The interfaces of one message: the top-level struct named `top`, then its nested structs. */
export function interfaces(m: JsonMessage, top: string): Interface[] {
  const out: Interface[] = [];
  for (const [name, s] of collect(m, top)) {
    out.push({
      name: name === top ? top : structName(m, name),
      fields: s.fields.map((f) => {
        const present = range(f.versions);
        const optional = !covers(present, s.versions) || range(f.taggedVersions) !== null;
        return { name: camel(f.name), type: fieldType(m, f, intersect(present, s.versions)), optional };
      }),
    });
  }
  return out;
}
