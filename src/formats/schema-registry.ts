/**
 * Confluent Schema Registry: the wire framing its serializers put in front of
 * every Kafka message (magic byte 0x00, 4-byte big-endian schema id, then the
 * Avro binary of the value), and a small REST client for the two calls a
 * producer and a consumer need: register a schema under a subject (POST
 * /subjects/{subject}/versions -> {id}) and fetch a schema by id (GET
 * /schemas/ids/{id} -> {schema}). Ids and schemas are cached; a registry error
 * ({error_code, message}) raises MR_FORMAT_REGISTRY with both kept.
 */
import avro from "avsc";
import { MillraceError } from "../errors.js";
import { FormatError, formatInvalid } from "./errors.js";

export const MAGIC_BYTE = 0;
export const REGISTRY_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

export function frame(schemaId: number, payload: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff)
    throw new FormatError(`bad schema id: ${schemaId}`);
  const out = Buffer.allocUnsafe(5 + payload.length);
  out[0] = MAGIC_BYTE;
  out.writeInt32BE(schemaId, 1);
  payload.copy(out, 5);
  return out;
}

export function unframe(buf: Buffer): { schemaId: number; payload: Buffer } {
  if (buf.length < 5) throw new FormatError(`schema-registry frame too short (${buf.length} bytes)`);
  if (buf[0] !== MAGIC_BYTE) throw new FormatError(`unknown schema-registry magic byte ${buf[0]}`);
  return { schemaId: buf.readInt32BE(1), payload: buf.subarray(5) };
}

/** An error answered by the registry (or reaching it failed: status 0). */
export class SchemaRegistryError extends MillraceError {
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: number,
    options?: { cause?: unknown },
  ) {
    super("MR_FORMAT_REGISTRY", message, options);
  }
}

export interface SchemaRegistryClientOptions {
  /** extra request headers (e.g. Authorization) */
  headers?: Record<string, string>;
  /** HTTP basic auth "user:password" (Confluent's basic.auth.user.info) */
  basicAuth?: string;
  /** fetch implementation (defaults to the global fetch) */
  fetch?: typeof fetch;
}

export interface RegisteredSchema {
  subject: string;
  id: number;
  version: number;
  schema: string;
}

function canonical(schema: avro.Schema | string): string {
  if (typeof schema === "string") {
    try {
      return JSON.stringify(JSON.parse(schema));
    } catch {
      return JSON.stringify(schema); // a bare primitive name like "string"
    }
  }
  return JSON.stringify(schema);
}

export class SchemaRegistryClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly doFetch: typeof fetch;
  private readonly idsBySubjectSchema = new Map<string, Promise<number>>();
  private readonly schemasById = new Map<number, Promise<string>>();
  private readonly typesById = new Map<number, Promise<avro.Type>>();

  constructor(baseUrl: string, opts: SchemaRegistryClientOptions = {}) {
    this.base = baseUrl.replace(/\/+$/, "");
    this.headers = {
      Accept: `${REGISTRY_CONTENT_TYPE}, application/vnd.schemaregistry+json, application/json`,
      ...opts.headers,
    };
    if (opts.basicAuth) this.headers.Authorization = `Basic ${Buffer.from(opts.basicAuth).toString("base64")}`;
    this.doFetch = opts.fetch ?? fetch;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = this.base + path;
    let res: Response;
    try {
      res = await this.doFetch(url, {
        method,
        headers: body === undefined ? this.headers : { ...this.headers, "Content-Type": REGISTRY_CONTENT_TYPE },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new SchemaRegistryError(`schema registry unreachable at ${url}: ${(err as Error).message}`, 0, 0, {
        cause: err,
      });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch (err) {
      throw new SchemaRegistryError(
        `schema registry answered ${res.status} with non-JSON: ${text.slice(0, 100)}`,
        res.status,
        0,
        { cause: err },
      );
    }
    if (!res.ok) {
      const e = (json ?? {}) as { error_code?: number; message?: string };
      throw new SchemaRegistryError(
        (
          `schema registry ${method} ${path}: ${res.status} ${e.error_code ?? ""} ` +
          `${e.message ?? text.slice(0, 200)}`
        ).trim(),
        res.status,
        typeof e.error_code === "number" ? e.error_code : res.status,
      );
    }
    return json as T;
  }

  /** Registers (or finds) `schema` under `subject`; returns its global id. Cached per subject and schema. */
  register(subject: string, schema: avro.Schema | string): Promise<number> {
    const text = canonical(schema);
    const key = `${subject}\u0000${text}`;
    let p = this.idsBySubjectSchema.get(key);
    if (!p) {
      p = this.request<{ id: number }>("POST", `/subjects/${encodeURIComponent(subject)}/versions`, {
        schema: text,
      }).then((r) => {
        if (typeof r?.id !== "number") throw new SchemaRegistryError("schema registry answered without an id", 200, 0);
        this.schemasById.set(r.id, Promise.resolve(text));
        return r.id;
      });
      p.catch(() => this.idsBySubjectSchema.delete(key));
      this.idsBySubjectSchema.set(key, p);
    }
    return p;
  }

  /** The schema text for a global id. Cached (ids are immutable). */
  getSchemaById(id: number): Promise<string> {
    let p = this.schemasById.get(id);
    if (!p) {
      p = this.request<{ schema: string }>("GET", `/schemas/ids/${id}`).then((r) => {
        if (typeof r?.schema !== "string")
          throw new SchemaRegistryError(`schema registry answered id ${id} without a schema`, 200, 0);
        return r.schema;
      });
      p.catch(() => this.schemasById.delete(id));
      this.schemasById.set(id, p);
    }
    return p;
  }

  /** The latest version registered under a subject (not cached: it changes). */
  getLatest(subject: string): Promise<RegisteredSchema> {
    return this.request<RegisteredSchema>("GET", `/subjects/${encodeURIComponent(subject)}/versions/latest`);
  }

  /** The avsc type for an id. */
  getType(id: number): Promise<avro.Type> {
    let p = this.typesById.get(id);
    if (!p) {
      p = this.getSchemaById(id).then((s) => {
        try {
          return avro.Type.forSchema(JSON.parse(s) as avro.Schema);
        } catch (err) {
          throw formatInvalid(`registry schema ${id} is not a valid Avro schema`, err);
        }
      });
      p.catch(() => this.typesById.delete(id));
      this.typesById.set(id, p);
    }
    return p;
  }

  /** Serializes like Confluent's KafkaAvroSerializer: register, then frame(id, avro bytes). */
  async encode(subject: string, schema: avro.Schema, value: unknown): Promise<Buffer> {
    const id = await this.register(subject, schema);
    const type = await this.getType(id);
    let bytes: Buffer;
    try {
      bytes = type.toBuffer(value);
    } catch (err) {
      throw formatInvalid(`value does not match schema ${id}`, err);
    }
    return frame(id, bytes);
  }

  /** Deserializes a framed message; bad framing or bytes raise MR_FORMAT_INVALID. */
  async decode<T = unknown>(buf: Buffer): Promise<T> {
    const { schemaId, payload } = unframe(buf);
    const type = await this.getType(schemaId);
    try {
      return type.fromBuffer(payload) as T;
    } catch (err) {
      throw formatInvalid(`not Avro of schema ${schemaId}`, err);
    }
  }
}
