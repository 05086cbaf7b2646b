/**
 * Avro IPC as Flume's avro source and sink speak it (Apache Avro's
 * Requestor/Responder over the Netty transport), for AvroSourceProtocol:
 *
 *   enum Status { OK, FAILED, UNKNOWN }
 *   record AvroFlumeEvent { map<string> headers; bytes body; }
 *   Status append(AvroFlumeEvent event);
 *   Status appendBatch(array<AvroFlumeEvent> events);
 *
 * A call is one Netty "data pack" each way (see framing.ts) whose buffers,
 * concatenated, hold:
 *   request:  [HandshakeRequest]  call-meta map<bytes>  message-name string  parameters
 *   response: [HandshakeResponse] call-meta map<bytes>  error-flag boolean   response | error
 * The handshake is present only until a connection has completed one: the
 * server answers NONE (and its protocol) to a client hash it does not know
 * without the client's protocol text, the client then repeats the call with
 * its protocol; BOTH or CLIENT establish the connection. Protocol hashes are
 * MD5 of the protocol's JSON text.
 */
import { createHash } from "node:crypto";
import avro from "avsc";
import { AVRO_FLUME_EVENT_SCHEMA } from "../../formats/avro-flume-event.js";

export const STATUS_SYMBOLS = ["OK", "FAILED", "UNKNOWN"] as const;
export type RpcStatus = (typeof STATUS_SYMBOLS)[number];

/** AvroSourceProtocol, fields in the order Java's Protocol.toString() writes them. */
export const AVRO_SOURCE_PROTOCOL = {
  protocol: "AvroSourceProtocol",
  namespace: "org.apache.flume.source.avro",
  types: [
    { type: "enum", name: "Status", symbols: [...STATUS_SYMBOLS] },
    { type: "record", name: "AvroFlumeEvent", fields: AVRO_FLUME_EVENT_SCHEMA.fields.map((f) => ({ ...f })) },
  ],
  messages: {
    append: { request: [{ name: "event", type: "AvroFlumeEvent" }], response: "Status" },
    appendBatch: {
      request: [{ name: "events", type: { type: "array", items: "AvroFlumeEvent" } }],
      response: "Status",
    },
  },
};

export const PROTOCOL_TEXT = JSON.stringify(AVRO_SOURCE_PROTOCOL);
export const PROTOCOL_HASH = md5(PROTOCOL_TEXT);
/**
 * The hash Flume's own clients and servers send: Java's AvroSourceProtocol
 * carries the avdl's license comment as its "doc", so its text (and MD5)
 * differ from ours while the messages and types are the same. Measured with
 * Flume 1.11.0 (AvroSourceProtocol.PROTOCOL.getMD5()).
 */
export const FLUME_PROTOCOL_HASH = Buffer.from("86aadae2c45474c0fe93ffd0f2350a65", "hex");
/** hashes of protocols identical to ours in messages and types */
export const KNOWN_HASHES = [PROTOCOL_HASH, FLUME_PROTOCOL_HASH];

export function md5(text: string): Buffer {
  return createHash("md5").update(text, "utf8").digest();
}

export const service = avro.Service.forProtocol(
  AVRO_SOURCE_PROTOCOL as unknown as Parameters<typeof avro.Service.forProtocol>[0],
);

const MD5 = { type: "fixed", name: "MD5", namespace: "org.apache.avro.ipc", size: 16 } as const;

export const handshakeRequestType = avro.Type.forSchema(
  {
    type: "record",
    name: "HandshakeRequest",
    namespace: "org.apache.avro.ipc",
    fields: [
      { name: "clientHash", type: MD5 },
      { name: "clientProtocol", type: ["null", "string"] },
      { name: "serverHash", type: "org.apache.avro.ipc.MD5" },
      { name: "meta", type: ["null", { type: "map", values: "bytes" }] },
    ],
  } as unknown as avro.Schema,
  { wrapUnions: false },
);

export const handshakeResponseType = avro.Type.forSchema(
  {
    type: "record",
    name: "HandshakeResponse",
    namespace: "org.apache.avro.ipc",
    fields: [
      { name: "match", type: { type: "enum", name: "HandshakeMatch", symbols: ["BOTH", "CLIENT", "NONE"] } },
      { name: "serverProtocol", type: ["null", "string"] },
      { name: "serverHash", type: ["null", MD5] },
      { name: "meta", type: ["null", { type: "map", values: "bytes" }] },
    ],
  } as unknown as avro.Schema,
  { wrapUnions: false },
);

export interface HandshakeRequest {
  clientHash: Buffer;
  clientProtocol: string | null;
  serverHash: Buffer;
  meta: Record<string, Buffer> | null;
}

export interface HandshakeResponse {
  match: "BOTH" | "CLIENT" | "NONE";
  serverProtocol: string | null;
  serverHash: Buffer | null;
  meta: Record<string, Buffer> | null;
}

export const metaType = avro.Type.forSchema({ type: "map", values: "bytes" });
export const stringType = avro.Type.forSchema("string");
export const booleanType = avro.Type.forSchema("boolean");
export const statusType = avro.Type.forSchema(AVRO_SOURCE_PROTOCOL.types[0] as unknown as avro.Schema);
/** Java's system errors: union {string} */
export const systemErrorType = avro.Type.forSchema(["string"]);

/** Reads avro values one after another from a buffer. */
export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  read<T>(type: avro.Type): T {
    const { value, offset } = type.decode(this.buf, this.pos);
    if (offset < 0)
      throw new Error(`truncated Avro data reading ${type.typeName ?? type.toString()} at byte ${this.pos}`);
    this.pos = offset;
    return value as T;
  }
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
}
