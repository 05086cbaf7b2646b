import avro from "avsc";
import { PassThrough, Readable } from "node:stream";

/** Decodes a container file with avsc's own streaming BlockDecoder. */
export function avscDecodeAll(
  buf: Buffer,
  opts: ConstructorParameters<typeof avro.streams.BlockDecoder>[0] = {},
): Promise<{ records: unknown[]; codec: string; schema: unknown }> {
  return new Promise((resolve, reject) => {
    const dec = new avro.streams.BlockDecoder(opts);
    const records: unknown[] = [];
    let codec = "";
    let schema: unknown;
    dec.on("metadata", (type: avro.Type, c: string) => {
      codec = c;
      schema = type.schema();
    });
    dec.on("data", (r: unknown) => records.push(r));
    dec.on("error", reject);
    dec.on("end", () => resolve({ records, codec, schema }));
    Readable.from([buf]).pipe(dec);
  });
}

/** Encodes records with avsc's own streaming BlockEncoder. */
export function avscEncodeAll(
  schema: avro.Schema,
  records: unknown[],
  opts: Record<string, unknown> = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const enc = new avro.streams.BlockEncoder(schema, opts);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (c: Buffer) => chunks.push(c));
    out.on("end", () => resolve(Buffer.concat(chunks)));
    enc.on("error", reject);
    enc.pipe(out);
    for (const r of records) enc.write(r);
    enc.end();
  });
}
