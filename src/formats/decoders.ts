/**
 * Decoders turn a record's key or value bytes into something an app works
 * with: the direct Kafka stream's keyDecoder/valueDecoder, and configs that
 * name one (`decoder = json`). They are plain functions; one that throws marks
 * the record malformed (MR_FORMAT_INVALID: counted and dead-lettered by the
 * caller, the batch goes on). A null value (a Kafka tombstone) decodes to null.
 *
 * Text is UTF-8. By default invalid bytes become U+FFFD, as Kafka's
 * StringDeserializer and Spark's StringDecoder do (Java's String); with
 * `{ strictUtf8: true }` they make the record malformed.
 *
 * An async decoder (an async function, such as avroRegistryDecoder, which may
 * fetch a schema) is awaited per record; the direct stream decodes with it on
 * the driver and keeps the synchronous path for the others.
 */
import avro from "avsc";
import { decodeAvroFlumeEvent, type FlumeEventLike } from "./avro-flume-event.js";
import { FormatError, formatInvalid } from "./errors.js";
import type { SchemaRegistryClient } from "./schema-registry.js";
import { decodeUtf8 } from "./text.js";

export type Decoder<T = unknown> = (buf: Buffer | null) => T;
export type AsyncDecoder<T = unknown> = (buf: Buffer | null) => Promise<T>;

export interface TextDecoderOptions {
  /** invalid UTF-8 is MR_FORMAT_INVALID instead of U+FFFD (default false) */
  strictUtf8?: boolean;
}

const AsyncFunction = (async () => {}).constructor;

/** true for an async function (its results are awaited) */
export function isAsyncDecoder(d: Decoder<unknown> | AsyncDecoder<unknown>): d is AsyncDecoder<unknown> {
  return d instanceof AsyncFunction;
}

const text = (buf: Buffer, strict: boolean | undefined): string => (strict ? decodeUtf8(buf) : buf.toString("utf8"));

export function stringDecoderOf(opts: TextDecoderOptions = {}): Decoder<string | null> {
  const strict = opts.strictUtf8;
  return (buf) => (buf === null ? null : text(buf, strict));
}

export function jsonDecoderOf(opts: TextDecoderOptions = {}): Decoder<unknown> {
  const strict = opts.strictUtf8;
  return (buf) => {
    if (buf === null) return null;
    const s = text(buf, strict);
    try {
      return JSON.parse(s);
    } catch (err) {
      throw formatInvalid("not JSON", err);
    }
  };
}

export const bytesDecoder: Decoder<Buffer | null> = (buf) => buf;

export const stringDecoder: Decoder<string | null> = stringDecoderOf();

export const jsonDecoder: Decoder<unknown> = jsonDecoderOf();

/** Flume's AvroFlumeEvent (what Flume's Kafka channel and sink write with the Flume event format) */
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

export interface AutoDecoded {
  format: "avro-flume-event" | "json" | "text" | "binary" | "null";
  /** JSON's value, the text, an AvroFlumeEvent's body (its JSON value when it is JSON), or base64 */
  value: unknown;
  /** an AvroFlumeEvent's headers */
  headers?: Record<string, string>;
}

/**
 * Decodes a value the way a person wants to read it (the dashboard's message
 * browser), recognising its format: JSON (an object or array), AvroFlumeEvent,
 * UTF-8 text, else binary (base64). It never throws.
 */
export const autoDecoder: Decoder<AutoDecoded> = (buf) => {
  if (buf === null) return { format: "null", value: null };
  const asJson = (s: string): unknown => {
    const t = s.trim();
    if (!(t.startsWith("{") || t.startsWith("["))) return undefined;
    try {
      return JSON.parse(t);
    } catch {
      return undefined;
    }
  };
  const text = buf.toString("utf8");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what tell binary from text
  const validText = Buffer.from(text, "utf8").equals(buf) && !/[\x00-\x08\x0e-\x1f]/.test(text);
  if (validText) {
    const j = asJson(text);
    if (j !== undefined) return { format: "json", value: j };
  }
  // An AvroFlumeEvent starts with a map block count (zigzag varint); try it before plain text.
  try {
    const e = decodeAvroFlumeEvent(buf);
    const body = e.body.toString("utf8");
    const j = asJson(body);
    return { format: "avro-flume-event", headers: e.headers, value: j !== undefined ? j : body };
  } catch {
    /* not one */
  }
  if (validText) return { format: "text", value: text };
  return { format: "binary", value: buf.toString("base64") };
};

export type DecoderName = "bytes" | "string" | "json" | "avro-flume-event";

/** The byte-only decoders by name (for configs: `decoder = json`). */
export function decoderByName(name: string, opts: TextDecoderOptions = {}): Decoder<unknown> {
  switch (name) {
    case "bytes":
      return bytesDecoder;
    case "string":
    case "text":
      return opts.strictUtf8 ? stringDecoderOf(opts) : stringDecoder;
    case "json":
      return opts.strictUtf8 ? jsonDecoderOf(opts) : jsonDecoder;
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
  auto: autoDecoder,
};
