/**
 * Avro object container files (the Avro spec's "Object Container Files"): magic
 * "Obj\x01", a metadata map (avro.schema, avro.codec), a 16-byte sync marker,
 * then blocks of (count, size, data, sync). Written and read synchronously,
 * Buffer in and Buffer out, with avsc's types for the header and the records, so
 * a whole file (like one event body of Flume's Twitter source) is one call.
 * avsc's own streaming BlockEncoder/BlockDecoder read and write the same bytes
 * (the tests check both directions).
 */
import avro from "avsc";
import { randomBytes } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { FormatError, formatInvalid } from "./errors.js";

export type ContainerCodec = "null" | "deflate";

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1

const HEADER_TYPE = avro.Type.forSchema({
  type: "record",
  name: "org.apache.avro.file.Header",
  fields: [
    { name: "magic", type: { type: "fixed", name: "Magic", size: 4 } },
    { name: "meta", type: { type: "map", values: "bytes" } },
    { name: "sync", type: { type: "fixed", name: "Sync", size: 16 } },
  ],
} as avro.Schema);

const LONG = avro.Type.forSchema("long");

/** Java's DataFileWriter default sync interval (16 * 4000 bytes). */
export const DEFAULT_BLOCK_BYTES = 64000;

export interface WriteContainerOptions {
  codec?: ContainerCodec;
  /** 16 bytes; random by default (as Avro's writers do). Fix it for byte-identical output. */
  syncMarker?: Buffer;
  /** extra header metadata (keys starting with "avro." are reserved) */
  metadata?: Record<string, Buffer | string>;
  /** start a new block once this many uncompressed bytes are buffered */
  blockBytes?: number;
  /** passed to avsc's Type.forSchema (e.g. a registry mapping long to bigint) */
  typeOptions?: Partial<avro.ForSchemaOptions>;
}

export interface ReadContainerResult<T = unknown> {
  /** the writer's schema, as parsed from the header's avro.schema */
  schema: avro.Schema;
  type: avro.Type;
  codec: ContainerCodec;
  metadata: Record<string, Buffer>;
  syncMarker: Buffer;
  records: T[];
}

export interface ReadContainerOptions {
  /** resolve records to this schema (Avro schema resolution) */
  readerSchema?: avro.Schema | avro.Type;
  typeOptions?: Partial<avro.ForSchemaOptions>;
}

function toType(schema: avro.Schema | avro.Type, typeOptions?: Partial<avro.ForSchemaOptions>): avro.Type {
  if (avro.Type.isType(schema)) return schema as avro.Type;
  return avro.Type.forSchema(schema as avro.Schema, typeOptions);
}

function compress(codec: ContainerCodec, data: Buffer): Buffer {
  return codec === "deflate" ? deflateRawSync(data) : data;
}

function longBytes(n: number): Buffer {
  return LONG.toBuffer(n);
}

/** Writes a whole container file. Records that do not match the schema raise MR_FORMAT_INVALID. */
export function writeContainer(
  schema: avro.Schema | avro.Type,
  records: Iterable<unknown>,
  opts: WriteContainerOptions = {},
): Buffer {
  const codec = opts.codec ?? "null";
  if (codec !== "null" && codec !== "deflate") throw new FormatError(`unsupported Avro codec: ${String(codec)}`);
  const type = toType(schema, opts.typeOptions);
  const schemaJson = avro.Type.isType(schema)
    ? JSON.stringify((schema as avro.Type).schema({ exportAttrs: true }))
    : JSON.stringify(schema);
  const sync = opts.syncMarker ?? randomBytes(16);
  if (sync.length !== 16) throw new FormatError("sync marker must be 16 bytes");
  const meta: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(opts.metadata ?? {})) meta[k] = Buffer.isBuffer(v) ? v : Buffer.from(v, "utf8");
  meta["avro.schema"] = Buffer.from(schemaJson, "utf8");
  meta["avro.codec"] = Buffer.from(codec, "utf8");
  const parts: Buffer[] = [HEADER_TYPE.toBuffer({ magic: MAGIC, meta, sync })];
  const limit = opts.blockBytes ?? DEFAULT_BLOCK_BYTES;
  let block: Buffer[] = [];
  let blockLen = 0;
  const flush = (): void => {
    if (block.length === 0) return;
    const data = compress(codec, Buffer.concat(block, blockLen));
    parts.push(longBytes(block.length), longBytes(data.length), data, sync);
    block = [];
    blockLen = 0;
  };
  let i = 0;
  for (const rec of records) {
    let bytes: Buffer;
    try {
      bytes = type.toBuffer(rec);
    } catch (err) {
      throw formatInvalid(`record ${i} does not match the schema`, err);
    }
    block.push(bytes);
    blockLen += bytes.length;
    if (blockLen >= limit) flush();
    i++;
  }
  flush();
  return Buffer.concat(parts);
}

