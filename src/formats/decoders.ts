/**
 * Decoders turn a record's value bytes into something an app works with. They
 * are plain functions; each raises MR_FORMAT_INVALID on bad input so the caller
 * can count the record and dead-letter it. A null value (a Kafka tombstone)
 * decodes to null.
 */
import avro from "avsc";
import { decodeAvroFlumeEvent, type FlumeEventLike } from "./avro-flume-event.js";
import { FormatError, formatInvalid } from "./errors.js";
import type { SchemaRegistryClient } from "./schema-registry.js";
import { decodeUtf8 } from "./text.js";

export type Decoder<T> = (buf: Buffer | null) => T;
export type AsyncDecoder<T> = (buf: Buffer | null) => Promise<T>;

export const bytesDecoder: Decoder<Buffer | null> = (buf) => buf;

export const stringDecoder: Decoder<string | null> = (buf) => (buf === null ? null : decodeUtf8(buf));

export const jsonDecoder: Decoder<unknown> = (buf) => {
  if (buf === null) return null;
  const text = decodeUtf8(buf);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw formatInvalid("not JSON", err);
  }
};

export const avroFlumeEventDecoder: Decoder<FlumeEventLike | null> = (buf) =>
  buf === null ? null : decodeAvroFlumeEvent(buf);

/** Plain Avro binary of one schema (no container, no framing); trailing bytes are an error. */
export function avroDecoder<T = unknown>(schema: avro.Schema | avro.Type): Decoder<T | null> {
  const type = avro.Type.isType(schema) ? (schema as avro.Type) : avro.Type.forSchema(schema as avro.Schema);
  return (buf) => {
    if (buf === null) return null;
    try {
      return type.fromBuffer(buf) as T;
    } catch (err) {
      throw formatInvalid("not Avro of the expected schema", err);
    }
  };
}

/** Confluent-framed Avro, schemas fetched (and cached) from a registry. */
export function avroRegistryDecoder<T = unknown>(client: SchemaRegistryClient): AsyncDecoder<T | null> {
  return async (buf) => (buf === null ? null : client.decode<T>(buf));
}

export type DecoderName = "bytes" | "string" | "json" | "avro-flume-event";

/** The byte-only decoders by name (for configs: `decoder = json`). */
export function decoderByName(name: string): Decoder<unknown> {
  switch (name) {
    case "bytes":
      return bytesDecoder;
    case "string":
    case "text":
      return stringDecoder;
    case "json":
      return jsonDecoder;
    case "avro-flume-event":
    case "avroFlumeEvent":
      return avroFlumeEventDecoder;
    default:
      throw new FormatError(`unknown decoder: ${name} (bytes, string, json, avro-flume-event)`);
  }
}

export const decoders = {
  bytes: bytesDecoder,
  string: stringDecoder,
  json: jsonDecoder,
  avroFlumeEvent: avroFlumeEventDecoder,
  avro: avroDecoder,
  avroRegistry: avroRegistryDecoder,
};
