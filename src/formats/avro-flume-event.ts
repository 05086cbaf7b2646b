/**
 * AvroFlumeEvent: Flume's event as Avro binary (no container, no schema id), as
 * Flume's Kafka channel writes it with parseAsFlumeEvent=true and as the Kafka
 * sink's useFlumeEventFormat=true does. Schema from flume-ng-sdk's flume.avdl:
 *   record org.apache.flume.source.avro.AvroFlumeEvent { map<string> headers; bytes body; }
 */
import avro from "avsc";
import { MillraceError } from "../errors.js";

export const AVRO_FLUME_EVENT_SCHEMA = {
  type: "record",
  name: "AvroFlumeEvent",
  namespace: "org.apache.flume.source.avro",
  fields: [
    { name: "headers", type: { type: "map", values: "string" } },
    { name: "body", type: "bytes" },
  ],
} as const;

export const avroFlumeEventType = avro.Type.forSchema(AVRO_FLUME_EVENT_SCHEMA as unknown as avro.Schema);

export interface FlumeEventLike {
  headers: Record<string, string>;
  body: Buffer;
}

export function encodeAvroFlumeEvent(e: FlumeEventLike): Buffer {
  return avroFlumeEventType.toBuffer({ headers: e.headers, body: e.body });
}

/** Decodes one AvroFlumeEvent; a malformed or trailing-garbage buffer raises MR_FORMAT_INVALID. */
export function decodeAvroFlumeEvent(buf: Buffer): FlumeEventLike {
  let v: { headers: Record<string, string>; body: Buffer };
  try {
    v = avroFlumeEventType.fromBuffer(buf) as typeof v;
  } catch (err) {
    throw new MillraceError("MR_FORMAT_INVALID", `not an AvroFlumeEvent: ${(err as Error).message}`, { cause: err });
  }
  return { headers: { ...v.headers }, body: v.body };
}