/**
 * Reads a whole container file; anything malformed (magic, header, codec, sync, record bytes) raises
 * MR_FORMAT_INVALID.
 */
export function readContainer<T = unknown>(buf: Buffer, opts: ReadContainerOptions = {}): ReadContainerResult<T> {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC))
    throw new FormatError("not an Avro container file (bad magic)");
  let header: { magic: Buffer; meta: Record<string, Buffer>; sync: Buffer };
  let pos: number;
  try {
    const r = HEADER_TYPE.decode(buf, 0);
    if (r.offset < 0) throw new Error("truncated header");
    header = r.value as typeof header;
    pos = r.offset;
  } catch (err) {
    throw formatInvalid("bad Avro container header", err);
  }
  const codec = (header.meta["avro.codec"]?.toString("utf8") ?? "null") as ContainerCodec;
  if (codec !== "null" && codec !== "deflate") throw new FormatError(`unsupported Avro codec: ${codec}`);
  const schemaBytes = header.meta["avro.schema"];
  if (!schemaBytes) throw new FormatError("Avro container header has no avro.schema");
  let schema: avro.Schema;
  let type: avro.Type;
  try {
    schema = JSON.parse(schemaBytes.toString("utf8")) as avro.Schema;
    type = avro.Type.forSchema(schema, opts.typeOptions);
  } catch (err) {
    throw formatInvalid("bad schema in Avro container header", err);
  }
  let read: (b: Buffer, p: number) => { value: unknown; offset: number } = (b, p) => type.decode(b, p);
  if (opts.readerSchema !== undefined) {
    const reader = toType(opts.readerSchema, opts.typeOptions);
    let resolver: avro.Resolver;
    try {
      resolver = reader.createResolver(type);
    } catch (err) {
      throw formatInvalid("reader schema cannot read the writer schema", err);
    }
    read = (b, p) => reader.decode(b, p, resolver);
  }
  const records: T[] = [];
  let blockNo = 0;
  while (pos < buf.length) {
    let count: number, size: number;
    try {
      const c = LONG.decode(buf, pos);
      if (c.offset < 0) throw new Error("truncated block count");
      const s = LONG.decode(buf, c.offset);
      if (s.offset < 0) throw new Error("truncated block size");
      count = c.value as number;
      size = s.value as number;
      pos = s.offset;
    } catch (err) {
      throw formatInvalid(`bad block ${blockNo} header`, err);
    }
    if (count < 0 || size < 0 || pos + size + 16 > buf.length)
      throw new FormatError(`block ${blockNo} is truncated or has a bad size`);
    const raw = buf.subarray(pos, pos + size);
    pos += size;
    if (!buf.subarray(pos, pos + 16).equals(header.sync))
      throw new FormatError(`block ${blockNo}: sync marker mismatch`);
    pos += 16;
    let data: Buffer;
    try {
      data = codec === "deflate" ? inflateRawSync(raw) : raw;
    } catch (err) {
      throw formatInvalid(`block ${blockNo}: cannot inflate`, err);
    }
    let p = 0;
    for (let i = 0; i < count; i++) {
      let r: { value: unknown; offset: number };
      try {
        r = read(data, p);
      } catch (err) {
        throw formatInvalid(`block ${blockNo} record ${i}`, err);
      }
      if (r.offset < 0) throw new FormatError(`block ${blockNo} record ${i} is truncated`);
      records.push(r.value as T);
      p = r.offset;
    }
    if (p !== data.length)
      throw new FormatError(`block ${blockNo}: ${data.length - p} bytes after its ${count} records`);
    blockNo++;
  }
  const metadata: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(header.meta)) metadata[k] = v;
  return { schema, type, codec, metadata, syncMarker: header.sync, records };
}

/**
 * avsc `long` as a JavaScript bigint, for 64-bit ids (tweet and user ids exceed
 * 2^53). Use with `{ registry: { long: bigIntLongType() } }` ... or `bigIntLongOptions()`.
 */
let bigLong: avro.Type | undefined;
export function bigIntLongType(): avro.Type {
  if (!bigLong) {
    bigLong = avro.types.LongType.__with({
      fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
      toBuffer: (n: bigint) => {
        const b = Buffer.alloc(8);
        b.writeBigInt64LE(BigInt(n));
        return b;
      },
      fromJSON: (v: number | string) => BigInt(v),
      toJSON: (n: bigint) => Number(n),
      isValid: (n: unknown) => typeof n === "bigint",
      compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
    }) as unknown as avro.Type;
  }
  return bigLong;
}

/** forSchema options with 64-bit longs as bigint (a fresh registry each call: avsc fills it with named types). */
export function bigIntLongOptions(): Partial<avro.ForSchemaOptions> {
  return { registry: { long: bigIntLongType() } };
}
