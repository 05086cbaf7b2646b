/**
 * Decoders of record keys and values for the direct Kafka stream. A decoder is
 * `(buf: Buffer | null) => unknown`; one that throws marks the record malformed
 * (counted, sent to the dead-letter topic or logged; the batch goes on).
 */
import { decodeAvroFlumeEvent, type FlumeEventLike } from "../formats/avro-flume-event.js";

export type Decoder<T = unknown> = (buf: Buffer | null) => T;

export const stringDecoder: Decoder<string | null> = (buf) => (buf === null ? null : buf.toString("utf8"));

export const bytesDecoder: Decoder<Buffer | null> = (buf) => buf;

export const jsonDecoder: Decoder<unknown> = (buf) => (buf === null ? null : JSON.parse(buf.toString("utf8")));

/** Flume's AvroFlumeEvent (what Flume's Kafka channel and sink write with the Flume event format) */
export const avroFlumeEventDecoder: Decoder<FlumeEventLike | null> = (buf) =>
  buf === null ? null : decodeAvroFlumeEvent(buf);

export const decoders = {
  string: stringDecoder,
  bytes: bytesDecoder,
  json: jsonDecoder,
  avroFlumeEvent: avroFlumeEventDecoder,
};
