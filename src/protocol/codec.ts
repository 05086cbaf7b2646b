/**
 * Compiles a generated MessageSpec, at one version, into a decoder and an
 * encoder built from closures (no per-message interpretation of the schema).
 * Objects use the schema's camelCase field names; int64 is bigint, uuid is
 * Kafka's base64url string, bytes and records are Buffers (views into the
 * frame when decoded).
 */
import { inRange, type FieldSpec, type MessageSpec, type PrimitiveType } from "./schema.js";
import { ProtocolError, Reader, Writer, ZERO_UUID } from "./primitives.js";

// biome-ignore lint/suspicious/noExplicitAny: a message decoded by schema, its fields typed by the generated wire types
export type Message = Record<string, any>;

/**
 * What decode returns for a generated message type: every field present, at
 * every depth, since a field the version lacks (or a tagged field not sent)
 * is filled with its default. Encode takes the message type itself, with
 * absent fields written as their defaults.
 */
export type Decoded<T> = T extends Buffer | bigint | string | number | boolean | null | undefined
  ? T
  : T extends readonly (infer E)[]
    ? Decoded<E>[]
    : { [K in keyof T]-?: Decoded<T[K]> };
// biome-ignore lint/suspicious/noExplicitAny: codecs compiled from the schema, one per field type
type Dec = (r: Reader) => any;
// biome-ignore lint/suspicious/noExplicitAny: codecs compiled from the schema, one per field type
type Enc = (w: Writer, v: any) => void;

export interface Codec {
  decode(r: Reader): Message;
  encode(w: Writer, v: Message): void;
  /** A message with every field at its default for this version. */
  defaults(): Message;
}

function primitiveDefault(t: PrimitiveType): unknown {
  switch (t) {
    case "int64":
      return 0n;
    case "string":
      return "";
    case "bool":
      return false;
    case "uuid":
      return ZERO_UUID;
    case "bytes":
      return Buffer.alloc(0);
    case "records":
      return null;
    default:
      return 0;
  }
}

function fieldDefault(f: FieldSpec, version: number): unknown {
  if (f.default !== undefined) return f.default;
  if (f.type === "array") return inRange(f.nullable, version) && f.default === null ? null : [];
  if (f.type === "struct") return structDefaults(f.fields ?? [], version);
  return primitiveDefault(f.type);
}

function structDefaults(fields: readonly FieldSpec[], version: number): Message {
  const o: Message = {};
  for (const f of fields) o[f.name] = fieldDefault(f, version);
  return o;
}

function primitive(t: PrimitiveType, nullable: boolean, compact: boolean, name: string): [Dec, Enc] {
  switch (t) {
    case "int8":
      return [(r) => r.int8(), (w, v) => w.int8(v)];
    case "int16":
      return [(r) => r.int16(), (w, v) => w.int16(v)];
    case "int32":
      return [(r) => r.int32(), (w, v) => w.int32(v)];
    case "uint16":
      return [(r) => r.uint16(), (w, v) => w.uint16(v)];
    case "uint32":
      return [(r) => r.uint32(), (w, v) => w.uint32(v)];
    case "int64":
      return [(r) => r.int64(), (w, v) => w.int64(BigInt(v))];
    case "float64":
      return [(r) => r.float64(), (w, v) => w.float64(v)];
    case "bool":
      return [(r) => r.bool(), (w, v) => w.bool(v)];
    case "uuid":
      return [(r) => r.uuid(), (w, v) => w.uuid(v ?? ZERO_UUID)];
    case "string":
      return nullable
        ? [(r) => r.nullableString(compact), (w, v) => w.nullableString(v ?? null, compact)]
        : [
            (r) => r.string(compact),
            (w, v) => {
              if (v === null || v === undefined)
                throw new ProtocolError("MR_PROTOCOL_NULL", `field ${name} is not nullable`);
              w.nullableString(v, compact);
            },
          ];
    case "bytes":
    case "records":
      return nullable
        ? [(r) => r.nullableBytes(compact), (w, v) => w.nullableBytes(v ?? null, compact)]
        : [
            (r) => r.bytes(compact),
            (w, v) => {
              if (v === null || v === undefined)
                throw new ProtocolError("MR_PROTOCOL_NULL", `field ${name} is not nullable`);
              w.nullableBytes(v, compact);
            },
          ];
  }
}

