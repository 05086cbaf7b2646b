/**
 * The record layer of the Kafka protocol: v2 record batches (header,
 * validation, encoding, decoding), the legacy message formats (magic 0 and
 * 1), compression codecs, checksums and varints.
 */
export * from "./batch.js";
export * from "./compression.js";
export * from "./crc32.js";
export * from "./crc32c.js";
export * from "./legacy.js";
export * from "./lz4.js";
export * from "./records.js";
export * from "./varint.js";