function compileField(f: FieldSpec, version: number, flexible: boolean): [Dec, Enc] {
  const nullable = inRange(f.nullable, version);
  const compact = f.flexible !== undefined ? inRange(f.flexible, version) : flexible;
  if (f.type === "struct") {
    const s = compileStruct(f.fields ?? [], version, flexible);
    if (!nullable) return [s.decode, (w, v) => s.encode(w, v ?? s.defaults())];
    // Nullable structs are prefixed by an int8: -1 null, 1 present.
    return [
      (r) => (r.int8() < 0 ? null : s.decode(r)),
      (w, v) => {
        if (v === null || v === undefined) return w.int8(-1);
        w.int8(1);
        s.encode(w, v);
      },
    ];
  }
  if (f.type === "array") {
    let de: Dec;
    let en: Enc;
    if (f.elem === "struct") {
      const s = compileStruct(f.fields ?? [], version, flexible);
      de = s.decode;
      en = s.encode;
    } else {
      [de, en] = primitive(f.elem as PrimitiveType, false, compact, f.name);
    }
    return [
      (r) => {
        const n = r.arrayLength(compact);
        if (n < 0) {
          if (!nullable) throw new ProtocolError("MR_PROTOCOL_NULL", `array ${f.name} is not nullable`);
          return null;
        }
        const a = new Array(n);
        for (let i = 0; i < n; i++) a[i] = de(r);
        return a;
      },
      (w, v) => {
        if (v === null || v === undefined) {
          if (!nullable) {
            w.arrayLength(0, compact);
            return;
          }
          w.arrayLength(-1, compact);
          return;
        }
        w.arrayLength(v.length, compact);
        for (let i = 0; i < v.length; i++) en(w, v[i]);
      },
    ];
  }
  return primitive(f.type, nullable, compact, f.name);
}

function isDefault(v: unknown, d: unknown): boolean {
  if (v === undefined || v === d) return true;
  if (Array.isArray(v)) return Array.isArray(d) && v.length === 0 && d.length === 0;
  if (v === null || d === null) return false;
  if (typeof v === "object") {
    if (Buffer.isBuffer(v)) return Buffer.isBuffer(d) && v.equals(d);
    const dv = d as Message;
    return Object.keys(v as Message).every((k) => isDefault((v as Message)[k], dv[k]));
  }
  return false;
}

export function compileStruct(fields: readonly FieldSpec[], version: number, flexible: boolean): Codec {
  const names: string[] = [];
  const defs: unknown[] = [];
  const decs: Dec[] = [];
  const encs: Enc[] = [];
  const absent: [string, unknown][] = [];
  const tagged = new Map<number, { name: string; dec: Dec; enc: Enc; def: unknown }>();
  for (const f of fields) {
    if (!inRange(f.versions, version)) {
      absent.push([f.name, fieldDefault(f, version)]);
      continue;
    }
    const [dec, enc] = compileField(f, version, flexible);
    if (flexible && inRange(f.tagged, version)) {
      tagged.set(f.tag as number, { name: f.name, dec, enc, def: fieldDefault(f, version) });
      continue;
    }
    names.push(f.name);
    defs.push(fieldDefault(f, version));
    decs.push(dec);
    encs.push(enc);
  }
  const tags = [...tagged.keys()].sort((a, b) => a - b);
  const n = names.length;
  const defaults = (): Message => structDefaults(fields, version);

  const decode = (r: Reader): Message => {
    const o: Message = {};
    for (let i = 0; i < n; i++) o[names[i]] = decs[i](r);
    for (let i = 0; i < absent.length; i++) {
      const d = absent[i][1];
      o[absent[i][0]] = Array.isArray(d) ? [] : d;
    }
    if (flexible) {
      for (const t of tags) o[tagged.get(t)!.name] = tagged.get(t)!.def;
      const count = r.uvarint();
      for (let i = 0; i < count; i++) {
        const tag = r.uvarint();
        const size = r.uvarint();
        if (size > r.remaining())
          throw new ProtocolError("MR_PROTOCOL_TRUNCATED", `tagged field ${tag} of ${size} bytes overruns the frame`);
        const t = tagged.get(tag);
        if (t) {
          const sub = new Reader(r.buf, r.pos, r.pos + size);
          o[t.name] = t.dec(sub);
        }
        r.skip(size);
      }
    }
    return o;
  };

  const encode = (w: Writer, v: Message): void => {
    for (let i = 0; i < n; i++) {
      const x = v[names[i]];
      // Fields left out of the object are written with their defaults.
      encs[i](w, x === undefined ? defs[i] : x);
    }
    if (flexible) {
      const present: [number, Enc, unknown][] = [];
      for (const t of tags) {
        const e = tagged.get(t)!;
        const x = v[e.name];
        if (!isDefault(x, e.def)) present.push([t, e.enc, x]);
      }
      w.uvarint(present.length);
      for (const [tag, enc, x] of present) {
        const sub = new Writer(64);
        enc(sub, x);
        const bytes = sub.toBuffer();
        w.uvarint(tag);
        w.uvarint(bytes.length);
        w.raw(bytes);
      }
    }
  };

  return { decode, encode, defaults };
}

const cache = new WeakMap<MessageSpec, Map<number, Codec>>();

/** The codec of `spec` at `version` (compiled once, then cached). */
export function codecFor(spec: MessageSpec, version: number): Codec {
  let byVersion = cache.get(spec);
  if (!byVersion) cache.set(spec, (byVersion = new Map()));
  let c = byVersion.get(version);
  if (!c) {
    if (!inRange(spec.valid, version)) {
      throw new ProtocolError("MR_PROTOCOL_VERSION", `${spec.name} has no version ${version}`);
    }
    c = compileStruct(spec.fields, version, inRange(spec.flexible, version));
    byVersion.set(version, c);
  }
  return c;
}
